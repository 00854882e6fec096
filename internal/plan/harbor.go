package plan

import (
	"encoding/json"
	"fmt"
	"net"
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

// harborEnv picks the profile's version-dependent env keys for a version.
func harborEnv(prof *profile.Profile, version string) HarborEnv {
	vars := func(file string) []EnvVar {
		var out []EnvVar
		for _, k := range prof.Env(version, file) {
			out = append(out, EnvVar{Key: k.Key, Value: k.Value})
		}
		return out
	}
	return HarborEnv{Core: vars("core"), Jobservice: vars("jobservice"), Registryctl: vars("registryctl"), Trivy: vars("trivy")}
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

// extEndpoint is the URL clients reach Harbor at: the load balancer's
// HTTPS port (tls.mode lb or node) or HTTP port (none), written only when
// it is not the scheme's default. Harbor builds the token realm and every
// URL it hands to clients from it, so a missing port sends them elsewhere.
func extEndpoint(s *spec.Spec) string {
	scheme, port, std := "https", s.LB.HTTPSPort, 443
	if s.TLS.Mode == "none" {
		scheme, port, std = "http", s.LB.HTTPPort, 80
	}
	if port == 0 || port == std {
		return scheme + "://" + s.Cluster.Hostname
	}
	return scheme + "://" + net.JoinHostPort(s.Cluster.Hostname, strconv.Itoa(port))
}

func harbor(s *spec.Spec, prof *profile.Profile, e *Endpoints) *Harbor {
	h := &Harbor{
		ExtEndpoint:         extEndpoint(s),
		DataDir:             s.Harbor.DataDir,
		LogDir:              s.Harbor.LogDir,
		Syslog:              syslogAddress(s.Cluster.Name),
		HTTPPort:            s.Harbor.HTTPPort,
		MaxJobWorkers:       s.Harbor.MaxJobWorkers,
		JobLoggers:          s.Harbor.JobLoggers,
		QuotaUpdateProvider: s.Harbor.QuotaUpdateProvider,
		WithTrivy:           s.Harbor.WithTrivy,
		LDAP:                ldap(s),
		Env:                 harborEnv(prof, s.Harbor.Version),
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
	return h
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
