package profile

import (
	"strings"
	"testing"
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
