package render_test

import (
	"bytes"
	"crypto/rand"
	"flag"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/compose-spec/compose-go/v2/dotenv"

	"github.com/harborgen/harborgen/internal/plan"
	"github.com/harborgen/harborgen/internal/render"
	"github.com/harborgen/harborgen/internal/secrets"
	"github.com/harborgen/harborgen/internal/spec"
	"github.com/harborgen/harborgen/internal/tree"
	"github.com/harborgen/harborgen/internal/validate"
	"github.com/harborgen/harborgen/internal/verify"
)

var update = flag.Bool("update", false, "rewrite the golden trees")

// examples are every example, Harbor 1.5 and 2.
var examples = []string{"ha-galera-ceph", "ha-modern", "ha-modern-patroni", "shared-fs", "two-site-dr"}

func loadPlan(t testing.TB, example string) (*spec.Spec, *plan.Plan) {
	t.Helper()
	return loadPlanFile(t, filepath.Join("../../examples", example, "harborgen.toml"))
}

// renderSpec plans and renders a valid spec with the fake secrets.
func renderSpec(t testing.TB, s *spec.Spec) (*plan.Plan, *tree.Tree, map[string]string) {
	t.Helper()
	p, err := plan.Build(s)
	if err != nil {
		t.Fatal(err)
	}
	vals := fakeSecrets(t, s)
	tr, err := render.Tree(p, "harborgen.toml", vals)
	if err != nil {
		t.Fatal(err)
	}
	return p, tr, vals
}

// loadPlanFile parses, validates and plans a TOML spec; an invalid spec
// fails the test.
func loadPlanFile(t testing.TB, file string) (*spec.Spec, *plan.Plan) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	s, d := spec.Parse(file, data, spec.TOML)
	validate.Validate(s, d, validate.Options{})
	if d.HasErrors(false) {
		t.Fatalf("%s: %v", file, d.Items())
	}
	p, err := plan.Build(s)
	if err != nil {
		t.Fatal(err)
	}
	return s, p
}

var (
	testKeyOnce sync.Once
	testKey     string
	testKeyErr  error
)

// fakeSecrets gives every secret a recognisable value with characters that
// need escaping in env files and URLs.
func fakeSecrets(t testing.TB, s *spec.Spec) map[string]string {
	t.Helper()
	testKeyOnce.Do(func() { testKey, testKeyErr = secrets.Generate(secrets.TokenPrivateKey, rand.Reader) })
	if testKeyErr != nil {
		t.Fatal(testKeyErr)
	}
	out := map[string]string{}
	for _, n := range secrets.Required(s) {
		switch n.Name {
		case "token_private_key":
			out[n.Name] = testKey
		case "csrf_key":
			out[n.Name] = strings.Repeat("C", 32)
		case "secretkey", "core_secret", "jobservice_secret":
			out[n.Name] = strings.ToUpper(n.Name[:2]) + strings.Repeat("k", 14)
		case "keepalived_auth_pass":
			out[n.Name] = "kapass01"
		default:
			out[n.Name] = "S3cr$t/" + n.Name + "@%#'\""
		}
	}
	if _, ok := out["redis_password"]; !ok {
		out["redis_password"] = ""
	}
	return out
}

// TestGoldenTrees compares every committed file of each example's tree with
// testdata/<example>/, refreshed with -update.
func TestGoldenTrees(t *testing.T) {
	for _, example := range examples {
		t.Run(example, func(t *testing.T) {
			_, p := loadPlan(t, example)
			tr, err := render.Tree(p, "harborgen.toml", nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := verify.Compose(tr); err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join("testdata", example)
			if *update {
				os.RemoveAll(dir)
				if _, err := tree.Write(dir, tr); err != nil {
					t.Fatal(err)
				}
			}
			drift, err := tree.Check(dir, tr)
			if err != nil {
				t.Fatal(err)
			}
			if !drift.Empty() {
				t.Errorf("%s differs from the golden tree (go test ./internal/render -update): %+v", example, drift)
			}
		})
	}
}

// TestDeterministic renders each example under GOMAXPROCS 1 and 8 and
// compares every byte of every file, secrets included.
func TestDeterministic(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, example := range examples {
		s, p := loadPlan(t, example)
		vals := fakeSecrets(t, s)
		var trees []*tree.Tree
		for _, procs := range []int{1, 8} {
			runtime.GOMAXPROCS(procs)
			_, p2 := loadPlan(t, example)
			tr, err := render.Tree(p2, "harborgen.toml", vals)
			if err != nil {
				t.Fatal(err)
			}
			trees = append(trees, tr)
		}
		_ = p
		a, b := trees[0].Files(), trees[1].Files()
		if len(a) != len(b) {
			t.Fatalf("%s: %d files vs %d", example, len(a), len(b))
		}
		for i := range a {
			if a[i].Path != b[i].Path || !bytes.Equal(a[i].Data, b[i].Data) {
				t.Errorf("%s: %s differs between two renders", example, a[i].Path)
			}
		}
	}
}

// TestNoSecretOutsideSecretsDir collects every secret value, raw and in the
// escaped forms the templates write, and fails if one appears in a file
// outside secrets/.
func TestNoSecretOutsideSecretsDir(t *testing.T) {
	for _, example := range append(slices.Clone(examples), "ha-modern+observability") {
		var s *spec.Spec
		var p *plan.Plan
		if example == "ha-modern+observability" {
			// Metrics (the exporter's database and Redis passwords) and a
			// Jaeger collector with its password, jaeger_password.
			s = obsSpec(t, "2.15.2", metricOn+traceOn+jaegerColl+"username = \"tracer\"\n")
			var err error
			if p, err = plan.Build(s); err != nil {
				t.Fatal(err)
			}
		} else {
			s, p = loadPlan(t, example)
		}
		vals := fakeSecrets(t, s)
		if example == "ha-modern+observability" && vals["jaeger_password"] == "" {
			t.Fatal("the spec needs no jaeger_password: the test would prove nothing")
		}
		tr, err := render.Tree(p, "harborgen.toml", vals)
		if err != nil {
			t.Fatal(err)
		}
		secretFiles := 0
		for _, f := range tr.Files() {
			if f.Secret {
				secretFiles++
				continue
			}
			for name, v := range vals {
				if len(v) < 6 {
					continue
				}
				for _, form := range []string{v, url.QueryEscape(v), url.PathEscape(v), strings.ReplaceAll(v, "$", "$$")} {
					if bytes.Contains(f.Data, []byte(form)) {
						t.Errorf("%s: %s leaks secret %s", example, f.Path, name)
					}
				}
				if name == "token_private_key" && bytes.Contains(f.Data, []byte("PRIVATE KEY")) {
					t.Errorf("%s: %s holds a private key", example, f.Path)
				}
			}
		}
		if secretFiles == 0 {
			t.Fatalf("%s: no secret files rendered: the test would prove nothing", example)
		}
		// The secrets must actually be in the secrets files.
		found := false
		for _, f := range tr.Files() {
			if f.Secret && bytes.Contains(f.Data, []byte(vals["core_secret"])) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: core_secret is in no secret file", example)
		}
		if jp := vals["jaeger_password"]; jp != "" {
			n := 0
			for _, f := range tr.Files() {
				if !slices.Contains([]string{"core.env", "jobservice.env", "registryctl.env"}, strings.TrimPrefix(f.Path, "nodes/harbor01/secrets/")) {
					continue
				}
				env, err := dotenv.ParseWithLookup(bytes.NewReader(f.Data), func(string) (string, bool) { return "", false })
				if err != nil {
					t.Fatalf("%s: %v", f.Path, err)
				}
				if env["TRACE_JAEGER_PASSWORD"] == jp {
					n++
				}
			}
			if n != 3 {
				t.Errorf("%s: jaeger_password is in %d secret files, want 3 (core, jobservice, registryctl)", example, n)
			}
		}
	}
}
