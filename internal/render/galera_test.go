package render_test

import (
	"bytes"
	"context"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/harborgen/harborgen/internal/plan"
	"github.com/harborgen/harborgen/internal/spec"
	"github.com/harborgen/harborgen/internal/tree"
)

// renderGalera renders the ha-galera-ceph example, changed by change, with
// the fake secrets (full of characters to escape) into a directory.
func renderGalera(t *testing.T, change func(*spec.Spec)) (*plan.Plan, map[string]string, string) {
	t.Helper()
	s, _ := loadPlan(t, "ha-galera-ceph")
	if change != nil {
		change(s)
	}
	p, tr, vals := renderSpec(t, s)
	out := filepath.Join(t.TempDir(), "out")
	if _, err := tree.Write(out, tr); err != nil {
		t.Fatal(err)
	}
	return p, vals, out
}

// myPrintDefaults reads groups of an option file the way mariadbd does.
func myPrintDefaults(t *testing.T, file string, groups ...string) map[string]string {
	t.Helper()
	out, err := exec.Command("my_print_defaults", append([]string{"--defaults-file=" + file}, groups...)...).Output()
	if err != nil {
		t.Fatalf("my_print_defaults %s: %v", file, err)
	}
	opts := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		k, v, _ := strings.Cut(strings.TrimPrefix(line, "--"), "=")
		opts[strings.ReplaceAll(k, "-", "_")] = v
	}
	return opts
}

// withInclude copies a rendered galera.cnf with its !include pointed at the
// rendered secret (the container path exists only in the container).
func withInclude(t *testing.T, cnf, secret string) string {
	t.Helper()
	b, err := os.ReadFile(cnf)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(b), "!include /run/mysqld/galera-sst.cnf", "!include "+secret)
	path := filepath.Join(t.TempDir(), "galera.cnf")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestGaleraFiles checks each member's files with MariaDB's own readers:
// every required wsrep option is set to the plan's value, mariadbd accepts
// the whole file (an unknown variable exits 7), and the secrets read back
// exactly through my_print_defaults and bash.
func TestGaleraFiles(t *testing.T) {
	for _, bin := range []string{"my_print_defaults", "mariadbd", "bash"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("%s is not installed (.ci/run installs it)", bin)
		}
	}
	for _, tc := range []struct {
		name string
		sst  string
	}{
		{"mariabackup", "mariabackup"},
		{"rsync", "rsync"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, vals, out := renderGalera(t, func(s *spec.Spec) { s.Database.Galera.SSTMethod = tc.sst })
			members := 0
			for _, n := range p.Nodes {
				if n.Galera == nil {
					continue
				}
				members++
				checkGaleraMember(t, &n, vals, filepath.Join(out, "nodes", n.Name))
			}
			if members != 3 {
				t.Fatalf("%d galera members, want 3", members)
			}
		})
	}
}

func checkGaleraMember(t *testing.T, n *plan.Node, vals map[string]string, dir string) {
	g := n.Galera
	want := []string{"galera/galera.cnf", "galera/galera-health.sh", "galera/lib.bash", "galera-join.sh",
		"secrets/galera.env", "secrets/galera-client.cnf"}
	absent := []string{}
	for _, f := range []string{"galera/bootstrap.yml", "galera-bootstrap.sh", "galera-init-db.sh", "secrets/galera-users.env"} {
		if g.Bootstrap {
			want = append(want, f)
		} else {
			absent = append(absent, f)
		}
	}
	if g.SSTUser != "" {
		want = append(want, "secrets/galera-sst.cnf")
	} else {
		absent = append(absent, "secrets/galera-sst.cnf")
	}
	for _, f := range want {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s: %v", n.Name, err)
		}
	}
	for _, f := range absent {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Errorf("%s: %s rendered, want none", n.Name, f)
		}
	}

	cnf := filepath.Join(dir, "galera", "galera.cnf")
	sst := filepath.Join(dir, "secrets", "galera-sst.cnf")
	if g.SSTUser != "" {
		cnf = withInclude(t, cnf, sst)
	}
	opts := myPrintDefaults(t, cnf, "mysqld")
	sstOpts := myPrintDefaults(t, cnf, "sst")
	required := map[string]string{
		"wsrep_on":                  "ON",
		"wsrep_provider":            "/usr/lib/galera/libgalera_smm.so",
		"wsrep_cluster_name":        g.ClusterName,
		"wsrep_cluster_address":     "gcomm://" + strings.Join(g.Members, ","),
		"wsrep_node_address":        g.Address,
		"wsrep_node_name":           g.NodeName,
		"wsrep_sst_method":          g.SSTMethod,
		"wsrep_sst_receive_address": g.Address + ":4444",
		"wsrep_provider_options": "gcache.size=" + strconv.FormatUint(g.GcacheBytes, 10) +
			";gmcast.listen_addr=tcp://" + g.Address + ":4567;ist.recv_addr=" + g.Address + ":4568",
		"binlog_format":            "ROW",
		"default_storage_engine":   "InnoDB",
		"innodb_autoinc_lock_mode": "2",
		"bind_address":             g.Address,
		"port":                     strconv.Itoa(g.Port),
		"innodb_buffer_pool_size":  strconv.FormatUint(g.BufferPoolBytes, 10),
		"max_connections":          strconv.Itoa(g.MaxConnections),
		"datadir":                  "/var/lib/mysql",
	}
	if g.SSTUser != "" {
		required["wsrep_sst_auth"] = g.SSTUser + ":" + vals["galera_sst_password"]
	}
	for _, k := range slices.Sorted(maps.Keys(required)) {
		if got, ok := opts[k]; !ok || got != required[k] {
			t.Errorf("%s galera.cnf [mysqld] %s = %q (set: %v), want %q", n.Name, k, got, ok, required[k])
		}
	}
	if got := sstOpts["sockopt"]; got != "bind="+g.Address {
		t.Errorf("%s galera.cnf [sst] sockopt = %q", n.Name, got)
	}
	// mariadbd reads the same file: an unknown variable would exit 7.
	if b, err := exec.Command("mariadbd", "--defaults-file="+cnf, "--help", "--verbose").CombinedOutput(); err != nil {
		t.Errorf("%s: mariadbd --help --verbose: %v\n%s", n.Name, err, tail(b))
	}

	client := myPrintDefaults(t, filepath.Join(dir, "secrets", "galera-client.cnf"), "client")
	if client["user"] != "root" || client["password"] != vals["db_root_password"] || client["socket"] != opts["socket"] {
		t.Errorf("%s galera-client.cnf reads back as %q", n.Name, client)
	}
	if g.Bootstrap {
		got := bashVars(t, filepath.Join(dir, "secrets", "galera-users.env"), "GALERA_DB_PASSWORD", "GALERA_SST_PASSWORD")
		wantVars := []string{vals["db_password"], ""}
		if g.SSTUser != "" {
			wantVars[1] = vals["galera_sst_password"]
		}
		if !slices.Equal(got, wantVars) {
			t.Errorf("%s galera-users.env reads back as %q", n.Name, got)
		}
	}
}

// bashVars sources a file in bash and returns the variables' values.
func bashVars(t *testing.T, file string, names ...string) []string {
	t.Helper()
	script := `. "$1"; shift; for v; do printf '%s\0' "${!v-}"; done`
	out, err := exec.Command("bash", append([]string{"-c", script, "bash", file}, names...)...).Output()
	if err != nil {
		t.Fatalf("source %s: %v", file, err)
	}
	return strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
}

func tail(b []byte) []byte {
	if len(b) > 2000 {
		return b[len(b)-2000:]
	}
	return b
}

// TestGaleraImage: the official mariadb image installs mariadb-backup and
// socat, not rsync. With rsync SST every member's galera service builds its
// image from galera/Dockerfile, FROM the image the plan pins and installing
// rsync; with mariabackup it runs the pinned image and no Dockerfile is
// rendered. The compose file is read back with compose-go.
func TestGaleraImage(t *testing.T) {
	for _, tc := range []struct {
		sst      string
		packages []string // what galera/Dockerfile installs; none: no Dockerfile
	}{
		{"mariabackup", nil},
		{"rsync", []string{"rsync"}},
	} {
		t.Run(tc.sst, func(t *testing.T) {
			change := func(s *spec.Spec) { s.Database.Galera.SSTMethod = tc.sst }
			p, _, out := renderGalera(t, change)
			_, _, again := renderGalera(t, change)
			for _, n := range p.Nodes {
				if n.Galera == nil {
					continue
				}
				dir := filepath.Join(out, "nodes", n.Name)
				for _, f := range []string{"docker-compose.yml", "galera/Dockerfile"} {
					a, errA := os.ReadFile(filepath.Join(dir, f))
					b, errB := os.ReadFile(filepath.Join(again, "nodes", n.Name, f))
					if !bytes.Equal(a, b) || (errA == nil) != (errB == nil) {
						t.Errorf("%s: %s differs between two renders", n.Name, f)
					}
				}
				pinned := serviceImage(t, &n, "galera")
				project := loadComposeDir(t, dir)
				galera, health := project.Services["galera"], project.Services["galera-health"]
				if health.Image != pinned {
					t.Errorf("%s: galera-health image %q, want the pinned %q", n.Name, health.Image, pinned)
				}
				dockerfile, err := os.ReadFile(filepath.Join(dir, "galera", "Dockerfile"))
				if tc.packages == nil {
					if err == nil || galera.Build != nil || galera.Image != pinned {
						t.Errorf("%s: galera image %q build %v Dockerfile %v: want the pinned %q, no build", n.Name, galera.Image, galera.Build, err == nil, pinned)
					}
					continue
				}
				if err != nil {
					t.Fatalf("%s: %v", n.Name, err)
				}
				if galera.Build == nil || galera.Build.Context != filepath.Join(dir, "galera") || galera.PullPolicy != "build" || galera.Image != "" {
					t.Errorf("%s: galera build %+v pull_policy %q image %q: want ./galera, build, no image", n.Name, galera.Build, galera.PullPolicy, galera.Image)
				}
				// The real suite reads the Dockerfile back (galeraImageLacks).
				lines := strings.Split(string(dockerfile), "\n")
				install := "\tDEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends " + strings.Join(tc.packages, " ") + "; \\"
				if !slices.Contains(lines, "FROM "+pinned) || !slices.Contains(lines, install) {
					t.Errorf("%s: galera/Dockerfile lacks FROM %s or %q:\n%s", n.Name, pinned, install, dockerfile)
				}
			}
		})
	}
}

func serviceImage(t *testing.T, n *plan.Node, name string) string {
	t.Helper()
	for _, s := range n.Services {
		if s.Name == name {
			return s.Image
		}
	}
	t.Fatalf("%s: no service %s in the plan", n.Name, name)
	return ""
}

// loadComposeDir loads a node's docker-compose.yml with compose-go, from
// the node directory, as docker compose does.
func loadComposeDir(t *testing.T, dir string) *types.Project {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	project, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  dir,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(dir, "docker-compose.yml"), Content: b}},
		Environment: types.Mapping{},
	}, func(o *loader.Options) { o.SkipResolveEnvironment = true })
	if err != nil {
		t.Fatalf("%s: compose file does not load: %v", dir, err)
	}
	return project
}
