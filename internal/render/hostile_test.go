package render_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"go.yaml.in/yaml/v3"

	"github.com/harborgen/harborgen/internal/plan"
	"github.com/harborgen/harborgen/internal/render"
	"github.com/harborgen/harborgen/internal/spec"
	"github.com/harborgen/harborgen/internal/tree"
	"github.com/harborgen/harborgen/internal/validate"
	"github.com/harborgen/harborgen/internal/verify"
)

// hostile holds the characters that break env, YAML, compose and URL files
// when written raw. Validation accepts it in the fields used below.
const hostile = `h a$x${Y}$$` + "`" + `;{}#%é中'"\`

func file(t *testing.T, tr *tree.Tree, path string) []byte {
	t.Helper()
	for _, f := range tr.Files() {
		if f.Path == path {
			return f.Data
		}
	}
	t.Fatalf("no %s in the tree", path)
	return nil
}

// TestHostileValuesRoundTrip renders spec values full of special characters
// and parses the files back with the real parsers: each must read back the
// value as written in the spec.
func TestHostileValuesRoundTrip(t *testing.T) {
	src, err := os.ReadFile("../../examples/ha-modern/harborgen.toml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(src)
	for old, val := range map[string]string{
		`data_dir = "/data/harbor"`: "data_dir = " + strconv.Quote("/data/"+hostile),
		`host = "10.20.0.5"`:        "host = " + strconv.Quote(hostile),
		`region = "us-east-1"`:      "region = " + strconv.Quote(hostile),
	} {
		if !strings.Contains(text, old) {
			t.Fatalf("the example no longer has %s", old)
		}
		text = strings.Replace(text, old, val, 1)
	}
	s, d := spec.Parse("hostile.toml", []byte(text), spec.TOML)
	if s == nil {
		t.Fatalf("does not parse: %v", d.Items())
	}
	validate.Validate(s, d, validate.Options{})
	if d.HasErrors(false) {
		t.Fatalf("validate rejects the hostile values: %v", d.Items())
	}
	_, tr, vals := renderSpec(t, s)

	env, err := dotenv.ParseWithLookup(bytes.NewReader(file(t, tr, "nodes/harbor01/harbor/common/config/core/env")), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatalf("core env does not parse: %v", err)
	}
	if env["POSTGRESQL_HOST"] != hostile {
		t.Errorf("POSTGRESQL_HOST reads back %q, want %q", env["POSTGRESQL_HOST"], hostile)
	}
	secretEnv, err := dotenv.ParseWithLookup(bytes.NewReader(file(t, tr, "nodes/harbor01/secrets/core.env")), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatalf("secrets/core.env does not parse: %v", err)
	}
	if secretEnv["POSTGRESQL_PASSWORD"] != vals["db_password"] {
		t.Errorf("POSTGRESQL_PASSWORD reads back %q, want %q", secretEnv["POSTGRESQL_PASSWORD"], vals["db_password"])
	}

	var reg struct {
		Storage struct {
			S3 struct{ Region string } `yaml:"s3"`
		} `yaml:"storage"`
	}
	if err := yaml.Unmarshal(file(t, tr, "nodes/harbor01/harbor/common/config/registry/config.yml"), &reg); err != nil {
		t.Fatalf("registry config does not parse: %v", err)
	}
	if reg.Storage.S3.Region != hostile {
		t.Errorf("s3 region reads back %q, want %q", reg.Storage.S3.Region, hostile)
	}

	compose := file(t, tr, "nodes/harbor01/docker-compose.yml")
	project, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  "/nodes/harbor01",
		ConfigFiles: []types.ConfigFile{{Filename: "docker-compose.yml", Content: compose}},
		Environment: types.Mapping{},
	}, func(o *loader.Options) { o.SkipResolveEnvironment = true })
	if err != nil {
		t.Fatalf("compose file does not load: %v", err)
	}
	found := false
	for _, v := range project.Services["core"].Volumes {
		if v.Target == "/data" || v.Target == "/data/" {
			found = true
			if strings.TrimSuffix(v.Source, "/") != s.Harbor.DataDir {
				t.Errorf("core's /data volume reads back %q, want %q", v.Source, s.Harbor.DataDir)
			}
		}
	}
	if !found {
		t.Error("no /data volume on core")
	}
}

// TestTLSOnTheNode renders shared-fs with tls.mode = "node": the proxy
// publishes the HTTPS port, mounts the certificate and redirects HTTP.
func TestTLSOnTheNode(t *testing.T) {
	src, err := os.ReadFile("../../examples/shared-fs/harborgen.toml")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(src), `mode = "lb"`, `mode = "node"`, 1)
	s, d := spec.Parse("tls.toml", []byte(text), spec.TOML)
	validate.Validate(s, d, validate.Options{})
	if s.TLS.Mode != "node" || d.HasErrors(false) {
		t.Fatalf("tls.mode %q, diagnostics %v", s.TLS.Mode, d.Items())
	}
	p, err := plan.Build(s)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := render.Tree(p, "tls.toml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := verify.Compose(tr); err != nil {
		t.Fatal(err)
	}
	compose := string(file(t, tr, "nodes/harbor01/docker-compose.yml"))
	nginx := string(file(t, tr, "nodes/harbor01/harbor/common/config/nginx/nginx.conf"))
	for _, want := range []string{`"10.30.0.11:8443:8443"`, `"/etc/harbor/tls/registry.crt:/etc/cert/server.crt:ro"`} {
		if !strings.Contains(compose, want) {
			t.Errorf("compose lacks %s", want)
		}
	}
	for _, want := range []string{"listen 8443 ssl;", "return 308 https://$host:8443$request_uri;"} {
		if !strings.Contains(nginx, want) {
			t.Errorf("nginx.conf lacks %s", want)
		}
	}
}

// TestLDAPOnHarbor2 renders ha-modern with LDAP: core gets
// CONFIG_OVERWRITE_JSON, in the secrets env file only, and it parses back.
func TestLDAPOnHarbor2(t *testing.T) {
	src, err := os.ReadFile("../../examples/ha-modern/harborgen.toml")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(src), `auth_mode = "db_auth"`, `auth_mode = "ldap_auth"`, 1) + `
[harbor.ldap]
url = "ldaps://10.2.208.11:636"
search_dn = "CN=admin,OU=Infra,DC=example,DC=com"
base_dn = "OU=Tech,DC=example,DC=com"
uid = "sAMAccountName"
scope = "onelevel"
`
	s, d := spec.Parse("ldap.toml", []byte(text), spec.TOML)
	validate.Validate(s, d, validate.Options{})
	if s.Harbor.AuthMode != "ldap_auth" || d.HasErrors(false) {
		t.Fatalf("auth_mode %q, diagnostics %v", s.Harbor.AuthMode, d.Items())
	}
	p, err := plan.Build(s)
	if err != nil {
		t.Fatal(err)
	}
	vals := fakeSecrets(t, s)
	tr, err := render.Tree(p, "ldap.toml", vals)
	if err != nil {
		t.Fatal(err)
	}
	env, err := dotenv.ParseWithLookup(bytes.NewReader(file(t, tr, "nodes/harbor01/secrets/core.env")), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal([]byte(env["CONFIG_OVERWRITE_JSON"]), &cfg); err != nil {
		t.Fatalf("CONFIG_OVERWRITE_JSON = %q: %v", env["CONFIG_OVERWRITE_JSON"], err)
	}
	for k, want := range map[string]any{"auth_mode": "ldap_auth", "ldap_url": "ldaps://10.2.208.11:636", "ldap_scope": 1.0,
		"ldap_uid": "sAMAccountName", "ldap_search_password": vals["ldap_search_password"]} {
		if cfg[k] != want {
			t.Errorf("%s = %v, want %v", k, cfg[k], want)
		}
	}
	if bytes.Contains(file(t, tr, "nodes/harbor01/harbor/common/config/core/env"), []byte("ldaps://")) {
		t.Error("the committed core env mentions LDAP settings")
	}
}

// TestRedisPasswordInURLs checks that a Redis password full of URL syntax
// reads back intact through net/url from the URLs core is given.
func TestRedisPasswordInURLs(t *testing.T) {
	s, p := loadPlan(t, "two-site-dr")
	vals := fakeSecrets(t, s)
	vals["redis_password"] = `p@ss/w%rd:#?&=` + hostile
	tr, err := render.Tree(p, "x.toml", vals)
	if err != nil {
		t.Fatal(err)
	}
	env, err := dotenv.ParseWithLookup(bytes.NewReader(file(t, tr, "nodes/harbor-a1/secrets/core.env")), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"_REDIS_URL_CORE", "_REDIS_URL_REG"} {
		u, err := url.Parse(env[key])
		if err != nil {
			t.Fatalf("%s = %q: %v", key, env[key], err)
		}
		if pw, _ := u.User.Password(); pw != vals["redis_password"] {
			t.Errorf("%s password reads back %q", key, pw)
		}
		if u.Host != "10.1.0.11:6379" {
			t.Errorf("%s host %q, want site idc-a's Redis", key, u.Host)
		}
	}
}

// TestTrivyGitHubTokenOnlyInSecrets: the optional trivy_github_token, full
// of what env files and compose treat specially, reads back intact from
// secrets/trivy.env as compose reads it, appears in no file outside
// secrets/ (raw or escaped), and without it the key is not written at all.
func TestTrivyGitHubTokenOnlyInSecrets(t *testing.T) {
	const token = `ghp_T0k$EN{x}'"#\` + "`;%"
	s, p := loadPlan(t, "ha-modern")
	vals := fakeSecrets(t, s)
	vals["trivy_github_token"] = token
	tr, err := render.Tree(p, "harborgen.toml", vals)
	if err != nil {
		t.Fatal(err)
	}
	env, err := dotenv.ParseWithLookup(bytes.NewReader(file(t, tr, "nodes/harbor01/secrets/trivy.env")), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatalf("secrets/trivy.env does not parse: %v", err)
	}
	if env["SCANNER_TRIVY_GITHUB_TOKEN"] != token {
		t.Errorf("SCANNER_TRIVY_GITHUB_TOKEN reads back %q, want %q", env["SCANNER_TRIVY_GITHUB_TOKEN"], token)
	}
	for _, f := range tr.Files() {
		if f.Secret {
			continue
		}
		for _, form := range []string{token, "ghp_T0k", url.QueryEscape(token), strings.ReplaceAll(token, "$", "$$")} {
			if bytes.Contains(f.Data, []byte(form)) {
				t.Errorf("%s holds the GitHub token (%q)", f.Path, form)
			}
		}
	}
	delete(vals, "trivy_github_token")
	if tr, err = render.Tree(p, "harborgen.toml", vals); err != nil {
		t.Fatal(err)
	}
	for _, f := range tr.Files() {
		if bytes.Contains(f.Data, []byte("GITHUB_TOKEN")) {
			t.Errorf("%s writes a GitHub token without the secret", f.Path)
		}
	}
}
