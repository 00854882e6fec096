package render_test

import (
	"testing"

	"github.com/harborgen/harborgen/internal/render"
)

// TestTokenCertificateOncePerRender: every harbor node of a Harbor 1.5
// cluster holds the same root.crt, derived from the token key with an RSA
// signature; a render derives it once, not once per node.
func TestTokenCertificateOncePerRender(t *testing.T) {
	s, p := loadPlan(t, "ha-galera-ceph")
	vals := fakeSecrets(t, s)
	derived := 0
	defer render.CountTokenCerts(&derived)()
	tr, err := render.Tree(p, "harborgen.toml", vals)
	if err != nil {
		t.Fatal(err)
	}
	var certs []string
	for _, f := range tr.Files() {
		if f.Secret && len(f.Data) > 0 && string(f.Data[:min(len(f.Data), 27)]) == "-----BEGIN CERTIFICATE-----" {
			certs = append(certs, f.Path)
		}
	}
	if len(certs) < 3 {
		t.Fatalf("want a token certificate on each of the 3 harbor nodes, found %v", certs)
	}
	if derived != 1 {
		t.Errorf("the token certificate was derived %d times for %d nodes, want once", derived, len(certs))
	}
}
