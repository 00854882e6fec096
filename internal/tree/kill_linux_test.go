package tree

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// The child process of TestWriteSurvivesKill reads these.
const (
	killDirEnv      = "HARBORGEN_TREE_KILL_DIR"      // the output directory to write
	killGenEnv      = "HARBORGEN_TREE_KILL_GEN"      // which bigTree to write
	killFallbackEnv = "HARBORGEN_TREE_KILL_FALLBACK" // set: swap with two renames
	killPauseEnv    = "HARBORGEN_TREE_KILL_PAUSE"    // the step of Write to wait at
)

// The big tree: killNodes nodes of killFilesPerNode files of killFileSize bytes, plus a secret
// per node: 12 MB that take this VM about half a second to write and fsync. The kills that must
// land inside a phase of Write wait for the child to report that phase, so a bigger tree would
// only make the test slower.
const (
	killNodes        = 12
	killFilesPerNode = 50
	killFileSize     = 20 << 10
)

// bigTree returns generation gen of the big tree. Every file's content differs between
// generations, and generation 2 drops the first node and adds one, so any mix of the two is seen.
func bigTree(t testing.TB, gen int) *Tree {
	filler := bytes.Repeat([]byte(fmt.Sprintf("generation %d filler line\n", gen)), killFileSize/20)[:killFileSize]
	tr := &Tree{}
	for n := gen - 1; n < killNodes+gen-1; n++ {
		node := fmt.Sprintf("nodes/registry%02d/", n)
		for i := range killFilesPerNode {
			f := File{Path: fmt.Sprintf("%sconf/file%03d.conf", node, i), Mode: ModeConfig}
			if i == 0 {
				f.Path, f.Mode = node+"bootstrap.sh", ModeScript
			}
			f.Data = append([]byte(fmt.Sprintf("# %s, generation %d\n", f.Path, gen)), filler...)
			if err := tr.Add(f); err != nil {
				t.Fatal(err)
			}
		}
		secret := File{Path: node + "secrets/core.env", Data: []byte(fmt.Sprintf("CORE_SECRET=%d-%d\n", gen, n)), Secret: true}
		if err := tr.Add(secret); err != nil {
			t.Fatal(err)
		}
	}
	return tr
}

// TestHelperProcess is the child that TestWriteSurvivesKill starts and kills. It prints each
// step of Write as it reaches it, and waits forever at the step named by killPauseEnv.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv(killDirEnv)
	if dir == "" {
		t.Skip("runs only as the child process of TestWriteSurvivesKill")
	}
	if os.Getenv(killFallbackEnv) != "" {
		exchange = func(a, b string) error { return errNoExchange }
	}
	pause := os.Getenv(killPauseEnv)
	failpoint = func(step string) error {
		fmt.Println(step)
		if step == pause {
			time.Sleep(time.Hour)
		}
		return nil
	}
	gen, err := strconv.Atoi(os.Getenv(killGenEnv))
	if err == nil {
		_, err = Write(dir, bigTree(t, gen))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	os.Exit(0)
}

// killPoint is when TestWriteSurvivesKill kills the child: a delay after its start, or when it
// reaches a step of Write, there or (pause) while it waits at that step.
type killPoint struct {
	after time.Duration
	step  string
	pause bool
	want  string // "old", "new", or "" for either
}

func (k killPoint) String() string {
	switch {
	case k.step == "":
		return fmt.Sprintf("%v after start", k.after)
	case k.pause:
		return "paused at " + k.step
	}
	return "at " + k.step
}

// killWriter starts a child writing generation gen into dir and kills it at k.
func killWriter(t *testing.T, dir string, gen int, fallback bool, k killPoint) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), killDirEnv+"="+dir, killGenEnv+"="+strconv.Itoa(gen))
	if fallback {
		cmd.Env = append(cmd.Env, killFallbackEnv+"=1")
	}
	if k.pause {
		cmd.Env = append(cmd.Env, killPauseEnv+"="+k.step)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	steps, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	reached := false
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		lines := bufio.NewScanner(steps)
		for lines.Scan() {
			if k.step != "" && lines.Text() == k.step {
				reached = true
				_ = cmd.Process.Kill()
			}
		}
		_, _ = io.Copy(io.Discard, steps)
	}()
	if k.step == "" {
		time.Sleep(k.after)
		_ = cmd.Process.Kill()
	}
	<-drained
	err = cmd.Wait()
	if cmd.ProcessState.Exited() && (err != nil || k.step != "") {
		t.Fatalf("the child ended before the kill (reached %q: %v): %v\n%s", k.step, reached, err, &stderr)
	}
}

// TestWriteSurvivesKill kills a child process writing a big tree over another at many moments,
// and checks each time that the output directory is exactly one complete tree, old or new, and
// that what the kill left behind is cleaned up.
func TestWriteSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a big tree some twenty times")
	}
	// Steps a quarter and three quarters of the way through writing either generation.
	early := fmt.Sprintf("write nodes/registry%02d/conf/file%03d.conf", killNodes/4, killFilesPerNode/2)
	late := fmt.Sprintf("write nodes/registry%02d/conf/file%03d.conf", 3*killNodes/4, killFilesPerNode/2)
	for _, tc := range []struct {
		name     string
		fallback bool
		kills    []killPoint
	}{
		{"exchange", false, []killPoint{
			{after: time.Millisecond, want: "old"},
			{after: 5 * time.Millisecond, want: "old"},
			{after: 20 * time.Millisecond},
			{after: 50 * time.Millisecond},
			{after: 100 * time.Millisecond},
			{after: 200 * time.Millisecond},
			{after: 300 * time.Millisecond},
			{step: early, want: "old"},
			{step: late, want: "old"},
			{step: "swap", pause: true, want: "old"},
			{step: "swap"},
			{step: "remove previous", pause: true, want: "new"},
			{step: "remove previous", want: "new"},
		}},
		{"two renames", true, []killPoint{
			{after: 50 * time.Millisecond},
			{step: late, want: "old"},
			{step: "between renames", pause: true, want: "old"},
			{step: "between renames"},
			{step: "remove previous", pause: true, want: "new"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.fallback {
				noExchange(t)
			}
			dir := filepath.Join(t.TempDir(), "out")
			want := map[int]map[string]entry{1: expectedSnapshot(bigTree(t, 1)), 2: expectedSnapshot(bigTree(t, 2))}
			mustWrite(t, dir, bigTree(t, 1))
			current := 1
			outcomes := map[string]int{}
			for _, k := range tc.kills {
				target := 3 - current
				killWriter(t, dir, target, tc.fallback, k)
				if tc.fallback {
					assertAsideIsComplete(t, dir, want[current])
					if err := cleanLeftovers(dir); err != nil {
						t.Fatal(err)
					}
				}
				got := snapshot(t, dir)
				outcome := "new"
				switch {
				case maps.Equal(got, want[current]):
					outcome = "old"
				case maps.Equal(got, want[target]):
					current = target
				default:
					sameSnapshot(t, fmt.Sprintf("killed %v: neither tree (compared with the old one)", k), got, want[current])
				}
				if k.want != "" && outcome != k.want {
					t.Errorf("killed %v: the %s tree, want the %s one", k, outcome, k.want)
				}
				outcomes[outcome]++
				if err := cleanLeftovers(dir); err != nil {
					t.Fatal(err)
				}
				noLeftovers(t, dir)
				sameSnapshot(t, "after cleaning up", snapshot(t, dir), want[current])
			}
			t.Logf("after %d kills: %v", len(tc.kills), outcomes)
			// A Write after the last kill writes over whatever it left.
			target := 3 - current
			mustWrite(t, dir, bigTree(t, target))
			noLeftovers(t, dir)
			sameSnapshot(t, "a write after the kills", snapshot(t, dir), want[target])
		})
	}
}

// expectedSnapshot is what Write must leave on disk for tr: every file with its content and
// mode, MANIFEST, and every directory, 0700 under secrets/ and 0755 elsewhere.
func expectedSnapshot(tr *Tree) map[string]entry {
	snap := map[string]entry{".": {Mode: fs.ModeDir | 0o755}}
	files := tr.withManifest()
	for _, f := range files {
		for _, dir := range ancestors(f.Path) {
			mode := fs.FileMode(0o755)
			if underSecrets(dir + "/x") {
				mode = 0o700
			}
			snap[dir] = entry{Mode: fs.ModeDir | mode}
		}
		sum := sha256.Sum256(f.Data)
		snap[f.Path] = entry{Mode: f.Mode, Sum: hex.EncodeToString(sum[:])}
	}
	return snap
}

// assertAsideIsComplete checks the fallback's window: when the output directory is missing, the
// previous tree must be whole beside it, for cleanLeftovers to move back.
func assertAsideIsComplete(t *testing.T, dir string, previous map[string]entry) {
	t.Helper()
	if _, err := os.Lstat(dir); !errors.Is(err, fs.ErrNotExist) {
		return
	}
	matches, _ := filepath.Glob(filepath.Join(filepath.Dir(dir), leftoverPrefix(dir, leftoverAside)+"*"))
	if len(matches) != 1 {
		t.Fatalf("%s is missing and %d trees are set aside", dir, len(matches))
	}
	sameSnapshot(t, "the tree set aside", snapshot(t, matches[0]), previous)
}
