package plan

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/harborgen/harborgen/internal/profile"
	"github.com/harborgen/harborgen/internal/spec"
)

// Harbor is what a harbor node's components are configured with, secret-free:
// secrets are joined in only by the templates of files under secrets/.
// The facts behind each value are in docs/harbor-2.15-prepare.md.
type Harbor struct {
	ExtEndpoint         string      `json:"ext_endpoint"` // the public URL; its scheme sets the token realm
	DataDir             string      `json:"data_dir"`
	LogDir              string      `json:"log_dir"`
	HTTPPort            int         `json:"http_port"`
	HTTPSPort           int         `json:"https_port,omitempty"`    // tls.mode node only
	TLSCertFile         string      `json:"tls_cert_file,omitempty"` // tls.mode node: host paths mounted into the proxy
	TLSKeyFile          string      `json:"tls_key_file,omitempty"`
	MaxJobWorkers       int         `json:"max_job_workers"`
	JobLoggers          []string    `json:"job_loggers"`
	QuotaUpdateProvider string      `json:"quota_update_provider"`
	WithTrivy           bool        `json:"with_trivy"`
	Database            HarborDB    `json:"database"`
	Redis               HarborRedis `json:"redis"`
	LDAP                *LDAP       `json:"ldap,omitempty"` // auth_mode ldap_auth only
	Env                 HarborEnv   `json:"env"`
	TrustCA             []TrustCA   `json:"trust_ca,omitempty"` // tls.trust_ca_files
	Proxy               *Proxy      `json:"proxy,omitempty"`    // [harbor.proxy] with a proxy URL

	// Syslog is host:port where the log container is published and every
	// other container logs to (syslogAddress): its own per cluster.
	Syslog string `json:"syslog"`

	// RegistryPort is where the registry is published on the node's own
	// address, with two or more sites only: the other sites replicate to it.
	RegistryPort int `json:"registry_port,omitempty"`

	// harbor.yml's settings, where prepare writes them (the facts sheet's
	// "harbor.yml keys and their spec keys").

	// ProxyHTTPSListen are the proxy's HTTPS listen addresses in its
	// container (ip_family), with tls.mode node.
	ProxyHTTPSListen []string `json:"proxy_https_listen,omitempty"`
	// LoggerSweeperDays: jobservice config.yml, each job logger's sweeper.
	LoggerSweeperDays int `json:"logger_sweeper_days"`
	// MaxJobDurationHours: jobservice config.yml reaper.max_update_hours.
	MaxJobDurationHours int                 `json:"max_job_duration_hours"`
	Notification        HarborNotification  `json:"notification"`
	UploadPurging       HarborUploadPurging `json:"upload_purging"`
	Cache               *HarborCache        `json:"cache,omitempty"`  // cache.enabled only
	Trivy               *HarborTrivy        `json:"trivy,omitempty"`  // with the Trivy adapter only
	Metric              *HarborMetric       `json:"metric,omitempty"` // [harbor.metric] enabled
	Trace               *HarborTrace        `json:"trace,omitempty"`  // [harbor.trace] enabled
	Log                 HarborLog           `json:"log"`
}

// HarborNotification is jobservice's webhook job settings.
type HarborNotification struct {
	WebhookJobMaxRetry          int `json:"webhook_job_max_retry"`
	WebhookJobHTTPClientTimeout int `json:"webhook_job_http_client_timeout"`
}

// HarborUploadPurging is the registry's storage.maintenance.uploadpurging.
type HarborUploadPurging struct {
	Enabled  bool   `json:"enabled"`
	Age      string `json:"age"`
	Interval string `json:"interval"`
	DryRun   bool   `json:"dryrun"`
}

// HarborCache is core's and jobservice's Redis cache layer (on Redis db 0,
// core's URL, as prepare leaves cache_layer_db_index unset).
type HarborCache struct {
	ExpireHours int `json:"expire_hours"`
}

// HarborTrivy is the Trivy adapter's settings (its env's SCANNER_TRIVY_*);
// the GitHub token is the trivy_github_token secret.
type HarborTrivy struct {
	IgnoreUnfixed    bool   `json:"ignore_unfixed"`
	SkipUpdate       bool   `json:"skip_update"`
	SkipJavaDBUpdate bool   `json:"skip_java_db_update"`
	OfflineScan      bool   `json:"offline_scan"`
	SecurityCheck    string `json:"security_check"`
	Insecure         bool   `json:"insecure"`
	Timeout          string `json:"timeout"`
	DBRepository     string `json:"db_repository"`
	JavaDBRepository string `json:"java_db_repository"`
}

// settingValues are the spec settings the profile's env-keys.toml writes
// by name (EnvKey.From), as their env values.
func settingValues(s *spec.Spec) map[string]string {
	t := &s.Harbor.Trivy
	return map[string]string{
		"jobservice.max_job_duration_seconds": strconv.Itoa(s.Harbor.MaxJobDurationHours * 3600),
		"trivy.skip_java_db_update":           strconv.FormatBool(t.SkipJavaDBUpdate),
		"trivy.db_repository":                 t.DBRepository,
		"trivy.java_db_repository":            t.JavaDBRepository,
		"log.level":                           s.Harbor.Log.Level,
	}
}

// HarborEnv holds, per component env file, the keys that Harbor's prepare
// writes in some releases of the profile only (or with a value that
// changed), as the profile's data gives them for this node's version. The
// templates write each as it is; no template compares versions.
type HarborEnv struct {
	Core        []EnvVar `json:"core,omitempty"`
	Jobservice  []EnvVar `json:"jobservice,omitempty"`
	Registryctl []EnvVar `json:"registryctl,omitempty"`
	Trivy       []EnvVar `json:"trivy,omitempty"`
}

// EnvVar is one KEY=value line of an env file, value not yet escaped.
type EnvVar struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// harborEnv picks the profile's version-dependent env keys for a version,
// each with its constant or the value of the setting it names.
func harborEnv(prof *profile.Profile, version string, settings map[string]string) (HarborEnv, error) {
	var err error
	vars := func(file string) []EnvVar {
		var out []EnvVar
		for _, k := range prof.Env(version, file) {
			v := k.Value
			if k.From != "" {
				var ok bool
				if v, ok = settings[k.From]; !ok {
					err = fmt.Errorf("profile %s: env key %s %s: no setting %q", prof.Name, file, k.Key, k.From)
				}
			}
			out = append(out, EnvVar{Key: k.Key, Value: v})
		}
		return out
	}
	env := HarborEnv{Core: vars("core"), Jobservice: vars("jobservice"), Registryctl: vars("registryctl"), Trivy: vars("trivy")}
	return env, err
}

// HarborDB is core's database connection and pool.
type HarborDB struct {
	Host         string `json:"host"`
	Port         int    `json:"port"`
	Name         string `json:"name"`
	User         string `json:"user"`
	SSLMode      string `json:"ssl_mode,omitempty"`
	MaxOpenConns int    `json:"max_open_conns"`
	MaxIdleConns int    `json:"max_idle_conns"`
	// ConnMaxLifetime and ConnMaxIdleTime are Go durations (core's pool).
	ConnMaxLifetime string `json:"conn_max_lifetime"`
	ConnMaxIdleTime string `json:"conn_max_idle_time"`
	// PoolNote is the arithmetic the spec was validated against, for the
	// rendered env file's comment.
	PoolNote string `json:"pool_note"`
}

// HarborRedis holds the Redis URL of each component (Harbor's fixed
// databases: core 0, registry 1, jobservice 2, trivy 5).
type HarborRedis struct {
	Core       RedisURL `json:"core"`
	Registry   RedisURL `json:"registry"`
	Jobservice RedisURL `json:"jobservice"`
	Trivy      RedisURL `json:"trivy"`
}

// RedisURL is a Redis URL without its password.
type RedisURL struct {
	Scheme    string `json:"scheme"`         // redis | redis+sentinel
	User      string `json:"user,omitempty"` // an external Redis's ACL user (redis.external.username)
	Hosts     string `json:"hosts"`          // host:port, or a comma list of Sentinels
	MasterSet string `json:"master_set,omitempty"`
	DB        int    `json:"db"`
}

// String writes the URL the way Harbor reads it (net/url): user and
// password URL-escaped (Harbor #18538), db 0 left out, idle_timeout_seconds
// always present. Without either, the URL has no userinfo.
func (u RedisURL) String(password string) string {
	var b strings.Builder
	b.WriteString(u.Scheme)
	b.WriteString("://")
	switch {
	case password != "":
		b.WriteString(url.UserPassword(u.User, password).String())
		b.WriteString("@")
	case u.User != "":
		b.WriteString(url.User(u.User).String())
		b.WriteString("@")
	}
	b.WriteString(u.Hosts)
	if u.MasterSet != "" {
		b.WriteString("/" + url.PathEscape(u.MasterSet))
	}
	if u.DB != 0 {
		b.WriteString("/" + strconv.Itoa(u.DB))
	}
	b.WriteString("?idle_timeout_seconds=30")
	return b.String()
}

// extEndpoint is the URL clients reach Harbor at: harbor.external_url, or
// else the plan's entry, as prepare derives public_url from hostname and
// port: cluster.hostname with the load balancer's HTTPS port (tls.mode lb
// or node) or HTTP port (none), or, without a balancer, the harbor node's
// own, written only when it is not the scheme's default. Harbor builds the
// token realm and every URL it hands to clients from it, so a missing port
// sends them elsewhere.
func extEndpoint(s *spec.Spec, prof *profile.Profile) string {
	if s.Harbor.ExternalURL != "" {
		return s.Harbor.ExternalURL
	}
	return entry(s, prof).URL
}

func harbor(s *spec.Spec, prof *profile.Profile, e *Endpoints) (*Harbor, error) {
	env, err := harborEnv(prof, s.Harbor.Version, settingValues(s))
	if err != nil {
		return nil, err
	}
	hs := &s.Harbor
	h := &Harbor{
		ExtEndpoint:         extEndpoint(s, prof),
		DataDir:             s.Harbor.DataDir,
		LogDir:              s.Harbor.LogDir,
		Syslog:              syslogAddress(s.Cluster.Name),
		HTTPPort:            s.Harbor.HTTPPort,
		MaxJobWorkers:       s.Harbor.MaxJobWorkers,
		JobLoggers:          s.Harbor.JobLoggers,
		QuotaUpdateProvider: s.Harbor.QuotaUpdateProvider,
		WithTrivy:           hs.TrivyEnabled(),
		LDAP:                ldap(s),
		Env:                 env,
		Metric:              harborMetric(s),
		Trace:               harborTrace(s),
		Log:                 harborLog(s),
		LoggerSweeperDays:   hs.LoggerSweeperDuration,
		MaxJobDurationHours: hs.MaxJobDurationHours,
		Notification: HarborNotification{WebhookJobMaxRetry: hs.Notification.WebhookJobMaxRetry,
			WebhookJobHTTPClientTimeout: hs.Notification.WebhookJobHTTPClientTimeout},
		UploadPurging: HarborUploadPurging{Enabled: hs.UploadPurging.Enabled, Age: hs.UploadPurging.Age,
			Interval: hs.UploadPurging.Interval, DryRun: hs.UploadPurging.DryRun},
	}
	if hs.Cache.Enabled {
		h.Cache = &HarborCache{ExpireHours: hs.Cache.ExpireHours}
	}
	if t := &hs.Trivy; h.WithTrivy {
		h.Trivy = &HarborTrivy{IgnoreUnfixed: t.IgnoreUnfixed, SkipUpdate: t.SkipUpdate, SkipJavaDBUpdate: t.SkipJavaDBUpdate,
			OfflineScan: t.OfflineScan, SecurityCheck: t.SecurityCheck, Insecure: t.Insecure, Timeout: t.Timeout,
			DBRepository: t.DBRepository, JavaDBRepository: t.JavaDBRepository}
	}
	if h.QuotaUpdateProvider == "" {
		h.QuotaUpdateProvider = "db" // Harbor's own default, written explicitly
	}
	if registryPublished(s) {
		h.RegistryPort = s.Harbor.RegistryPort
	}
	if s.TLS.Mode == "node" {
		h.HTTPSPort = s.Harbor.HTTPSPort
		h.TLSCertFile, h.TLSKeyFile = s.TLS.CertFile, s.TLS.KeyFile
		if hs.IPFamily.IPv4 {
			h.ProxyHTTPSListen = append(h.ProxyHTTPSListen, "8443")
		}
		if hs.IPFamily.IPv6 {
			h.ProxyHTTPSListen = append(h.ProxyHTTPSListen, "[::]:8443")
		}
	}
	db := &s.Database
	harbors := len(s.NodesWithRole(spec.RoleHarbor))
	h.Database = HarborDB{
		Host: e.Database.Host, Port: e.Database.Port, Name: db.Name, User: db.User,
		MaxOpenConns: db.MaxOpenConns, MaxIdleConns: db.MaxIdleConns,
		ConnMaxLifetime: db.ConnMaxLifetime, ConnMaxIdleTime: db.ConnMaxIdleTime,
		PoolNote: "max_open_conns " + strconv.Itoa(db.MaxOpenConns) + " x " + strconv.Itoa(harbors) +
			" harbor nodes = " + strconv.Itoa(db.MaxOpenConns*harbors) + " of max_connections " + strconv.Itoa(db.MaxConnections),
	}
	if db.External != nil && db.Engine == "postgres" {
		h.Database.SSLMode = db.External.SSLMode
	}
	if db.Engine == "patroni" {
		h.Database.SSLMode = "disable" // the rendered cluster serves no TLS
	}
	base := RedisURL{Scheme: "redis", User: e.Redis.User, Hosts: strings.Join(e.Redis.Addrs, ",")}
	if e.Redis.Mode == "sentinel" {
		base.Scheme, base.MasterSet = "redis+sentinel", e.Redis.MasterSet
	}
	h.Redis = HarborRedis{Core: base, Registry: base, Jobservice: base, Trivy: base}
	h.Redis.Registry.DB, h.Redis.Jobservice.DB, h.Redis.Trivy.DB = 1, 2, 5
	return h, nil
}

// LDAP is Harbor's LDAP configuration, secret-free. Harbor 2 reads it from
// CONFIG_OVERWRITE_JSON (it has no LDAP env keys); the scopes are Harbor's
// numbers: 0 base, 1 onelevel, 2 subtree.
type LDAP struct {
	URL         string `json:"ldap_url"`
	SearchDN    string `json:"ldap_search_dn,omitempty"`
	BaseDN      string `json:"ldap_base_dn"`
	Filter      string `json:"ldap_filter,omitempty"`
	UID         string `json:"ldap_uid"`
	Scope       int    `json:"ldap_scope"`
	Timeout     int    `json:"ldap_timeout"`
	VerifyCert  bool   `json:"ldap_verify_cert"`
	GroupBaseDN string `json:"ldap_group_base_dn,omitempty"`
	GroupFilter string `json:"ldap_group_search_filter,omitempty"`
	GroupGID    string `json:"ldap_group_attribute_name,omitempty"`
	GroupScope  int    `json:"ldap_group_search_scope"`
	GroupAdmin  string `json:"ldap_group_admin_dn,omitempty"`
}

var ldapScopes = map[string]int{"base": 0, "onelevel": 1, "subtree": 2}

func ldap(s *spec.Spec) *LDAP {
	l := s.Harbor.LDAP
	if s.Harbor.AuthMode != "ldap_auth" || l == nil {
		return nil
	}
	return &LDAP{URL: l.URL, SearchDN: l.SearchDN, BaseDN: l.BaseDN, Filter: l.Filter, UID: l.UID,
		Scope: ldapScopes[l.Scope], Timeout: l.Timeout, VerifyCert: l.VerifyCert, GroupBaseDN: l.GroupBaseDN,
		GroupFilter: l.GroupFilter, GroupGID: l.GroupGID, GroupScope: ldapScopes[l.GroupScope], GroupAdmin: l.GroupAdminDN}
}

// OverwriteJSON is the value of Harbor 2's CONFIG_OVERWRITE_JSON: auth_mode
// and the LDAP settings with the search password, so it belongs in a
// secrets file. Field order is fixed, so the output is deterministic.
func (l *LDAP) OverwriteJSON(searchPassword string) (string, error) {
	out, err := json.Marshal(struct {
		AuthMode string `json:"auth_mode"`
		*LDAP
		Password string `json:"ldap_search_password,omitempty"`
	}{"ldap_auth", l, searchPassword})
	if err != nil {
		return "", fmt.Errorf("ldap settings: %w", err)
	}
	return string(out), nil
}

// Schema is the one-time load of Harbor 1.5's schema: registry.sql, shipped
// in the 1.5 offline bundle as ha/registry.sql (it drops and recreates the
// database, then creates every table and the seed rows; Harbor 1.5 itself
// creates no table). harbor-schema.sh on one node loads it only when the
// marker table is absent.
type Schema struct {
	Database string `json:"database"` // registry: the name registry.sql hard-codes
	// Marker is the table registry.sql creates last (and fills with the
	// schema version): present means a complete load.
	Marker string `json:"marker"`
	// Via is how the script reaches the database: "galera" through the
	// galera container of the bootstrap member (root, socket), "client"
	// with the host's mariadb client against Host:Port as User.
	Via  string `json:"via"`
	Host string `json:"host,omitempty"`
	Port int    `json:"port,omitempty"`
	User string `json:"user,omitempty"`
}

// SchemaScript is the runbook command of the schema load; the path is the
// registry.sql of the unpacked 1.5 offline bundle.
const SchemaScript = "./harbor-schema.sh /path/to/harbor/ha/registry.sql"

// schema is the node's part in loading Harbor 1.5's registry.sql: the Galera
// bootstrap member (engine galera), or the first harbor node (engine
// mariadb, external). Other engines have no schema to load.
func schema(s *spec.Spec, n spec.Node, e *Endpoint) *Schema {
	db := &s.Database
	sc := &Schema{Database: db.Name, Marker: "alembic_version"}
	switch db.Engine {
	case "galera":
		if db.Galera == nil || n.Name != db.Galera.BootstrapNode {
			return nil
		}
		sc.Via = "galera"
	case "mariadb":
		harbors := s.NodesWithRole(spec.RoleHarbor)
		if len(harbors) == 0 || harbors[0].Name != n.Name || e == nil {
			return nil
		}
		sc.Via, sc.Host, sc.Port, sc.User = "client", e.Host, e.Port, db.User
	default:
		return nil
	}
	return sc
}
