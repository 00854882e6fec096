package plan

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/harborgen/harborgen/internal/profile"
	"github.com/harborgen/harborgen/internal/spec"
)

// Patroni is one postgres member's part of the PostgreSQL cluster that
// Patroni runs (database.engine = "patroni").
type Patroni struct {
	Scope    string `json:"scope"`
	Name     string `json:"name"` // the member's name: its node's
	Address  string `json:"address"`
	Port     int    `json:"port"`      // PostgreSQL, database.port
	RESTPort int    `json:"rest_port"` // Patroni's REST API: /primary answers 200 on the leader only
	// Members are every member, in spec order; ExpectedLeader is the one
	// the runbook starts first, which initialises the cluster and leads it
	// until a failover.
	Members         []Member `json:"members"`
	ExpectedLeader  string   `json:"expected_leader"`
	PostgresVersion int      `json:"postgres_version"` // the major
	// BinDir is where PostgreSQL's programs are, in the official image as
	// in Debian's packages.
	BinDir string `json:"bin_dir"`
	// DataDir is the host directory mounted at ContainerDir; PostgreSQL's
	// data directory is PGData inside the container.
	DataDir         string `json:"data_dir"`
	ContainerDir    string `json:"container_dir"`
	PGData          string `json:"pgdata"`
	TTL             int    `json:"ttl"`
	LoopWait        int    `json:"loop_wait"`
	RetryTimeout    int    `json:"retry_timeout"`
	SynchronousMode bool   `json:"synchronous_mode"`
	MaxConnections  int    `json:"max_connections"`
	// DCS are the etcd client endpoints Patroni uses, host:port.
	DCS []string `json:"dcs"`
	// The accounts: the superuser Patroni and the init script use, the
	// replication user, and the REST API's user for its unsafe endpoints
	// (their passwords come from secrets/patroni.env).
	Superuser       string `json:"superuser"`
	ReplicationUser string `json:"replication_user"`
	RESTUser        string `json:"rest_user"`
	// ClientHosts are the addresses Harbor's user connects from (pg_hba):
	// the load balancers (their own addresses and the VIPs) and the harbor
	// nodes.
	ClientHosts []string `json:"client_hosts"`
	// HBA are the pg_hba.conf rules Patroni writes, in order.
	HBA []HBARule `json:"hba"`
	// Harbor's database and user, created by the init script.
	Database string `json:"database"`
	User     string `json:"user"`
	// Init: this member's node runs patroni-init-db.sh (the expected leader's).
	Init bool `json:"init"`
	// ImagePackages are what patroni/Dockerfile adds to the postgres image.
	ImagePackages []string `json:"image_packages"`
}

// HBARule is one pg_hba.conf line: a TCP host rule when Address is set,
// else a local (socket) rule.
type HBARule struct {
	Database string `json:"database"`
	User     string `json:"user"`
	Address  string `json:"address,omitempty"` // a host prefix, /32 or /128
	Method   string `json:"method"`
	Why      string `json:"why"`
}

// Line is the rule as pg_hba.conf reads it; names are double-quoted so that
// none is read as a keyword (all, replication, sameuser).
func (r HBARule) Line() string {
	db, user := `"`+r.Database+`"`, `"`+r.User+`"`
	if r.Database == "replication" || r.Database == "all" {
		db = r.Database // the keywords themselves
	}
	if r.User == "all" {
		user = r.User
	}
	if r.Address == "" {
		return "local " + db + " " + user + " " + r.Method
	}
	return "host " + db + " " + user + " " + r.Address + " " + r.Method
}

// HostList is every member's address, comma-separated (libpq's host list).
func (p *Patroni) HostList() string {
	var hosts []string
	for _, m := range p.Members {
		hosts = append(hosts, m.Address)
	}
	return strings.Join(hosts, ",")
}

// PortList is the PostgreSQL port once per member (libpq's port list).
func (p *Patroni) PortList() string {
	ports := make([]string, len(p.Members))
	for i := range ports {
		ports[i] = strconv.Itoa(p.Port)
	}
	return strings.Join(ports, ",")
}

// Member is one member of a cluster: its name and address.
type Member struct {
	Name    string `json:"name"`
	Address string `json:"address"`
}

// Etcd is one etcd member of Patroni's consensus store.
type Etcd struct {
	Name       string   `json:"name"`
	Address    string   `json:"address"`
	ClientPort int      `json:"client_port"`
	PeerPort   int      `json:"peer_port"`
	Members    []Member `json:"members"`
	// InitialCluster is etcd's initial-cluster: name=http://address:peer,...
	InitialCluster string `json:"initial_cluster"`
	Token          string `json:"token"`    // initial-cluster-token: the Patroni scope
	DataDir        string `json:"data_dir"` // on the host
}

// ClientURL is the member's client URL.
func (e *Etcd) ClientURL() string {
	return "http://" + net.JoinHostPort(e.Address, strconv.Itoa(e.ClientPort))
}

// PeerURL is the member's peer URL.
func (e *Etcd) PeerURL() string {
	return "http://" + net.JoinHostPort(e.Address, strconv.Itoa(e.PeerPort))
}

// Endpoints is every member's client URL, comma-separated (etcdctl --endpoints).
func (e *Etcd) Endpoints() string {
	var urls []string
	for _, m := range e.Members {
		urls = append(urls, "http://"+net.JoinHostPort(m.Address, strconv.Itoa(e.ClientPort)))
	}
	return strings.Join(urls, ",")
}

// The fixed ports and names of the Patroni tier.
const (
	PatroniRESTPort = 8008
	EtcdClientPort  = 2379
	EtcdPeerPort    = 2380
	// PatroniInitScript creates Harbor's database and user on the leader.
	PatroniInitScript = "./patroni-init-db.sh"
	patroniSuperuser  = "postgres"
	patroniReplicator = "replicator"
	patroniRESTUser   = "patroni"
	// patroniContainerDir is where the host's data directory is mounted in
	// the patroni container (the postgres user's home is its parent).
	patroniContainerDir = "/var/lib/postgresql/patroni"
	// postgresUID is the official postgres image's postgres user (Debian
	// variant: useradd -r -u 999, docker-library/postgres Dockerfile).
	postgresUID = 999
	// etcdUID: etcd's image runs etcd as root.
	etcdUID = 0
)

// PostgresMembers are the postgres nodes of an engine-patroni spec.
func PostgresMembers(s *spec.Spec) []spec.Node {
	if s.Database.Engine != "patroni" {
		return nil
	}
	return s.NodesWithRole(spec.RolePostgres)
}

// EtcdNodes are the nodes that run Patroni's etcd: dcs_nodes, else every
// postgres node.
func EtcdNodes(s *spec.Spec) []spec.Node {
	p := s.Database.Patroni
	if s.Database.Engine != "patroni" || p == nil {
		return nil
	}
	if len(p.DCSNodes) == 0 {
		return PostgresMembers(s)
	}
	var out []spec.Node
	for _, n := range s.Nodes {
		if slices.Contains(p.DCSNodes, n.Name) {
			out = append(out, n)
		}
	}
	return out
}

// PostgresVersion is the PostgreSQL major of the spec: the one it sets, or
// the one Harbor's own database image bundles at its version.
func PostgresVersion(s *spec.Spec, prof *profile.Profile) int {
	if p := s.Database.Patroni; p != nil && p.PostgresVersion != 0 {
		return p.PostgresVersion
	}
	if prof == nil {
		return 0
	}
	return prof.PostgresMajor(s.Harbor.Version)
}

func patroniMember(s *spec.Spec, prof *profile.Profile, n spec.Node) *Patroni {
	p := s.Database.Patroni
	members := PostgresMembers(s)
	if p == nil || !n.HasRole(spec.RolePostgres) || len(members) == 0 {
		return nil
	}
	major := PostgresVersion(s, prof)
	out := &Patroni{Scope: p.Scope, Name: n.Name, Address: n.Address, Port: s.Database.Port, RESTPort: PatroniRESTPort,
		ExpectedLeader: members[0].Name, PostgresVersion: major, BinDir: fmt.Sprintf("/usr/lib/postgresql/%d/bin", major),
		DataDir: p.DataDir + "/postgresql", ContainerDir: patroniContainerDir, PGData: patroniContainerDir + "/pgdata",
		TTL: p.TTL, LoopWait: p.LoopWait, RetryTimeout: p.RetryTimeout, SynchronousMode: p.SynchronousMode,
		MaxConnections: s.Database.MaxConnections, Superuser: patroniSuperuser, ReplicationUser: patroniReplicator,
		RESTUser: patroniRESTUser, Database: s.Database.Name, User: s.Database.User, Init: n.Name == members[0].Name,
		ImagePackages: []string{"patroni", "python3-etcd", "curl"}}
	for _, m := range members {
		out.Members = append(out.Members, Member{Name: m.Name, Address: m.Address})
	}
	for _, e := range EtcdNodes(s) {
		out.DCS = append(out.DCS, net.JoinHostPort(e.Address, strconv.Itoa(EtcdClientPort)))
	}
	for _, sc := range s.Scopes() {
		for _, m := range sc.WithRole(spec.RoleLB) {
			out.ClientHosts = appendNew(out.ClientHosts, m.Address)
		}
		if sc.VIP != "" && len(sc.WithRole(spec.RoleLB)) > 0 {
			out.ClientHosts = appendNew(out.ClientHosts, sc.VIP)
		}
		for _, m := range sc.WithRole(spec.RoleHarbor) {
			out.ClientHosts = appendNew(out.ClientHosts, m.Address)
		}
	}
	out.HBA = patroniHBA(out)
	return out
}

// patroniHBA: every account logs in with its password (SCRAM): the
// superuser over the socket (Patroni itself) and from the members (pg_rewind,
// the init script), replication from the members, and Harbor's user, to its
// database only, from the load balancers and the harbor nodes.
//
// A connection to a loopback address other than 127.0.0.1 comes from
// 127.0.0.1 (the kernel's source address for 127.0.0.0/8), so where the
// sources are such addresses (nodes on one host), 127.0.0.1 is allowed too.
func patroniHBA(p *Patroni) []HBARule {
	const scram = "scram-sha-256"
	out := []HBARule{{Database: "all", User: p.Superuser, Method: scram, Why: "Patroni, over the socket"}}
	var members []string
	for _, m := range p.Members {
		members = append(members, m.Address)
	}
	rules := func(database, user string, sources []string, why func(i int) string) {
		loopback := false
		for i, a := range sources {
			out = append(out, HBARule{Database: database, User: user, Address: hostPrefix(a), Method: scram, Why: why(i)})
			loopback = loopback || (strings.HasPrefix(a, "127.") && a != "127.0.0.1")
		}
		if loopback && !slices.Contains(sources, "127.0.0.1") {
			out = append(out, HBARule{Database: database, User: user, Address: "127.0.0.1/32", Method: scram,
				Why: "the same, from nodes on loopback addresses: their connections come from 127.0.0.1"})
		}
	}
	rules("replication", p.ReplicationUser, members, func(i int) string { return "streaming replication and cloning from " + p.Members[i].Name })
	rules("all", p.Superuser, members, func(i int) string { return "pg_rewind and the init script from " + p.Members[i].Name })
	rules(p.Database, p.User, p.ClientHosts, func(int) string { return "Harbor, through the load balancer or from a harbor node" })
	return out
}

func etcdMember(s *spec.Spec, n spec.Node) *Etcd {
	nodes := EtcdNodes(s)
	if !slices.ContainsFunc(nodes, func(m spec.Node) bool { return m.Name == n.Name }) {
		return nil
	}
	p := s.Database.Patroni
	out := &Etcd{Name: n.Name, Address: n.Address, ClientPort: EtcdClientPort, PeerPort: EtcdPeerPort,
		Token: p.Scope, DataDir: p.DataDir + "/etcd"}
	var initial []string
	for _, m := range nodes {
		out.Members = append(out.Members, Member{Name: m.Name, Address: m.Address})
		initial = append(initial, m.Name+"=http://"+net.JoinHostPort(m.Address, strconv.Itoa(EtcdPeerPort)))
	}
	out.InitialCluster = strings.Join(initial, ",")
	return out
}

func appendNew(list []string, v string) []string {
	if slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}

// patroniSteps start etcd on every etcd node (checked by etcdctl endpoint
// health), then Patroni on the expected leader and the other members in
// turn (each checked by patronictl list), then create Harbor's database.
func patroniSteps(s *spec.Spec, prof *profile.Profile) []Step {
	members := PostgresMembers(s)
	etcds := EtcdNodes(s)
	if len(members) == 0 || len(etcds) == 0 {
		return nil
	}
	var out []Step
	var endpoints []string
	for _, e := range etcds {
		endpoints = append(endpoints, "http://"+net.JoinHostPort(e.Address, strconv.Itoa(EtcdClientPort)))
	}
	// etcd answers only once a majority of its members runs: only the last
	// start is checked, on every member.
	for i, e := range etcds {
		step := Step{Node: e.Name, Action: "start the etcd member of Patroni's store", Command: "docker compose up -d etcd"}
		if i == len(etcds)-1 {
			step.Action += "; then every member is healthy"
			step.Check = "docker compose exec -T etcd etcdctl --endpoints=" + strings.Join(endpoints, ",") + " endpoint health"
			for _, e := range etcds {
				step.Expect = append(step.Expect, "http://"+net.JoinHostPort(e.Address, strconv.Itoa(EtcdClientPort))+" is healthy")
			}
		}
		out = append(out, step)
	}
	build := " (docker compose first builds the patroni image: patroni/Dockerfile, the pinned postgres image plus PGDG's Patroni)"
	leader := members[0].Name
	for i, m := range members {
		action := "start PostgreSQL under Patroni on the first member: it initialises the cluster and becomes its leader" + build
		check := "docker compose exec -T patroni patronictl -c /etc/patroni/patroni.yml list"
		expect := []string{m.Name, "Leader", "running"}
		if i > 0 {
			action = "start PostgreSQL under Patroni: the member clones the leader and streams from it" + build
			// The member's own REST API: /replica answers 200 only while this
			// member runs as a replica (curl -f fails otherwise, so the check
			// is retried); patronictl list would name every member, and its
			// words could come from another member's line.
			check = "docker compose exec -T patroni curl -fsS http://" + net.JoinHostPort(m.Address, strconv.Itoa(PatroniRESTPort)) + "/replica"
			expect = []string{`"state": "running"`}
		}
		out = append(out, Step{Node: m.Name, Action: action, Command: "docker compose up -d patroni", Check: check, Expect: expect})
	}
	out = append(out, Step{Node: leader, Action: "create Harbor's database and user on the leader (idempotent)",
		Command: PatroniInitScript, Check: PatroniInitScript, Expect: []string{"are ready"}})
	return out
}
