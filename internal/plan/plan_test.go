package plan_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/harborgen/harborgen/internal/plan"
	"github.com/harborgen/harborgen/internal/spec"
	"github.com/harborgen/harborgen/internal/validate"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestPlanGolden renders the plan of every example and compares it with
// testdata/<example>.txt.
func TestPlanGolden(t *testing.T) {
	files, _ := filepath.Glob("../../examples/*/harborgen.toml")
	if len(files) < 4 {
		t.Fatalf("found %d examples", len(files))
	}
	for _, file := range files {
		name := filepath.Base(filepath.Dir(file))
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			s, d := spec.Parse(file, data, spec.TOML)
			validate.Validate(s, d, validate.Options{})
			if d.HasErrors(false) {
				t.Fatalf("%s is invalid: %v", file, d.Items())
			}
			p, err := plan.Build(s)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := plan.WriteText(&out, p); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", name+".txt")
			if *update {
				if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/plan -update)", err)
			}
			if !bytes.Equal(out.Bytes(), want) {
				t.Errorf("plan differs from %s:\n%s", golden, out.String())
			}
		})
	}
}

// TestExtEndpointPort checks that EXT_ENDPOINT, from which Harbor builds the
// token realm and every URL it hands to clients, carries the load
// balancer's client-facing port unless it is the scheme's default.
func TestExtEndpointPort(t *testing.T) {
	src, err := os.ReadFile("../../examples/shared-fs/harborgen.toml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, tls   string
		http, https int
		want        string
	}{
		{"lb defaults", "lb", 80, 443, "https://registry.example.com"},
		{"lb https 8443", "lb", 80, 8443, "https://registry.example.com:8443"},
		{"lb http port ignored", "lb", 8080, 443, "https://registry.example.com"},
		{"node https 9443", "node", 80, 9443, "https://registry.example.com:9443"},
		{"node defaults", "node", 80, 443, "https://registry.example.com"},
		{"none default", "none", 80, 443, "http://registry.example.com"},
		{"none http 8081", "none", 8081, 443, "http://registry.example.com:8081"},
		{"none https port ignored", "none", 80, 8443, "http://registry.example.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text := strings.Replace(string(src), `mode = "lb"`, `mode = "`+tc.tls+`"`, 1)
			if tc.tls == "none" {
				text = strings.Replace(text, `cert_file = "/etc/harbor/tls/registry.crt"`+"\n"+`key_file = "/etc/harbor/tls/registry.key"`, "", 1)
			}
			text = strings.Replace(text, "http_port = 80\nhttps_port = 443",
				fmt.Sprintf("http_port = %d\nhttps_port = %d", tc.http, tc.https), 1)
			s, d := spec.Parse("ext.toml", []byte(text), spec.TOML)
			validate.Validate(s, d, validate.Options{})
			if d.HasErrors(false) {
				t.Fatalf("invalid: %v", d.Items())
			}
			if s.LB.HTTPPort != tc.http || s.LB.HTTPSPort != tc.https || s.TLS.Mode != tc.tls {
				t.Fatalf("the spec edit did not apply: lb %d/%d tls %s", s.LB.HTTPPort, s.LB.HTTPSPort, s.TLS.Mode)
			}
			p, err := plan.Build(s)
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range p.Nodes {
				if n.Harbor != nil && n.Harbor.ExtEndpoint != tc.want {
					t.Errorf("%s: EXT_ENDPOINT %s, want %s", n.Name, n.Harbor.ExtEndpoint, tc.want)
				}
			}
		})
	}
}
