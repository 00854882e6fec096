package services

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/harborgen/harborgen/internal/plan"
)

// drSpec is two-site-dr on loopback: two sites, each with two harbor nodes
// and an lb pair with its own VIP.
const drSpec = "testdata/two-site-dr.toml"

// drMode is how a stub harbor node answers registry requests.
type drMode int

const (
	drUp          drMode = iota // 200, or 404 for a path with /missing/
	drUnavailable               // 503, as a Harbor whose core is down
	drClosed                    // its listener is closed: connection refused
)

// drStub is one fake harbor node of a site: it answers with its name and
// counts the registry requests (/v2/, /service/) it got, per method. Health
// checks (/api/v2.0/ping) answer per mode and are not counted.
type drStub struct {
	b    plan.Backend
	mu   sync.Mutex
	mode drMode
	seen map[string]int // method -> registry requests
	srv  *http.Server
}

func (s *drStub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	s.mu.Lock()
	mode := s.mode
	if strings.HasPrefix(r.URL.Path, "/v2/") || strings.HasPrefix(r.URL.Path, "/service/") {
		s.seen[r.Method]++
	}
	s.mu.Unlock()
	w.Header().Set("X-Backend", s.b.Name)
	switch {
	case mode == drUnavailable:
		w.WriteHeader(http.StatusServiceUnavailable)
	case strings.Contains(r.URL.Path, "/missing/"):
		w.WriteHeader(http.StatusNotFound) // a blob this site's storage does not have
	default:
		fmt.Fprintln(w, s.b.Name)
	}
}

func (s *drStub) set(m drMode) {
	s.mu.Lock()
	s.mode = m
	s.mu.Unlock()
	if m == drClosed {
		_ = s.srv.Close() // the listener too: new connections are refused
	}
}

// count is how many registry requests with one of methods the stub got.
func (s *drStub) count(methods ...string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, m := range methods {
		n += s.seen[m]
	}
	return n
}

// drStubs starts a stub on every harbor node of both sites (loopback only).
func drStubs(t *testing.T, backends []plan.Backend) map[string]*drStub {
	t.Helper()
	out := map[string]*drStub{}
	for _, b := range backends {
		ln := listen(t, b)
		s := &drStub{b: b, seen: map[string]int{}}
		s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = s.srv.Serve(ln) }()
		t.Cleanup(func() { _ = s.srv.Close() })
		out[b.Name] = s
	}
	return out
}

// drLB is one site's balancer under test.
type drLB struct {
	t      *testing.T
	c      *Cluster
	node   *plan.Node
	client *http.Client
	base   string // https://<VIP>:<port>
}

// drBalancer returns the first lb node of a site of c.
func drBalancer(t *testing.T, c *Cluster, site string) *plan.Node {
	t.Helper()
	nodes := c.Nodes(func(n *plan.Node) bool { return n.LB != nil && n.Site == site })
	if len(nodes) == 0 {
		t.Fatalf("%s: no lb node in site %s", c.Spec, site)
	}
	lb := nodes[0].LB
	if len(lb.Remote) == 0 || lb.TLS != "lb" {
		t.Fatalf("%s: %s has no remote harbor nodes or does not end TLS (tls %s)", c.Spec, nodes[0].Name, lb.TLS)
	}
	return nodes[0]
}

func newDRLB(t *testing.T, c *Cluster, node *plan.Node) *drLB {
	lb := node.LB
	base := "https://" + net.JoinHostPort(lb.Listen[len(lb.Listen)-1], fmt.Sprint(lb.HTTPSPort)) // the site's VIP
	for _, addr := range lb.Listen {
		waitFor(t, node.Name+" on "+addr, 10*time.Second, func() error {
			return dialable(net.JoinHostPort(addr, fmt.Sprint(lb.HTTPSPort)))
		})
	}
	return &drLB{t: t, c: c, node: node, base: base, client: &http.Client{Timeout: 20 * time.Second,
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, // the test's throwaway certificate
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// do sends one request through the balancer and returns the status and
// the node that answered.
func (l *drLB) do(method, path string) (int, string) {
	l.t.Helper()
	var body io.Reader
	if method == "PUT" || method == "POST" || method == "PATCH" {
		body = strings.NewReader("layer bytes")
	}
	req, err := http.NewRequest(method, l.base+path, body)
	if err != nil {
		l.t.Fatal(err)
	}
	req.Host = l.c.Plan.Hostname
	resp, err := l.client.Do(req)
	if err != nil {
		l.t.Fatalf("%s %s via %s: %v", method, path, l.node.Name, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("X-Backend")
}

func names(bs []plan.Backend) []string {
	var out []string
	for _, b := range bs {
		out = append(out, b.Name)
	}
	return out
}

// remoteSaw is how many registry requests with one of methods the other
// site's stubs got.
func remoteSaw(stubs map[string]*drStub, remote []plan.Backend, methods ...string) int {
	n := 0
	for _, b := range remote {
		n += stubs[b.Name].count(methods...)
	}
	return n
}

// drScenario runs the two-site checks against one site's balancer, whose
// local harbor nodes go down by down (503 or closed listeners): reads stay
// local while the site is up, a 404 is not retried at the other site, reads
// fail over when the site is down, writes never do.
func drScenario(t *testing.T, l *drLB, stubs map[string]*drStub, downModes ...drMode) (failedOver string) {
	t.Helper()
	lb := l.node.LB
	local, remote := names(lb.Harbor), names(lb.Remote)

	// (1) Both sites up: GET and HEAD stay on this site.
	for i := range 8 {
		method := []string{"GET", "HEAD"}[i%2]
		code, who := l.do(method, "/v2/library/app/manifests/v1")
		if code != http.StatusOK || !slices.Contains(local, who) {
			t.Fatalf("%s with both sites up: %d from %q, want 200 from %v", method, code, who, local)
		}
	}
	if code, who := l.do("PUT", "/v2/library/app/manifests/v1"); code != http.StatusOK || !slices.Contains(local, who) {
		t.Fatalf("PUT with both sites up: %d from %q, want 200 from %v", code, who, local)
	}

	// (4) The limit: a 404 from this site (a blob not replicated yet) is an
	// answer, not a failure; the other site is not asked.
	before := remoteSaw(stubs, lb.Remote, "GET", "HEAD")
	if code, who := l.do("GET", "/v2/library/app/blobs/missing/sha256:00"); code != http.StatusNotFound || !slices.Contains(local, who) {
		t.Fatalf("GET of a blob missing here: %d from %q, want this site's 404", code, who)
	}
	if n := remoteSaw(stubs, lb.Remote, "GET", "HEAD") - before; n != 0 {
		t.Fatalf("a 404 here sent %d GET(s) to the other site (%v)", n, remote)
	}

	for _, mode := range downModes {
		for _, b := range lb.Harbor {
			stubs[b.Name].set(mode)
		}
		what := map[drMode]string{drUnavailable: "answers 503", drClosed: "refuses connections"}[mode]

		// (2) This site is down: reads are served by the other site.
		var who string
		waitFor(t, "a GET served by the other site when this site "+what, 20*time.Second, func() error {
			code, w := l.do("GET", "/v2/library/app/manifests/v1")
			if code != http.StatusOK || !slices.Contains(remote, w) {
				return fmt.Errorf("%d from %q", code, w)
			}
			who = w
			return nil
		})
		if code, w := l.do("HEAD", "/v2/library/app/manifests/v1"); code != http.StatusOK || !slices.Contains(remote, w) {
			t.Fatalf("HEAD when this site %s: %d from %q, want 200 from %v", what, code, w, remote)
		}
		if code, w := l.do("GET", "/service/token?service=harbor-registry"); code != http.StatusOK || !slices.Contains(remote, w) {
			t.Fatalf("GET /service/token when this site %s: %d from %q, want 200 from %v", what, code, w, remote)
		}
		failedOver = who

		// (3) Writes stay here and fail: the other site never sees them.
		for _, method := range []string{"PUT", "POST", "PATCH", "DELETE"} {
			code, w := l.do(method, "/v2/library/app/blobs/uploads/")
			if code < 500 || slices.Contains(remote, w) {
				t.Errorf("%s when this site %s: %d from %q, want a 5xx from this site", method, what, code, w)
			}
			if mode == drClosed && code != http.StatusBadGateway && lb.Kind == "nginx" {
				t.Errorf("%s when this site %s: %d, want 502", method, what, code)
			}
		}
		if n := remoteSaw(stubs, lb.Remote, "PUT", "POST", "PATCH", "DELETE"); n != 0 {
			t.Fatalf("the other site got %d write(s) (%v)", n, remote)
		}
	}
	return failedOver
}

// TestDRTwoSiteNginx starts the real nginx on site idc-a's rendered
// balancer (and idc-b's) of two-site-dr in front of stub harbor nodes of
// both sites.
func TestDRTwoSiteNginx(t *testing.T) {
	need(t, "nginx")
	start0 := time.Now()
	c := rendered(t, drSpec)
	nodeA, nodeB := drBalancer(t, c, "idc-a"), drBalancer(t, c, "idc-b")
	stubs := drStubs(t, append(slices.Clone(nodeA.LB.Harbor), nodeA.LB.Remote...))

	var lbs []*drLB
	for _, node := range []*plan.Node{nodeA, nodeB} {
		dir := t.TempDir()
		cert, key := selfSigned(t, dir)
		file, global := nginxOverride(t, filepath.Join(c.Node(node.Name), "lb", "nginx.conf"), dir, cert, key)
		start(t, "nginx-"+node.Name, exec.Command("nginx", nginxArgs(file, dir, global, "daemon off;")...))
		lbs = append(lbs, newDRLB(t, c, node))
	}

	// idc-b's balancer keeps its reads on idc-b while both sites are up.
	for range 4 {
		if code, who := lbs[1].do("GET", "/v2/"); code != http.StatusOK || !slices.Contains(names(nodeB.LB.Harbor), who) {
			t.Fatalf("GET via %s: %d from %q, want 200 from %v", nodeB.Name, code, who, names(nodeB.LB.Harbor))
		}
	}
	who := drScenario(t, lbs[0], stubs, drUnavailable, drClosed)
	if !t.Failed() {
		summary(t, "two-site-dr (nginx): GET/HEAD stay on %s while it is up, fail over to %s (served by %s) when its nodes answer 503 or refuse; "+
			"PUT/POST/PATCH/DELETE stay local (502, none reached %s); a local 404 is not retried at the other site (%.1fs)",
			nodeA.Site, nodeB.Site, who, nodeB.Site, time.Since(start0).Seconds())
	}
}

// TestDRTwoSiteHAProxy: the same with HAProxy (two-site-dr with lb.kind
// "haproxy"). HAProxy sends to the backups once its checks mark every
// local node down, so the failover waits for the checks (a few seconds).
func TestDRTwoSiteHAProxy(t *testing.T) {
	need(t, "haproxy")
	start0 := time.Now()
	src, err := os.ReadFile(drSpec)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(src), "\nkind = \"nginx\"\n") {
		t.Fatalf("%s: no lb kind = \"nginx\" line to switch", drSpec)
	}
	dir, err := os.MkdirTemp("", "harborgen-dr-haproxy-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	specPath := filepath.Join(dir, "two-site-dr-haproxy.toml")
	writeFile(t, specPath, []byte(strings.Replace(string(src), "\nkind = \"nginx\"\n", "\nkind = \"haproxy\"\n", 1)))
	c := rendered(t, specPath)
	node := drBalancer(t, c, "idc-a")
	stubs := drStubs(t, append(slices.Clone(node.LB.Harbor), node.LB.Remote...))

	cfg := haproxyOverride(t, filepath.Join(c.Node(node.Name), "lb", "haproxy.cfg"), t.TempDir())
	if out, err := exec.Command("haproxy", "-c", "-f", cfg).CombinedOutput(); err != nil || strings.Contains(string(out), "WARNING") {
		t.Fatalf("haproxy -c %s: %v\n%s", node.Name, err, out)
	}
	cmd := exec.Command("haproxy", "-db", "-f", cfg)
	cmd.Env = haproxyEnv(t, c, node.Name)
	start(t, "haproxy-"+node.Name, cmd)
	l := newDRLB(t, c, node)
	who := drScenario(t, l, stubs, drClosed)
	if !t.Failed() {
		summary(t, "two-site-dr (haproxy): GET/HEAD stay on %s while it is up, fail over to the other site (served by %s) once its nodes refuse; "+
			"writes stay local (5xx, none reached the other site); a local 404 is not retried (%.1fs)", node.Site, who, time.Since(start0).Seconds())
	}
}
