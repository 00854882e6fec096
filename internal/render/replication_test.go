package render_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/harborgen/harborgen/internal/plan"
	"github.com/harborgen/harborgen/internal/spec"
	"github.com/harborgen/harborgen/internal/tree"
)

// apiCall is one request the stub Harbor received.
type apiCall struct {
	Method, Path string
	Body         map[string]any
}

// stubHarbor answers the part of Harbor v2.15.2's API (api/v2.0/swagger.yaml)
// that replication-setup.sh uses, keeps the endpoints and rules it is given,
// and records every call. It refuses a request without the admin login.
type stubHarbor struct {
	t        *testing.T
	login    string // "admin:password"
	mu       sync.Mutex
	calls    []apiCall
	registry []map[string]any
	policy   []map[string]any
	nextID   int
}

func (h *stubHarbor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	user, pass, ok := r.BasicAuth()
	if !ok || user+":"+pass != h.login {
		http.Error(w, `{"errors":[{"code":"UNAUTHORIZED"}]}`, http.StatusUnauthorized)
		return
	}
	call := apiCall{Method: r.Method, Path: r.URL.Path}
	if r.Method != http.MethodGet {
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &call.Body); err != nil {
			h.t.Errorf("%s %s: the body is not a JSON object: %v\n%s", r.Method, r.URL.Path, err, b)
		}
		if r.Header.Get("Content-Type") != "application/json" {
			h.t.Errorf("%s %s: Content-Type %q", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
		}
	}
	h.calls = append(h.calls, call)
	list := map[string]*[]map[string]any{"registries": &h.registry, "replication/policies": &h.policy}
	rest, _ := strings.CutPrefix(r.URL.Path, "/api/v2.0/")
	switch {
	case r.Method == http.MethodGet && list[rest] != nil:
		name, ok := strings.CutPrefix(r.URL.Query().Get("q"), "name=")
		if !ok {
			h.t.Errorf("GET %s: q=%q is not an exact name query", r.URL.Path, r.URL.Query().Get("q"))
		}
		found := []map[string]any{}
		for _, item := range *list[rest] {
			if item["name"] == name {
				found = append(found, item)
			}
		}
		json.NewEncoder(w).Encode(found)
	case r.Method == http.MethodPost && list[rest] != nil:
		h.nextID++
		item := map[string]any{}
		for k, v := range call.Body {
			item[k] = v
		}
		item["id"] = float64(h.nextID)
		if rest == "registries" { // Harbor never gives the secret back
			item["credential"] = map[string]any{"type": "basic", "access_key": "harbor_registry_user", "access_secret": "*****"}
		}
		*list[rest] = append(*list[rest], item)
		w.Header().Set("Location", r.URL.Path+"/"+strconv.Itoa(h.nextID))
		w.WriteHeader(http.StatusCreated)
	case r.Method == http.MethodPut:
		i := strings.LastIndex(rest, "/")
		kind := rest[:max(i, 0)]
		n, _ := strconv.Atoi(rest[i+1:])
		if list[kind] == nil {
			h.t.Errorf("unexpected call %s %s", r.Method, r.URL)
			http.NotFound(w, r)
			return
		}
		for _, item := range *list[kind] {
			if item["id"] == float64(n) {
				for k, v := range call.Body {
					item[k] = v
				}
				return
			}
		}
		http.NotFound(w, r)
	case r.Method == http.MethodPost && rest == "registries/ping":
		for _, item := range h.registry {
			if item["id"] == call.Body["id"] {
				return
			}
		}
		http.Error(w, `{"errors":[{"code":"BAD_REQUEST","message":"the registry is unhealthy"}]}`, http.StatusBadRequest)
	case r.Method == http.MethodPost && rest == "replication/executions":
		w.WriteHeader(http.StatusCreated)
	default:
		h.t.Errorf("unexpected call %s %s", r.Method, r.URL)
		http.NotFound(w, r)
	}
}

// writes are the calls that change something (a ping changes nothing).
func (h *stubHarbor) writes() []apiCall {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []apiCall
	for _, c := range h.calls {
		if c.Method != http.MethodGet && c.Path != "/api/v2.0/registries/ping" {
			out = append(out, c)
		}
	}
	h.calls = nil
	return out
}

// renderReplication renders two-site-dr (after change) with the fake secrets
// and writes it out; it returns the tree's directory and the secrets.
func renderReplication(t *testing.T, change func(*spec.Spec)) (*plan.Plan, string, map[string]string) {
	t.Helper()
	s, _ := loadPlan(t, "two-site-dr")
	change(s)
	p, tr, vals := renderSpec(t, s)
	out := filepath.Join(t.TempDir(), "out")
	if _, err := tree.Write(out, tr); err != nil {
		t.Fatal(err)
	}
	return p, out, vals
}

// TestReplicationSetupScript runs the rendered replication-setup.sh of the
// primary site against a stub Harbor API on 127.0.0.1: the first run creates
// the Docker Registry endpoint with core's registry user, the event-based
// rule to it, and one execution; a second run creates nothing; --check
// reports both; SITE=URL moves the endpoint; a disabled rule is enabled
// again and a rule to this site itself is disabled. No run prints a secret,
// and the fake secrets hold every character a shell or JSON could trip on.
func TestReplicationSetupScript(t *testing.T) {
	for _, bin := range []string{"bash", "curl", "jq", "base64"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("%s is not installed (.ci/run installs it)", bin)
		}
	}
	_, out, vals := renderReplication(t, func(*spec.Spec) {})
	script := filepath.Join(out, "nodes", "harbor-a1", "replication-setup.sh")
	stub := &stubHarbor{t: t, login: "admin:" + vals["harbor_admin_password"]}
	srv := httptest.NewUnstartedServer(stub)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener = l
	srv.Start()
	defer srv.Close()
	run := func(t *testing.T, wantExit int, args ...string) string {
		t.Helper()
		cmd := exec.Command("bash", append([]string{script}, args...)...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "HARBOR_URL=" + srv.URL}
		b, err := cmd.CombinedOutput()
		code := 0
		if err != nil {
			ee, ok := err.(*exec.ExitError)
			if !ok {
				t.Fatal(err)
			}
			code = ee.ExitCode()
		}
		if code != wantExit {
			t.Fatalf("%s %v: exit %d, want %d\n%s", script, args, code, wantExit, b)
		}
		for name, v := range vals {
			if len(v) >= 6 && strings.Contains(string(b), v) {
				t.Errorf("%s printed the secret %s", script, name)
			}
		}
		return string(b)
	}
	endpoint := map[string]any{
		"name": "idc-b-registry", "type": "docker-registry", "url": "http://10.2.0.11:5000", "insecure": true,
		"description": "The registry of site idc-b, which this site replicates to (harborgen).",
		"credential":  map[string]any{"type": "basic", "access_key": "harbor_registry_user", "access_secret": vals["registry_password"]},
	}
	rule := func(endpointID float64) map[string]any {
		return map[string]any{
			"name": "replicate-to-idc-b", "description": "Copies every push and deletion to site idc-b (harborgen).",
			"dest_registry": map[string]any{"id": endpointID},
			"filters":       []any{map[string]any{"type": "name", "value": "**"}},
			"trigger":       map[string]any{"type": "event_based"},
			"deletion":      true, "replicate_deletion": true, "override": true, "enabled": true,
		}
	}
	for _, tc := range []struct {
		name   string
		before func()
		args   []string
		exit   int
		want   []apiCall
		output []string
	}{
		{name: "first run creates the endpoint, the rule, one execution",
			want: []apiCall{
				{Method: "POST", Path: "/api/v2.0/registries", Body: endpoint},
				{Method: "POST", Path: "/api/v2.0/replication/policies", Body: rule(1)},
				{Method: "POST", Path: "/api/v2.0/replication/executions", Body: map[string]any{"policy_id": float64(2)}},
			},
			output: []string{"created endpoint idc-b-registry (docker-registry, http://10.2.0.11:5000)", "created rule replicate-to-idc-b"}},
		{name: "second run creates nothing",
			output: []string{"endpoint idc-b-registry is there (http://10.2.0.11:5000)", "rule replicate-to-idc-b is there"}},
		{name: "check", args: []string{"--check"},
			output: []string{"endpoint idc-b-registry http://10.2.0.11:5000: healthy\n", "rule replicate-to-idc-b: enabled, event_based\n"}},
		{name: "switch to harbor-b2", args: []string{"idc-b=http://10.2.0.12:5000"},
			want: []apiCall{{Method: "PUT", Path: "/api/v2.0/registries/1", Body: map[string]any{
				"url": "http://10.2.0.12:5000", "insecure": true, "credential_type": "basic",
				"access_key": "harbor_registry_user", "access_secret": vals["registry_password"]}}},
			output: []string{"endpoint idc-b-registry now points at http://10.2.0.12:5000"}},
		{name: "switch again changes nothing", args: []string{"idc-b=http://10.2.0.12:5000"},
			output: []string{"endpoint idc-b-registry is there (http://10.2.0.12:5000)"}},
		{name: "plain run keeps the switched endpoint",
			output: []string{"endpoint idc-b-registry is there (http://10.2.0.12:5000)"}},
		{name: "unknown site", args: []string{"idc-c=http://10.3.0.11:5000"}, exit: 2},
		{name: "a disabled rule is enabled, a rule to this site is disabled",
			before: func() {
				stub.mu.Lock()
				stub.policy[0]["enabled"] = false
				stub.policy = append(stub.policy, map[string]any{"id": float64(9), "name": "replicate-to-idc-a", "enabled": true,
					"dest_registry": map[string]any{"id": float64(8)}, "trigger": map[string]any{"type": "event_based"}})
				stub.mu.Unlock()
			},
			want: []apiCall{
				{Method: "PUT", Path: "/api/v2.0/replication/policies/2", Body: func() map[string]any {
					r := rule(1)
					r["id"] = float64(2)
					return r
				}()},
				{Method: "PUT", Path: "/api/v2.0/replication/policies/9", Body: map[string]any{"id": float64(9), "name": "replicate-to-idc-a",
					"enabled": false, "dest_registry": map[string]any{"id": float64(8)}, "trigger": map[string]any{"type": "event_based"}}},
			},
			output: []string{"rule replicate-to-idc-b was disabled: enabled it", "rule replicate-to-idc-a replicates to this site itself: disabled it"}},
		{name: "check after all", args: []string{"--check"},
			output: []string{"endpoint idc-b-registry http://10.2.0.12:5000: healthy\n", "rule replicate-to-idc-b: enabled, event_based\n"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.before != nil {
				tc.before()
			}
			stub.writes()
			got := run(t, tc.exit, tc.args...)
			if w := stub.writes(); !reflect.DeepEqual(w, tc.want) {
				t.Errorf("calls:\n%s\nwant:\n%s\noutput:\n%s", dump(w), dump(tc.want), got)
			}
			for _, want := range tc.output {
				if !strings.Contains(got, want) {
					t.Errorf("the output lacks %q:\n%s", want, got)
				}
			}
		})
	}
}

func dump(calls []apiCall) string {
	var b strings.Builder
	for _, c := range calls {
		body, _ := json.Marshal(c.Body)
		fmt.Fprintf(&b, "  %s %s %s\n", c.Method, c.Path, body)
	}
	return b.String()
}

// TestReplicationCheckFailsUnset: --check before any run reports the missing
// endpoint and exits non-zero, and a wrong admin password is an error that
// names the call.
func TestReplicationCheckFailsUnset(t *testing.T) {
	_, out, vals := renderReplication(t, func(*spec.Spec) {})
	script := filepath.Join(out, "nodes", "harbor-a1", "replication-setup.sh")
	for _, tc := range []struct {
		name, login, arg, want string
	}{
		{name: "nothing set up", login: "admin:" + vals["harbor_admin_password"], arg: "--check", want: "endpoint idc-b-registry: missing"},
		{name: "wrong login", login: "admin:other", want: "Harbor API GET /registries?q=name%3Didc-b-registry: HTTP 401"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stub := &stubHarbor{t: t, login: tc.login}
			srv := httptest.NewServer(stub)
			defer srv.Close()
			args := []string{script}
			if tc.arg != "" {
				args = append(args, tc.arg)
			}
			cmd := exec.Command("bash", args...)
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "HARBOR_URL=" + srv.URL}
			b, err := cmd.CombinedOutput()
			if err == nil || !strings.Contains(string(b), tc.want) {
				t.Errorf("err %v, output lacks %q:\n%s", err, tc.want, b)
			}
			if len(stub.writes()) != 0 {
				t.Error("it changed something")
			}
		})
	}
}

// TestReplicationAuthHeader: the login reaches Harbor as Basic auth of admin
// and the secrets file's password, hostile characters included (checked by
// the stub), and HARBOR_API_USER/HARBOR_API_PASSWORD replace it.
func TestReplicationAuthHeader(t *testing.T) {
	_, out, _ := renderReplication(t, func(*spec.Spec) {})
	script := filepath.Join(out, "nodes", "harbor-a1", "replication-setup.sh")
	stub := &stubHarbor{t: t, login: "ops:it's \"changed\" $HOME"}
	srv := httptest.NewServer(stub)
	defer srv.Close()
	cmd := exec.Command("bash", script, "--check")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "HARBOR_URL=" + srv.URL,
		"HARBOR_API_USER=ops", `HARBOR_API_PASSWORD=it's "changed" $HOME`}
	b, _ := cmd.CombinedOutput()
	if strings.Contains(string(b), "HTTP 401") || !strings.Contains(string(b), "endpoint idc-b-registry: missing") {
		t.Errorf("the override login was not used:\n%s", b)
	}
}

// TestReplicationPlan: with two sites the primary site's harbor nodes set up
// replication to the other site's first harbor node, and every harbor node
// publishes its registry port; one site, or Harbor 1.5, has neither.
func TestReplicationPlan(t *testing.T) {
	for _, tc := range []struct {
		name    string
		example string
		change  func(*spec.Spec)
		node    string
		port    int    // the node's published registry port, 0 for none
		api     string // Replication.APIURL, "" for no replication
		resolve string
		target  string
	}{
		{name: "primary node", example: "two-site-dr", node: "harbor-a2", port: 5000, api: "http://10.1.0.12:8080", target: "http://10.2.0.11:5000"},
		{name: "other site", example: "two-site-dr", node: "harbor-b1", port: 5000},
		{name: "registry_port", example: "two-site-dr", change: func(s *spec.Spec) { s.Harbor.RegistryPort = 5005 },
			node: "harbor-a1", port: 5005, api: "http://10.1.0.11:8080", target: "http://10.2.0.11:5005"},
		{name: "tls node", example: "two-site-dr", change: func(s *spec.Spec) { s.TLS.Mode = "node" },
			node: "harbor-a1", port: 5000, api: "https://registry.example.com:8443", resolve: "registry.example.com:8443:10.1.0.11", target: "http://10.2.0.11:5000"},
		{name: "ipv6", example: "two-site-dr", change: func(s *spec.Spec) { toIPv6(s); s.TLS.Mode = "node" }, node: "harbor-a1", port: 5000, api: "https://registry.example.com:8443", resolve: "registry.example.com:8443:[fd00:1::11]", target: "http://[fd00:2::11]:5000"},
		{name: "no sites", example: "ha-modern", node: "harbor01"},
		{name: "harbor 1.5 has no htpasswd registry user", example: "two-site-dr", change: func(s *spec.Spec) { s.Harbor.Version = "1.5.1" }, node: "harbor-a1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := loadPlan(t, tc.example)
			if tc.change != nil {
				tc.change(s)
			}
			p, err := plan.Build(s)
			if err != nil {
				t.Fatal(err)
			}
			n := nodeByName(t, p, tc.node)
			if n.Harbor.RegistryPort != tc.port {
				t.Errorf("RegistryPort %d, want %d", n.Harbor.RegistryPort, tc.port)
			}
			listens := false
			for _, l := range n.Listens {
				listens = listens || l.Port == tc.port
			}
			if tc.port != 0 && !listens {
				t.Errorf("the listeners lack %d: %+v", tc.port, n.Listens)
			}
			r := n.Replication
			if (r != nil) != (tc.api != "") {
				t.Fatalf("replication %+v, want api %q", r, tc.api)
			}
			if r == nil {
				return
			}
			if r.APIURL != tc.api || r.Resolve != tc.resolve || len(r.Targets) != 1 || r.Targets[0].URL() != tc.target ||
				r.Type != "docker-registry" || r.SelfPolicy != "replicate-to-idc-a" || r.Targets[0].Policy != "replicate-to-idc-b" {
				t.Errorf("replication %+v", r)
			}
		})
	}
}

// toIPv6 moves two-site-dr's sites to fd00:1::/64 and fd00:2::/64.
func toIPv6(s *spec.Spec) {
	for i := range s.Nodes {
		s.Nodes[i].Address = strings.Replace(strings.Replace(s.Nodes[i].Address, "10.1.0.", "fd00:1::", 1), "10.2.0.", "fd00:2::", 1)
	}
}

func nodeByName(t *testing.T, p *plan.Plan, name string) *plan.Node {
	t.Helper()
	for i := range p.Nodes {
		if p.Nodes[i].Name == name {
			return &p.Nodes[i]
		}
	}
	t.Fatalf("no node %s", name)
	return nil
}

// TestRegistryPortPublished: a two-site harbor node's compose publishes the
// registry on the node's own address (IPv6 in brackets), a single-site one
// does not; only the primary site's nodes get the script; the runbook
// creates a Docker Registry endpoint and no longer advises a Harbor one.
func TestRegistryPortPublished(t *testing.T) {
	render2 := func(t *testing.T, example string, change func(*spec.Spec)) map[string]string {
		s, _ := loadPlan(t, example)
		change(s)
		_, tr, _ := renderSpec(t, s)
		return files(tr, "")
	}
	none := func(*spec.Spec) {}
	for _, tc := range []struct {
		name, example string
		change        func(*spec.Spec)
		file          string
		want, absent  []string
	}{
		{name: "site b compose", example: "two-site-dr", change: none, file: "nodes/harbor-b2/docker-compose.yml",
			want: []string{`(?s)  registry:\n.*    ports:\n      - "10\.2\.0\.12:5000:5000"\n    networks: \[harbor\]\n    depends_on: \[log\]\n.*  registryctl:`}},
		{name: "site a compose", example: "two-site-dr", change: none, file: "nodes/harbor-a1/docker-compose.yml",
			want: []string{`- "10\.1\.0\.11:5000:5000"`}, absent: []string{`0\.0\.0\.0:5000`, `- "5000`}},
		{name: "ipv6 compose", example: "two-site-dr", change: toIPv6, file: "nodes/harbor-b1/docker-compose.yml",
			want: []string{`- "\[fd00:2::11\]:5000:5000"`}},
		{name: "ipv6 script", example: "two-site-dr", change: toIPv6, file: "nodes/harbor-a1/replication-setup.sh",
			want: []string{`default_url='http://\[fd00:1::11\]:8080'`, `idc-b idc-b-registry replicate-to-idc-b 'http://\[fd00:2::11\]:5000'`}},
		{name: "single site compose", example: "ha-modern", change: none, file: "nodes/harbor01/docker-compose.yml",
			absent: []string{`:5000`}},
		{name: "primary script", example: "two-site-dr", change: none, file: "nodes/harbor-a2/replication-setup.sh",
			want: []string{`default_url=http://10\.1\.0\.12:8080`, `\tidc-b idc-b-registry replicate-to-idc-b http://10\.2\.0\.11:5000\n`,
				`endpoint_type=docker-registry`, `self_policy=replicate-to-idc-a`, `idc-b=http://10\.2\.0\.12:5000 \(harbor-b2\)`}},
		{name: "runbook", example: "two-site-dr", change: none, file: "README.md",
			want: []string{`\*\*harbor-a1\*\*: replicate every push to the other site's registry`, "\n    ```sh\n    \\./replication-setup\\.sh\n    ```\n",
				"Check, which prints `endpoint idc-b-registry http://10\\.2\\.0\\.11:5000: healthy` and `rule replicate-to-idc-b: enabled, event_based`:\n\n    ```sh\n    \\./replication-setup\\.sh --check\n",
				`never to its Harbor: every rule lives in the\s+shared database`, `POST /api/v2\.0/registries +\{"name": ENDPOINT, "type": "docker-registry"`,
				`"trigger": \{"type": "event_based"\}`, `\./replication-setup\.sh idc-b=http://10\.2\.0\.12:5000 +# harbor-b2`,
				`curl -fsS -H @- http://10\.2\.0\.11:5000/v2/PROJECT/REPOSITORY/tags/list`},
			absent: []string{`provider \*Harbor\*`, `robot account of the other site`, `Push-based`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := render2(t, tc.example, tc.change)[tc.file]
			if !ok {
				t.Fatalf("%s is not rendered", tc.file)
			}
			matches(t, tc.file, got, tc.want, tc.absent)
		})
	}
	for name := range render2(t, "two-site-dr", none) {
		if strings.HasSuffix(name, "replication-setup.sh") && name != "nodes/harbor-a1/replication-setup.sh" && name != "nodes/harbor-a2/replication-setup.sh" {
			t.Errorf("%s: only the primary site's harbor nodes set up replication", name)
		}
	}
}

// TestReplicationScriptVariantsPassShellcheck: the script of each variant
// the examples do not render (TLS on the node, with --resolve; IPv6) passes
// shellcheck too.
func TestReplicationScriptVariantsPassShellcheck(t *testing.T) {
	bin, err := exec.LookPath("shellcheck")
	if err != nil {
		t.Fatal("shellcheck is not installed: apt-get install shellcheck (.ci/run does)")
	}
	for _, tc := range []struct {
		name   string
		change func(*spec.Spec)
		want   string
	}{
		{name: "tls node", change: func(s *spec.Spec) { s.TLS.Mode = "node" }, want: "--resolve registry.example.com:8443:10.1.0.11"},
		{name: "ipv6 tls node", change: func(s *spec.Spec) { toIPv6(s); s.TLS.Mode = "node" }, want: "--resolve 'registry.example.com:8443:[fd00:1::11]'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, out, _ := renderReplication(t, tc.change)
			script := filepath.Join(out, "nodes", "harbor-a1", "replication-setup.sh")
			b, err := os.ReadFile(script)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), tc.want) {
				t.Errorf("the script lacks %s", tc.want)
			}
			if b, err := exec.Command(bin, "-x", script).CombinedOutput(); err != nil {
				t.Errorf("shellcheck: %v\n%s", err, b)
			}
		})
	}
}
