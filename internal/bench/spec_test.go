package bench

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/harborgen/harborgen/internal/spec"
	"github.com/harborgen/harborgen/internal/validate"
)

// specDir, when set, is where TestGeneratedSpecs also writes the generated
// specs, for bench.sh to time whole processes on them.
var specDir = flag.String("spec-dir", "", "write the generated specs (harbor<N>.toml) into this directory")

// sizes are the numbers of harbor nodes of the generated specs.
var sizes = []int{3, 50, 500}

// nodesBlock is the example's node list that genSpec replaces.
var nodesBlock = regexp.MustCompile(`(?s)\n\[\[node\]\].*\n\[\[node\]\]\nname = "ceph-rgw01"\naddress = "10\.32\.3\.70"\nroles = \["ceph-admin"\]\n`)

// genSpec is examples/ha-galera-ceph (Harbor 1.5, Galera, Swift on Ceph,
// HAProxy: the profile with the most work per node, the token certificate
// included) with harbors harbor nodes instead of three: the first three also
// run Galera, the first Redis; two lb nodes and the ceph-admin node as in the
// example. genSpec(3) is the example's topology.
func genSpec(tb testing.TB, harbors int) []byte {
	tb.Helper()
	example, err := os.ReadFile("../../examples/ha-galera-ceph/harborgen.toml")
	if err != nil {
		tb.Fatal(err)
	}
	var nodes bytes.Buffer
	for i := 1; i <= harbors; i++ {
		roles := `"harbor"`
		switch {
		case i == 1:
			roles = `"harbor", "galera", "redis"`
		case i <= 3:
			roles = `"harbor", "galera"`
		}
		fmt.Fprintf(&nodes, "\n[[node]]\nname = %q\naddress = \"10.212.%d.%d\"\nroles = [%s]\n", registry(i), 30+i/200, 10+i%200, roles)
	}
	nodes.WriteString("\n[[node]]\nname = \"lb01\"\naddress = \"10.212.29.41\"\nroles = [\"lb\"]\n")
	nodes.WriteString("\n[[node]]\nname = \"lb02\"\naddress = \"10.212.29.42\"\nroles = [\"lb\"]\n")
	nodes.WriteString("\n[[node]]\nname = \"ceph-rgw01\"\naddress = \"10.32.3.70\"\nroles = [\"ceph-admin\"]\n")
	if !nodesBlock.Match(example) {
		tb.Fatal("examples/ha-galera-ceph no longer has the node list genSpec replaces")
	}
	out := nodesBlock.ReplaceAllLiteral(example, nodes.Bytes())
	out = bytes.ReplaceAll(out, []byte(`bootstrap_node = "registry01"`), []byte(fmt.Sprintf("bootstrap_node = %q", registry(1))))
	// Every harbor node opens up to max_open_conns (100) connections.
	return bytes.ReplaceAll(out, []byte("max_connections = 1000\n"), []byte(fmt.Sprintf("max_connections = %d\n", 100*harbors+100)))
}

func registry(i int) string { return fmt.Sprintf("registry%03d", i) }

// TestGeneratedSpecs proves that every generated spec is valid and has the
// nodes it says; with -spec-dir it writes them there for bench.sh.
func TestGeneratedSpecs(t *testing.T) {
	for _, n := range sizes {
		data := genSpec(t, n)
		s, d := spec.Parse("harborgen.toml", data, spec.TOML)
		validate.Validate(s, d, validate.Options{})
		if d.HasErrors(false) {
			t.Fatalf("harbor%d: %v", n, d.Items())
		}
		if got := len(s.Nodes); got != n+3 {
			t.Errorf("harbor%d: %d nodes, want %d", n, got, n+3)
		}
		if *specDir != "" {
			if err := os.WriteFile(filepath.Join(*specDir, fmt.Sprintf("harbor%d.toml", n)), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
