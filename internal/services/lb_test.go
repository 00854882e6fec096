package services

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/harborgen/harborgen/internal/plan"
)

// lbSpecs are the suite's extra load-balancer specs: the variants the
// default specs do not render (TLS pass-through, TCP proxies of an external
// database and of Redis, no stickiness, HAProxy's Redis role check).
var lbSpecs = []string{
	"testdata/lb-haproxy-tls-node.toml",
	"testdata/lb-nginx-tls-node.toml",
	"testdata/lb-haproxy-galera.toml",
	drSpec, // two sites: GET/HEAD to both sites' harbor nodes
}

// allClusters renders every spec of the suite and the lb specs.
func allClusters(t *testing.T) []*Cluster {
	t.Helper()
	var out []*Cluster
	for _, s := range append(slices.Clone(specs()), lbSpecs...) {
		out = append(out, rendered(t, s))
	}
	return out
}

// renderedFiles lists the rendered files named name under every node.
func renderedFiles(t *testing.T, c *Cluster, name string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(filepath.Join(c.Out, "nodes"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == name {
			out = append(out, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// selfSigned writes a throwaway certificate and key for registry.example.com.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "registry.example.com"},
		DNSNames: []string{"registry.example.com"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "registry.crt"), filepath.Join(dir, "registry.key")
	writeFile(t, certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	writeFile(t, keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
	return certFile, keyFile
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// nginxTestAddr is where a Harbor node's own nginx listens during `nginx -t`
// (which binds): inside its container it listens on every address, which
// the suite must never bind.
const nginxTestAddr = "127.0.0.250"

var (
	nginxPidRe     = regexp.MustCompile(`(?m)^(\s*pid\s+)\S+;`)
	nginxLogRe     = regexp.MustCompile(`(?m)^(\s*(?:error|access)_log\s+)(/[^\s;]+)`)
	nginxTempRe    = regexp.MustCompile(`(?m)^(\s*(\w+)_temp_path\s+)\S+;`)
	nginxCertRe    = regexp.MustCompile(`(?m)^(\s*ssl_certificate\s+)\S+;`)
	nginxKeyRe     = regexp.MustCompile(`(?m)^(\s*ssl_certificate_key\s+)\S+;`)
	nginxServerRe  = regexp.MustCompile(`(?m)^(\s*server\s+)([a-z][a-z0-9-]*)(:\d+)`)
	nginxAnyPortRe = regexp.MustCompile(`(?m)^(\s*listen\s+)(\d+)([\s;])`)
)

// nginxOverride writes a copy of a rendered nginx configuration that this
// machine's Debian nginx can load and run as a test, and returns it with
// the extra -g directives. The overrides, and only these:
//   - pid, log and temp paths go to dir (the container's paths are not ours);
//   - ssl_certificate(_key) are the test's throwaway pair;
//   - load_module for stream{} (built into the official image, a module in
//     Debian's package);
//   - upstream servers named by container DNS (core, portal, registry, ui)
//     resolve to 127.0.0.1 (nginx resolves them at load);
//   - a listen with no address (the Harbor node's own proxy, all addresses
//     inside its container) gets nginxTestAddr: `nginx -t` binds.
func nginxOverride(t *testing.T, conf, dir, cert, key string) (string, []string) {
	t.Helper()
	src, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	s := string(src)
	var global []string
	if nginxPidRe.MatchString(s) {
		s = nginxPidRe.ReplaceAllString(s, "${1}"+filepath.Join(dir, "nginx.pid")+";")
	} else {
		global = append(global, "pid "+filepath.Join(dir, "nginx.pid")+";")
	}
	s = nginxLogRe.ReplaceAllStringFunc(s, func(m string) string {
		sub := nginxLogRe.FindStringSubmatch(m)
		if strings.HasPrefix(sub[2], "/dev/") {
			return m
		}
		return sub[1] + filepath.Join(dir, filepath.Base(sub[2]))
	})
	if !strings.Contains(s, "error_log") {
		global = append(global, "error_log "+filepath.Join(dir, "error.log")+";")
	}
	s = nginxTempRe.ReplaceAllString(s, "${1}"+dir+"/${2}_temp;")
	s = nginxCertRe.ReplaceAllString(s, "${1}"+cert+";")
	s = nginxKeyRe.ReplaceAllString(s, "${1}"+key+";")
	s = nginxServerRe.ReplaceAllString(s, "${1}127.0.0.1${3}")
	s = nginxAnyPortRe.ReplaceAllString(s, "${1}"+nginxTestAddr+":${2}${3}")
	if regexp.MustCompile(`(?m)^stream\s*\{`).MatchString(s) {
		s = "load_module /usr/lib/nginx/modules/ngx_stream_module.so;\n" + s
	}
	out := filepath.Join(dir, "nginx.conf")
	writeFile(t, out, []byte(s))
	return out, global
}

// nginxArgs is the command line of nginx on an overridden configuration.
func nginxArgs(conf, dir string, global []string, extra ...string) []string {
	args := []string{"-c", conf, "-p", dir + "/"}
	if g := strings.Join(append(global, extra...), " "); g != "" {
		args = append(args, "-g", g)
	}
	return args
}

// exampleNames are the example specs under examples/.
func exampleNames(t *testing.T) []string {
	t.Helper()
	specs, err := filepath.Glob("../../examples/*/harborgen.toml")
	if err != nil || len(specs) == 0 {
		t.Fatalf("no example specs under examples/: %v", err)
	}
	return specs
}

var (
	examplesOnce sync.Once
	examples     []*Cluster
	examplesErr  error
)

// renderedExamples renders every example under examples/ once per test
// binary. Their addresses are not loopback: nothing may bind or connect to
// them (see loopbackListen), so they skip renderSpec's loopback check.
func renderedExamples(t *testing.T) []*Cluster {
	t.Helper()
	paths := exampleNames(t)
	bin := harborgen(t)
	examplesOnce.Do(func() {
		for _, p := range paths {
			c, err := renderSpec(bin, p, false)
			if err != nil {
				examplesErr = err
				return
			}
			examples = append(examples, c)
		}
	})
	if examplesErr != nil {
		t.Fatal(examplesErr)
	}
	return examples
}

var nginxListenAddrRe = regexp.MustCompile(`(?m)^(\s*listen\s+)([0-9.]+):(\d+)`)

// loopbackListen rewrites a rendered nginx.conf of an example (a test-only
// override, because `nginx -t` binds): every listen address outside
// 127.0.0.0/8 becomes its own address in 127.0.1.0/24, unused by the suite's
// specs, so that two addresses on one port stay two listeners. Nothing else
// changes; upstream addresses are not contacted by `nginx -t`.
func loopbackListen(t *testing.T, conf, dir string) string {
	t.Helper()
	src, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	mapped := map[string]string{}
	s := nginxListenAddrRe.ReplaceAllStringFunc(string(src), func(m string) string {
		sub := nginxListenAddrRe.FindStringSubmatch(m)
		if loopbackOnly(sub[2]) == nil {
			return m
		}
		to, ok := mapped[sub[2]]
		if !ok {
			to = fmt.Sprintf("127.0.1.%d", len(mapped)+1)
			mapped[sub[2]] = to
		}
		return sub[1] + to + ":" + sub[3]
	})
	out := filepath.Join(dir, "example-nginx.conf")
	writeFile(t, out, []byte(s))
	return out
}

// TestNginxConfigs runs `nginx -t` on every nginx configuration the suite
// renders: the load balancers' and the Harbor nodes' own proxy and portal,
// of the suite's specs and of every example under examples/ (listen
// addresses moved to loopback, see loopbackListen).
func TestNginxConfigs(t *testing.T) {
	need(t, "nginx")
	n := 0
	suite := allClusters(t)
	for i, c := range append(suite, renderedExamples(t)...) {
		example := i >= len(suite)
		for _, conf := range renderedFiles(t, c, "nginx.conf") {
			rel, _ := filepath.Rel(c.Out, conf)
			name := filepath.Base(c.Spec)
			if example {
				name = "examples/" + filepath.Base(filepath.Dir(c.Spec))
			}
			t.Run(name+"/"+rel, func(t *testing.T) {
				dir := t.TempDir()
				cert, key := selfSigned(t, dir)
				if example {
					conf = loopbackListen(t, conf, dir)
				}
				file, global := nginxOverride(t, conf, dir, cert, key)
				out, err := exec.Command("nginx", append([]string{"-t"}, nginxArgs(file, dir, global)...)...).CombinedOutput()
				if err != nil {
					t.Fatalf("nginx -t %s: %v\n%s", rel, err, out)
				}
			})
			n++
		}
	}
	if n == 0 {
		t.Fatal("no spec of the suite renders an nginx.conf")
	}
	if !t.Failed() {
		summary(t, "nginx -t %d configs ok", n)
	}
}

// backendStub is one fake harbor node: it answers every request with its
// name and records what the balancer sent.
type backendStub struct {
	name string
	mu   sync.Mutex
	last http.Header
	body int64
}

func (b *backendStub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n, _ := io.Copy(io.Discard, r.Body)
	b.mu.Lock()
	b.last, b.body = r.Header.Clone(), n
	b.mu.Unlock()
	w.Header().Set("X-Backend", b.name)
	fmt.Fprintf(w, "%s %s %d\n", b.name, r.Host, n)
}

// serveStubs starts an HTTP stub on every backend address (loopback only).
func serveStubs(t *testing.T, backends []plan.Backend) map[string]*backendStub {
	t.Helper()
	stubs := map[string]*backendStub{}
	for _, b := range backends {
		ln := listen(t, b)
		stub := &backendStub{name: b.Name}
		srv := &http.Server{Handler: stub, ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		t.Cleanup(func() { _ = srv.Close() })
		stubs[b.Name] = stub
	}
	return stubs
}

// TestNginxRoundRobin starts the real nginx on a rendered load balancer
// configuration in front of stub harbor nodes: registry traffic reaches
// every node, the UI sticks to one, and the proxy passes what a registry
// needs (Host, X-Forwarded-Proto, an unbuffered chunked upload).
func TestNginxRoundRobin(t *testing.T) {
	need(t, "nginx")
	// An HTTP(S) nginx balancer with several harbor nodes (ha-modern).
	proxies := func(n *plan.Node) bool {
		return n.LB != nil && n.LB.Kind == "nginx" && n.LB.TLS != "node" && len(n.LB.Harbor) > 1
	}
	c := clusterWith(t, "nginx lb", proxies)
	node := c.Nodes(proxies)[0]
	lb := node.LB
	stubs := serveStubs(t, lb.Harbor)

	dir := t.TempDir()
	cert, key := selfSigned(t, dir)
	file, global := nginxOverride(t, filepath.Join(c.Node(node.Name), "lb", "nginx.conf"), dir, cert, key)
	start(t, "nginx-"+node.Name, exec.Command("nginx", nginxArgs(file, dir, global, "daemon off;")...))

	scheme, port := "http", lb.HTTPPort
	if lb.TLS == "lb" {
		scheme, port = "https", lb.HTTPSPort
	}
	for _, addr := range lb.Listen {
		waitFor(t, "nginx on "+addr, 10*time.Second, func() error { return dialable(net.JoinHostPort(addr, fmt.Sprint(port))) })
	}
	client := &http.Client{Timeout: 10 * time.Second,
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, // the test's own throwaway certificate
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(method, url string, body io.Reader) (string, *http.Response) {
		t.Helper()
		req, err := http.NewRequest(method, url, body)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = c.Plan.Hostname
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, url, err)
		}
		defer resp.Body.Close()
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			t.Fatal(err)
		}
		return resp.Header.Get("X-Backend"), resp
	}

	if lb.TLS == "lb" {
		_, resp := get("PUT", fmt.Sprintf("http://%s/v2/", net.JoinHostPort(lb.Listen[0], fmt.Sprint(lb.HTTPPort))), nil)
		if resp.StatusCode != http.StatusPermanentRedirect || !strings.HasPrefix(resp.Header.Get("Location"), "https://"+c.Plan.Hostname) {
			t.Errorf("plain HTTP: %s, Location %q; want a 308 to https://%s", resp.Status, resp.Header.Get("Location"), c.Plan.Hostname)
		}
	}

	registry := map[string]int{}
	const requests = 30
	for i := range requests {
		addr := lb.Listen[i%len(lb.Listen)] // the node's address and the VIP
		name, resp := get("GET", fmt.Sprintf("%s://%s/v2/", scheme, net.JoinHostPort(addr, fmt.Sprint(port))), nil)
		if resp.StatusCode != http.StatusOK || name == "" {
			t.Fatalf("GET /v2/ via %s: %s from %q", addr, resp.Status, name)
		}
		registry[name]++
	}
	if len(registry) != len(lb.Harbor) {
		t.Errorf("/v2/ reached %d of %d backends: %v", len(registry), len(lb.Harbor), registry)
	}

	ui := map[string]int{}
	for range 10 {
		name, _ := get("GET", fmt.Sprintf("%s://%s/c/login", scheme, net.JoinHostPort(lb.Listen[0], fmt.Sprint(port))), nil)
		ui[name]++
	}
	if lb.Sticky && len(ui) != 1 {
		t.Errorf("sticky UI: one client reached %v, want one backend", ui)
	}

	// A chunked upload of unknown length, as docker push sends a layer.
	const layer = 3 << 20
	name, resp := get("PATCH", fmt.Sprintf("%s://%s/v2/library/x/blobs/uploads/1", scheme, net.JoinHostPort(lb.Listen[0], fmt.Sprint(port))),
		io.LimitReader(zeros{}, layer))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("chunked PATCH: %s", resp.Status)
	}
	s := stubs[name]
	s.mu.Lock()
	hdr, body := s.last, s.body
	s.mu.Unlock()
	if body != layer {
		t.Errorf("chunked PATCH: backend got %d bytes, want %d", body, layer)
	}
	if got := hdr.Get("X-Forwarded-Proto"); got != scheme {
		t.Errorf("X-Forwarded-Proto %q, want %q", got, scheme)
	}
	if got := hdr.Get("X-Forwarded-For"); got == "" {
		t.Error("no X-Forwarded-For")
	}
	if !t.Failed() {
		summary(t, "nginx round-robin %d/%d backends (%s), UI sticky to %d backend(s), via %s", len(registry), len(lb.Harbor),
			scheme, len(ui), strings.Join(lb.Listen, " and "))
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// haproxyOverride writes a copy of a rendered haproxy.cfg whose TLS
// certificate is the test's throwaway pair (the key beside it as
// registry.pem.key, as docker-compose.yml mounts it), and whose admin socket
// is dir/admin.sock.
func haproxyOverride(t *testing.T, cfg, dir string) string {
	t.Helper()
	src, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cert, key := selfSigned(t, dir)
	pemPath := filepath.Join(dir, "registry.pem")
	if err := os.Rename(cert, pemPath); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(key, pemPath+".key"); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "haproxy.cfg")
	cfgText := strings.ReplaceAll(string(src), "/usr/local/etc/haproxy/tls/registry.pem", pemPath)
	cfgText = strings.ReplaceAll(cfgText, "/run/haproxy-admin/admin.sock", filepath.Join(dir, "admin.sock"))
	writeFile(t, out, []byte(cfgText))
	return out
}

// haproxyEnv is the environment of HAProxy: what secrets/haproxy.env gives
// the container.
func haproxyEnv(t *testing.T, c *Cluster, node string) []string {
	t.Helper()
	env := os.Environ()
	b, err := os.ReadFile(filepath.Join(c.Node(node), "secrets", "haproxy.env"))
	if os.IsNotExist(err) {
		return env
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(k, "#") {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// TestHAProxyConfigs runs `haproxy -c` on every rendered haproxy.cfg.
func TestHAProxyConfigs(t *testing.T) {
	need(t, "haproxy")
	n := 0
	for _, c := range allClusters(t) {
		for _, node := range c.Nodes(func(n *plan.Node) bool { return n.LB != nil && n.LB.Kind == "haproxy" }) {
			t.Run(filepath.Base(c.Spec)+"/"+node.Name, func(t *testing.T) {
				cfg := haproxyOverride(t, filepath.Join(c.Node(node.Name), "lb", "haproxy.cfg"), t.TempDir())
				cmd := exec.Command("haproxy", "-c", "-f", cfg)
				cmd.Env = haproxyEnv(t, c, node.Name)
				out, err := cmd.CombinedOutput()
				if err != nil || strings.Contains(string(out), "WARNING") {
					t.Fatalf("haproxy -c %s: %v\n%s", node.Name, err, out)
				}
			})
			n++
		}
	}
	if n == 0 {
		t.Fatal("no spec of the suite renders a haproxy.cfg")
	}
	if !t.Failed() {
		summary(t, "haproxy -c ok on %d configs", n)
	}
}

// vrrpInterface is a real interface of this machine that keepalived accepts
// (up, not loopback): the spec's interface exists on the lb hosts, not here.
func vrrpInterface(t *testing.T) string {
	t.Helper()
	ifaces, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range ifaces {
		if i.Flags&net.FlagUp != 0 && i.Flags&net.FlagLoopback == 0 {
			return i.Name
		}
	}
	// A machine with only lo (a sealed CI sandbox): a veth pair of our own
	// (the dummy driver is often missing), removed at cleanup. It carries no
	// address and sends nothing.
	const dummy, peer = "hgtest0", "hgtest1"
	ip := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("keepalived -t needs a network interface other than lo; none is up and `ip %s` failed: %v\n%s",
				strings.Join(args, " "), err, out)
		}
	}
	ip("link", "add", dummy, "type", "veth", "peer", "name", peer)
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", dummy).Run() })
	ip("link", "set", peer, "up")
	ip("link", "set", dummy, "up")
	return dummy
}

var (
	keepalivedIfaceRe   = regexp.MustCompile(`(?m)^(\s*interface\s+)\S+`)
	keepalivedDevRe     = regexp.MustCompile(`(\sdev\s+)\S+`)
	keepalivedIncludeRe = regexp.MustCompile(`(?m)^(\s*include\s+)/etc/keepalived/keepalived-auth\.conf\s*$`)
)

// TestKeepalivedConfigs runs `keepalived -t` on every rendered
// keepalived.conf, on a real interface of this machine and with the include
// pointing at the node's rendered secrets/keepalived-auth.conf. keepalived
// only warns about a missing include, so any output fails the test.
func TestKeepalivedConfigs(t *testing.T) {
	need(t, "keepalived")
	iface := vrrpInterface(t)
	n := 0
	for _, c := range allClusters(t) {
		for _, node := range c.Nodes(func(n *plan.Node) bool { return n.LB != nil && n.LB.Keepalived != nil }) {
			t.Run(filepath.Base(c.Spec)+"/"+node.Name, func(t *testing.T) {
				src, err := os.ReadFile(filepath.Join(c.Node(node.Name), "lb", "keepalived.conf"))
				if err != nil {
					t.Fatal(err)
				}
				auth := filepath.Join(c.Node(node.Name), "secrets", "keepalived-auth.conf")
				if _, err := os.Stat(auth); err != nil {
					t.Fatal(err)
				}
				if !keepalivedIncludeRe.Match(src) {
					t.Fatal("keepalived.conf does not include /etc/keepalived/keepalived-auth.conf")
				}
				s := keepalivedIfaceRe.ReplaceAllString(string(src), "${1}"+iface)
				s = keepalivedDevRe.ReplaceAllString(s, "${1}"+iface)
				s = keepalivedIncludeRe.ReplaceAllString(s, "${1}"+auth)
				conf := filepath.Join(t.TempDir(), "keepalived.conf")
				writeFile(t, conf, []byte(s))
				out, err := exec.Command("keepalived", "-t", "-f", conf).CombinedOutput()
				if err != nil || len(strings.TrimSpace(string(out))) > 0 {
					t.Fatalf("keepalived -t %s: %v\n%s", node.Name, err, out)
				}
			})
			n++
		}
	}
	if n == 0 {
		t.Fatal("no spec of the suite renders a keepalived.conf")
	}
	if !t.Failed() {
		summary(t, "keepalived -t ok on %d configs (interface %s)", n, iface)
	}
}

// TestHAProxyLive starts the real HAProxy on a rendered haproxy.cfg in front
// of stub harbor nodes and stub Galera members: registry traffic reaches
// every node, and the database goes to one writer until its sync-state
// check fails, then to a backup.
func TestHAProxyLive(t *testing.T) {
	need(t, "haproxy")
	live := func(n *plan.Node) bool {
		return n.LB != nil && n.LB.Kind == "haproxy" && n.LB.TLS != "node" && n.LB.Database != nil && n.LB.Database.CheckPort > 0
	}
	// Its own addresses: the suite's real Galera owns ha-galera-ceph's.
	c := rendered(t, "testdata/lb-haproxy-galera.toml")
	nodes := c.Nodes(live)
	if len(nodes) == 0 {
		t.Fatal("lb-haproxy-galera.toml renders no HAProxy with a Galera proxy")
	}
	node := nodes[0]
	lb, db := node.LB, node.LB.Database
	serveStubs(t, lb.Harbor)

	// Each Galera member: its sync-state check (200 while synced) and a
	// database port that writes the member's name.
	down := map[string]bool{}
	var mu sync.Mutex
	for _, b := range db.Backends {
		check := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			mu.Lock()
			defer mu.Unlock()
			if down[b.Name] {
				w.WriteHeader(http.StatusServiceUnavailable)
			}
		})}
		ln, err := net.Listen("tcp", net.JoinHostPort(b.Address, fmt.Sprint(db.CheckPort)))
		if err != nil {
			t.Fatal(err)
		}
		go func() { _ = check.Serve(ln) }()
		t.Cleanup(func() { _ = check.Close() })
		dbln, err := net.Listen("tcp", b.HostPort())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = dbln.Close() })
		go func() {
			for {
				conn, err := dbln.Accept()
				if err != nil {
					return
				}
				_, _ = conn.Write([]byte(b.Name + "\n"))
				_ = conn.Close()
			}
		}()
	}

	cfg := haproxyOverride(t, filepath.Join(c.Node(node.Name), "lb", "haproxy.cfg"), t.TempDir())
	cmd := exec.Command("haproxy", "-db", "-f", cfg)
	cmd.Env = haproxyEnv(t, c, node.Name)
	start(t, "haproxy-"+node.Name, cmd)
	port := lb.HTTPPort
	scheme := "http"
	if lb.TLS == "lb" {
		scheme, port = "https", lb.HTTPSPort
	}
	dbAddr := net.JoinHostPort(lb.Listen[len(lb.Listen)-1], fmt.Sprint(db.Port)) // the VIP
	writer := func() (string, error) {
		conn, err := net.DialTimeout("tcp", dbAddr, 2*time.Second)
		if err != nil {
			return "", err
		}
		defer conn.Close()
		_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		b, err := io.ReadAll(conn)
		return strings.TrimSpace(string(b)), err
	}
	waitFor(t, "HAProxy's database writer", 15*time.Second, func() error {
		if w, err := writer(); err != nil || w != db.Backends[0].Name {
			return fmt.Errorf("writer %q: %v", w, err)
		}
		return nil
	})

	client := &http.Client{Timeout: 10 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} // the test's throwaway certificate
	reached := map[string]int{}
	waitFor(t, "every harbor backend through HAProxy", 20*time.Second, func() error {
		resp, err := client.Get(fmt.Sprintf("%s://%s/v2/", scheme, net.JoinHostPort(lb.Listen[0], fmt.Sprint(port))))
		if err != nil {
			return err
		}
		resp.Body.Close()
		reached[resp.Header.Get("X-Backend")]++
		if len(reached) < len(lb.Harbor) {
			return fmt.Errorf("reached %v", reached)
		}
		return nil
	})

	redirect := "-"
	if lb.TLS == "lb" {
		redirect = haproxyRedirect(t, lb)
	}

	mu.Lock()
	down[db.Backends[0].Name] = true // no longer Synced
	mu.Unlock()
	var moved string
	waitFor(t, "the database writer moving to a backup", 20*time.Second, func() error {
		w, err := writer()
		if err != nil || w == db.Backends[0].Name {
			return fmt.Errorf("writer %q: %v", w, err)
		}
		moved = w
		return nil
	})
	summary(t, "haproxy live: /v2/ reached %d/%d backends; database writer %s, then %s when its check failed; HTTP redirects to %s",
		len(reached), len(lb.Harbor), db.Backends[0].Name, moved, redirect)
}

// haproxyRedirect asks the live HAProxy's HTTP port for a path, as a client
// of the public name on that port would, and checks the 308 names the
// balancer's HTTPS port (not the client's HTTP port), keeping path and query.
// It returns the last Location seen.
func haproxyRedirect(t *testing.T, lb *plan.Balancer) string {
	t.Helper()
	const host = "registry.example.com"
	want := "https://" + host
	if lb.HTTPSPort != 443 {
		want += fmt.Sprintf(":%d", lb.HTTPSPort)
	}
	want += "/v2/library/x/manifests/1?n=2"
	client := &http.Client{Timeout: 5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var got string
	for _, hostHeader := range []string{host, net.JoinHostPort(host, fmt.Sprint(lb.HTTPPort))} {
		req, err := http.NewRequest(http.MethodPut, fmt.Sprintf("http://%s/v2/library/x/manifests/1?n=2",
			net.JoinHostPort(lb.Listen[0], fmt.Sprint(lb.HTTPPort))), nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = hostHeader
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		got = resp.Header.Get("Location")
		if resp.StatusCode != http.StatusPermanentRedirect || got != want {
			t.Errorf("Host %s: %d to %q, want 308 to %q", hostHeader, resp.StatusCode, got, want)
		}
	}
	return got
}
