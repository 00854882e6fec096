package spec

import "strings"

// The typed cluster spec of SPEC.md §3. Field tags name the key in both
// formats; `default` is applied by the decoder when the key is absent and
// must match the schema's "default" (a test checks both).

// Spec is one cluster spec file.
type Spec struct {
	Spec     int      `toml:"spec" yaml:"spec"`
	Cluster  Cluster  `toml:"cluster" yaml:"cluster"`
	Harbor   Harbor   `toml:"harbor" yaml:"harbor"`
	TLS      TLS      `toml:"tls" yaml:"tls"`
	Nodes    []Node   `toml:"node" yaml:"node"`
	Database Database `toml:"database" yaml:"database"`
	Redis    Redis    `toml:"redis" yaml:"redis"`
	Storage  Storage  `toml:"storage" yaml:"storage"`
	LB       LB       `toml:"lb" yaml:"lb"`
	Sites    []Site   `toml:"site" yaml:"site"`
	Images   Images   `toml:"images" yaml:"images"`

	// Source is where the spec came from: its file and the position of every
	// key. It is not part of the spec's content.
	Source *Source `toml:"-" yaml:"-"`
}

type Cluster struct {
	Name     string `toml:"name" yaml:"name"`
	Hostname string `toml:"hostname" yaml:"hostname"`
}

type Harbor struct {
	Version string `toml:"version" yaml:"version" default:"2.15.2"`

	// The harbor.yml settings below keep harbor.yml's names; each renders
	// where Harbor's own prepare puts it for the chosen version
	// (docs/harbor-2.15-prepare.md, "harbor.yml keys and their spec keys").
	ExternalURL           string        `toml:"external_url" yaml:"external_url"`
	IPFamily              IPFamily      `toml:"ip_family" yaml:"ip_family"`
	LoggerSweeperDuration int           `toml:"logger_sweeper_duration" yaml:"logger_sweeper_duration" default:"1"`
	MaxJobDurationHours   int           `toml:"max_job_duration_hours" yaml:"max_job_duration_hours" default:"24"`
	Notification          Notification  `toml:"notification" yaml:"notification"`
	UploadPurging         UploadPurging `toml:"upload_purging" yaml:"upload_purging"`
	Cache                 Cache         `toml:"cache" yaml:"cache"`
	Trivy                 Trivy         `toml:"trivy" yaml:"trivy"`

	DataDir             string   `toml:"data_dir" yaml:"data_dir" default:"/data/harbor"`
	HTTPPort            int      `toml:"http_port" yaml:"http_port" default:"8080"`
	HTTPSPort           int      `toml:"https_port" yaml:"https_port" default:"8443"`
	RegistryPort        int      `toml:"registry_port" yaml:"registry_port" default:"5000"`
	AuthMode            string   `toml:"auth_mode" yaml:"auth_mode" default:"db_auth"`
	JobLoggers          []string `toml:"job_loggers" yaml:"job_loggers" default:"DB"`
	QuotaUpdateProvider string   `toml:"quota_update_provider" yaml:"quota_update_provider"`
	MaxJobWorkers       int      `toml:"max_job_workers" yaml:"max_job_workers" default:"10"`
	WithTrivy           bool     `toml:"with_trivy" yaml:"with_trivy"` // deprecated: trivy.enabled
	ImageRegistry       string   `toml:"image_registry" yaml:"image_registry"`
	LogDir              string   `toml:"log_dir" yaml:"log_dir" default:"/var/log/harbor"`
	LDAP                *LDAP    `toml:"ldap" yaml:"ldap"`
	Proxy               *Proxy   `toml:"proxy" yaml:"proxy"`
	Metric              Metric   `toml:"metric" yaml:"metric"`
	Trace               Trace    `toml:"trace" yaml:"trace"`
	Log                 Log      `toml:"log" yaml:"log"`
}

// Metric is harbor.yml's metric section: Prometheus metrics of core,
// jobservice and the registry on Port at Path, the exporter service, and
// the proxy publishing them all on the node's Port.
type Metric struct {
	Enabled bool   `toml:"enabled" yaml:"enabled" default:"false"`
	Port    int    `toml:"port" yaml:"port" default:"9090"`
	Path    string `toml:"path" yaml:"path" default:"/metrics"`
}

// Trace is harbor.yml's trace section: distributed tracing of core,
// jobservice and registryctl to a Jaeger or OpenTelemetry collector.
type Trace struct {
	Enabled    bool              `toml:"enabled" yaml:"enabled" default:"false"`
	SampleRate float64           `toml:"sample_rate" yaml:"sample_rate" default:"1"`
	Namespace  string            `toml:"namespace" yaml:"namespace"`
	Attributes map[string]string `toml:"attributes" yaml:"attributes"`
	Jaeger     *Jaeger           `toml:"jaeger" yaml:"jaeger"`
	Otel       *Otel             `toml:"otel" yaml:"otel"`
}

// Jaeger is a Jaeger exporter: a collector Endpoint, or an agent at
// AgentHost:AgentPort. Its password is the jaeger_password secret.
type Jaeger struct {
	Endpoint  string `toml:"endpoint" yaml:"endpoint"`
	Username  string `toml:"username" yaml:"username"`
	AgentHost string `toml:"agent_host" yaml:"agent_host"`
	AgentPort int    `toml:"agent_port" yaml:"agent_port"`
}

// Otel is an OpenTelemetry (OTLP over HTTP) exporter.
type Otel struct {
	Endpoint    string `toml:"endpoint" yaml:"endpoint"`
	URLPath     string `toml:"url_path" yaml:"url_path"`
	Compression bool   `toml:"compression" yaml:"compression" default:"false"`
	Insecure    bool   `toml:"insecure" yaml:"insecure" default:"false"`
	Timeout     int    `toml:"timeout" yaml:"timeout" default:"10"`
}

// Log is harbor.yml's log section: the components' log level, the log
// container's rotation of its files, and an optional syslog server the log
// container forwards to instead of writing files.
type Log struct {
	Level            string       `toml:"level" yaml:"level" default:"info"`
	RotateCount      int          `toml:"rotate_count" yaml:"rotate_count" default:"50"`
	RotateSize       string       `toml:"rotate_size" yaml:"rotate_size" default:"200M"`
	ExternalEndpoint *LogEndpoint `toml:"external_endpoint" yaml:"external_endpoint"`
}

// LogEndpoint is a syslog server.
type LogEndpoint struct {
	Protocol string `toml:"protocol" yaml:"protocol" default:"tcp"`
	Host     string `toml:"host" yaml:"host"`
	Port     int    `toml:"port" yaml:"port" default:"5140"`
}

// TrivyEnabled reports whether the Trivy adapter runs: trivy.enabled, or
// the deprecated with_trivy (validate refuses the two set apart).
func (h *Harbor) TrivyEnabled() bool { return h.Trivy.Enabled || h.WithTrivy }

// IPFamily is harbor.yml's ip_family: the address families the proxy's
// HTTPS listener binds in its container (2.11+).
type IPFamily struct {
	IPv4 bool `toml:"ipv4" yaml:"ipv4" default:"true"`
	IPv6 bool `toml:"ipv6" yaml:"ipv6" default:"false"`
}

// Notification is harbor.yml's notification section: the webhook jobs'
// retries and HTTP timeout (seconds).
type Notification struct {
	WebhookJobMaxRetry          int `toml:"webhook_job_max_retry" yaml:"webhook_job_max_retry" default:"3"`
	WebhookJobHTTPClientTimeout int `toml:"webhook_job_http_client_timeout" yaml:"webhook_job_http_client_timeout" default:"3"`
}

// UploadPurging is harbor.yml's upload_purging: the registry's purge of
// abandoned uploads (storage.maintenance.uploadpurging).
type UploadPurging struct {
	Enabled  bool   `toml:"enabled" yaml:"enabled" default:"true"`
	Age      string `toml:"age" yaml:"age" default:"168h"`
	Interval string `toml:"interval" yaml:"interval" default:"24h"`
	DryRun   bool   `toml:"dryrun" yaml:"dryrun" default:"false"`
}

// Cache is harbor.yml's cache: core's and jobservice's Redis cache layer.
type Cache struct {
	Enabled     bool `toml:"enabled" yaml:"enabled" default:"false"`
	ExpireHours int  `toml:"expire_hours" yaml:"expire_hours" default:"24"`
}

// Trivy is harbor.yml's trivy section, with enabled for install.sh's
// --with-trivy. The GitHub token is the trivy_github_token secret.
type Trivy struct {
	Enabled          bool   `toml:"enabled" yaml:"enabled" default:"false"`
	IgnoreUnfixed    bool   `toml:"ignore_unfixed" yaml:"ignore_unfixed" default:"false"`
	SkipUpdate       bool   `toml:"skip_update" yaml:"skip_update" default:"false"`
	SkipJavaDBUpdate bool   `toml:"skip_java_db_update" yaml:"skip_java_db_update" default:"false"`
	OfflineScan      bool   `toml:"offline_scan" yaml:"offline_scan" default:"false"`
	SecurityCheck    string `toml:"security_check" yaml:"security_check" default:"vuln"`
	Insecure         bool   `toml:"insecure" yaml:"insecure" default:"false"`
	Timeout          string `toml:"timeout" yaml:"timeout" default:"5m0s"`
	DBRepository     string `toml:"db_repository" yaml:"db_repository" default:"ghcr.io/aquasecurity/trivy-db"`
	JavaDBRepository string `toml:"java_db_repository" yaml:"java_db_repository" default:"ghcr.io/aquasecurity/trivy-java-db"`
}

// Proxy is harbor.yml's proxy section: the HTTP(S) proxy the listed Harbor
// components use to reach the outside (replication, proxy cache, OIDC,
// Trivy's database).
type Proxy struct {
	HTTPProxy  string   `toml:"http_proxy" yaml:"http_proxy"`
	HTTPSProxy string   `toml:"https_proxy" yaml:"https_proxy"`
	NoProxy    []string `toml:"no_proxy" yaml:"no_proxy"`
	Components []string `toml:"components" yaml:"components" default:"core,jobservice,trivy"`
}

type LDAP struct {
	URL          string `toml:"url" yaml:"url"`
	SearchDN     string `toml:"search_dn" yaml:"search_dn"`
	BaseDN       string `toml:"base_dn" yaml:"base_dn"`
	Filter       string `toml:"filter" yaml:"filter"`
	UID          string `toml:"uid" yaml:"uid" default:"uid"`
	Scope        string `toml:"scope" yaml:"scope" default:"subtree"`
	Timeout      int    `toml:"timeout" yaml:"timeout" default:"5"`
	VerifyCert   bool   `toml:"verify_cert" yaml:"verify_cert" default:"true"`
	GroupBaseDN  string `toml:"group_base_dn" yaml:"group_base_dn"`
	GroupFilter  string `toml:"group_filter" yaml:"group_filter"`
	GroupGID     string `toml:"group_gid" yaml:"group_gid"`
	GroupScope   string `toml:"group_scope" yaml:"group_scope" default:"subtree"`
	GroupAdminDN string `toml:"group_admin_dn" yaml:"group_admin_dn"`
}

type TLS struct {
	Mode     string `toml:"mode" yaml:"mode" default:"none"`
	CertFile string `toml:"cert_file" yaml:"cert_file"`
	KeyFile  string `toml:"key_file" yaml:"key_file"`
	// TrustCAFiles are CA certificates on the harbor nodes that Harbor's
	// components add to their trust store (an https RGW, LDAPS or OIDC
	// behind a private CA).
	TrustCAFiles []string `toml:"trust_ca_files" yaml:"trust_ca_files"`
}

type Node struct {
	Name    string   `toml:"name" yaml:"name"`
	Address string   `toml:"address" yaml:"address"`
	Roles   []string `toml:"roles" yaml:"roles"`
	Site    string   `toml:"site" yaml:"site"`
}

type Database struct {
	Engine         string `toml:"engine" yaml:"engine"`
	Name           string `toml:"name" yaml:"name" default:"registry"`
	User           string `toml:"user" yaml:"user" default:"registry"`
	Port           int    `toml:"port" yaml:"port"`
	MaxConnections int    `toml:"max_connections" yaml:"max_connections" default:"1000"`
	MaxOpenConns   int    `toml:"max_open_conns" yaml:"max_open_conns" default:"100"`
	MaxIdleConns   int    `toml:"max_idle_conns" yaml:"max_idle_conns" default:"50"`
	// ConnMaxLifetime and ConnMaxIdleTime are core's pool settings (Go
	// durations). Absent: 5m and 0 (prepare's), or 1m and 30s with engine
	// patroni, so that core's pool drops the connections of a failed leader
	// soon (goharbor/harbor#14943: core does not reconnect by itself).
	ConnMaxLifetime string      `toml:"conn_max_lifetime" yaml:"conn_max_lifetime"`
	ConnMaxIdleTime string      `toml:"conn_max_idle_time" yaml:"conn_max_idle_time"`
	Patroni         *Patroni    `toml:"patroni" yaml:"patroni"`
	Galera          *Galera     `toml:"galera" yaml:"galera"`
	External        *DBExternal `toml:"external" yaml:"external"`
}

// Patroni is the PostgreSQL cluster rendered on the postgres nodes: each
// runs PostgreSQL under Patroni, and an etcd member (Patroni's consensus
// store) unless DCSNodes names the etcd nodes.
type Patroni struct {
	Scope           string `toml:"scope" yaml:"scope"`
	SynchronousMode bool   `toml:"synchronous_mode" yaml:"synchronous_mode" default:"false"`
	// PostgresVersion is the PostgreSQL major. Absent: the one Harbor's own
	// harbor-db image bundles for harbor.version (profile data).
	PostgresVersion int      `toml:"postgres_version" yaml:"postgres_version"`
	DataDir         string   `toml:"data_dir" yaml:"data_dir" default:"/data/patroni"`
	TTL             int      `toml:"ttl" yaml:"ttl" default:"30"`
	LoopWait        int      `toml:"loop_wait" yaml:"loop_wait" default:"10"`
	RetryTimeout    int      `toml:"retry_timeout" yaml:"retry_timeout" default:"10"`
	DCSNodes        []string `toml:"dcs_nodes" yaml:"dcs_nodes"`
}

type Galera struct {
	ClusterName    string `toml:"cluster_name" yaml:"cluster_name"`
	SSTMethod      string `toml:"sst_method" yaml:"sst_method" default:"mariabackup"`
	BootstrapNode  string `toml:"bootstrap_node" yaml:"bootstrap_node"`
	BufferPoolSize string `toml:"buffer_pool_size" yaml:"buffer_pool_size" default:"1G"`
	GcacheSize     string `toml:"gcache_size" yaml:"gcache_size" default:"512M"`
	DataDir        string `toml:"data_dir" yaml:"data_dir" default:"/data/galera"`
}

type DBExternal struct {
	Host    string `toml:"host" yaml:"host"`
	SSLMode string `toml:"ssl_mode" yaml:"ssl_mode" default:"disable"`
}

type Redis struct {
	Mode         string         `toml:"mode" yaml:"mode"`
	Ports        []int          `toml:"ports" yaml:"ports" default:"6379"`
	Replicas     int            `toml:"replicas" yaml:"replicas" default:"1"`
	MasterSet    string         `toml:"master_set" yaml:"master_set" default:"harbor"`
	SentinelPort int            `toml:"sentinel_port" yaml:"sentinel_port" default:"26379"`
	Quorum       int            `toml:"quorum" yaml:"quorum"`
	MaxMemory    string         `toml:"maxmemory" yaml:"maxmemory"`
	DataDir      string         `toml:"data_dir" yaml:"data_dir" default:"/data/redis"`
	External     *RedisExternal `toml:"external" yaml:"external"`
}

type RedisExternal struct {
	Host     string `toml:"host" yaml:"host"`
	Username string `toml:"username" yaml:"username"` // Redis 6+ ACL user; the password is the redis_password secret
}

type Storage struct {
	Driver     string      `toml:"driver" yaml:"driver"`
	Swift      *Swift      `toml:"swift" yaml:"swift"`
	S3         *S3         `toml:"s3" yaml:"s3"`
	Filesystem *Filesystem `toml:"filesystem" yaml:"filesystem"`
	RGW        *RGW        `toml:"rgw" yaml:"rgw"`
	// RedirectDisable is harbor.yml's storage_service.redirect.disable.
	// Absent: true with s3 (clients seldom reach an RGW endpoint), else
	// false (RedirectDisabled).
	RedirectDisable *bool `toml:"redirect_disable" yaml:"redirect_disable"`
}

// RedirectDisabled reports whether the registry serves blobs itself instead
// of redirecting clients to the storage (storage.redirect.disable).
func (s *Storage) RedirectDisabled() bool {
	if s.RedirectDisable != nil {
		return *s.RedirectDisable
	}
	return s.Driver == "s3"
}

type Swift struct {
	AuthURL   string `toml:"auth_url" yaml:"auth_url"`
	Container string `toml:"container" yaml:"container"`
	UID       string `toml:"uid" yaml:"uid" default:"registry"`
	Region    string `toml:"region" yaml:"region"`
}

type S3 struct {
	Endpoint string `toml:"endpoint" yaml:"endpoint"`
	Bucket   string `toml:"bucket" yaml:"bucket"`
	Region   string `toml:"region" yaml:"region" default:"us-east-1"`
	UID      string `toml:"uid" yaml:"uid" default:"registry"`
}

type Filesystem struct {
	Path   string `toml:"path" yaml:"path"`
	Shared bool   `toml:"shared" yaml:"shared"`
}

type RGW struct {
	MaxSize string `toml:"max_size" yaml:"max_size"`
}

type LB struct {
	Kind             string `toml:"kind" yaml:"kind" default:"nginx"`
	VIP              string `toml:"vip" yaml:"vip"`
	VRRPInterface    string `toml:"vrrp_interface" yaml:"vrrp_interface" default:"eth0"`
	VirtualRouterID  int    `toml:"virtual_router_id" yaml:"virtual_router_id" default:"51"`
	HTTPPort         int    `toml:"http_port" yaml:"http_port" default:"80"`
	HTTPSPort        int    `toml:"https_port" yaml:"https_port" default:"443"`
	Sticky           bool   `toml:"sticky" yaml:"sticky" default:"true"`
	ProxyDatabase    bool   `toml:"proxy_database" yaml:"proxy_database"`
	ProxyRedis       bool   `toml:"proxy_redis" yaml:"proxy_redis"`
	ProxyReadTimeout int    `toml:"proxy_read_timeout" yaml:"proxy_read_timeout" default:"900"`
	MaxBodySize      string `toml:"client_max_body_size" yaml:"client_max_body_size" default:"0"`
}

// Site is one data center of the two-site topology. Its Redis and Storage,
// when given, replace the cluster-level tables for the site's nodes.
type Site struct {
	Name    string   `toml:"name" yaml:"name"`
	Primary bool     `toml:"primary" yaml:"primary"`
	VIP     string   `toml:"vip" yaml:"vip"`
	Redis   *Redis   `toml:"redis" yaml:"redis"`
	Storage *Storage `toml:"storage" yaml:"storage"`
}

// Images says where every container image comes from: a mirror prefix for
// all of them, and one key per tier image that replaces its reference.
type Images struct {
	Mirror  string `toml:"mirror" yaml:"mirror"`
	Galera  string `toml:"galera" yaml:"galera"`
	Redis   string `toml:"redis" yaml:"redis"`
	Nginx   string `toml:"nginx" yaml:"nginx"`
	HAProxy string `toml:"haproxy" yaml:"haproxy"`
	// Postgres replaces the postgres image patroni/Dockerfile builds on
	// (engine patroni); Etcd the etcd image of Patroni's store.
	Postgres string `toml:"postgres" yaml:"postgres"`
	Etcd     string `toml:"etcd" yaml:"etcd"`
}

// Override returns the spec's reference for a tier image key, or "".
func (im *Images) Override(key string) string {
	switch key {
	case "galera":
		return im.Galera
	case "redis":
		return im.Redis
	case "nginx":
		return im.Nginx
	case "haproxy":
		return im.HAProxy
	case "etcd":
		return im.Etcd
	}
	if strings.HasPrefix(key, "postgres") {
		return im.Postgres
	}
	return ""
}
