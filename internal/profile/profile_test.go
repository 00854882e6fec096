package profile

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func TestForVersion(t *testing.T) {
	for _, tc := range []struct{ version, want string }{
		{"2.15.2", "2"}, {"2.10.0", "2"}, {"2.15.99", "2"}, {"1.5.0", "1.5"}, {"1.5.4", "1.5"},
		{"2.9.9", ""}, {"2.16.0", ""}, {"1.6.0", ""}, {"1.4.0", ""}, {"3.0.0", ""},
		{"2.15", ""}, {"v2.15.2", ""}, {"", ""}, {"2.15.2-rc1", ""},
	} {
		got := ""
		if p := ForVersion(tc.version); p != nil {
			got = p.Name
		}
		if got != tc.want {
			t.Errorf("ForVersion(%q) = %q, want %q", tc.version, got, tc.want)
		}
	}
}

func TestProfilesAreConsistent(t *testing.T) {
	all, err := All()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 {
		t.Fatalf("%d profiles, want 1.5 and 2", len(all))
	}
	for _, p := range all {
		if ForVersion(p.DefaultVersion) != p {
			t.Errorf("profile %s: its default version %s is not in %s", p.Name, p.DefaultVersion, p.Versions)
		}
		if len(p.Components) == 0 || len(p.Files) == 0 || len(p.DatabaseEngines) == 0 || p.ImageRegistry == "" {
			t.Errorf("profile %s is incomplete: %+v", p.Name, p)
		}
		// The host preparation: Harbor's user, and the directories its
		// containers write (the filesystem storage among them).
		if p.HarborUID == 0 || p.HarborGID == 0 {
			t.Errorf("profile %s: no harbor_uid/harbor_gid", p.Name)
		}
		storage := false
		for _, d := range p.HostDirs {
			if d.Base != "data_dir" && d.Base != "log_dir" && d.Base != "storage" {
				t.Errorf("profile %s: host_dir base %q", p.Name, d.Base)
			}
			storage = storage || d.Base == "storage"
			if d.Why == "" {
				t.Errorf("profile %s: host_dir %s/%s says not why", p.Name, d.Base, d.Path)
			}
		}
		if !storage {
			t.Errorf("profile %s: the filesystem storage is no host_dir", p.Name)
		}
		for _, f := range p.Files {
			if f.Owner != "" && (f.Owner != "harbor" || !strings.HasPrefix(f.Path, "secrets/")) {
				t.Errorf("profile %s: file %s has owner %q (only \"harbor\", on a secret)", p.Name, f.Path, f.Owner)
			}
		}
	}
}

func TestFeatures(t *testing.T) {
	for _, tc := range []struct {
		version string
		f       Feature
		want    bool
	}{
		{"2.15.2", Sentinel, true}, {"1.5.1", Sentinel, false}, {"2.9.0", QuotaUpdateProvider, true},
		{"2.8.4", QuotaUpdateProvider, false}, {"1.5.1", Trivy, false}, {"not-a-version", Sentinel, false},
	} {
		if got := Has(tc.version, tc.f); got != tc.want {
			t.Errorf("Has(%s, %s) = %t", tc.version, tc.f.Name, got)
		}
	}
}

func TestImageRef(t *testing.T) {
	c := Component{Image: "registry-photon", Tag: "v2.6.2-v%s"}
	if got := c.ImageRef("vmware/", "1.5.1"); got != "vmware/registry-photon:v2.6.2-v1.5.1" {
		t.Errorf("ImageRef = %s", got)
	}
	if got := (Component{Image: "harbor-core"}).ImageRef("mirror:5000/goharbor", "2.15.2"); got != "mirror:5000/goharbor/harbor-core:v2.15.2" {
		t.Errorf("ImageRef = %s", got)
	}
}

func TestEnvKeyIn(t *testing.T) {
	k := EnvKey{File: "jobservice", Key: "MAX_JOB_DURATION_SECONDS", Since: "2.13.0", Until: "2.14.0"}
	for _, tc := range []struct {
		version string
		want    bool
	}{
		{"2.12.4", false}, {"2.13.0", true}, {"2.13.5", true}, {"2.14.0", false}, {"not-a-version", false},
	} {
		if got := k.In(tc.version); got != tc.want {
			t.Errorf("In(%s) = %t, want %t", tc.version, got, tc.want)
		}
	}
	if !(EnvKey{Key: "ALWAYS"}).In("2.10.0") {
		t.Error("a row without since or until applies to every release")
	}
}

// TestEnvOfProfile2 pins the keys issue 9 is about: the replication
// whitelist from 2.14.0, SYNC_QUOTA up to 2.14.x, jobservice's LOG_LEVEL
// from 2.13.1.
func TestEnvOfProfile2(t *testing.T) {
	keys := func(version, file string) []string {
		var out []string
		for _, k := range ForVersion(version).Env(version, file) {
			out = append(out, k.Key)
		}
		return out
	}
	for _, tc := range []struct {
		version, file, key string
		want               bool
	}{
		{"2.13.5", "core", "REPLICATION_ADAPTER_WHITELIST", false},
		{"2.14.0", "core", "REPLICATION_ADAPTER_WHITELIST", true},
		{"2.15.2", "core", "REPLICATION_ADAPTER_WHITELIST", true},
		{"2.14.4", "core", "SYNC_QUOTA", true},
		{"2.15.0", "core", "SYNC_QUOTA", false},
		{"2.13.0", "jobservice", "LOG_LEVEL", false},
		{"2.13.1", "jobservice", "LOG_LEVEL", true},
		{"2.13.0", "jobservice", "MAX_JOB_DURATION_SECONDS", true},
		{"2.14.0", "jobservice", "MAX_JOB_DURATION_SECONDS", false},
	} {
		if got := slices.Contains(keys(tc.version, tc.file), tc.key); got != tc.want {
			t.Errorf("%s %s env has %s: %t, want %t", tc.version, tc.file, tc.key, got, tc.want)
		}
	}
	if n := len(keys("2.12.0", "core")); n != 2 { // SYNC_QUOTA and one proxy-cache list
		t.Errorf("2.12.0 core: %d version-dependent keys, want 2", n)
	}
}

// TestEnvKeysRejected loads broken env-keys.toml files: each is a build
// defect the loader must name.
func TestEnvKeysRejected(t *testing.T) {
	const prof = "name = \"x\"\nversions = \">= 2.0.0\"\ndefault_version = \"2.0.0\"\n"
	for _, tc := range []struct{ name, rows, want string }{
		{"unknown component", "[[env_key]]\nfile = \"portal\"\nkey = \"A\"\n", `file "portal"`},
		{"bad key", "[[env_key]]\nfile = \"core\"\nkey = \"a-b\"\n", `key "a-b"`},
		{"bad version", "[[env_key]]\nfile = \"core\"\nkey = \"A\"\nsince = \"2.14\"\n", `version "2.14"`},
		{"empty range", "[[env_key]]\nfile = \"core\"\nkey = \"A\"\nsince = \"2.14.0\"\nuntil = \"2.14.0\"\n", "not before"},
		{"unknown field", "[[env_key]]\nfile = \"core\"\nkey = \"A\"\nsinse = \"2.14.0\"\n", "unknown key"},
		{"overlap", "[[env_key]]\nfile = \"core\"\nkey = \"A\"\nuntil = \"2.14.0\"\n[[env_key]]\nfile = \"core\"\nkey = \"A\"\nsince = \"2.13.0\"\n", "already written"},
		{"unknown source", "[[env_key]]\nfile = \"core\"\nkey = \"A\"\nfrom = \"harbor.nope\"\n", `from "harbor.nope"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{
				"harbor/x/profile.toml":  {Data: []byte(prof)},
				"harbor/x/env-keys.toml": {Data: []byte(tc.rows)},
			}
			_, err := load(fsys)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("load: %v, want an error with %q", err, tc.want)
			}
		})
	}
	fsys := fstest.MapFS{
		"harbor/x/profile.toml":  {Data: []byte(prof)},
		"harbor/x/env-keys.toml": {Data: []byte("[[env_key]]\nfile = \"core\"\nkey = \"A\"\nuntil = \"2.14.0\"\n[[env_key]]\nfile = \"core\"\nkey = \"A\"\nsince = \"2.14.0\"\n")},
	}
	if _, err := load(fsys); err != nil {
		t.Errorf("adjacent ranges of one key: %v", err)
	}
}
