// Package profile describes the supported Harbor versions as data: each
// profile is a directory of templates/harbor/ with a profile.toml.
package profile

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"
	"github.com/Masterminds/semver/v3"

	"github.com/harborgen/harborgen/templates"
)

// Profile is one line of Harbor releases that harborgen renders the same way.
type Profile struct {
	Name            string      `toml:"name"`
	Description     string      `toml:"description"`
	Versions        string      `toml:"versions"` // a semver constraint
	DefaultVersion  string      `toml:"default_version"`
	DatabaseEngines []string    `toml:"database_engines"`
	ImageRegistry   string      `toml:"image_registry"`
	RedisAuth       *bool       `toml:"redis_auth"`    // nil: true; Harbor 1.5's registry cannot send a Redis password
	DatabaseName    string      `toml:"database_name"` // the only database name the profile can use, if fixed
	PingPath        string      `toml:"ping_path"`     // an unauthenticated API path that answers when Harbor is up
	Components      []Component `toml:"component"`
	Files           []File      `toml:"file"`
	// HarborUID and HarborGID are the user Harbor's containers run as; the
	// host directories they write (HostDirs) and the secret files mounted
	// into them (File.Owner "harbor") are owned by it on the host.
	HarborUID int       `toml:"harbor_uid"`
	HarborGID int       `toml:"harbor_gid"`
	HostDirs  []HostDir `toml:"host_dir"`

	// Dir is the profile's directory under templates/, where its templates are.
	Dir string `toml:"-"`

	constraint *semver.Constraints
}

// File is one rendered file of a harbor node.
type File struct {
	Template string `toml:"template"` // relative to the profile's directory
	Path     string `toml:"path"`     // relative to nodes/<node>/
	When     string `toml:"when"`     // "trivy": only with harbor.with_trivy
	// Owner "harbor": a secret file a Harbor container reads as HarborUID
	// (a file mount, not an env_file, which docker reads as root).
	Owner string `toml:"owner"`
}

// HostDir is a bind-mounted host directory a Harbor container writes.
type HostDir struct {
	Base string `toml:"base"` // data_dir | log_dir | storage (the filesystem driver's path)
	Path string `toml:"path"` // under Base; empty: Base itself
	When string `toml:"when"` // "trivy": only with harbor.with_trivy
	Why  string `toml:"why"`
}

// Component is one Harbor container of a harbor node.
type Component struct {
	Name     string `toml:"name"`
	Image    string `toml:"image"`
	Tag      string `toml:"tag"`      // fmt format of the Harbor version; default "v%s"
	Optional string `toml:"optional"` // the spec switch that enables it, e.g. "trivy"
}

// ImageRef is the component's image for a Harbor version under a registry
// prefix, e.g. goharbor/harbor-core:v2.15.2.
func (c Component) ImageRef(registry, version string) string {
	tag := c.Tag
	if tag == "" {
		tag = "v%s"
	}
	return fmt.Sprintf("%s/%s:%s", strings.TrimSuffix(registry, "/"), c.Image, fmt.Sprintf(tag, version))
}

// Feature is a Harbor capability that appeared in a given release.
type Feature struct {
	Name  string
	Since string
}

// The version-gated features the validator checks.
var (
	Sentinel            = Feature{Name: "Redis Sentinel", Since: "2.1.0"}
	QuotaUpdateProvider = Feature{Name: "quota_update_provider", Since: "2.9.0"}
	Trivy               = Feature{Name: "Trivy", Since: "2.0.0"}
)

var (
	loadOnce sync.Once
	all      []*Profile
	loadErr  error
)

// All returns every profile, oldest first. It fails only if the embedded
// profile data is broken, which is a build defect.
func All() ([]*Profile, error) {
	loadOnce.Do(func() { all, loadErr = load(templates.FS) })
	return all, loadErr
}

func load(fsys fs.FS) ([]*Profile, error) {
	dirs, err := fs.ReadDir(fsys, "harbor")
	if err != nil {
		return nil, fmt.Errorf("read profiles: %w", err)
	}
	var out []*Profile
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		file := path.Join("harbor", d.Name(), "profile.toml")
		data, err := fs.ReadFile(fsys, file)
		if err != nil {
			return nil, fmt.Errorf("read profile: %w", err)
		}
		p := &Profile{Dir: path.Join("harbor", d.Name())}
		if _, err := toml.Decode(string(data), p); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if p.constraint, err = semver.NewConstraint(p.Versions); err != nil {
			return nil, fmt.Errorf("%s: versions: %w", file, err)
		}
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b *Profile) int {
		return semver.MustParse(a.DefaultVersion).Compare(semver.MustParse(b.DefaultVersion))
	})
	return out, nil
}

// ForVersion returns the profile that covers a Harbor version, or nil.
func ForVersion(version string) *Profile {
	v, err := semver.StrictNewVersion(version)
	if err != nil {
		return nil
	}
	profiles, err := All()
	if err != nil {
		return nil
	}
	for _, p := range profiles {
		if p.constraint.Check(v) {
			return p
		}
	}
	return nil
}

// Supported describes every profile for an error message, e.g.
// `1.5 (>= 1.5.0, < 1.6.0), 2 (>= 2.10.0, < 2.16.0)`.
func Supported() string {
	profiles, _ := All()
	parts := make([]string, len(profiles))
	for i, p := range profiles {
		parts[i] = fmt.Sprintf("%s (%s)", p.Name, p.Versions)
	}
	return strings.Join(parts, ", ")
}

// Has reports whether a Harbor version has a feature.
func Has(version string, f Feature) bool {
	v, err := semver.StrictNewVersion(version)
	if err != nil {
		return false
	}
	return !v.LessThan(semver.MustParse(f.Since))
}

// UsesRedisPassword reports whether Harbor's Redis clients can authenticate.
func (p *Profile) UsesRedisPassword() bool { return p.RedisAuth == nil || *p.RedisAuth }

// SupportsEngine reports whether the profile can use a database engine.
func (p *Profile) SupportsEngine(engine string) bool {
	return slices.Contains(p.DatabaseEngines, engine)
}
