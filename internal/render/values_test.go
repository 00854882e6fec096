package render_test

import (
	"path"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/harborgen/harborgen/internal/plan"
	"github.com/harborgen/harborgen/internal/render"
	"github.com/harborgen/harborgen/internal/tree"
)

// Each node's values file holds exactly the values its secret files hold,
// hostile ones included (escaped in the files, exact in the values file),
// and nothing its files do not hold.
func TestValuesFilesHoldWhatTheNodeHolds(t *testing.T) {
	s, _ := loadPlan(t, "ha-modern")
	p, err := plan.Build(s)
	if err != nil {
		t.Fatal(err)
	}
	vals := fakeSecrets(t, s)
	vals["db_password"] = `p@ss/w%rd "q" $x`
	vals["redis_password"] = `r/e@d%i:s #1`
	tr, err := render.Tree(p, "harborgen.toml", vals)
	if err != nil {
		t.Fatal(err)
	}
	held := map[string]map[string]string{}
	for _, f := range tr.Files() {
		if path.Base(f.Path) == render.ValuesFile {
			m := map[string]string{}
			if _, err := toml.Decode(string(f.Data), &m); err != nil {
				t.Fatalf("%s: %v", f.Path, err)
			}
			if !f.Secret || path.Base(path.Dir(f.Path)) != tree.SecretsDir {
				t.Errorf("%s is not a secret file under secrets/", f.Path)
			}
			held[path.Base(path.Dir(path.Dir(f.Path)))] = m
		}
	}
	var harbor, lb string
	for _, n := range p.Nodes {
		if n.Harbor != nil && harbor == "" {
			harbor = n.Name
		}
		if n.LB != nil && n.Harbor == nil && lb == "" {
			lb = n.Name
		}
	}
	for _, name := range []string{"db_password", "redis_password", "secretkey", "core_secret", "csrf_key", "token_private_key", "registry_htpasswd"} {
		if got := held[harbor][name]; got != vals[name] {
			t.Errorf("%s holds %s = %q, want %q", harbor, name, got, vals[name])
		}
	}
	if lb != "" {
		if _, ok := held[lb]["secretkey"]; ok {
			t.Errorf("the lb node %s holds secretkey, which none of its files has", lb)
		}
	}
}
