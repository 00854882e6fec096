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
// clients are sent to, must carry that port in every file that holds it.
func TestExtEndpointInFiles(t *testing.T) {
	for _, tc := range []struct {
		example, node string
		want          map[string]string // file -> line
	}{
		{"ha-galera-ceph", "registry01", map[string]string{
			"harbor/common/config/adminserver/env":     "EXT_ENDPOINT=https://registry.example.com:8443",
			"harbor/common/config/registry/config.yml": `    realm: "https://registry.example.com:8443/service/token"`,
		}},
		{"ha-modern", "harbor01", map[string]string{
			"harbor/common/config/core/env": "EXT_ENDPOINT=https://registry.example.com:8443",
		}},
	} {
		t.Run(tc.example, func(t *testing.T) {
			src, err := os.ReadFile("../../examples/" + tc.example + "/harborgen.toml")
			if err != nil {
				t.Fatal(err)
			}
			text := strings.Replace(string(src), "https_port = 443", "https_port = 8443", 1)
			s, d := spec.Parse("ext.toml", []byte(text), spec.TOML)
			validate.Validate(s, d, validate.Options{})
			if d.HasErrors(false) || s.LB.HTTPSPort != 8443 {
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
