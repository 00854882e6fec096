package main

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the test binary act as harborgen itself, so a test can run
// and kill -9 a real render process.
func TestMain(m *testing.M) {
	if os.Getenv("HARBORGEN_TEST_AS_CLI") == "1" {
		os.Exit(run(os.Args, os.Stdin, os.Stdout, os.Stderr, os.Environ()))
	}
	os.Exit(m.Run())
}

// largeSpec is a valid Harbor 2 cluster of n harbor nodes behind two load
// balancers: about 20 files per node.
func largeSpec(n, workers int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `spec = 1
[cluster]
name = "big"
hostname = "registry.example.com"
[harbor]
max_job_workers = %d
[database]
engine = "postgres"
max_connections = 100000
max_open_conns = 10
max_idle_conns = 5
[database.external]
host = "10.9.0.5"
[redis]
mode = "standalone"
[storage]
driver = "s3"
[storage.s3]
endpoint = "http://10.9.0.70:7480"
bucket = "harbor"
[lb]
vip = "10.9.0.100"
`, workers)
	for i := 0; i < n; i++ {
		roles := `["harbor"]`
		if i == 0 {
			roles = `["harbor", "redis"]`
		}
		fmt.Fprintf(&b, "[[node]]\nname = \"h%03d\"\naddress = \"10.8.%d.%d\"\nroles = %s\n", i, i/200, i%200+1, roles)
	}
	b.WriteString("[[node]]\nname = \"lb1\"\naddress = \"10.9.0.21\"\nroles = [\"lb\"]\n")
	b.WriteString("[[node]]\nname = \"lb2\"\naddress = \"10.9.0.22\"\nroles = [\"lb\"]\n")
	return b.String()
}

// snapshot hashes every file and mode under dir.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		sum := ""
		if !d.IsDir() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum = fmt.Sprintf("%x", sha256.Sum256(data))
		}
		fmt.Fprintf(&b, "%s %s %s\n", info.Mode(), rel, sum)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestKilledRenderLeavesATree kills -9 a render of a large spec at several
// moments; each time the output directory is exactly the previous tree or
// exactly the new one, and the next render succeeds.
func TestKilledRenderLeavesATree(t *testing.T) {
	if testing.Short() {
		t.Skip("renders a large spec a dozen times")
	}
	dir := t.TempDir()
	oldSpec, newSpec := filepath.Join(dir, "old.toml"), filepath.Join(dir, "new.toml")
	os.WriteFile(oldSpec, []byte(largeSpec(150, 10)), 0o644)
	os.WriteFile(newSpec, []byte(largeSpec(150, 20)), 0o644)
	env := map[string]string{"HARBORGEN_SECRET_DB_PASSWORD": "pw", "HARBORGEN_SECRET_S3_ACCESS_KEY": "ak", "HARBORGEN_SECRET_S3_SECRET_KEY": "sk"}
	secretsPath := filepath.Join(dir, "s.secrets.toml")
	if code, _, stderr := runCLI("", env, "secrets", "init", "--secrets", secretsPath, oldSpec); code != 0 {
		t.Fatalf("secrets init: %s", stderr)
	}
	out := filepath.Join(dir, "out")
	render := func(spec, into string) {
		t.Helper()
		if code, _, stderr := runCLI("", env, "render", "--secrets", secretsPath, "--out", into, spec); code != 0 {
			t.Fatalf("render %s: %s", spec, stderr)
		}
	}
	render(newSpec, filepath.Join(dir, "expected-new"))
	wantNew := snapshot(t, filepath.Join(dir, "expected-new"))
	render(oldSpec, out)
	wantOld := snapshot(t, out)
	if wantOld == wantNew || strings.Count(wantOld, "\n") < 2000 {
		t.Fatalf("the two trees must differ and be large (%d entries)", strings.Count(wantOld, "\n"))
	}
	outcomes := map[string]int{}
	// A render of the new spec takes about 3.5 s here, most of it writing
	// and syncing the new tree before the swap; the delays span all of it.
	for _, ms := range []int{0, 50, 300, 800, 1500, 2200, 2800, 3200, 3600, 5000} {
		delay := time.Duration(ms) * time.Millisecond
		cmd := exec.Command(os.Args[0], "render", "--secrets", secretsPath, "--out", out, newSpec)
		cmd.Env = append(os.Environ(), "HARBORGEN_TEST_AS_CLI=1")
		for k, v := range env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		switch snapshot(t, out) {
		case wantOld:
			outcomes["old"]++
		case wantNew:
			outcomes["new"]++
		default:
			t.Fatalf("killed after %v: the output is neither the old nor the new tree", delay)
		}
		render(oldSpec, out) // the next render cleans up and succeeds
		if snapshot(t, out) != wantOld {
			t.Fatalf("after a kill at %v, a new render did not restore the old tree", delay)
		}
	}
	t.Logf("kill -9 outcomes: %v", outcomes)
}
