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
	Version             string   `toml:"version" yaml:"version" default:"2.15.2"`
	DataDir             string   `toml:"data_dir" yaml:"data_dir" default:"/data/harbor"`
	HTTPPort            int      `toml:"http_port" yaml:"http_port" default:"8080"`
	HTTPSPort           int      `toml:"https_port" yaml:"https_port" default:"8443"`
	RegistryPort        int      `toml:"registry_port" yaml:"registry_port" default:"5000"`
	AuthMode            string   `toml:"auth_mode" yaml:"auth_mode" default:"db_auth"`
	JobLoggers          []string `toml:"job_loggers" yaml:"job_loggers" default:"DB"`
	QuotaUpdateProvider string   `toml:"quota_update_provider" yaml:"quota_update_provider"`
	MaxJobWorkers       int      `toml:"max_job_workers" yaml:"max_job_workers" default:"10"`
	WithTrivy           bool     `toml:"with_trivy" yaml:"with_trivy"`
	ImageRegistry       string   `toml:"image_registry" yaml:"image_registry"`
	LogDir              string   `toml:"log_dir" yaml:"log_dir" default:"/var/log/harbor"`
	LDAP                *LDAP    `toml:"ldap" yaml:"ldap"`
	Proxy               *Proxy   `toml:"proxy" yaml:"proxy"`
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
