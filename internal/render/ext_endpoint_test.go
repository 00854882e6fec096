package render_test

import (
	"os"
	"strings"
	"testing"

	"github.com/harborgen/harborgen/internal/spec"
	"github.com/harborgen/harborgen/internal/validate"
)

// TestExtEndpointInFiles renders both profiles with the load balancer off
// the default HTTPS port: Harbor's public URL, and with it the token realm
// clients are sent to, must carry that port in every file that holds it,
// unless harbor.external_url says otherwise (it wins, as in prepare).
func TestExtEndpointInFiles(t *testing.T) {
	for _, tc := range []struct {
		name, example, node string
		externalURL         string            // harbor.external_url, if set
		want                map[string]string // file -> line
	}{
		{"lb port", "ha-galera-ceph", "registry01", "", map[string]string{
			"harbor/common/config/adminserver/env":     "EXT_ENDPOINT=https://registry.example.com:8443",
			"harbor/common/config/registry/config.yml": `    realm: "https://registry.example.com:8443/service/token"`,
		}},
		{"lb port", "ha-modern", "harbor01", "", map[string]string{
			"harbor/common/config/core/env": "EXT_ENDPOINT=https://registry.example.com:8443",
		}},
		{"external_url wins", "ha-galera-ceph", "registry01", "https://harbor.corp.example", map[string]string{
			"harbor/common/config/adminserver/env":     "EXT_ENDPOINT=https://harbor.corp.example",
			"harbor/common/config/registry/config.yml": `    realm: "https://harbor.corp.example/service/token"`,
		}},
		{"external_url wins", "ha-modern", "harbor01", "http://registry.example.com:8080", map[string]string{
			"harbor/common/config/core/env": "EXT_ENDPOINT=http://registry.example.com:8080",
		}},
	} {
		t.Run(tc.example+" "+tc.name, func(t *testing.T) {
			src, err := os.ReadFile("../../examples/" + tc.example + "/harborgen.toml")
			if err != nil {
				t.Fatal(err)
			}
			text := strings.Replace(string(src), "https_port = 443", "https_port = 8443", 1)
			if tc.externalURL != "" {
				text = strings.Replace(text, "[harbor]\n", "[harbor]\nexternal_url = \""+tc.externalURL+"\"\n", 1)
			}
			s, d := spec.Parse("ext.toml", []byte(text), spec.TOML)
			validate.Validate(s, d, validate.Options{})
			if d.HasErrors(false) || s.LB.HTTPSPort != 8443 || s.Harbor.ExternalURL != tc.externalURL {
				t.Fatalf("lb.https_port %d, diagnostics %v", s.LB.HTTPSPort, d.Items())
			}
			_, tr, _ := renderSpec(t, s)
			for path, line := range tc.want {
				data := string(file(t, tr, "nodes/"+tc.node+"/"+path))
				if !strings.Contains("\n"+data+"\n", "\n"+line+"\n") {
					t.Errorf("%s lacks the line %s", path, line)
				}
			}
		})
	}
}
