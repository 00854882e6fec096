package plan

import (
	"net"
	"net/netip"
	"slices"
	"strconv"

	"github.com/harborgen/harborgen/internal/profile"
	"github.com/harborgen/harborgen/internal/spec"
)

// Galera is one member's part of the MariaDB Galera cluster.
type Galera struct {
	ClusterName     string   `json:"cluster_name"`
	NodeName        string   `json:"node_name"`
	Address         string   `json:"address"`
	Port            int      `json:"port"`
	Members         []string `json:"members"`   // every member's address, in spec order
	Bootstrap       bool     `json:"bootstrap"` // this member starts the cluster
	BootstrapNode   string   `json:"bootstrap_node"`
	BootstrapAddr   string   `json:"bootstrap_address"`
	SSTMethod       string   `json:"sst_method"` // rsync | mariabackup
	BufferPoolBytes uint64   `json:"buffer_pool_bytes"`
	GcacheBytes     uint64   `json:"gcache_bytes"`
	MaxConnections  int      `json:"max_connections"`
	DataDir         string   `json:"data_dir"` // on the host
	// Harbor's database and user, created once on the bootstrap member.
	Database string `json:"database"`
	User     string `json:"user"`
	// CheckUser is the password-less, privilege-less account that the
	// health responder (and HAProxy's mysql-check) logs in as; CheckHosts
	// are the addresses it may connect from: every member (its own check),
	// every load balancer, and 127.0.0.1, where a host's connection to its
	// own 127.x address comes from.
	CheckUser  string   `json:"check_user"`
	CheckHosts []string `json:"check_hosts"`
	// CheckPort is where the health responder answers HTTP: 200 only when
	// the member is Synced and in the Primary component.
	CheckPort int `json:"check_port"`
	// SSTUser is the account mariabackup connects as on a donor (empty with
	// rsync, which needs none).
	SSTUser string `json:"sst_user,omitempty"`
	// ImagePackages are the packages the SST method runs that the galera
	// image lacks: galera/Dockerfile adds them to the pinned image and the
	// galera service builds it. The official mariadb image installs
	// mariadb-backup and socat (mariabackup SST), not rsync.
	ImagePackages []string `json:"image_packages,omitempty"`
}

// RedisServer is the Redis instances one redis node runs.
type RedisServer struct {
	Mode           string          `json:"mode"` // standalone | sentinel | cluster
	Address        string          `json:"address"`
	Instances      []RedisInstance `json:"instances"`
	Auth           bool            `json:"auth"` // requirepass and masterauth from secrets/
	MaxMemoryBytes uint64          `json:"maxmemory_bytes,omitempty"`
	DataDir        string          `json:"data_dir"` // on the host; <data_dir>/<port> per instance
	// Cluster mode: node timeout, and on the node that runs the create
	// script, every instance of the cluster and the replicas per master.
	NodeTimeoutMs int          `json:"node_timeout_ms,omitempty"`
	Create        *RedisCreate `json:"create,omitempty"`
}

// RedisInstance is one redis-server.
type RedisInstance struct {
	Port      int    `json:"port"`
	ReplicaOf string `json:"replica_of,omitempty"` // sentinel mode: the initial master, host:port
}

// RedisCreate is what `redis-cli --cluster create` gets.
type RedisCreate struct {
	Instances []string `json:"instances"` // host:port, masters spread over hosts first
	Replicas  int      `json:"replicas"`
}

// Sentinel is one Redis Sentinel.
type Sentinel struct {
	Address           string `json:"address"`
	Port              int    `json:"port"`
	MasterSet         string `json:"master_set"`
	MasterHost        string `json:"master_host"` // the initial master
	MasterPort        int    `json:"master_port"`
	Quorum            int    `json:"quorum"`
	Auth              bool   `json:"auth"` // sentinel auth-pass from secrets/
	DownAfterMs       int    `json:"down_after_ms"`
	FailoverTimeoutMs int    `json:"failover_timeout_ms"`
	DataDir           string `json:"data_dir"` // on the host; Sentinel's writable working copy lives here
}

// Balancer is a load balancer node: its listeners and upstreams.
type Balancer struct {
	Kind        string    `json:"kind"`   // nginx | haproxy
	Listen      []string  `json:"listen"` // addresses: the node's own, then the VIP
	HTTPPort    int       `json:"http_port"`
	HTTPSPort   int       `json:"https_port,omitempty"` // tls.mode lb or node
	TLS         string    `json:"tls"`                  // lb (terminate here) | node (pass through) | none
	CertFile    string    `json:"cert_file,omitempty"`  // tls.mode lb, host paths
	KeyFile     string    `json:"key_file,omitempty"`
	Sticky      bool      `json:"sticky"`
	ReadTimeout int       `json:"read_timeout"`  // seconds
	MaxBodySize uint64    `json:"max_body_size"` // bytes, 0 = no limit
	Harbor      []Backend `json:"harbor"`        // the scope's harbor nodes, HTTP (HTTPS with tls node)
	// Remote are the other sites' harbor nodes (two sites), all backups:
	// GET and HEAD of the registry fail over to them; every other method
	// stays on this site.
	Remote []Backend `json:"remote,omitempty"`
	// HealthPath is the Harbor API path that answers without a login when
	// the node is up (HAProxy's check of the harbor backends).
	HealthPath string `json:"health_path"`
	// Database is the TCP proxy of the database: one writer, the others
	// backups. Redis proxies the scope's Redis master (standalone: the one).
	Database   *TCPProxy   `json:"database,omitempty"`
	Redis      *TCPProxy   `json:"redis,omitempty"`
	Keepalived *Keepalived `json:"keepalived,omitempty"` // two or more lb nodes in the scope
}

// Backend is one upstream server.
type Backend struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	Port    int    `json:"port"`
	Backup  bool   `json:"backup,omitempty"`
}

// HostPort is the backend's address and port.
func (b Backend) HostPort() string { return net.JoinHostPort(b.Address, strconv.Itoa(b.Port)) }

// TCPProxy is a stream proxy on the balancer's listen addresses.
type TCPProxy struct {
	Port     int       `json:"port"`
	Kind     string    `json:"kind"` // galera | mariadb | postgres | redis
	Backends []Backend `json:"backends"`
	// CheckPort is where a Galera member's sync-state check answers, or
	// Patroni's REST API (HAProxy); CheckPath is the HTTP path checked there.
	CheckPort int    `json:"check_port,omitempty"`
	CheckPath string `json:"check_path,omitempty"`
	// LeaderOnly: every backend is checked and only the leader passes
	// (Patroni's /primary), so there are no backups.
	LeaderOnly bool `json:"leader_only,omitempty"`
	// Auth: the Redis backends require the redis_password (HAProxy's role
	// check sends AUTH first).
	Auth bool `json:"auth,omitempty"`
}

// Keepalived is the VRRP instance that carries the VIP.
type Keepalived struct {
	Interface string   `json:"interface"`
	RouterID  int      `json:"router_id"`
	VIP       string   `json:"vip"`
	VIPCIDR   string   `json:"vip_cidr"` // the VIP as a host prefix: /32, or /128 for IPv6
	State     string   `json:"state"`    // MASTER on the first lb node, BACKUP elsewhere
	Priority  int      `json:"priority"`
	Address   string   `json:"address"` // this node's, the unicast source
	Peers     []string `json:"peers"`   // the other lb nodes, unicast
	CheckPort int      `json:"check_port"`
	// Where the host's keepalived finds the check script and the
	// authentication include (prepare-host.sh installs them there).
	CheckScript string `json:"check_script"`
	AuthInclude string `json:"auth_include"`
}

// GaleraCheckPort is where each Galera member answers HAProxy's sync-state
// check (HTTP 200 only when Synced and Primary), as clustercheck did.
const GaleraCheckPort = 9200

// Timings of the rendered Redis tiers.
const (
	redisNodeTimeoutMs  = 5000
	sentinelDownAfterMs = 5000
	sentinelFailoverMs  = 60000
)

// The accounts the Galera bootstrap creates besides Harbor's.
const (
	galeraCheckUser = "clustercheck"
	galeraSSTUser   = "mariabackup"
)

func galeraMember(s *spec.Spec, n spec.Node) *Galera {
	g := s.Database.Galera
	if g == nil || s.Database.Engine != "galera" || !n.HasRole(spec.RoleGalera) {
		return nil
	}
	out := &Galera{ClusterName: g.ClusterName, NodeName: n.Name, Address: n.Address, Port: s.Database.Port,
		Bootstrap: n.Name == g.BootstrapNode, BootstrapNode: g.BootstrapNode, SSTMethod: g.SSTMethod,
		MaxConnections: s.Database.MaxConnections, DataDir: g.DataDir, Database: s.Database.Name, User: s.Database.User,
		CheckUser: galeraCheckUser, CheckPort: GaleraCheckPort}
	switch g.SSTMethod {
	case "mariabackup":
		out.SSTUser = galeraSSTUser
	case "rsync":
		out.ImagePackages = []string{"rsync"}
	}
	if out.ClusterName == "" {
		out.ClusterName = s.Cluster.Name
	}
	out.BufferPoolBytes, _ = spec.ParseSize(g.BufferPoolSize) // validated
	out.GcacheBytes, _ = spec.ParseSize(g.GcacheSize)
	for _, m := range s.NodesWithRole(spec.RoleGalera) {
		out.Members = append(out.Members, m.Address)
		out.CheckHosts = append(out.CheckHosts, m.Address)
		if m.Name == g.BootstrapNode {
			out.BootstrapAddr = m.Address
		}
	}
	for _, m := range s.NodesWithRole(spec.RoleLB) {
		out.CheckHosts = append(out.CheckHosts, m.Address)
	}
	if !slices.Contains(out.CheckHosts, "127.0.0.1") {
		out.CheckHosts = append(out.CheckHosts, "127.0.0.1")
	}
	return out
}

func redisServer(s *spec.Spec, prof *profile.Profile, sc *spec.Scope, n spec.Node) *RedisServer {
	r := &sc.Redis
	if !n.HasRole(spec.RoleRedis) || len(r.Ports) == 0 {
		return nil
	}
	out := &RedisServer{Mode: r.Mode, Address: n.Address, Auth: prof.UsesRedisPassword(), DataDir: r.DataDir}
	if r.MaxMemory != "" {
		out.MaxMemoryBytes, _ = spec.ParseSize(r.MaxMemory)
	}
	nodes := sc.WithRole(spec.RoleRedis)
	switch r.Mode {
	case "standalone", "sentinel":
		in := RedisInstance{Port: r.Ports[0]}
		if r.Mode == "sentinel" && nodes[0].Name != n.Name {
			in.ReplicaOf = net.JoinHostPort(nodes[0].Address, strconv.Itoa(r.Ports[0]))
		}
		out.Instances = []RedisInstance{in}
	case "cluster":
		out.NodeTimeoutMs = redisNodeTimeoutMs
		for _, p := range r.Ports {
			out.Instances = append(out.Instances, RedisInstance{Port: p})
		}
		if nodes[0].Name == n.Name {
			out.Create = &RedisCreate{Replicas: r.Replicas}
			// Port-major order: redis-cli takes the first masters from
			// distinct hosts when the list alternates hosts.
			for _, p := range r.Ports {
				for _, m := range nodes {
					out.Create.Instances = append(out.Create.Instances, net.JoinHostPort(m.Address, strconv.Itoa(p)))
				}
			}
		}
	default:
		return nil
	}
	return out
}

func sentinel(prof *profile.Profile, sc *spec.Scope, n spec.Node) *Sentinel {
	r := &sc.Redis
	nodes := sc.WithRole(spec.RoleRedis)
	if !n.HasRole(spec.RoleSentinel) || r.Mode != "sentinel" || len(nodes) == 0 || len(r.Ports) == 0 {
		return nil
	}
	return &Sentinel{Address: n.Address, Port: r.SentinelPort, MasterSet: r.MasterSet,
		MasterHost: nodes[0].Address, MasterPort: r.Ports[0], Quorum: r.Quorum, Auth: prof.UsesRedisPassword(),
		DownAfterMs: sentinelDownAfterMs, FailoverTimeoutMs: sentinelFailoverMs, DataDir: r.DataDir}
}

func balancer(s *spec.Spec, sc *spec.Scope, n spec.Node) *Balancer {
	if !n.HasRole(spec.RoleLB) {
		return nil
	}
	prof := profile.ForVersion(s.Harbor.Version)
	b := &Balancer{Kind: s.LB.Kind, Listen: []string{n.Address}, HTTPPort: s.LB.HTTPPort, TLS: s.TLS.Mode,
		Sticky: s.LB.Sticky, ReadTimeout: s.LB.ProxyReadTimeout}
	if prof != nil {
		b.HealthPath = prof.PingPath
	}
	b.MaxBodySize, _ = spec.ParseSize(s.LB.MaxBodySize) // validated; "0" is no limit
	if sc.VIP != "" {
		b.Listen = append(b.Listen, sc.VIP)
	}
	if s.TLS.Mode != "none" {
		b.HTTPSPort = s.LB.HTTPSPort
	}
	if s.TLS.Mode == "lb" {
		b.CertFile, b.KeyFile = s.TLS.CertFile, s.TLS.KeyFile
	}
	harborPort := s.Harbor.HTTPPort
	if s.TLS.Mode == "node" {
		harborPort = s.Harbor.HTTPSPort
	}
	for _, h := range sc.WithRole(spec.RoleHarbor) {
		b.Harbor = append(b.Harbor, Backend{Name: h.Name, Address: h.Address, Port: harborPort})
	}
	if sc.Site != "" {
		for _, other := range s.Scopes() {
			if other.Site == sc.Site {
				continue
			}
			for _, h := range other.WithRole(spec.RoleHarbor) {
				b.Remote = append(b.Remote, Backend{Name: h.Name, Address: h.Address, Port: harborPort, Backup: true})
			}
		}
	}
	if s.LB.ProxyDatabase {
		b.Database = databaseProxy(s)
	}
	if s.LB.ProxyRedis {
		b.Redis = redisProxy(sc, prof == nil || prof.UsesRedisPassword())
	}
	lbs := sc.WithRole(spec.RoleLB)
	if len(lbs) >= 2 && sc.VIP != "" {
		k := &Keepalived{Interface: s.LB.VRRPInterface, RouterID: s.LB.VirtualRouterID, VIP: sc.VIP, VIPCIDR: hostPrefix(sc.VIP),
			State: "BACKUP", Address: n.Address, CheckPort: s.LB.HTTPPort,
			CheckScript: keepalivedCheck, AuthInclude: keepalivedAuthInc}
		for i, m := range lbs {
			if m.Name == n.Name {
				k.Priority = 150 - 10*i
				if i == 0 {
					k.State = "MASTER"
				}
				continue
			}
			k.Peers = append(k.Peers, m.Address)
		}
		b.Keepalived = k
	}
	return b
}

// databaseProxy sends every connection to one writer; the other Galera
// members are backups, so row conflicts never become deadlock errors.
func databaseProxy(s *spec.Spec) *TCPProxy {
	p := &TCPProxy{Port: s.Database.Port, Kind: s.Database.Engine}
	if s.Database.Engine == "galera" {
		p.CheckPort, p.CheckPath = GaleraCheckPort, "/"
		for i, m := range s.NodesWithRole(spec.RoleGalera) {
			p.Backends = append(p.Backends, Backend{Name: m.Name, Address: m.Address, Port: s.Database.Port, Backup: i > 0})
		}
		return p
	}
	if s.Database.Engine == "patroni" {
		p.CheckPort, p.CheckPath, p.LeaderOnly = PatroniRESTPort, "/primary", true
		for _, m := range PostgresMembers(s) {
			p.Backends = append(p.Backends, Backend{Name: m.Name, Address: m.Address, Port: s.Database.Port})
		}
		return p
	}
	if s.Database.External != nil {
		host, port := splitHostPort(s.Database.External.Host, s.Database.Port)
		p.Backends = []Backend{{Name: "external", Address: host, Port: port}}
	}
	return p
}

// redisProxy sends every connection to the scope's Redis master: the one
// instance (standalone), or the initial master with the replicas as backups
// (sentinel; only HAProxy's role check follows a failover).
func redisProxy(sc *spec.Scope, auth bool) *TCPProxy {
	r := &sc.Redis
	if len(r.Ports) == 0 || (r.Mode != "standalone" && r.Mode != "sentinel") {
		return nil
	}
	p := &TCPProxy{Port: r.Ports[0], Kind: "redis", Auth: auth}
	for i, m := range sc.WithRole(spec.RoleRedis) {
		p.Backends = append(p.Backends, Backend{Name: m.Name, Address: m.Address, Port: r.Ports[0], Backup: i > 0})
		if r.Mode == "standalone" {
			break
		}
	}
	return p
}

// hostPrefix writes an address as a one-host prefix.
func hostPrefix(addr string) string {
	if a, err := netip.ParseAddr(addr); err == nil && a.Is6() && !a.Is4In6() {
		return addr + "/128"
	}
	return addr + "/32"
}
