package tree

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"syscall"
	"testing"
)

func TestWriteModesWhateverTheUmask(t *testing.T) {
	want := map[string]fs.FileMode{
		".":                                         fs.ModeDir | 0o755,
		".gitignore":                                0o644,
		ManifestName:                                0o644,
		"README.md":                                 0o644,
		"nodes":                                     fs.ModeDir | 0o755,
		"nodes/registry01":                          fs.ModeDir | 0o755,
		"nodes/registry01/docker-compose.yml":       0o644,
		"nodes/registry01/bootstrap.sh":             0o755,
		"nodes/registry01/secrets":                  fs.ModeDir | 0o700,
		"nodes/registry01/secrets/core.env":         0o600,
		"nodes/registry02":                          fs.ModeDir | 0o755,
		"nodes/registry02/docker-compose.yml":       0o644,
		"nodes/registry02/secrets":                  fs.ModeDir | 0o700,
		"nodes/registry02/secrets/core.env":         0o600,
		"nodes/registry02/secrets/tls":              fs.ModeDir | 0o700,
		"nodes/registry02/secrets/tls/registry.key": 0o600,
		// The records of the secret files harborgen wrote, as private as the secrets.
		"nodes/registry01/secrets/" + SecretsRecord:     0o600,
		"nodes/registry02/secrets/" + SecretsRecord:     0o600,
		"nodes/registry02/secrets/tls/" + SecretsRecord: 0o600,
	}
	for _, umask := range []int{0o077, 0o000, 0o022, 0o777} {
		t.Run(fmt.Sprintf("umask %04o", umask), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out") // before the umask, which may forbid everything
			defer syscall.Umask(syscall.Umask(umask))
			tr := build(t, demoFiles()...)
			for _, pass := range []string{"first write", "rewrite"} {
				mustWrite(t, dir, tr)
				snap := snapshot(t, dir)
				if len(snap) != len(want) {
					t.Errorf("%s: %d entries, want %d", pass, len(snap), len(want))
				}
				for p, mode := range want {
					if got := snap[p].Mode; got != mode {
						t.Errorf("%s: %s mode %v, want %v", pass, p, got, mode)
					}
				}
			}
		})
	}
}
