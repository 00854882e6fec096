package secrets

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
)

// ValuesFile is the file, in each node's secrets/ directory, that holds the
// secret values that node's rendered files already hold, by name. render
// writes it; render reads the previous tree's before it writes, so that it
// never changes a value the cluster runs with unless told to (--rotate), and
// `secrets init` recovers a lost secrets file from them. It adds no exposure:
// every value in it is already written, in some escaped form, beside it.
const ValuesFile = "harborgen-values.toml"

// Held is what a rendered tree holds: each secret's value and the nodes
// that hold it.
type Held struct {
	Values map[string]string
	Nodes  map[string][]string // secret name -> nodes, sorted
}

// TreeValues reads the secret values a rendered tree holds (out is render's
// --out directory). A tree without any gives an empty Held. Two nodes that
// hold different values of one secret are an error: the tree itself is
// inconsistent, and neither value can be trusted.
func TreeValues(out string) (*Held, error) {
	h := &Held{Values: map[string]string{}, Nodes: map[string][]string{}}
	files, err := filepath.Glob(filepath.Join(out, "nodes", "*", "secrets", ValuesFile))
	if err != nil {
		return nil, err
	}
	slices.Sort(files)
	var disagree []string
	for _, f := range files {
		node := filepath.Base(filepath.Dir(filepath.Dir(f)))
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read the rendered secrets: %w", err)
		}
		var vals map[string]string
		if _, err := toml.Decode(string(data), &vals); err != nil {
			return nil, fmt.Errorf("read the rendered secrets: %s does not parse (%v)", f, firstLine(err))
		}
		for name, v := range vals {
			if prev, ok := h.Values[name]; ok && prev != v {
				disagree = append(disagree, fmt.Sprintf("%s (%s differs from %s)", name, node, strings.Join(h.Nodes[name], ", ")))
				continue
			}
			h.Values[name] = v
			h.Nodes[name] = append(h.Nodes[name], node)
		}
	}
	if len(disagree) > 0 {
		slices.Sort(disagree)
		return nil, fmt.Errorf("the rendered tree %s holds different values of %s", out, strings.Join(disagree, "; "))
	}
	return h, nil
}

// firstLine says where a parse error is, without the text it quotes (a
// value).
func firstLine(err error) string {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		return fmt.Sprintf("line %d", pe.Position.Line)
	}
	return "not TOML"
}

// Changed returns, sorted, each secret whose value in values differs from
// the one the tree holds, leaving out those in rotate.
func (h *Held) Changed(values map[string]string, rotate []string) []string {
	var out []string
	for name, v := range values {
		if prev, ok := h.Values[name]; ok && prev != v && !slices.Contains(rotate, name) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}
