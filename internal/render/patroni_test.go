package render_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"go.yaml.in/yaml/v3"

	"github.com/harborgen/harborgen/internal/plan"
	"github.com/harborgen/harborgen/internal/profile"
	"github.com/harborgen/harborgen/internal/render"
	"github.com/harborgen/harborgen/internal/spec"
	"github.com/harborgen/harborgen/internal/validate"
	"github.com/harborgen/harborgen/schema"
)

// patroniSecrets are the secrets only the Patroni tier holds, besides
// db_password (generated for it).
var patroniSecrets = []string{"postgres_superuser_password", "postgres_replication_password", "patroni_rest_password"}

// TestPatroniFiles reads the Patroni tier of ha-modern-patroni back with the
// parsers its consumers use.
func TestPatroniFiles(t *testing.T) {
	_, tr, _ := renderSpec(t, mustLoad(t, "../../examples/ha-modern-patroni/harborgen.toml"))
	files := treeFiles(tr)

	var conf struct {
		Scope   string `yaml:"scope"`
		Name    string `yaml:"name"`
		RESTAPI struct {
			Listen string `yaml:"listen"`
		} `yaml:"restapi"`
		Etcd3 struct {
			Hosts []string `yaml:"hosts"`
		} `yaml:"etcd3"`
		Bootstrap struct {
			DCS struct {
				TTL             int  `yaml:"ttl"`
				LoopWait        int  `yaml:"loop_wait"`
				SynchronousMode bool `yaml:"synchronous_mode"`
				PostgreSQL      struct {
					Parameters map[string]any `yaml:"parameters"`
				} `yaml:"postgresql"`
			} `yaml:"dcs"`
		} `yaml:"bootstrap"`
		PostgreSQL struct {
			Listen string   `yaml:"listen"`
			BinDir string   `yaml:"bin_dir"`
			HBA    []string `yaml:"pg_hba"`
		} `yaml:"postgresql"`
	}
	yml := files["nodes/pg02/patroni/patroni.yml"].Data
	if err := yaml.Unmarshal(yml, &conf); err != nil {
		t.Fatalf("patroni.yml does not parse: %v", err)
	}
	for _, c := range []struct{ what, got, want string }{
		{"scope", conf.Scope, "harbor-pg"},
		{"name", conf.Name, "pg02"},
		{"restapi.listen", conf.RESTAPI.Listen, "10.30.0.32:8008"},
		{"etcd3.hosts", strings.Join(conf.Etcd3.Hosts, ","), "10.30.0.31:2379,10.30.0.32:2379,10.30.0.33:2379"},
		{"ttl", strconv.Itoa(conf.Bootstrap.DCS.TTL), "30"},
		{"loop_wait", strconv.Itoa(conf.Bootstrap.DCS.LoopWait), "10"},
		{"synchronous_mode", strconv.FormatBool(conf.Bootstrap.DCS.SynchronousMode), "true"},
		{"max_connections", strconv.Itoa(conf.Bootstrap.DCS.PostgreSQL.Parameters["max_connections"].(int)), "500"},
		{"postgresql.listen", conf.PostgreSQL.Listen, "10.30.0.32:5432"},
		{"bin_dir (2.15.2 bundles PostgreSQL 18)", conf.PostgreSQL.BinDir, "/usr/lib/postgresql/18/bin"},
	} {
		if c.got != c.want {
			t.Errorf("patroni.yml %s = %q, want %q", c.what, c.got, c.want)
		}
	}
	for _, want := range []string{
		`host replication "replicator" 10.30.0.31/32 scram-sha-256`,
		`host "registry" "registry" 10.30.0.21/32 scram-sha-256`,  // lb01
		`host "registry" "registry" 10.30.0.100/32 scram-sha-256`, // the VIP
		`host "registry" "registry" 10.30.0.11/32 scram-sha-256`,  // harbor01
		`host all "postgres" 10.30.0.33/32 scram-sha-256`,         // pg_rewind from pg03
	} {
		if !strings.Contains(strings.Join(conf.PostgreSQL.HBA, "\n"), want) {
			t.Errorf("pg_hba lacks %q: %q", want, conf.PostgreSQL.HBA)
		}
	}
	var anything map[string]any
	_ = yaml.Unmarshal(yml, &anything)
	if key, ok := findKey(anything, "password"); ok {
		t.Errorf("patroni.yml has a %s key: its passwords must come from secrets/patroni.env", key)
	}

	var etcd map[string]string
	if err := yaml.Unmarshal(files["nodes/pg03/etcd/etcd.conf.yml"].Data, &etcd); err != nil {
		t.Fatalf("etcd.conf.yml does not parse: %v", err)
	}
	if got, want := etcd["initial-cluster"], "pg01=http://10.30.0.31:2380,pg02=http://10.30.0.32:2380,pg03=http://10.30.0.33:2380"; got != want {
		t.Errorf("initial-cluster = %q, want %q", got, want)
	}
	if got := etcd["listen-client-urls"]; got != "http://10.30.0.33:2379" {
		t.Errorf("listen-client-urls = %q", got)
	}
	// Read from a file, etcd 3.4 leaves the v3 gateway Patroni uses off.
	if got := etcd["enable-grpc-gateway"]; got != "true" {
		t.Errorf("enable-grpc-gateway = %q, want true", got)
	}

	for _, c := range []struct {
		file         string
		want, absent []string
	}{
		{file: "nodes/pg01/patroni/Dockerfile", want: []string{"FROM postgres:18.0\n", " patroni python3-etcd curl;", "USER postgres"}},
		{file: "nodes/lb01/lb/haproxy.cfg", want: []string{
			"    http-check send meth GET uri /primary\n",
			"    default-server inter 3s fall 3 rise 2 port 8008 on-marked-down shutdown-sessions\n",
			"    server pg01 10.30.0.31:5432 check\n", "    server pg02 10.30.0.32:5432 check\n", "    server pg03 10.30.0.33:5432 check\n",
			"    bind 10.30.0.100:5432\n"},
			absent: []string{"10.30.0.32:5432 check backup"}},
		{file: "nodes/harbor01/harbor/common/config/core/env", want: []string{
			"POSTGRESQL_HOST=10.30.0.100\n", "POSTGRESQL_SSLMODE=disable\n",
			"POSTGRESQL_CONN_MAX_LIFETIME=1m\n", "POSTGRESQL_CONN_MAX_IDLE_TIME=30s\n"}},
		{file: "nodes/pg01/patroni-init-db.sh", want: []string{
			"target_session_attrs=read-write", "host=10.30.0.31,10.30.0.32,10.30.0.33 port=5432,5432,5432"}},
	} {
		f, ok := files[c.file]
		if !ok {
			t.Errorf("no %s", c.file)
			continue
		}
		for _, w := range c.want {
			if !bytes.Contains(f.Data, []byte(w)) {
				t.Errorf("%s lacks %q", c.file, w)
			}
		}
		for _, a := range c.absent {
			if bytes.Contains(f.Data, []byte(a)) {
				t.Errorf("%s has %q", c.file, a)
			}
		}
	}
	for _, absent := range []string{"nodes/pg02/patroni-init-db.sh", "nodes/pg02/secrets/patroni-init.env"} {
		if _, ok := files[absent]; ok {
			t.Errorf("%s rendered: the init script runs on the expected leader's node only", absent)
		}
	}
}

// findKey finds a map key anywhere in a parsed YAML document.
func findKey(v any, key string) (string, bool) {
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			if k == key {
				return k, true
			}
			if p, ok := findKey(child, key); ok {
				return k + "." + p, true
			}
		}
	case []any:
		for _, child := range v {
			if p, ok := findKey(child, key); ok {
				return p, true
			}
		}
	}
	return "", false
}

func mustLoad(t *testing.T, file string) *spec.Spec {
	t.Helper()
	s, _ := loadPlanFile(t, file)
	return s
}

// TestPatroniSecretsReadBack gives the Patroni secrets hostile values: each
// reads back exactly from the secrets file its consumer reads (docker's env
// file, bash for the init script), and none is in a committed file.
func TestPatroniSecretsReadBack(t *testing.T) {
	s := mustLoad(t, "../../examples/ha-modern-patroni/harborgen.toml")
	p, err := plan.Build(s)
	if err != nil {
		t.Fatal(err)
	}
	vals := fakeSecrets(t, s)
	for i, name := range append([]string{"db_password"}, patroniSecrets...) {
		if _, ok := vals[name]; !ok {
			t.Fatalf("engine patroni does not need %s", name)
		}
		vals[name] = hostile + ` \n$(touch /tmp/x)'` + strconv.Itoa(i)
	}
	tr, err := render.Tree(p, "harborgen.toml", vals)
	if err != nil {
		t.Fatal(err)
	}
	files := treeFiles(tr)
	env, err := dotenv.ParseWithLookup(bytes.NewReader(files["nodes/pg02/secrets/patroni.env"].Data), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatalf("secrets/patroni.env does not parse: %v", err)
	}
	for key, name := range map[string]string{"PATRONI_SUPERUSER_PASSWORD": "postgres_superuser_password",
		"PATRONI_REPLICATION_PASSWORD": "postgres_replication_password", "PATRONI_RESTAPI_PASSWORD": "patroni_rest_password"} {
		if env[key] != vals[name] {
			t.Errorf("%s reads back %q, want %q", key, env[key], vals[name])
		}
	}
	dir := t.TempDir()
	initEnv := filepath.Join(dir, "patroni-init.env")
	if err := os.WriteFile(initEnv, files["nodes/pg01/secrets/patroni-init.env"].Data, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("bash", "-c", `. "$1" && printf %s "$PATRONI_INIT_DB_PASSWORD"`, "bash", initEnv).Output()
	if err != nil {
		t.Fatalf("bash cannot source secrets/patroni-init.env: %v", err)
	}
	if string(out) != vals["db_password"] {
		t.Errorf("PATRONI_INIT_DB_PASSWORD reads back %q, want %q", out, vals["db_password"])
	}
	for _, f := range tr.Files() {
		if !f.Secret && bytes.Contains(f.Data, []byte(` \n$(touch /tmp/x)`)) {
			t.Errorf("%s holds a Patroni secret outside secrets/", f.Path)
		}
	}
}

// TestPatroniHostileDataDir: database.patroni.data_dir goes into the compose
// volumes of both services, read back by compose-go.
func TestPatroniHostileDataDir(t *testing.T) {
	src, err := os.ReadFile("../../examples/ha-modern-patroni/harborgen.toml")
	if err != nil {
		t.Fatal(err)
	}
	dataDir := "/data/" + hostile
	text := strings.Replace(string(src), `data_dir = "/data/patroni"`, "data_dir = "+strconv.Quote(dataDir), 1)
	s, d := spec.Parse("hostile.toml", []byte(text), spec.TOML)
	if s == nil {
		t.Fatalf("does not parse: %v", d.Items())
	}
	validate.Validate(s, d, validate.Options{})
	if d.HasErrors(false) {
		t.Fatalf("validate rejects the hostile data_dir: %v", d.Items())
	}
	_, tr, _ := renderSpec(t, s)
	project, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  "/nodes/pg01",
		ConfigFiles: []types.ConfigFile{{Filename: "docker-compose.yml", Content: file(t, tr, "nodes/pg01/docker-compose.yml")}},
		Environment: types.Mapping{},
	}, func(o *loader.Options) { o.SkipResolveEnvironment = true })
	if err != nil {
		t.Fatalf("compose file does not load: %v", err)
	}
	for service, want := range map[string]string{"patroni": dataDir + "/postgresql", "etcd": dataDir + "/etcd"} {
		found := false
		for _, v := range project.Services[service].Volumes {
			if v.Source == want {
				found = true
			}
		}
		if !found {
			t.Errorf("%s has no volume from %q: %+v", service, want, project.Services[service].Volumes)
		}
	}
	var conf map[string]any
	if err := yaml.Unmarshal(file(t, tr, "nodes/pg01/patroni/patroni.yml"), &conf); err != nil {
		t.Errorf("patroni.yml does not parse: %v", err)
	}
}

// TestPatroniPostgresVersion: the PostgreSQL major, and with it the image
// and bin_dir, follows Harbor's bundled database unless the spec sets it.
func TestPatroniPostgresVersion(t *testing.T) {
	type pgCase struct {
		name    string
		version string
		set     int
		image   string
	}
	cases := []pgCase{
		{"2.15.2 bundles 18", "2.15.2", 0, "postgres:18.0"},
		{"2.15.1 bundles 15", "2.15.1", 0, "postgres:15.14"},
		{"2.11.0 bundles 15", "2.11.0", 0, "postgres:15.14"},
		{"2.10.3 bundles 14", "2.10.3", 0, "postgres:14.19"},
		{"set to 16", "2.15.2", 16, "postgres:16.10"},
		{"set to 17", "2.10.0", 17, "postgres:17.6"},
	}
	// Every postgres image of the data is some case's.
	data, err := profile.Images()
	if err != nil {
		t.Fatal(err)
	}
	for _, im := range data {
		if strings.HasPrefix(im.Key, "postgres") && !slices.ContainsFunc(cases, func(c pgCase) bool { return c.image == im.Ref("") }) {
			t.Errorf("no case renders %s (%s)", im.Key, im.Ref(""))
		}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := mustLoad(t, "../../examples/ha-modern-patroni/harborgen.toml")
			s.Harbor.Version = tc.version
			s.Database.Patroni.PostgresVersion = tc.set
			p, tr, _ := renderSpec(t, s)
			dockerfile := string(file(t, tr, "nodes/pg01/patroni/Dockerfile"))
			if !strings.Contains(dockerfile, "FROM "+tc.image+"\n") {
				t.Errorf("Dockerfile is not FROM %s:\n%s", tc.image, dockerfile)
			}
			major := strings.TrimSuffix(strings.SplitN(strings.TrimPrefix(tc.image, "postgres:"), ".", 2)[0], "")
			if got := p.Nodes[3].Patroni.BinDir; got != "/usr/lib/postgresql/"+major+"/bin" {
				t.Errorf("bin_dir = %s, want PostgreSQL %s's", got, major)
			}
		})
	}
}

// TestPatroniVersionsHaveImages: every PostgreSQL major the schema accepts
// has a pinned image, and every postgres image is a major the schema accepts.
func TestPatroniVersionsHaveImages(t *testing.T) {
	var doc struct {
		Defs map[string]struct {
			Properties map[string]struct {
				Enum []any `json:"enum"`
			} `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(schema.JSON, &doc); err != nil {
		t.Fatal(err)
	}
	var majors []int
	for _, v := range doc.Defs["patroni"].Properties["postgres_version"].Enum {
		majors = append(majors, int(v.(float64)))
	}
	if len(majors) == 0 {
		t.Fatal("the schema lists no postgres_version")
	}
	data, err := profile.Images()
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for _, im := range data {
		if strings.HasPrefix(im.Key, "postgres") {
			keys[im.Key] = true
		}
	}
	for _, m := range majors {
		key := "postgres" + strconv.Itoa(m)
		if !keys[key] {
			t.Errorf("postgres_version %d has no image %s in %s", m, key, profile.ImagesFile)
		}
		delete(keys, key)
	}
	for key := range keys {
		t.Errorf("image %s is no postgres_version of the schema", key)
	}
}
