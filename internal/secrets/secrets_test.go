package secrets

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/harborgen/harborgen/internal/spec"
)

func loadSpec(t *testing.T, path string) *spec.Spec {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, d := spec.Parse(path, data, spec.TOML)
	if s == nil || d.Len() > 0 {
		t.Fatalf("%s: %v", path, d.Items())
	}
	return s
}

func TestGenerate(t *testing.T) {
	for _, tc := range []struct {
		def  Def
		want int
	}{
		{CSRFKey, 32}, {SecretKey, 16}, {CoreSecret, 16}, {JobserviceSecret, 16},
		{KeepalivedAuthPass, 8}, {DBPassword, 32}, {S3AccessKey, 20},
	} {
		v, err := Generate(tc.def, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if len(v) != tc.want || strings.Trim(v, alphabet) != "" {
			t.Errorf("%s = %q: want %d characters of [A-Za-z0-9]", tc.def.Name, v, tc.want)
		}
		if err := CheckValue(tc.def, v); err != nil {
			t.Errorf("%s: a generated value fails its own check: %v", tc.def.Name, err)
		}
	}
	if _, err := Generate(LDAPSearchPassword, rand.Reader); err == nil {
		t.Error("generated an operator-supplied secret")
	}
}

func TestCheckValue(t *testing.T) {
	for _, tc := range []struct {
		def   Def
		value string
		ok    bool
	}{
		{CSRFKey, strings.Repeat("a", 32), true},
		{CSRFKey, strings.Repeat("a", 31), false},
		{SecretKey, strings.Repeat("é", 16), true}, // characters, not bytes
		{KeepalivedAuthPass, "123456789", false},
		{DBPassword, "", false},
		{DBPassword, "a\nb", false},
		{DBPassword, `p@ss/w%rd:"'$`, true},
		{TokenPrivateKey, "not a key", false},
	} {
		if err := CheckValue(tc.def, tc.value); (err == nil) != tc.ok {
			t.Errorf("CheckValue(%s, %q) = %v, want ok=%t", tc.def.Name, tc.value, err, tc.ok)
		}
	}
}

func TestRequired(t *testing.T) {
	for _, tc := range []struct {
		example string
		has     []string
		hasnt   []string
	}{
		{"ha-galera-ceph", []string{"db_root_password", "galera_sst_password", "swift_key", "keepalived_auth_pass", "ldap_search_password"}, []string{"s3_access_key"}},
		{"ha-modern", []string{"s3_access_key", "s3_secret_key", "redis_password"}, []string{"db_root_password", "swift_key"}},
		{"shared-fs", []string{"db_password", "redis_password"}, []string{"keepalived_auth_pass", "s3_access_key"}},
	} {
		names := map[string]bool{}
		for _, n := range Required(loadSpec(t, "../../examples/"+tc.example+"/harborgen.toml")) {
			names[n.Name] = true
		}
		for _, n := range tc.has {
			if !names[n] {
				t.Errorf("%s: %s not required", tc.example, n)
			}
		}
		for _, n := range tc.hasnt {
			if names[n] {
				t.Errorf("%s: %s required", tc.example, n)
			}
		}
	}
}

// TestRedisPasswordNeed checks what each Redis layout asks of
// redis_password: a rendered Redis gets a generated requirepass; an external
// one an optional password the operator supplies (absent: no AUTH), for a
// standalone host and a Sentinel list alike; Harbor 1.5 sends none, so it is
// not needed, and refused for an external Redis.
func TestRedisPasswordNeed(t *testing.T) {
	external := func(host string) func(*spec.Spec) {
		return func(s *spec.Spec) {
			s.Redis.Mode, s.Redis.External = "external", &spec.RedisExternal{Host: host}
		}
	}
	for _, tc := range []struct {
		name, example string
		edit          func(*spec.Spec)
		want          string // generated | optional | absent
		refused       bool
	}{
		{name: "sentinel, rendered", example: "ha-modern", want: "generated"},
		{name: "external standalone", example: "shared-fs", want: "optional"},
		{name: "external sentinel", example: "shared-fs", edit: external("10.0.0.6:26379,10.0.0.7:26379"), want: "optional"},
		{name: "Harbor 1.5, rendered", example: "ha-galera-ceph", want: "absent"},
		{name: "Harbor 1.5, external", example: "ha-galera-ceph", edit: external("10.0.0.6:6379"), want: "absent", refused: true},
		{name: "sites, one external", example: "two-site-dr", edit: func(s *spec.Spec) {
			s.Sites[1].Redis = &spec.Redis{Mode: "external", External: &spec.RedisExternal{Host: "10.0.0.6:6379"}}
		}, want: "generated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := loadSpec(t, "../../examples/"+tc.example+"/harborgen.toml")
			if tc.edit != nil {
				tc.edit(s)
			}
			got := "absent"
			for _, n := range Required(s) {
				switch {
				case n.Name != RedisPassword.Name:
				case n.Generated && !n.Optional:
					got = "generated"
				case n.Optional && !n.Generated:
					got = "optional"
				default:
					got = fmt.Sprintf("generated %t, optional %t", n.Generated, n.Optional)
				}
			}
			if got != tc.want {
				t.Errorf("redis_password is %s, want %s", got, tc.want)
			}
			refused := slices.ContainsFunc(Refused(s), func(r Refusal) bool { return r.Name == RedisPassword.Name })
			if refused != tc.refused {
				t.Errorf("redis_password refused: %t, want %t", refused, tc.refused)
			}
		})
	}
	if err := CheckValue(optional(RedisPassword), ""); err != nil {
		t.Errorf("an empty optional password (no AUTH) is refused: %v", err)
	}
}

// TestInitLeavesOptionalSecrets: init never generates the external Redis's
// password; it lists it as optional, not as one the operator must supply.
func TestInitLeavesOptionalSecrets(t *testing.T) {
	s := loadSpec(t, "../../examples/shared-fs/harborgen.toml")
	path := filepath.Join(t.TempDir(), "harborgen.secrets.toml")
	res, err := Init(path, s, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := f.Values[RedisPassword.Name]; ok {
		t.Error("init generated the external Redis's password")
	}
	if !containsNeed(res.Optional, RedisPassword.Name) || containsNeed(res.Supply, RedisPassword.Name) {
		t.Errorf("redis_password: optional %v, supply %v; want it optional only", res.Optional, res.Supply)
	}
}

// TestInit checks that init fills what is missing, keeps every byte that was
// there, writes 0600, and that a second run changes nothing.
func TestInit(t *testing.T) {
	s := loadSpec(t, "../../examples/ha-modern/harborgen.toml")
	dir := t.TempDir()
	path := filepath.Join(dir, "harborgen.secrets.toml")
	existing := "# mine\ncsrf_key = \"" + strings.Repeat("k", 32) + "\" # keep\n"
	if err := os.WriteFile(path, []byte(existing), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Init(path, s, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(first), existing) {
		t.Errorf("init changed the existing content:\n%s", first)
	}
	if len(res.Warnings) == 0 || !strings.Contains(res.Warnings[0], "readable by others") {
		t.Errorf("no warning for a 0644 secrets file: %v", res.Warnings)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Errorf("mode %04o, want 0600", info.Mode().Perm())
	}
	f, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range Required(s) {
		v, ok := f.Values[n.Name]
		if n.Optional {
			if ok || !containsNeed(res.Optional, n.Name) {
				t.Errorf("%s is optional and the operator's: init must list it as optional, not write it", n.Name)
			}
			continue
		}
		if !n.Generated {
			if ok || !containsNeed(res.Supply, n.Name) {
				t.Errorf("%s is the operator's: init must list it, not write it", n.Name)
			}
			continue
		}
		if !ok {
			t.Errorf("%s missing after init", n.Name)
			continue
		}
		if err := CheckValue(n.Def, v); err != nil {
			t.Errorf("%s: %v", n.Name, err)
		}
	}
	if f.Values["csrf_key"] != strings.Repeat("k", 32) {
		t.Error("init changed an existing value")
	}
	res, err = Init(path, s, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	second, _ := os.ReadFile(path)
	if string(second) != string(first) || len(res.Generated) != 0 {
		t.Errorf("a second init changed the file (generated %v)", res.Generated)
	}
}

func TestInitRefusesBrokenFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.secrets.toml")
	if err := os.WriteFile(path, []byte("csrf_key = \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Init(path, loadSpec(t, "../../examples/ha-modern/harborgen.toml"), rand.Reader); err == nil {
		t.Fatal("init overwrote a secrets file it could not parse")
	}
	if data, _ := os.ReadFile(path); string(data) != "csrf_key = \n" {
		t.Errorf("the broken file changed: %q", data)
	}
}

func TestLookupPrefersEnvironment(t *testing.T) {
	f := &File{Values: map[string]string{"db_password": "file"}}
	env := func(k string) (string, bool) { return "env", k == "HARBORGEN_SECRET_DB_PASSWORD" }
	if v, fromEnv, ok := f.Lookup("db_password", env); v != "env" || !fromEnv || !ok {
		t.Errorf("Lookup = %q, %t, %t", v, fromEnv, ok)
	}
	if v, fromEnv, _ := f.Lookup("db_password", nil); v != "file" || fromEnv {
		t.Errorf("Lookup without env = %q, %t", v, fromEnv)
	}
}

func containsNeed(needs []Need, name string) bool {
	for _, n := range needs {
		if n.Name == name {
			return true
		}
	}
	return false
}

// TestTokenCertificate checks that root.crt is the same for the same key,
// and that it carries the key's public half, so the registry of Harbor 1.5
// verifies the tokens the ui signs.
func TestTokenCertificate(t *testing.T) {
	key, err := Generate(TokenPrivateKey, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	a, err := TokenCertificate(key)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := TokenCertificate(key)
	if a != b {
		t.Error("two certificates of one key differ")
	}
	block, _ := pem.Decode([]byte(a))
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := pem.Decode([]byte(key))
	priv, _ := x509.ParsePKCS1PrivateKey(kb.Bytes)
	if !priv.PublicKey.Equal(cert.PublicKey) {
		t.Error("the certificate does not carry the token key")
	}
	if err := cert.CheckSignatureFrom(cert); err != nil {
		t.Errorf("not self-signed: %v", err)
	}
	if _, err := TokenCertificate("junk"); err == nil {
		t.Error("a non-PEM key gave a certificate")
	}
}

// A secrets file that is a symlink (to a vault mount, to a file kept
// elsewhere) is written through: the target gets the values, the link stays.
func TestInitWritesThroughASymlink(t *testing.T) {
	s := loadSpec(t, "../../examples/ha-modern/harborgen.toml")
	for _, tc := range []struct {
		name     string
		existing bool // the target exists before init
	}{{"existing target", true}, {"target not made yet", false}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			vault := filepath.Join(dir, "vault")
			if err := os.Mkdir(vault, 0o700); err != nil {
				t.Fatal(err)
			}
			target := filepath.Join(vault, "harbor.toml")
			if tc.existing {
				if err := os.WriteFile(target, []byte("# kept in the vault\n"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			link := filepath.Join(dir, "harborgen.secrets.toml")
			if err := os.Symlink("vault/harbor.toml", link); err != nil {
				t.Fatal(err)
			}
			if _, err := Init(link, s, rand.Reader); err != nil {
				t.Fatal(err)
			}
			if info, err := os.Lstat(link); err != nil || info.Mode()&os.ModeSymlink == 0 {
				t.Fatalf("the symlink was replaced: %v %v", info.Mode(), err)
			}
			data, err := os.ReadFile(target)
			if err != nil || !strings.Contains(string(data), "csrf_key = ") {
				t.Fatalf("the target did not get the secrets: %q %v", data, err)
			}
			if tc.existing && !strings.HasPrefix(string(data), "# kept in the vault\n") {
				t.Errorf("the target lost its content:\n%s", data)
			}
			if info, _ := os.Stat(target); info.Mode().Perm() != 0o600 {
				t.Errorf("target mode %04o", info.Mode().Perm())
			}
		})
	}
}

// TestJaegerPasswordOptional: the Jaeger password is the operator's, optional
// (init never generates it), and needed only with a Jaeger collector
// endpoint: an agent takes none, and without tracing nothing sends it.
func TestJaegerPasswordOptional(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(*spec.Spec)
		want bool
	}{
		{"no tracing", func(*spec.Spec) {}, false},
		{"disabled", func(s *spec.Spec) {
			s.Harbor.Trace.Jaeger = &spec.Jaeger{Endpoint: "http://jaeger:14268/api/traces"}
		}, false},
		{"collector", func(s *spec.Spec) {
			s.Harbor.Trace.Enabled, s.Harbor.Trace.Jaeger = true, &spec.Jaeger{Endpoint: "http://jaeger:14268/api/traces"}
		}, true},
		{"agent", func(s *spec.Spec) {
			s.Harbor.Trace.Enabled, s.Harbor.Trace.Jaeger = true, &spec.Jaeger{AgentHost: "jaeger", AgentPort: 6831}
		}, false},
		{"otel", func(s *spec.Spec) {
			s.Harbor.Trace.Enabled, s.Harbor.Trace.Otel = true, &spec.Otel{Endpoint: "otel:4318", URLPath: "/v1/traces"}
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := loadSpec(t, "../../examples/ha-modern/harborgen.toml")
			tc.set(s)
			var need *Need
			for _, n := range Required(s) {
				if n.Name == JaegerPassword.Name {
					need = &n
				}
			}
			switch {
			case (need != nil) != tc.want:
				t.Fatalf("jaeger_password needed: %t, want %t", need != nil, tc.want)
			case need != nil && (need.Generated || !need.Optional):
				t.Errorf("jaeger_password: generated %t, optional %t; want the operator's, optional", need.Generated, need.Optional)
			}
			if need == nil {
				return
			}
			res, err := Init(filepath.Join(t.TempDir(), "s.toml"), s, rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			if !containsNeed(res.Optional, JaegerPassword.Name) {
				t.Errorf("init does not list jaeger_password as optional: %v", res.Optional)
			}
		})
	}
}
