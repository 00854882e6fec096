package services

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/harborgen/harborgen/internal/plan"
)

// TestHAProxyDrain: the rendered lb/haproxy-pool.sh (what site.yml runs on
// each lb node around a harbor node's restart) drains a harbor node from a
// real HAProxy started on the rendered haproxy.cfg, through the admin socket
// that haproxy.cfg opens: while drained, no request reaches the node; once
// ready, requests reach it again. Without a running HAProxy it does nothing.
func TestHAProxyDrain(t *testing.T) {
	need(t, "haproxy", "python3")
	start0 := time.Now()
	c := rendered(t, "testdata/lb-haproxy-galera.toml")
	nodes := c.Nodes(func(n *plan.Node) bool { return n.LB != nil && n.LB.Kind == "haproxy" && n.LB.TLS == "lb" })
	if len(nodes) == 0 {
		t.Fatal("lb-haproxy-galera.toml renders no HAProxy ending TLS")
	}
	node := nodes[0]
	lb := node.LB
	if len(lb.Harbor) < 2 {
		t.Fatalf("%s balances %d harbor nodes, want 2 or more", node.Name, len(lb.Harbor))
	}
	serveStubs(t, lb.Harbor)

	dir := t.TempDir()
	cfg := haproxyOverride(t, filepath.Join(c.Node(node.Name), "lb", "haproxy.cfg"), dir)
	socket := filepath.Join(dir, "admin.sock")
	src, err := os.ReadFile(filepath.Join(c.Node(node.Name), "lb", "haproxy-pool.sh"))
	if err != nil {
		t.Fatal(err)
	}
	socketLine := regexp.MustCompile(`(?m)^socket=.*$`)
	if !socketLine.Match(src) {
		t.Fatal("haproxy-pool.sh has no socket= line")
	}
	pool := filepath.Join(dir, "haproxy-pool.sh")
	writeFile(t, pool, socketLine.ReplaceAll(src, []byte("socket="+socket)))
	if err := os.Chmod(pool, 0o755); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(pool, args...)
		cmd.Env = append(os.Environ(), "HARBORGEN_DRAIN_WAIT=5")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("haproxy-pool.sh %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	victim := lb.Harbor[1].Name

	// No HAProxy yet (a first deployment): nothing to drain.
	if out := run("drain", victim); !strings.Contains(out, "nothing to drain") {
		t.Errorf("drain without HAProxy: %q", out)
	}

	cmd := exec.Command("haproxy", "-db", "-f", cfg)
	cmd.Env = haproxyEnv(t, c, node.Name)
	start(t, "haproxy-"+node.Name, cmd)
	client := &http.Client{Timeout: 10 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} // the test's throwaway certificate
	base := fmt.Sprintf("https://%s", net.JoinHostPort(lb.Listen[0], fmt.Sprint(lb.HTTPSPort)))
	// who: the harbor node that served path (no cookie: a new client).
	who := func(path string) (string, error) {
		resp, err := client.Get(base + path)
		if err != nil {
			return "", err
		}
		resp.Body.Close()
		return resp.Header.Get("X-Backend"), nil
	}
	reached := map[string]bool{}
	waitFor(t, "every harbor node through HAProxy", 20*time.Second, func() error {
		if _, err := os.Stat(socket); err != nil {
			return err
		}
		b, err := who("/v2/")
		if err != nil {
			return err
		}
		reached[b] = true
		if len(reached) < len(lb.Harbor) {
			return fmt.Errorf("reached %v", reached)
		}
		return nil
	})

	out := run("drain", victim)
	if !strings.Contains(out, "drained") {
		t.Errorf("drain: %q", out)
	}
	show := run("show", victim)
	for _, backend := range []string{"harbor_ui", "harbor_registry"} {
		if !strings.Contains(show, backend+"/"+victim+": DRAIN") {
			t.Errorf("show after drain: %s/%s is not DRAIN:\n%s", backend, victim, show)
		}
	}
	served := map[string]int{}
	for range 6 * len(lb.Harbor) {
		for _, path := range []string{"/v2/", "/"} {
			b, err := who(path)
			if err != nil {
				t.Fatal(err)
			}
			served[b]++
		}
	}
	if served[victim] > 0 {
		t.Errorf("drained %s still served %d of %d requests: %v", victim, served[victim], 12*len(lb.Harbor), served)
	}

	if out := run("ready", victim); !strings.Contains(out, "ready") {
		t.Errorf("ready: %q", out)
	}
	waitFor(t, victim+" serving again", 20*time.Second, func() error {
		b, err := who("/v2/")
		if err != nil || b != victim {
			return fmt.Errorf("served by %q: %v", b, err)
		}
		return nil
	})
	if !t.Failed() {
		summary(t, "haproxy drain: lb/haproxy-pool.sh drained %s from %s's harbor_ui and harbor_registry over the admin socket "+
			"(%d requests, none to it: %v), then readied it; without HAProxy it does nothing (%.1fs)",
			victim, node.Name, 12*len(lb.Harbor), served, time.Since(start0).Seconds())
	}
}
