package tree

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// An operator's file under secrets/ is theirs like any other: kept, named,
// never deleted (a tls.key put beside harborgen's secrets was deleted).
func TestWriteKeepsForeignSecrets(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	mustWrite(t, dir, build(t, demoFiles()...))
	mine := filepath.Join(dir, "nodes/registry01/secrets/tls.key")
	writeRaw(t, mine, "-----BEGIN OPERATOR KEY-----\n", 0o600)

	report := mustWrite(t, dir, build(t, demoFiles()...))
	if want := []string{"nodes/registry01/secrets/tls.key"}; !slices.Equal(report.Foreign, want) || len(report.Removed) != 0 {
		t.Errorf("report = %+v, want only %q foreign and nothing removed", report, want)
	}
	if data, err := os.ReadFile(mine); err != nil || string(data) != "-----BEGIN OPERATOR KEY-----\n" {
		t.Errorf("the operator's secret is gone or changed: %q, %v", data, err)
	}
	// A secret harborgen wrote and no longer writes is still pruned.
	report = mustWrite(t, dir, build(t, without(demoFiles(), "nodes/registry02/secrets/tls/")...))
	if want := []string{"nodes/registry02/secrets/tls/registry.key"}; !slices.Equal(report.Removed, want) {
		t.Errorf("Removed = %q, want %q", report.Removed, want)
	}
	if _, err := os.Stat(mine); err != nil {
		t.Errorf("the operator's secret did not survive a second render: %v", err)
	}
}

// Rendering into a node directory of an earlier tree (--out out/nodes/<n>):
// the earlier tree's files there are not the new tree's, secrets included.
func TestWriteIntoAnEarlierNodeDirectoryKeepsItsSecrets(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	mustWrite(t, dir, build(t, demoFiles()...))
	nodeDir := filepath.Join(dir, "nodes/registry02")
	report := mustWrite(t, nodeDir, build(t, demoFiles()...))
	for _, p := range []string{"secrets/core.env", "secrets/tls/registry.key"} {
		if !slices.Contains(report.Foreign, p) {
			t.Errorf("%s not kept as foreign: %+v", p, report.Foreign)
		}
		if _, err := os.Stat(filepath.Join(nodeDir, p)); err != nil {
			t.Errorf("%s lost: %v", p, err)
		}
	}
}

// A tree written before records existed: the secret files the new tree
// writes again are harborgen's, any other file under secrets/ is kept.
func TestWriteOverATreeWithoutRecords(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	mustWrite(t, dir, build(t, demoFiles()...))
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && info.Name() == SecretsRecord {
			err = os.Remove(p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	writeRaw(t, filepath.Join(dir, "nodes/registry01/secrets/tls.key"), "mine\n", 0o600)
	next := replaced(demoFiles(), "nodes/registry01/secrets/core.env", "CORE_SECRET=new\n")
	report := mustWrite(t, dir, build(t, next...))
	if !slices.Equal(report.Changed, []string{"nodes/registry01/secrets/core.env"}) ||
		!slices.Equal(report.Foreign, []string{"nodes/registry01/secrets/tls.key"}) {
		t.Errorf("report = %+v", report)
	}
}

// A foreign file is carried over as a hard link, not copied: a large sparse
// file stays the same inode and sparse (it became 2 GiB of dense data).
func TestWriteLinksForeignFiles(t *testing.T) {
	for _, copyInstead := range []bool{false, true} {
		dir := filepath.Join(t.TempDir(), "out")
		mustWrite(t, dir, build(t, demoFiles()...))
		big := filepath.Join(dir, "nodes/registry01/dump.img")
		f, err := os.Create(big)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(1 << 30); err != nil { // 1 GiB of holes
			t.Fatal(err)
		}
		f.Close()
		before := stat(t, big)
		if copyInstead { // where no hard link can be made, the file is copied
			small := filepath.Join(dir, "small.txt")
			writeRaw(t, small, "x\n", 0o640)
			os.Remove(big)
			ino := stat(t, small).Ino
			setFailpoint(t, "link "+small, syscall.EPERM)
			mustWrite(t, dir, build(t, changedDemo()...)) // a rebuilt tree, not one left in place
			if data, err := os.ReadFile(small); err != nil || string(data) != "x\n" || stat(t, small).Ino == ino {
				t.Errorf("copy fallback: %q %v (inode %d, was %d)", data, err, stat(t, small).Ino, ino)
			}
			continue
		}
		mustWrite(t, dir, build(t, changedDemo()...))
		after := stat(t, big)
		if after.Ino != before.Ino {
			t.Errorf("the foreign file was copied (inode %d -> %d), not linked", before.Ino, after.Ino)
		}
		if after.Blocks > 8*1024 { // 512-byte blocks: more than 4 MiB allocated
			t.Errorf("the sparse file is now %d blocks", after.Blocks)
		}
	}
}

func stat(t *testing.T, name string) *syscall.Stat_t {
	t.Helper()
	info, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	return info.Sys().(*syscall.Stat_t)
}

// The records name files only, are private, and never reach MANIFEST.
func TestSecretsRecordIsPrivateAndNeverInManifest(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	mustWrite(t, dir, build(t, demoFiles()...))
	rec := filepath.Join(dir, "nodes/registry02/secrets", SecretsRecord)
	data, err := os.ReadFile(rec)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "nodes/registry02/secrets/core.env\n") || strings.Contains(string(data), "CORE_SECRET") {
		t.Errorf("record:\n%s", data)
	}
	if info, _ := os.Stat(rec); info.Mode().Perm() != 0o600 {
		t.Errorf("record mode %v", info.Mode())
	}
	manifest, _ := os.ReadFile(filepath.Join(dir, ManifestName))
	if strings.Contains(string(manifest), SecretsRecord) {
		t.Errorf("MANIFEST lists a record:\n%s", manifest)
	}
	if err := (&Tree{}).Add(File{Path: "x/secrets/" + SecretsRecord, Secret: true}); err == nil {
		t.Error("Add accepted the reserved record name")
	}
}

// An output directory that is a mount point cannot be exchanged (EBUSY):
// the error says so and what to do, and nothing changes.
func TestWriteOntoAMountPointSaysWhatToDo(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	mustWrite(t, dir, build(t, demoFiles()...))
	before := snapshot(t, dir)
	exchange = func(a, b string) error {
		return &os.LinkError{Op: "renameat2 RENAME_EXCHANGE", Old: a, New: b, Err: syscall.EBUSY}
	}
	t.Cleanup(func() { exchange = renameExchange })
	_, err := Write(dir, build(t, replaced(demoFiles(), "README.md", "new\n")...))
	if err == nil || !strings.Contains(err.Error(), "is a mount point") || !strings.Contains(err.Error(), "--out "+filepath.Join(dir, "out")) {
		t.Fatalf("err = %v", err)
	}
	sameSnapshot(t, "after the refused exchange", snapshot(t, dir), before)
	noLeftovers(t, dir)
}
