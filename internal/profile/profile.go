// Package profile describes the supported Harbor versions as data: each
// profile is a directory of templates/harbor/ with a profile.toml.
package profile

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"
	"github.com/Masterminds/semver/v3"

	"github.com/harborgen/harborgen/templates"
)

// Profile is one line of Harbor releases that harborgen renders the same way.
type Profile struct {
	Name            string   `toml:"name"`
	Description     string   `toml:"description"`
	Versions        string   `toml:"versions"` // a semver constraint
	DefaultVersion  string   `toml:"default_version"`
	DatabaseEngines []string `toml:"database_engines"`
	ImageRegistry   string   `toml:"image_registry"`
	RedisAuth       *bool    `toml:"redis_auth"`    // nil: true; Harbor 1.5's registry cannot send a Redis password
	DatabaseName    string   `toml:"database_name"` // the only database name the profile can use, if fixed
	PingPath        string   `toml:"ping_path"`     // an unauthenticated API path that answers when Harbor is up
	// TrustCADir is where the images pick up extra CA certificates, whose
	// file names must end in one of TrustCASuffixes; "" when the profile's
	// images cannot trust a private CA.
	TrustCADir      string   `toml:"trust_ca_dir"`
	TrustCASuffixes []string `toml:"trust_ca_suffixes"`
	// ProxyComponents can use an HTTP(S) proxy (none: the profile has no
	// proxy settings); InternalNoProxy is what prepare adds to no_proxy.
	ProxyComponents []string    `toml:"proxy_components"`
	InternalNoProxy []string    `toml:"internal_no_proxy"`
	Components      []Component `toml:"component"`
	Files           []File      `toml:"file"`
	// EnvKeys are the env keys that only some of the profile's releases
	// write, or write with another value (env-keys.toml beside profile.toml).
	EnvKeys []EnvKey `toml:"-"`
	// Settings are the spec keys that are harbor.yml settings, with the
	// releases that read each (settings.toml beside profile.toml).
	Settings []Setting `toml:"-"`

	// SiteReplication is the endpoint type through which the primary site
	// replicates to the other sites' registries ("docker-registry"), or
	// empty when the profile's registry cannot be such an endpoint.
	SiteReplication string `toml:"site_replication"`

	// HarborUID and HarborGID are the user Harbor's containers run as; the
	// host directories they write (HostDirs) and the secret files mounted
	// into them (File.Owner "harbor") are owned by it on the host.
	HarborUID int       `toml:"harbor_uid"`
	HarborGID int       `toml:"harbor_gid"`
	HostDirs  []HostDir `toml:"host_dir"`

	// BundledPostgres is the PostgreSQL major of Harbor's own harbor-db
	// image, by release: the default of database.patroni.postgres_version
	// (the schema lists the majors a spec may choose, those of the images).
	BundledPostgres []BundledPostgres `toml:"bundled_postgres"`

	// Dir is the profile's directory under templates/, where its templates are.
	Dir string `toml:"-"`

	constraint *semver.Constraints
}

// File is one rendered file of a harbor node.
type File struct {
	Template string `toml:"template"` // relative to the profile's directory
	Path     string `toml:"path"`     // relative to nodes/<node>/
	When     string `toml:"when"`     // "trivy": only with harbor.trivy.enabled; "replication": only on the nodes that set up site replication; "metric": only with harbor.metric.enabled
	// Owner "harbor": a secret file a Harbor container reads as HarborUID
	// (a file mount, not an env_file, which docker reads as root).
	Owner string `toml:"owner"`
}

// HostDir is a bind-mounted host directory a Harbor container writes.
type HostDir struct {
	Base string `toml:"base"` // data_dir | log_dir | storage (the filesystem driver's path)
	Path string `toml:"path"` // under Base; empty: Base itself
	When string `toml:"when"` // "trivy": only with harbor.trivy.enabled
	Why  string `toml:"why"`
}

// EnvKey is one env key of a Harbor component that prepare writes in some
// releases of a profile only, or with a value that changed.
type EnvKey struct {
	File  string `toml:"file"`  // the component: core | jobservice | registryctl | trivy
	Key   string `toml:"key"`   // e.g. REPLICATION_ADAPTER_WHITELIST
	Value string `toml:"value"` // a constant, never a secret (with From: prepare's default)
	// From names the spec setting whose value is written instead of Value
	// (plan.SettingValues lists the names), e.g. "trivy.db_repository".
	From  string `toml:"from"`
	Since string `toml:"since"` // the first release that writes it; empty: every release
	Until string `toml:"until"` // the first release that no longer writes it; empty: still written
}

// Setting is a spec key that is a harbor.yml setting, and the releases of
// the profile whose prepare reads it.
type Setting struct {
	Key   string `toml:"key"`   // the spec path, e.g. harbor.max_job_duration_hours
	YML   string `toml:"yml"`   // harbor.yml's key, e.g. jobservice.max_job_duration_hours
	Since string `toml:"since"` // empty: every release of the profile
	Until string `toml:"until"` // empty: still read
}

// In reports whether a Harbor version reads the setting.
func (s Setting) In(version string) bool {
	return EnvKey{Since: s.Since, Until: s.Until}.In(version)
}

// Setting returns the profile's row for a spec key, if any.
func (p *Profile) Setting(key string) (Setting, bool) {
	i := slices.IndexFunc(p.Settings, func(s Setting) bool { return s.Key == key })
	if i < 0 {
		return Setting{}, false
	}
	return p.Settings[i], true
}

// SettingKeys lists, sorted, every spec key that some profile names as a
// harbor.yml setting: the keys whose use depends on the Harbor version.
func SettingKeys() []string {
	profiles, _ := All()
	var out []string
	for _, p := range profiles {
		for _, s := range p.Settings {
			if !slices.Contains(out, s.Key) {
				out = append(out, s.Key)
			}
		}
	}
	slices.Sort(out)
	return out
}

// EnvSources are the settings an EnvKey's From may name: the keys of
// internal/plan's settingValues (a plan test keeps the two equal).
var EnvSources = []string{"jobservice.max_job_duration_seconds", "log.level",
	"trivy.db_repository", "trivy.java_db_repository", "trivy.skip_java_db_update"}

// BundledPostgres is the PostgreSQL major that Harbor's harbor-db image runs
// from Since up to (not including) Until.
type BundledPostgres struct {
	Major int    `toml:"major"`
	Since string `toml:"since"`
	Until string `toml:"until"`
}

// PostgresMajor is the PostgreSQL major Harbor's own database image bundles
// at a version, or 0 when the data does not say.
func (p *Profile) PostgresMajor(version string) int {
	for _, b := range p.BundledPostgres {
		if (EnvKey{Since: b.Since, Until: b.Until}).In(version) {
			return b.Major
		}
	}
	return 0
}

// EnvFiles are the components an EnvKey may belong to.
var EnvFiles = []string{"core", "jobservice", "registryctl", "trivy"}

// In reports whether a Harbor version writes the key.
func (k EnvKey) In(version string) bool {
	v, err := semver.StrictNewVersion(version)
	if err != nil {
		return false
	}
	if k.Since != "" && v.LessThan(semver.MustParse(k.Since)) {
		return false
	}
	return k.Until == "" || v.LessThan(semver.MustParse(k.Until))
}

// Env returns the version-dependent keys a Harbor version writes in one
// component's env, in the data's order.
func (p *Profile) Env(version, file string) []EnvKey {
	var out []EnvKey
	for _, k := range p.EnvKeys {
		if k.File == file && k.In(version) {
			out = append(out, k)
		}
	}
	return out
}

// Component is one Harbor container of a harbor node.
type Component struct {
	Name     string `toml:"name"`
	Image    string `toml:"image"`
	Tag      string `toml:"tag"`      // fmt format of the Harbor version; default "v%s"
	Optional string `toml:"optional"` // the spec switch that enables it: "trivy" (harbor.with_trivy), "metric" (harbor.metric.enabled)
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
	// RedisUsername: the registry's redis.username, read from 2.15.0 on
	// (goharbor/harbor#22770); core, jobservice and trivy read the user from
	// their Redis URLs earlier, but the registry would send the password alone.
	RedisUsername = Feature{Name: "a Redis username in the registry", Since: "2.15.0"}
	// The harbor.yml keys of [harbor.metric], [harbor.trace] and
	// [harbor.log], by the first harbor.yml (or harbor.cfg) that has them.
	Metric              = Feature{Name: "metric", Since: "2.2.0"}
	Trace               = Feature{Name: "trace", Since: "2.4.0"}
	LogLevel            = Feature{Name: "log.level", Since: "1.8.0"}
	LogExternalEndpoint = Feature{Name: "log.external_endpoint", Since: "1.9.0"}
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
		if err := loadEnvKeys(fsys, p); err != nil {
			return nil, err
		}
		if err := loadSettings(fsys, p); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b *Profile) int {
		return semver.MustParse(a.DefaultVersion).Compare(semver.MustParse(b.DefaultVersion))
	})
	return out, nil
}

// decodeData decodes a profile's optional data file into v, which keeps its
// zero value when the file does not exist; a key v does not know is an error.
func decodeData(fsys fs.FS, file string, v any) error {
	data, err := fs.ReadFile(fsys, file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read profile: %w", err)
	}
	md, err := toml.Decode(string(data), v)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	if u := md.Undecoded(); len(u) > 0 {
		return fmt.Errorf("%s: unknown key %s", file, u[0])
	}
	return nil
}

// loadEnvKeys reads the profile's env-keys.toml, if it has one, and checks
// each row: a known component, a key name, versions, and no two rows of one
// key in one release.
func loadEnvKeys(fsys fs.FS, p *Profile) error {
	file := path.Join(p.Dir, "env-keys.toml")
	var rows struct {
		EnvKeys []EnvKey `toml:"env_key"`
	}
	if err := decodeData(fsys, file, &rows); err != nil {
		return err
	}
	p.EnvKeys = rows.EnvKeys
	for i, k := range p.EnvKeys {
		if err := k.check(); err != nil {
			return fmt.Errorf("%s: env_key[%d]: %w", file, i, err)
		}
		for _, o := range p.EnvKeys[:i] {
			if o.File == k.File && o.Key == k.Key && overlap(o, k) {
				return fmt.Errorf("%s: env_key[%d]: %s %s is already written by a row for the same releases", file, i, k.File, k.Key)
			}
		}
	}
	return nil
}

// loadSettings reads the profile's settings.toml, if it has one, and checks
// each row: a key, versions, and no key twice.
func loadSettings(fsys fs.FS, p *Profile) error {
	file := path.Join(p.Dir, "settings.toml")
	var rows struct {
		Settings []Setting `toml:"setting"`
	}
	if err := decodeData(fsys, file, &rows); err != nil {
		return err
	}
	p.Settings = rows.Settings
	for i, s := range p.Settings {
		if s.Key == "" || s.YML == "" {
			return fmt.Errorf("%s: setting[%d]: key and yml are required", file, i)
		}
		if err := (EnvKey{File: "core", Key: "X", Since: s.Since, Until: s.Until}).check(); err != nil {
			return fmt.Errorf("%s: setting[%d]: %w", file, i, err)
		}
		if slices.ContainsFunc(p.Settings[:i], func(o Setting) bool { return o.Key == s.Key }) {
			return fmt.Errorf("%s: setting[%d]: %s is listed twice", file, i, s.Key)
		}
	}
	return nil
}

var envKeyName = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*$`)

func (k EnvKey) check() error {
	if !slices.Contains(EnvFiles, k.File) {
		return fmt.Errorf("file %q is none of %s", k.File, strings.Join(EnvFiles, ", "))
	}
	if k.From != "" && !slices.Contains(EnvSources, k.From) {
		return fmt.Errorf("%s: from %q: want one of %s", k.Key, k.From, strings.Join(EnvSources, ", "))
	}
	if !envKeyName.MatchString(k.Key) {
		return fmt.Errorf("key %q is not an env key name", k.Key)
	}
	for _, v := range []string{k.Since, k.Until} {
		if _, err := semver.StrictNewVersion(v); v != "" && err != nil {
			return fmt.Errorf("version %q: %w", v, err)
		}
	}
	if k.Since != "" && k.Until != "" && !semver.MustParse(k.Since).LessThan(semver.MustParse(k.Until)) {
		return fmt.Errorf("%s: since %s is not before until %s", k.Key, k.Since, k.Until)
	}
	return nil
}

// overlap reports whether two rows' release ranges share a release.
func overlap(a, b EnvKey) bool {
	before := func(until, since string) bool { // [.., until) ends before [since, ..)
		return until != "" && since != "" && !semver.MustParse(since).LessThan(semver.MustParse(until))
	}
	return !before(a.Until, b.Since) && !before(b.Until, a.Since)
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
