package render_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/harborgen/harborgen/internal/plan"
	"github.com/harborgen/harborgen/internal/render"
	"github.com/harborgen/harborgen/internal/spec"
	"github.com/harborgen/harborgen/internal/tree"
)

// lbSecrets are plain secret values: HAProxy's Redis check carries the Redis
// password in an inline command, which refuses spaces and quotes.
var lbSecrets = map[string]string{"keepalived_auth_pass": "kapass01", "redis_password": "redis-pass_01"}

// renderLB renders ha-modern's tree after change edits its load balancer.
func renderLB(t *testing.T, change func(*spec.Spec)) map[string]string {
	t.Helper()
	s, _ := loadPlan(t, "ha-modern")
	change(s)
	p, err := plan.Build(s)
	if err != nil {
		t.Fatal(err)
	}
	values := fakeSecrets(t, s)
	for k, v := range lbSecrets {
		values[k] = v
	}
	tr, err := render.Tree(p, "harborgen.toml", values)
	if err != nil {
		t.Fatal(err)
	}
	return files(tr, "nodes/lb01/")
}

func files(tr *tree.Tree, prefix string) map[string]string {
	out := map[string]string{}
	for _, f := range tr.Files() {
		if rel, ok := strings.CutPrefix(f.Path, prefix); ok {
			out[rel] = string(f.Data)
		}
	}
	return out
}

// TestLBFiles renders the balancer of ha-modern in each variant and checks
// the lines that make the variant: stickiness only for the UI, TLS ending on
// the balancer or passed through, the TCP proxies, keepalived.
func TestLBFiles(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*spec.Spec)
		file   string
		want   []string // regular expressions, each must match
		absent []string
	}{
		{name: "nginx sticky tls lb", change: func(*spec.Spec) {}, file: "lb/nginx.conf",
			want: []string{
				`(?s)upstream harbor_ui \{\s+ip_hash;.*keepalive 32;`,
				`(?s)upstream harbor_registry \{\s+least_conn;`,
				`(?s)location / \{\s+proxy_pass http://harbor_ui;`,
				`(?s)location /v2/ \{\s+proxy_pass http://harbor_registry;`,
				`(?s)location /service/ \{\s+proxy_pass http://harbor_registry;`,
				`listen 127\.0\.0\.31:443 ssl;`, `listen 10\.20\.0\.100:443 ssl;`, `listen 10\.20\.0\.100:80;`,
				`return 308 https://\$host\$request_uri;`,
				`ssl_certificate /etc/nginx/tls/registry\.crt;`,
				`client_max_body_size 0;`, `chunked_transfer_encoding on;`, `proxy_http_version 1\.1;`,
				`proxy_set_header Connection "";`, `proxy_request_buffering off;`, `proxy_buffering off;`,
				`proxy_read_timeout 900s;`, `proxy_send_timeout 900s;`, `proxy_set_header Host \$http_host;`,
				`proxy_set_header X-Forwarded-Proto \$scheme;`, `ip_nonlocal_bind=1`,
			},
			absent: []string{`listen (0\.0\.0\.0:)?\d+[ ;]`, `stream \{`, `/etc/harbor/tls`}},
		{name: "nginx not sticky tls none", change: func(s *spec.Spec) { s.LB.Sticky = false; s.TLS.Mode = "none"; s.LB.ProxyReadTimeout = 300 },
			file:   "lb/nginx.conf",
			want:   []string{`(?s)upstream harbor \{\s+least_conn;`, `proxy_pass http://harbor;`, `listen 127\.0\.0\.31:80;`, `proxy_read_timeout 300s;`},
			absent: []string{`ip_hash`, `ssl`, `:443`, `return 308`}},
		{name: "nginx tls node", change: func(s *spec.Spec) { s.TLS.Mode = "node" }, file: "lb/nginx.conf",
			want: []string{`(?s)stream \{.*upstream harbor_tls \{\s+# [^\n]*\n\s+hash \$remote_addr consistent;\s+server 127\.0\.0\.21:8443 `,
				`(?s)stream \{.*listen 127\.0\.0\.31:443;\s+listen 10\.20\.0\.100:443;\s+proxy_pass harbor_tls;`, `return 308 https://`},
			absent: []string{`ssl_certificate`, `proxy_pass http://`}},
		{name: "nginx database and redis", change: func(s *spec.Spec) { s.LB.ProxyDatabase = true; s.LB.ProxyRedis = true },
			file: "lb/nginx.conf",
			want: []string{`(?s)upstream database \{\s+server 127\.0\.0\.41:5432 `, `listen 127\.0\.0\.31:5432;`,
				`(?s)upstream redis \{\s+server 127\.0\.0\.21:6379 [^\n]*\n\s+server 127\.0\.0\.22:6379 [^\n]* backup;`, `proxy_timeout 1h;`}},
		{name: "haproxy sticky tls lb", change: func(s *spec.Spec) { s.LB.Kind = "haproxy" }, file: "lb/haproxy.cfg",
			want: []string{`bind 127\.0\.0\.31:80\n`, `bind 10\.20\.0\.100:443 ssl crt /usr/local/etc/haproxy/tls/registry\.pem`,
				`http-request redirect scheme https code 308 unless \{ ssl_fc \}`,
				`use_backend harbor_registry if \{ path_beg /v2/ /service/ \}`, `default_backend harbor_ui`,
				`cookie HARBORLB insert indirect nocache httponly secure`, `server harbor01 127\.0\.0\.21:8080 check cookie harbor01`,
				`option httpchk GET /api/v2\.0/ping`, `timeout client 900s`, `timeout server 900s`},
			absent: []string{`bind (0\.0\.0\.0|\*)?:\d+`, `frontend database`, `frontend redis`}},
		{name: "haproxy not sticky tls node", change: func(s *spec.Spec) { s.LB.Kind = "haproxy"; s.LB.Sticky = false; s.TLS.Mode = "node" },
			file: "lb/haproxy.cfg",
			want: []string{`(?s)frontend https\s+mode tcp`, `(?s)backend harbor_tls\s+mode tcp\s+balance leastconn`,
				`server harbor01 127\.0\.0\.21:8443 check check-ssl verify none`},
			absent: []string{`cookie`, `ssl crt`, `backend harbor_ui`}},
		{name: "haproxy redirect off the default ports", change: func(s *spec.Spec) { s.LB.Kind = "haproxy"; s.LB.HTTPPort, s.LB.HTTPSPort = 8080, 8443 },
			file:   "lb/haproxy.cfg",
			want:   []string{`(?m)^    http-request redirect location https://%\[req\.hdr\(host\),regsub\(:\[0-9\]\+\$,\)\]:8443%\[capture\.req\.uri\] code 308 unless \{ ssl_fc \}$`},
			absent: []string{`redirect scheme`}},
		{name: "haproxy redirect off the default http port", change: func(s *spec.Spec) { s.LB.Kind = "haproxy"; s.LB.HTTPPort = 8080 },
			file:   "lb/haproxy.cfg",
			want:   []string{`(?m)^    http-request redirect location https://%\[req\.hdr\(host\),regsub\(:\[0-9\]\+\$,\)\]%\[capture\.req\.uri\] code 308 unless \{ ssl_fc \}$`},
			absent: []string{`redirect scheme`, `:443%`}},
		{name: "haproxy tls node redirect off the default port", change: func(s *spec.Spec) { s.LB.Kind = "haproxy"; s.TLS.Mode = "node"; s.LB.HTTPSPort = 9443 },
			file:   "lb/haproxy.cfg",
			want:   []string{`(?m)^    http-request redirect location https://%\[req\.hdr\(host\),regsub\(:\[0-9\]\+\$,\)\]:9443%\[capture\.req\.uri\] code 308$`},
			absent: []string{`redirect scheme`}},
		{name: "haproxy redis role check", change: func(s *spec.Spec) { s.LB.Kind = "haproxy"; s.LB.ProxyRedis = true; s.LB.ProxyDatabase = true },
			file: "lb/haproxy.cfg",
			want: []string{`tcp-check send "AUTH \$\{REDIS_PASSWORD\}\\r\\n"`, `tcp-check expect string role:master`,
				`server harbor02 127\.0\.0\.22:6379 check backup`, `(?s)frontend database.*bind 127\.0\.0\.31:5432`,
				`server external 127\.0\.0\.41:5432 check`}},
		{name: "nginx body limit", change: func(s *spec.Spec) { s.LB.MaxBodySize = "10G" }, file: "lb/nginx.conf",
			want: []string{`client_max_body_size 10737418240;`}},
		{name: "haproxy body limit", change: func(s *spec.Spec) { s.LB.Kind = "haproxy"; s.LB.MaxBodySize = "1M" }, file: "lb/haproxy.cfg",
			want: []string{`http-request deny deny_status 413 if \{ req\.hdr_val\(content-length\) gt 1048576 \}`}},
		{name: "haproxy no body limit", change: func(s *spec.Spec) { s.LB.Kind = "haproxy" }, file: "lb/haproxy.cfg",
			absent: []string{`deny_status 413`}},
		{name: "haproxy env", change: func(s *spec.Spec) { s.LB.Kind = "haproxy"; s.LB.ProxyRedis = true }, file: "secrets/haproxy.env",
			want: []string{`(?m)^REDIS_PASSWORD=redis-pass_01$`}},
		{name: "keepalived", change: func(*spec.Spec) {}, file: "lb/keepalived.conf",
			want: []string{`state MASTER`, `interface eth0`, `virtual_router_id 51`, `priority 150`, `unicast_src_ip 127\.0\.0\.31`,
				`(?s)unicast_peer \{\s+127\.0\.0\.32\s+\}`, `include /etc/keepalived/keepalived-auth\.conf`,
				`10\.20\.0\.100/32 dev eth0`, `check_balancer`},
			absent: []string{`kapass01`}},
		{name: "keepalived IPv6 VIP", change: func(s *spec.Spec) { s.LB.VIP = "fd00::100" }, file: "lb/keepalived.conf",
			want: []string{`fd00::100/128 dev eth0`}, absent: []string{`/32`}},
		{name: "keepalived auth", change: func(*spec.Spec) {}, file: "secrets/keepalived-auth.conf",
			want: []string{`(?s)authentication \{\s+auth_type PASS\s+auth_pass kapass01\s+\}`}},
		{name: "keepalived check", change: func(*spec.Spec) {}, file: "lb/check-balancer.sh",
			want: []string{`exec 3<>/dev/tcp/127\.0\.0\.31/80`}},
		{name: "compose", change: func(*spec.Spec) {}, file: "docker-compose.yml",
			want: []string{`./lb/nginx.conf:/etc/nginx/nginx.conf:ro`, `source: "/etc/harbor/tls/registry.crt"`},
			// keepalived is the host's package (prepare-host.sh), not a container.
			absent: []string{`keepalived`, `osixia`, `NET_ADMIN`}},
		{name: "prepare-host keepalived", change: func(*spec.Spec) {}, file: "prepare-host.sh",
			want: []string{`(?m)^net\.ipv4\.ip_nonlocal_bind = 1$`, `live_sysctl net\.ipv4\.ip_nonlocal_bind 1 /proc/sys/net/ipv4/ip_nonlocal_bind`,
				`/etc/sysctl\.d/90-harborgen-harbor-modern\.conf`, `apt-get install -y keepalived`, `dnf install -y keepalived`,
				`install_file "\$here"/lb/keepalived\.conf /etc/keepalived/keepalived\.conf 0644`,
				`install_file "\$here"/lb/check-balancer\.sh /etc/keepalived/check-balancer\.sh 0755`,
				`install_file "\$here"/secrets/keepalived-auth\.conf /etc/keepalived/keepalived-auth\.conf 0600`,
				`systemctl reload keepalived`, `(?m)^file=/etc/harbor/tls/registry\.key$`},
			absent: []string{`ipv6`, `kapass01`}},
		{name: "prepare-host IPv6 VIP", change: func(s *spec.Spec) { s.LB.VIP = "fd00::100" }, file: "prepare-host.sh",
			want:   []string{`(?m)^net\.ipv6\.ip_nonlocal_bind = 1$`, `/proc/sys/net/ipv6/ip_nonlocal_bind`},
			absent: []string{`ipv4`}},
		{name: "prepare-host no VIP", change: func(s *spec.Spec) { s.LB.VIP = ""; s.Nodes = s.Nodes[:4] }, file: "prepare-host.sh",
			absent: []string{`nonlocal`, `apt-get`, `install_file`, `/etc/keepalived`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := renderLB(t, func(s *spec.Spec) {
				// The example's addresses, with the balancer on loopback
				// so that a regexp names one node without ambiguity.
				s.Nodes[3].Address = "127.0.0.31"
				s.Nodes[4].Address = "127.0.0.32"
				for i := range 3 {
					s.Nodes[i].Address = "127.0.0.2" + string(rune('1'+i))
				}
				s.Database.External.Host = "127.0.0.41"
				s.LB.VIP = "10.20.0.100"
				tc.change(s)
			})[tc.file]
			if !ok {
				t.Fatalf("%s is not rendered", tc.file)
			}
			matches(t, tc.file, got, tc.want, tc.absent)
		})
	}
}

// matches fails the test unless content matches every regexp of want and
// none of absent.
func matches(t *testing.T, name, content string, want, absent []string) {
	t.Helper()
	for _, re := range want {
		if !regexp.MustCompile(re).MatchString(content) {
			t.Errorf("%s does not match %s:\n%s", name, re, content)
		}
	}
	for _, re := range absent {
		if regexp.MustCompile(re).MatchString(content) {
			t.Errorf("%s matches %s", name, re)
		}
	}
}

// TestLBSecretsStayInSecrets: the keepalived and Redis passwords reach only
// files under secrets/.
func TestLBSecretsStayInSecrets(t *testing.T) {
	for name, content := range renderLB(t, func(s *spec.Spec) { s.LB.Kind = "haproxy"; s.LB.ProxyRedis = true }) {
		if strings.HasPrefix(name, "secrets/") {
			continue
		}
		for _, v := range lbSecrets {
			if strings.Contains(content, v) {
				t.Errorf("%s holds a secret", name)
			}
		}
	}
}

// TestLBTwoSites renders each site's balancer of two-site-dr: GET and HEAD
// of the registry go to both sites (this site's nodes first, the other's as
// backups) with retry on failure, every other method to this site only.
// Without sites (ha-modern) none of it is rendered.
func TestLBTwoSites(t *testing.T) {
	renderDR := func(t *testing.T, node string, change func(*spec.Spec)) map[string]string {
		t.Helper()
		s, _ := loadPlan(t, "two-site-dr")
		change(s)
		p, err := plan.Build(s)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := render.Tree(p, "harborgen.toml", fakeSecrets(t, s))
		if err != nil {
			t.Fatal(err)
		}
		return files(tr, "nodes/"+node+"/")
	}
	haproxy := func(s *spec.Spec) { s.LB.Kind = "haproxy" }
	for _, tc := range []struct {
		name   string
		files  func(t *testing.T) map[string]string
		file   string
		want   []string
		absent []string
	}{
		{name: "nginx site a", files: func(t *testing.T) map[string]string { return renderDR(t, "lb-a1", func(*spec.Spec) {}) },
			file: "lb/nginx.conf",
			want: []string{
				`(?s)upstream harbor_read \{\s+least_conn;\s+server 10\.1\.0\.11:8080 [^\n]*fail_timeout=10s; # harbor-a1\s+` +
					`server 10\.1\.0\.12:8080 [^\n]*fail_timeout=10s; # harbor-a2\s+server 10\.2\.0\.11:8080 [^\n]* backup; # harbor-b1\s+` +
					`server 10\.2\.0\.12:8080 [^\n]* backup; # harbor-b2\s+keepalive 32;`,
				`(?s)map \$request_method \$harbor_by_method \{\s+GET harbor_read;\s+HEAD harbor_read;\s+default harbor_registry;\s+\}`,
				`(?s)location /v2/ \{\s+proxy_pass http://\$harbor_by_method;\s+proxy_next_upstream error timeout http_502 http_503 http_504;\s+` +
					`proxy_next_upstream_tries 4;\s+proxy_next_upstream_timeout 60s;`,
				`(?s)location /service/ \{\s+proxy_pass http://\$harbor_by_method;\s+proxy_next_upstream error timeout http_502 http_503 http_504;`,
				`(?s)location / \{\s+proxy_pass http://harbor_ui;`,
			},
			absent: []string{`(?s)upstream harbor_registry \{[^}]*10\.2\.0`, `(?s)upstream harbor_ui \{[^}]*10\.2\.0`, `http_404`}},
		{name: "nginx site b", files: func(t *testing.T) map[string]string { return renderDR(t, "lb-b2", func(*spec.Spec) {}) },
			file: "lb/nginx.conf",
			want: []string{`(?s)upstream harbor_read \{\s+least_conn;\s+server 10\.2\.0\.11:8080 [^\n]*fail_timeout=10s; # harbor-b1\s+` +
				`server 10\.2\.0\.12:8080 [^\n]*fail_timeout=10s; # harbor-b2\s+server 10\.1\.0\.11:8080 [^\n]* backup; # harbor-a1`},
			absent: []string{`(?s)upstream harbor_registry \{[^}]*10\.1\.0`}},
		{name: "nginx not sticky", files: func(t *testing.T) map[string]string {
			return renderDR(t, "lb-a1", func(s *spec.Spec) { s.LB.Sticky = false })
		}, file: "lb/nginx.conf",
			want:   []string{`default harbor;`, `(?s)location / \{\s+proxy_pass http://harbor;`, `proxy_pass http://\$harbor_by_method;`},
			absent: []string{`(?s)upstream harbor \{[^}]*10\.2\.0`}},
		{name: "nginx tls node", files: func(t *testing.T) map[string]string {
			return renderDR(t, "lb-a1", func(s *spec.Spec) { s.TLS.Mode = "node" })
		}, file: "lb/nginx.conf",
			want:   []string{`TLS hides the method: every request stays on this site`},
			absent: []string{`harbor_read`, `(?s)upstream harbor_tls \{[^}]*10\.2\.0`}},
		{name: "haproxy site a", files: func(t *testing.T) map[string]string { return renderDR(t, "lb-a1", haproxy) },
			file: "lb/haproxy.cfg",
			want: []string{
				`(?s)acl read method GET HEAD\s+acl registry path_beg /v2/ /service/\s+use_backend harbor_read if read registry\s+` +
					`use_backend harbor_registry if \{ path_beg /v2/ /service/ \}\s+default_backend harbor_ui`,
				`(?s)backend harbor_read\s+balance leastconn\s+option httpchk GET /api/v2\.0/ping\s+http-check expect status 200\s+` +
					`retry-on conn-failure empty-response response-timeout 502 503 504\s+retries 4\s+option redispatch 1\s+` +
					`server harbor-a1 10\.1\.0\.11:8080 check\s+server harbor-a2 10\.1\.0\.12:8080 check\s+` +
					`server harbor-b1 10\.2\.0\.11:8080 check backup\s+server harbor-b2 10\.2\.0\.12:8080 check backup`,
			},
			absent: []string{`(?s)backend harbor_registry[^#]*10\.2\.0`, `(?s)backend harbor_ui[^#]*10\.2\.0`, `retry-on[^\n]*404`}},
		{name: "without sites nginx", files: func(t *testing.T) map[string]string { return renderLB(t, func(*spec.Spec) {}) },
			file:   "lb/nginx.conf",
			want:   []string{`(?s)location /v2/ \{\s+proxy_pass http://harbor_registry;\s+\}`},
			absent: []string{`harbor_read`, `\$request_method`, `proxy_next_upstream`, ` backup;`}},
		{name: "without sites haproxy", files: func(t *testing.T) map[string]string { return renderLB(t, haproxy) },
			file:   "lb/haproxy.cfg",
			absent: []string{`harbor_read`, `acl read`, `retry-on`, `redispatch`, ` backup`}},
		{name: "runbook sites", files: func(t *testing.T) map[string]string {
			s, _ := loadPlan(t, "two-site-dr")
			p, err := plan.Build(s)
			if err != nil {
				t.Fatal(err)
			}
			tr, err := render.Tree(p, "harborgen.toml", fakeSecrets(t, s))
			if err != nil {
				t.Fatal(err)
			}
			return files(tr, "")
		}, file: "README.md",
			want: []string{`## Sites`, `\| idc-a \| yes \| 10\.1\.0\.100 \|`, `\*\*idc-a\*\* is the primary site`, `never retries a 403 or 404`,
				`"Docker Registry" endpoint`, `replication-setup\.sh`},
			absent: []string{`provider \*Harbor\*`, `robot account of the other site`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := tc.files(t)[tc.file]
			if !ok {
				t.Fatalf("%s is not rendered", tc.file)
			}
			matches(t, tc.file, got, tc.want, tc.absent)
		})
	}
}

// TestRunbookWithoutSites: a cluster without sites gets no Sites section.
func TestRunbookWithoutSites(t *testing.T) {
	s, p := loadPlan(t, "ha-modern")
	tr, err := render.Tree(p, "harborgen.toml", fakeSecrets(t, s))
	if err != nil {
		t.Fatal(err)
	}
	if got := files(tr, "")["README.md"]; strings.Contains(got, "## Sites") || !strings.Contains(got, "\n\n## Re-rendering") {
		t.Errorf("README.md without sites has a Sites section or lost its layout:\n%s", got)
	}
}
