// Package plan derives, from a valid spec, what runs where: per node its
// services, ports and the endpoints it talks to, and the bootstrap order.
// It is pure data; templates render from it and never from the spec.
package plan

import (
	"crypto/sha256"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/harborgen/harborgen/internal/profile"
	"github.com/harborgen/harborgen/internal/spec"
)

// Plan is the whole cluster.
type Plan struct {
	Cluster       string `json:"cluster"`
	Hostname      string `json:"hostname"`
	HarborVersion string `json:"harbor_version"`
	Profile       string `json:"profile"`
	// ScannerPrefix names Harbor's scanner robot accounts; every core must
	// agree on it, so it is derived from the cluster name, not drawn at random.
	ScannerPrefix string `json:"scanner_prefix"`
	Nodes         []Node `json:"nodes"`
	Steps         []Step `json:"steps"`
	// Sites are the spec's [[site]] tables, in spec order (none without).
	Sites []Site `json:"sites,omitempty"`
	// Prerequisites are what the operator provides before the first step.
	Prerequisites Prerequisites `json:"prerequisites"`
	// Entry is where clients reach Harbor, for the runbook's end-to-end check.
	Entry Entry `json:"entry"`
}

// Prerequisites are what the runbook's steps need in place: the TLS files
// on the nodes that serve HTTPS, and an external database with its user.
type Prerequisites struct {
	TLS              *TLSFiles         `json:"tls,omitempty"`
	ExternalDatabase *ExternalDatabase `json:"external_database,omitempty"`
}

// TLSFiles are the certificate and key (tls.cert_file, tls.key_file) each of
// Nodes must hold: the lb nodes with tls.mode lb, the harbor nodes with node.
type TLSFiles struct {
	Mode     string   `json:"mode"`
	CertFile string   `json:"cert_file"`
	KeyFile  string   `json:"key_file"`
	Nodes    []string `json:"nodes"`
}

// ExternalDatabase is the database the operator creates before Harbor
// starts: engine postgres (Harbor 2) or mariadb (Harbor 1.5).
type ExternalDatabase struct {
	Engine string `json:"engine"`
	Host   string `json:"host"`
	Port   int    `json:"port"`
	Name   string `json:"name"`
	User   string `json:"user"`
}

// Entry is Harbor's public address: URL (scheme, hostname, port when not
// the scheme's), and Address, where the hostname should resolve (the primary
// scope's VIP or only balancer, else the first harbor node). APIBase is the
// API's path prefix of the profile, PingPath its unauthenticated check.
type Entry struct {
	URL      string `json:"url"`
	Host     string `json:"host"`
	Port     int    `json:"port"`
	Address  string `json:"address"`
	APIBase  string `json:"api_base"`
	PingPath string `json:"ping_path"`
	PingSays string `json:"ping_says"`
}

// Resolve is curl's --resolve argument that sends the hostname to Address.
func (e Entry) Resolve() string {
	addr := e.Address
	if strings.Contains(addr, ":") {
		addr = "[" + addr + "]"
	}
	return e.Host + ":" + strconv.Itoa(e.Port) + ":" + addr
}

// Site is one site of a multi-site cluster.
type Site struct {
	Name    string `json:"name"`
	Primary bool   `json:"primary"`
	VIP     string `json:"vip,omitempty"`
}

// Node is what one host runs.
type Node struct {
	Name      string       `json:"name"`
	Address   string       `json:"address"`
	Site      string       `json:"site,omitempty"`
	Roles     []string     `json:"roles"`
	Services  []Service    `json:"services"`
	Listens   []Port       `json:"listens"`
	Endpoints *Endpoints   `json:"endpoints,omitempty"` // harbor nodes only
	Harbor    *Harbor      `json:"harbor,omitempty"`    // harbor nodes only
	RGW       *RGWUser     `json:"rgw,omitempty"`       // ceph-admin nodes whose scope has [storage.rgw]
	Galera    *Galera      `json:"galera,omitempty"`    // galera members (engine galera)
	Patroni   *Patroni     `json:"patroni,omitempty"`   // postgres members (engine patroni)
	Etcd      *Etcd        `json:"etcd,omitempty"`      // Patroni's etcd members
	Redis     *RedisServer `json:"redis,omitempty"`     // redis nodes of a rendered Redis tier
	Sentinel  *Sentinel    `json:"sentinel,omitempty"`  // sentinel nodes (mode sentinel)
	LB        *Balancer    `json:"lb,omitempty"`        // lb nodes
	// Schema: the node that loads Harbor 1.5's registry.sql (engines galera
	// and mariadb only).
	Schema *Schema `json:"schema,omitempty"`
	// Replication: the primary site's harbor nodes, with two or more sites.
	Replication *Replication `json:"replication,omitempty"`
	// Host is what prepare-host.sh sets up on the node before anything else.
	Host *HostPrep `json:"host"`
}

// RGWUser is the radosgw user a ceph-admin node creates for the registry.
type RGWUser struct {
	UID          string `json:"uid"`
	Driver       string `json:"driver"` // swift | s3
	MaxSizeBytes uint64 `json:"max_size_bytes,omitempty"`
	// S3 only: the registry's bucket, which the script creates because
	// distribution 2.8's s3 driver never does (a push into a missing bucket
	// fails with NoSuchBucket). Its swift driver creates its container.
	Bucket   string `json:"bucket,omitempty"`
	Endpoint string `json:"endpoint,omitempty"` // the S3 endpoint, http(s)://host:port
	Region   string `json:"region,omitempty"`
}

// Service is one container.
type Service struct {
	Name      string `json:"name"`      // the compose service
	Container string `json:"container"` // its container_name (ContainerName)
	Image     string `json:"image"`
}

// Port is one listener of a node.
type Port struct {
	Port  int    `json:"port"`
	Owner string `json:"owner"`
}

// Endpoints are where a harbor node's components find the backing tiers.
type Endpoints struct {
	Database Endpoint      `json:"database"`
	Redis    RedisEndpoint `json:"redis"`
	Storage  Storage       `json:"storage"`
}

// Endpoint is a host and port.
type Endpoint struct {
	Host string `json:"host"`
	Port int    `json:"port"`
	Via  string `json:"via"` // how it was chosen, for the runbook and reviewers
}

func (e Endpoint) String() string { return net.JoinHostPort(e.Host, strconv.Itoa(e.Port)) }

// RedisEndpoint is Harbor's Redis: one address, or Sentinels and a master set.
type RedisEndpoint struct {
	Mode      string   `json:"mode"` // standalone | sentinel | cluster
	Addrs     []string `json:"addrs"`
	MasterSet string   `json:"master_set,omitempty"`
	User      string   `json:"user,omitempty"` // external: the ACL user, if any
	Via       string   `json:"via"`
}

// Storage is the registry's storage for a node's scope, secret-free.
type Storage struct {
	Driver    string `json:"driver"`
	Location  string `json:"location"`             // for people: URL and bucket, or path
	URL       string `json:"url,omitempty"`        // swift auth URL or S3 endpoint
	Bucket    string `json:"bucket,omitempty"`     // S3 bucket or Swift container
	Region    string `json:"region,omitempty"`     //
	SwiftUser string `json:"swift_user,omitempty"` // <uid>:swift
	Path      string `json:"path,omitempty"`       // filesystem: the shared mount on the host
	// RedirectDisable: the registry serves blobs itself rather than
	// redirecting clients to the storage (storage.redirect_disable).
	RedirectDisable bool `json:"redirect_disable"`
}

// Step is one runbook step, in order: what to do on which node, the command
// that does it (run in the node's directory), the command that checks it, and
// what that check prints when the step worked (every Expect string is in its
// output).
type Step struct {
	Node    string   `json:"node"`
	Action  string   `json:"action"`
	Command string   `json:"command"`
	Check   string   `json:"check,omitempty"`
	Expect  []string `json:"expect,omitempty"`
}

// Build derives the plan of a valid spec.
func Build(s *spec.Spec) (*Plan, error) {
	prof := profile.ForVersion(s.Harbor.Version)
	if prof == nil {
		return nil, fmt.Errorf("plan: Harbor %s has no profile (validate first)", s.Harbor.Version)
	}
	img, err := imageRefs(s, prof)
	if err != nil {
		return nil, err
	}
	p := &Plan{Cluster: s.Cluster.Name, Hostname: s.Cluster.Hostname, HarborVersion: s.Harbor.Version, Profile: prof.Name,
		ScannerPrefix: fmt.Sprintf("%x", sha256.Sum256([]byte("harborgen scanner "+s.Cluster.Name)))[:8]}
	listens := map[string][]Port{}
	for _, l := range Listeners(s) {
		listens[l.Addr] = append(listens[l.Addr], Port{Port: l.Port, Owner: l.Owner})
	}
	for _, sc := range s.Scopes() {
		for _, n := range sc.Nodes {
			node := Node{Name: n.Name, Address: n.Address, Site: n.Site, Roles: n.Roles,
				Services: services(s, img, &sc, n), Listens: listens[n.Address]}
			if n.HasRole(spec.RoleCephAdmin) {
				node.RGW = rgwUser(&sc.Storage)
			}
			node.Galera = galeraMember(s, n)
			node.Patroni, node.Etcd = patroniMember(s, prof, n), etcdMember(s, n)
			node.Redis = redisServer(s, prof, &sc, n)
			node.Sentinel = sentinel(prof, &sc, n)
			node.LB = balancer(s, &sc, n)
			if n.HasRole(spec.RoleHarbor) {
				node.Endpoints = &Endpoints{Database: database(s, &sc), Redis: redis(s, &sc), Storage: storage(&sc)}
				h, err := harbor(s, prof, node.Endpoints)
				if err != nil {
					return nil, err
				}
				node.Harbor = h
				node.Harbor.TrustCA, node.Harbor.Proxy = trustCA(s, prof), proxy(s, prof)
				node.Replication = replication(s, prof, &sc, n)
				node.Schema = schema(s, n, &node.Endpoints.Database)
			} else {
				node.Schema = schema(s, n, nil)
			}
			p.Nodes = append(p.Nodes, node)
		}
	}
	// Nodes outside every site (a shared database host, say) come last.
	if len(s.Sites) > 0 {
		for _, n := range s.Nodes {
			if n.Site == "" {
				p.Nodes = append(p.Nodes, Node{Name: n.Name, Address: n.Address, Roles: n.Roles,
					Services: services(s, img, &spec.Scope{}, n), Listens: listens[n.Address],
					Galera: galeraMember(s, n), Patroni: patroniMember(s, prof, n), Etcd: etcdMember(s, n), Schema: schema(s, n, nil)})
			}
		}
	}
	for i := range p.Nodes {
		p.Nodes[i].Host = hostPrep(s.Cluster.Name, prof, &p.Nodes[i])
	}
	p.Steps = append(hostSteps(p.Nodes), steps(s, prof)...)
	p.Steps = append(p.Steps, replicationSteps(p.Nodes)...)
	for _, site := range s.Sites {
		p.Sites = append(p.Sites, Site{Name: site.Name, Primary: site.Primary, VIP: site.VIP})
	}
	p.Prerequisites = Prerequisites{TLS: tlsFiles(s), ExternalDatabase: externalDatabase(s)}
	p.Entry = entry(s, prof)
	return p, nil
}

func tlsFiles(s *spec.Spec) *TLSFiles {
	role := map[string]string{"lb": spec.RoleLB, "node": spec.RoleHarbor}[s.TLS.Mode]
	if role == "" {
		return nil
	}
	t := &TLSFiles{Mode: s.TLS.Mode, CertFile: s.TLS.CertFile, KeyFile: s.TLS.KeyFile}
	for _, n := range s.NodesWithRole(role) {
		t.Nodes = append(t.Nodes, n.Name)
	}
	return t
}

func externalDatabase(s *spec.Spec) *ExternalDatabase {
	db := &s.Database
	if db.External == nil || db.Engine == "galera" {
		return nil
	}
	host, port := splitHostPort(db.External.Host, db.Port)
	return &ExternalDatabase{Engine: db.Engine, Host: host, Port: port, Name: db.Name, User: db.User}
}

func entry(s *spec.Spec, prof *profile.Profile) Entry {
	e := Entry{Host: s.Cluster.Hostname, Port: s.LB.HTTPPort, PingPath: prof.PingPath, APIBase: "/api", PingSays: "harbor_version"}
	if strings.HasPrefix(prof.PingPath, "/api/v2.0/") {
		e.APIBase, e.PingSays = "/api/v2.0", "Pong"
	}
	scheme, def := "http", 80
	if s.TLS.Mode != "none" {
		scheme, def, e.Port = "https", 443, s.LB.HTTPSPort
	}
	scopes := s.Scopes()
	sc := &scopes[0]
	for i := range scopes {
		for _, site := range s.Sites {
			if site.Primary && site.Name == scopes[i].Site {
				sc = &scopes[i]
			}
		}
	}
	if e.Address = lbAddress(s, sc); e.Address == "" {
		if h := sc.WithRole(spec.RoleHarbor); len(h) > 0 { // no balancer: the first harbor node
			e.Address, e.Port = h[0].Address, s.Harbor.HTTPPort
			if scheme == "https" {
				e.Port = s.Harbor.HTTPSPort
			}
		}
	}
	e.URL = scheme + "://" + e.Host
	if e.Port != def {
		e.URL += ":" + strconv.Itoa(e.Port)
	}
	return e
}

func services(s *spec.Spec, img *images, sc *spec.Scope, n spec.Node) []Service {
	var out []Service
	if n.HasRole(spec.RoleGalera) {
		out = append(out, Service{Name: "galera", Image: img.tier["galera"]},
			Service{Name: "galera-health", Image: img.tier["galera"]})
	}
	if etcdMember(s, n) != nil {
		out = append(out, Service{Name: "etcd", Image: img.tier["etcd"]})
	}
	if n.HasRole(spec.RolePostgres) && s.Database.Engine == "patroni" {
		// patroni/Dockerfile builds on this image.
		out = append(out, Service{Name: "patroni", Image: img.postgres})
	}
	if n.HasRole(spec.RoleRedis) {
		switch sc.Redis.Mode {
		case "standalone", "sentinel":
			out = append(out, Service{Name: "redis", Image: img.tier["redis"]})
		case "cluster":
			for _, port := range sc.Redis.Ports {
				out = append(out, Service{Name: fmt.Sprintf("redis-%d", port), Image: img.tier["redis"]})
			}
		}
	}
	if n.HasRole(spec.RoleSentinel) && sc.Redis.Mode == "sentinel" {
		out = append(out, Service{Name: "sentinel", Image: img.tier["redis"]})
	}
	if n.HasRole(spec.RoleHarbor) {
		for _, c := range img.harbor {
			if c.Optional == "trivy" && !s.Harbor.TrivyEnabled() || c.Optional == "metric" && !s.Harbor.Metric.Enabled {
				continue
			}
			out = append(out, Service{Name: c.Name, Image: c.ImageRef(img.harborRegistry, s.Harbor.Version)})
		}
	}
	if n.HasRole(spec.RoleLB) {
		out = append(out, Service{Name: s.LB.Kind, Image: img.tier[s.LB.Kind]})
	}
	for i := range out {
		out[i].Container = ContainerName(s.Cluster.Name, out[i].Name)
	}
	return out
}

// database is where Harbor connects: the VIP when the load balancer proxies
// the database, else the external host or the Galera bootstrap member.
func database(s *spec.Spec, sc *spec.Scope) Endpoint {
	db := &s.Database
	vip := lbAddress(s, sc)
	switch {
	case s.LB.ProxyDatabase && vip != "":
		return Endpoint{Host: vip, Port: db.Port, Via: "the load balancer (lb.proxy_database)"}
	case db.External != nil && db.Engine != "galera":
		host, port := splitHostPort(db.External.Host, db.Port)
		return Endpoint{Host: host, Port: port, Via: "database.external.host"}
	case db.Galera != nil:
		for _, n := range s.NodesWithRole(spec.RoleGalera) {
			if n.Name == db.Galera.BootstrapNode {
				return Endpoint{Host: n.Address, Port: db.Port, Via: "the Galera bootstrap member (no database proxy)"}
			}
		}
	}
	return Endpoint{}
}

func redis(s *spec.Spec, sc *spec.Scope) RedisEndpoint {
	r := &sc.Redis
	vip := lbAddress(s, sc)
	first := 0
	if len(r.Ports) > 0 {
		first = r.Ports[0]
	}
	switch r.Mode {
	case "external":
		ext := RedisEndpoint{Mode: "standalone", Via: sc.RedisPath + ".external.host"}
		if r.External != nil {
			ext.User = r.External.Username
			for _, hp := range strings.Split(r.External.Host, ",") {
				ext.Addrs = append(ext.Addrs, strings.TrimSpace(hp)) // validate allows "h1:p1, h2:p2"
			}
			if len(ext.Addrs) > 1 {
				ext.Mode, ext.MasterSet = "sentinel", r.MasterSet
			}
		}
		return ext
	case "sentinel":
		out := RedisEndpoint{Mode: "sentinel", MasterSet: r.MasterSet, Via: "the scope's sentinels"}
		for _, n := range sc.WithRole(spec.RoleSentinel) {
			out.Addrs = append(out.Addrs, net.JoinHostPort(n.Address, strconv.Itoa(r.SentinelPort)))
		}
		return out
	case "standalone", "cluster":
		if s.LB.ProxyRedis && vip != "" {
			return RedisEndpoint{Mode: r.Mode, Addrs: []string{net.JoinHostPort(vip, strconv.Itoa(first))}, Via: "the load balancer (lb.proxy_redis)"}
		}
		out := RedisEndpoint{Mode: r.Mode, Via: "the scope's redis nodes"}
		for _, n := range sc.WithRole(spec.RoleRedis) {
			out.Addrs = append(out.Addrs, net.JoinHostPort(n.Address, strconv.Itoa(first)))
			if r.Mode == "standalone" {
				break
			}
		}
		return out
	}
	return RedisEndpoint{}
}

func storage(sc *spec.Scope) Storage {
	out := storageDriver(&sc.Storage)
	out.RedirectDisable = sc.Storage.RedirectDisabled()
	return out
}

func storageDriver(st *spec.Storage) Storage {
	switch {
	case st.Driver == "swift" && st.Swift != nil:
		sw := st.Swift
		return Storage{Driver: "swift", Location: sw.AuthURL + " container " + sw.Container,
			URL: sw.AuthURL, Bucket: sw.Container, Region: sw.Region, SwiftUser: sw.UID + ":swift"}
	case st.Driver == "s3" && st.S3 != nil:
		s3 := st.S3
		return Storage{Driver: "s3", Location: s3.Endpoint + " bucket " + s3.Bucket, URL: s3.Endpoint, Bucket: s3.Bucket, Region: s3.Region}
	case st.Driver == "filesystem" && st.Filesystem != nil:
		return Storage{Driver: "filesystem", Location: st.Filesystem.Path, Path: st.Filesystem.Path}
	}
	return Storage{Driver: st.Driver}
}

// lbAddress is where a scope's load balancer listens for its clients: the
// VIP, or the address of its only lb node.
func lbAddress(s *spec.Spec, sc *spec.Scope) string {
	if sc.VIP != "" {
		return sc.VIP
	}
	if lbs := sc.WithRole(spec.RoleLB); len(lbs) == 1 {
		return lbs[0].Address
	}
	return ""
}

func splitHostPort(hostport string, def int) (string, int) {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return hostport, def
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		return host, def
	}
	return host, n
}

// steps is the order of operations of the runbook: storage user, database,
// Redis, Harbor, then the load balancers.
func steps(s *spec.Spec, prof *profile.Profile) []Step {
	var out []Step
	for _, sc := range s.Scopes() {
		for _, n := range sc.WithRole(spec.RoleCephAdmin) {
			if u := rgwUser(&sc.Storage); u != nil {
				action := "create or complete the radosgw user (idempotent)"
				if u.Bucket != "" {
					action = "create or complete the radosgw user and the registry's S3 bucket " + u.Bucket + " (idempotent)"
				}
				out = append(out, Step{Node: n.Name, Action: action,
					Command: "bash rgw-user.sh", Check: "bash rgw-user.sh", Expect: []string{"is ready"}})
			}
		}
	}
	out = append(out, galeraSteps(s)...)
	out = append(out, patroniSteps(s, prof)...)
	out = append(out, mariadbSchemaSteps(s)...)
	for _, sc := range s.Scopes() {
		out = append(out, redisSteps(&sc)...)
	}
	// Harbor's core exits when it cannot reach its database: with a Patroni
	// cluster, which Harbor reaches only through the load balancer, the
	// balancers start first.
	lbFirst := s.Database.Engine == "patroni"
	if lbFirst {
		out = append(out, lbSteps(s, true)...)
	}
	for _, sc := range s.Scopes() {
		for _, n := range sc.WithRole(spec.RoleHarbor) {
			check, expect := pingCheck("http://"+net.JoinHostPort(n.Address, strconv.Itoa(s.Harbor.HTTPPort)), prof)
			out = append(out, Step{Node: n.Name, Action: "start Harbor (and every other service of the node)",
				Command: "docker compose up -d", Check: check, Expect: []string{expect}})
		}
	}
	if !lbFirst {
		out = append(out, lbSteps(s, false)...)
	}
	return out
}

// lbSteps start the load balancers. Their check is the portal through the
// balancer (200), or with TLS the redirect to HTTPS (308), which needs no
// Harbor; before Harbor runs without TLS, it is the database proxy's port.
func lbSteps(s *spec.Spec, beforeHarbor bool) []Step {
	var out []Step
	for _, sc := range s.Scopes() {
		for _, n := range sc.WithRole(spec.RoleLB) {
			// -f: an HTTP error (a 502 while Harbor starts) fails the check, not only its
			// output, so that a check that looks at the exit code alone (Ansible's) waits too.
			check := fmt.Sprintf("curl -fsS -o /dev/null -w '%%{http_code}\\n' http://%s/", net.JoinHostPort(n.Address, strconv.Itoa(s.LB.HTTPPort)))
			expect := "200" // the portal
			action := "start the load balancer"
			if beforeHarbor {
				action += " (before Harbor, which reaches its database through it)"
			}
			switch {
			case s.TLS.Mode != "none":
				expect = "308" // plain HTTP redirects to HTTPS
			case beforeHarbor:
				check = fmt.Sprintf("bash -c 'exec 3<>/dev/tcp/%s/%d' && echo the database proxy is listening", n.Address, s.Database.Port)
				expect = "the database proxy is listening"
			}
			out = append(out, Step{Node: n.Name, Action: action, Command: "docker compose up -d", Check: check, Expect: []string{expect}})
		}
	}
	return out
}

func galeraSteps(s *spec.Spec) []Step {
	g := s.Database.Galera
	if g == nil || s.Database.Engine != "galera" {
		return nil
	}
	health := func(n spec.Node) string {
		return fmt.Sprintf("curl -fsS http://%s/", net.JoinHostPort(n.Address, strconv.Itoa(GaleraCheckPort)))
	}
	synced := func(n spec.Node) []string { return []string{"Galera member " + n.Name + " is Synced and Primary"} }
	build := ""
	if g.SSTMethod == "rsync" {
		build = "; docker compose first builds the galera image (galera/Dockerfile: the pinned image plus rsync, from the Ubuntu archive)"
	}
	var boot spec.Node
	var out []Step
	for _, n := range s.NodesWithRole(spec.RoleGalera) {
		if n.Name == g.BootstrapNode {
			boot = n
			out = append(out, Step{Node: n.Name, Action: "bootstrap the Galera cluster (refuses when one is running)" + build,
				Command: "./galera-bootstrap.sh", Check: health(n), Expect: synced(n)})
		}
	}
	for _, n := range s.NodesWithRole(spec.RoleGalera) {
		if n.Name != g.BootstrapNode {
			out = append(out, Step{Node: n.Name, Action: "join the Galera cluster" + build, Command: "./galera-join.sh", Check: health(n), Expect: synced(n)})
		}
	}
	return append(out,
		Step{Node: boot.Name, Action: "restart the bootstrap member as an ordinary member (never leave --wsrep-new-cluster on)",
			Command: "docker compose up -d galera", Check: health(boot), Expect: synced(boot)},
		Step{Node: boot.Name, Action: "create Harbor's database, user and grants (idempotent)",
			Command: "./galera-init-db.sh"},
		schemaStep(boot.Name))
}

// schemaStep loads Harbor 1.5's registry.sql once (engines galera and
// mariadb are Harbor 1.5 only).
func schemaStep(node string) Step {
	return Step{Node: node, Action: "load Harbor 1.5's schema, ha/registry.sql of the offline bundle (only when absent)",
		Command: SchemaScript, Check: SchemaScript, Expect: []string{"the schema is already in", "nothing loaded"}}
}

// mariadbSchemaSteps: with an external MariaDB, the first harbor node loads
// the schema, after the operator created the database and Harbor's user.
func mariadbSchemaSteps(s *spec.Spec) []Step {
	if s.Database.Engine != "mariadb" {
		return nil
	}
	if harbors := s.NodesWithRole(spec.RoleHarbor); len(harbors) > 0 {
		return []Step{schemaStep(harbors[0].Name)}
	}
	return nil
}

func redisSteps(sc *spec.Scope) []Step {
	r := &sc.Redis
	nodes := sc.WithRole(spec.RoleRedis)
	var out []Step
	switch r.Mode {
	case "standalone", "sentinel":
		for _, n := range nodes {
			out = append(out, Step{Node: n.Name, Action: "start Redis", Command: "docker compose up -d redis"})
			if r.Mode == "standalone" {
				break
			}
		}
	case "cluster":
		for _, n := range nodes {
			names := make([]string, 0, len(r.Ports))
			for _, p := range r.Ports {
				names = append(names, fmt.Sprintf("redis-%d", p))
			}
			out = append(out, Step{Node: n.Name, Action: "start the Redis Cluster instances", Command: "docker compose up -d " + strings.Join(names, " ")})
		}
		if len(nodes) > 0 {
			out = append(out, Step{Node: nodes[0].Name, Action: "create the Redis Cluster (a no-op when it exists)", Command: "./redis-cluster-create.sh"})
		}
	}
	if r.Mode == "sentinel" {
		for _, n := range sc.WithRole(spec.RoleSentinel) {
			out = append(out, Step{Node: n.Name, Action: "start Redis Sentinel", Command: "docker compose up -d sentinel",
				Check:  fmt.Sprintf("redis-cli -h %s -p %d sentinel get-master-addr-by-name %s", n.Address, r.SentinelPort, r.MasterSet),
				Expect: sentinelMaster(nodes, r.Ports)})
		}
	}
	return out
}

// pingCheck is the command that checks a Harbor at base answers, and what it
// prints then: Harbor 2's ping says Pong; Harbor 1.5 has none, so the check
// prints the HTTP status of its systeminfo, and fails (-f) on an HTTP error.
func pingCheck(base string, prof *profile.Profile) (check, expect string) {
	if strings.HasSuffix(prof.PingPath, "/ping") {
		return "curl -fsS " + base + prof.PingPath, "Pong"
	}
	return "curl -fsS -o /dev/null -w '%{http_code}\\n' " + base + prof.PingPath, "200"
}

// sentinelMaster is what the sentinels name as master at first: the scope's
// first redis node (redis-cli prints its address, then its port).
func sentinelMaster(nodes []spec.Node, ports []int) []string {
	if len(nodes) == 0 || len(ports) == 0 {
		return nil
	}
	return []string{nodes[0].Address, strconv.Itoa(ports[0])}
}

func rgwUser(st *spec.Storage) *RGWUser {
	if st.RGW == nil {
		return nil
	}
	u := &RGWUser{Driver: st.Driver}
	switch {
	case st.Driver == "swift" && st.Swift != nil:
		u.UID = st.Swift.UID
	case st.Driver == "s3" && st.S3 != nil:
		u.UID = st.S3.UID
		u.Bucket, u.Endpoint, u.Region = st.S3.Bucket, strings.TrimSuffix(st.S3.Endpoint, "/"), st.S3.Region
	default:
		return nil
	}
	if st.RGW.MaxSize != "" {
		u.MaxSizeBytes, _ = spec.ParseSize(st.RGW.MaxSize) // validated
	}
	return u
}
