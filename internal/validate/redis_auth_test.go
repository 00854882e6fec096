package validate_test

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/harborgen/harborgen/internal/diag"
	"github.com/harborgen/harborgen/internal/secrets"
	"github.com/harborgen/harborgen/internal/validate"
)

// TestExternalRedisPasswordSecret checks the optional redis_password of an
// external Redis: absent is valid (no AUTH); given in the file or the
// environment, it is used and never "not used by this spec". Under Harbor
// 1.5, which sends no Redis password, giving one is an error, even from the
// environment alone.
func TestExternalRedisPasswordSecret(t *testing.T) {
	for _, tc := range []struct {
		name, spec string
		inFile     bool // redis_password in the secrets file
		inEnv      bool // HARBORGEN_SECRET_REDIS_PASSWORD set
		noFile     bool // no secrets file at all
		want       diag.Severity
	}{
		{name: "2.x, absent", spec: "../../examples/shared-fs/harborgen.toml"},
		{name: "2.x, in the file", spec: "../../examples/shared-fs/harborgen.toml", inFile: true},
		{name: "2.x, in the environment", spec: "../../examples/shared-fs/harborgen.toml", inEnv: true},
		{name: "2.x, both", spec: "../../examples/shared-fs/harborgen.toml", inFile: true, inEnv: true},
		{name: "1.5, absent", spec: "testdata/invalid/secrets-redis-password-harbor-1.5.toml"},
		{name: "1.5, in the file", spec: "testdata/invalid/secrets-redis-password-harbor-1.5.toml", inFile: true, want: diag.Error},
		{name: "1.5, environment, no file", spec: "testdata/invalid/secrets-redis-password-harbor-1.5.toml", inEnv: true, noFile: true, want: diag.Error},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := load(t, tc.spec)
			env := map[string]string{"HARBORGEN_SECRET_DB_PASSWORD": "db"}
			if tc.inEnv {
				env["HARBORGEN_SECRET_REDIS_PASSWORD"] = "p@ss/w%rd"
			}
			opts := validate.Options{Env: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
			if !tc.noFile {
				// Every secret a 2.x or 1.5 spec needs, and no redis_password.
				data, err := os.ReadFile("testdata/invalid/secrets-redis-password-harbor-1.5.secrets.toml")
				if err != nil {
					t.Fatal(err)
				}
				text := regexp.MustCompile(`(?m)^redis_password = .*\n`).ReplaceAllString(string(data), "")
				if tc.inFile {
					text += "redis_password = \"p@ss/w%rd\"\n"
				}
				path := filepath.Join(t.TempDir(), "s.secrets.toml")
				if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
					t.Fatal(err)
				}
				f, err := secrets.Load(path)
				if err != nil {
					t.Fatal(err)
				}
				opts.Secrets = f
			}
			var d diag.List
			validate.Validate(s, &d, opts)
			var got []diag.Diagnostic
			for _, item := range d.Items() {
				if item.Path == "secrets.redis_password" {
					got = append(got, item)
				}
			}
			switch {
			case tc.want == "" && len(got) > 0:
				t.Errorf("unexpected: %+v", got)
			case tc.want != "" && (len(got) != 1 || got[0].Severity != tc.want):
				t.Errorf("got %+v, want one %s", got, tc.want)
			}
			if d.HasErrors(false) && tc.want == "" {
				t.Errorf("invalid: %+v", d.Items())
			}
		})
	}
}
