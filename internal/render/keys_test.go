package render_test

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/Masterminds/semver/v3"

	"github.com/harborgen/harborgen/internal/profile"
	"github.com/harborgen/harborgen/internal/spec"
)

var prepareMirror = flag.String("prepare-mirror", "",
	"a git directory of goharbor/harbor with its tags: re-read testdata/prepare-keys from prepare's env templates")

// keySetsDir holds, per Harbor release of profile 2, the env keys its
// prepare writes (docs/harbor-2.15-prepare.md §13).
const keySetsDir = "testdata/prepare-keys"

// keyVariant is one configuration both prepare and harborgen render: the
// conditions of prepare's {% if %} blocks, the spec change that asks
// harborgen for the same, and where its key sets are recorded.
type keyVariant struct {
	name       string
	dir        string
	conditions map[string]bool
	edit       func(*spec.Spec)
}

// keyVariants: the default configuration, and the harbor.yml settings that
// add env keys (the cache layer).
var keyVariants = []keyVariant{
	{"default", keySetsDir, prepareConditions, func(*spec.Spec) {}},
	{"cache", "testdata/prepare-keys-cache", withConditions(prepareConditions, map[string]bool{"cache.enabled": true}),
		func(s *spec.Spec) { s.Harbor.Cache.Enabled, s.Harbor.Cache.ExpireHours = true, 24 }},
}

func withConditions(base, over map[string]bool) map[string]bool {
	out := map[string]bool{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		out[k] = v
	}
	return out
}

// envFiles maps each component of a prepare key set to the files of a
// harbor node that hold its env (the committed file and its secrets twin).
var envFiles = []struct {
	component, jinja string
	files            []string
}{
	{"core", "core", []string{"harbor/common/config/core/env", "secrets/core.env"}},
	{"jobservice", "jobservice", []string{"harbor/common/config/jobservice/env", "secrets/jobservice.env"}},
	{"registryctl", "registryctl", []string{"harbor/common/config/registryctl/env", "secrets/registryctl.env"}},
	{"trivy", "trivy-adapter", []string{"harbor/common/config/trivy-adapter/env", "secrets/trivy.env"}},
}

// prepareKey is one line prepare writes: a key, and its value when the
// template writes a constant.
type prepareKey struct {
	Key, Value string
	Literal    bool
}

// keySet is what one release's prepare writes, per component.
type keySet struct {
	Tag     string
	Version string
	Env     map[string][]prepareKey
}

func (k keySet) find(component, key string) (prepareKey, bool) {
	i := slices.IndexFunc(k.Env[component], func(p prepareKey) bool { return p.Key == key })
	if i < 0 {
		return prepareKey{}, false
	}
	return k.Env[component][i], true
}

// readKeySets reads every recorded release of the default variant, oldest first.
func readKeySets(t *testing.T) []keySet { return readVariantKeySets(t, keyVariants[0]) }

// readVariantKeySets reads every recorded release of a variant, oldest first.
func readVariantKeySets(t *testing.T, kv keyVariant) []keySet {
	t.Helper()
	if *prepareMirror != "" {
		writeKeySets(t, *prepareMirror, kv)
	}
	names, err := filepath.Glob(filepath.Join(kv.dir, "v*.txt"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no key sets in %s (%v)", kv.dir, err)
	}
	var out []keySet
	for _, name := range names {
		tag := strings.TrimSuffix(filepath.Base(name), ".txt")
		ks := keySet{Tag: tag, Version: strings.TrimPrefix(tag, "v"), Env: map[string][]prepareKey{}}
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			component, kv, ok := strings.Cut(line, ": ")
			if !ok {
				t.Fatalf("%s: bad line %q", name, line)
			}
			k, v, literal := strings.Cut(kv, "=")
			ks.Env[component] = append(ks.Env[component], prepareKey{Key: k, Value: v, Literal: literal})
		}
		out = append(out, ks)
	}
	slices.SortFunc(out, func(a, b keySet) int {
		return semver.MustParse(a.Version).Compare(semver.MustParse(b.Version))
	})
	return out
}

// prepareConditions are the {% if %} conditions of prepare's env templates
// under the configuration harborgen renders: no internal TLS, metrics,
// tracing or cache layer, no separate Harbor Redis db, and a quota update
// provider always set.
var prepareConditions = map[string]bool{
	"internal_tls.enabled": false, "internal_tls.verify_client_cert": false,
	"metric.enabled": false, "trace.enabled": false, "trace.jaeger.enabled": false, "trace.otel.enabled": false,
	"cache.enabled": false, "redis_url_cache_layer": false, "redis_url_harbor": false,
	"core.quota_update_provider": true,
}

var (
	jinjaTag  = regexp.MustCompile(`^\{%-?\s*(if\s+(\S+)|else|endif)\s*-?%\}$`)
	jinjaLine = regexp.MustCompile(`^([A-Z_][A-Z0-9_]*)=(.*)$`)
)

// writeKeySets re-reads the key sets from prepare's env templates at every
// tag of a release of profile 2 in a goharbor/harbor git directory.
func writeKeySets(t *testing.T, gitDir string, kv keyVariant) {
	t.Helper()
	tags, err := exec.Command("git", "-C", gitDir, "tag", "-l", "v2.*").Output()
	if err != nil {
		t.Fatalf("git tag: %v", err)
	}
	written := 0
	for _, tag := range strings.Fields(string(tags)) {
		p := profile.ForVersion(strings.TrimPrefix(tag, "v"))
		if p == nil || p.Name != "2" {
			continue
		}
		var b bytes.Buffer
		fmt.Fprintf(&b, "# The env keys Harbor %s's prepare writes (make/photon/prepare/templates/*/env.jinja at tag %s),\n", tag, tag)
		if kv.name == "default" {
			fmt.Fprintf(&b, "# with internal TLS, metrics, tracing and the cache layer off. KEY=value: a constant.\n")
		} else {
			fmt.Fprintf(&b, "# variant %s: conditions %s. KEY=value: a constant.\n", kv.name, conditionList(kv.conditions))
		}
		for _, f := range envFiles {
			text, err := exec.Command("git", "-C", gitDir, "show", tag+":make/photon/prepare/templates/"+f.jinja+"/env.jinja").Output()
			if err != nil {
				t.Fatalf("%s %s: %v", tag, f.jinja, err)
			}
			keys, err := jinjaKeys(text, kv.conditions)
			if err != nil {
				t.Fatalf("%s %s: %v", tag, f.jinja, err)
			}
			for _, k := range keys {
				fmt.Fprintf(&b, "%s: %s\n", f.component, k)
			}
		}
		if err := os.MkdirAll(kv.dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(kv.dir, tag+".txt"), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		written++
	}
	if written == 0 {
		t.Fatalf("%s has no tag of profile 2", gitDir)
	}
}

// jinjaKeys lists the KEY or KEY=constant lines an env template writes
// under prepareConditions.
func jinjaKeys(text []byte, conditions map[string]bool) ([]string, error) {
	var stack []bool
	active := func() bool { return !slices.Contains(stack, false) }
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(text))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if m := jinjaTag.FindStringSubmatch(line); m != nil {
			switch {
			case m[1] == "else":
				if len(stack) == 0 {
					return nil, fmt.Errorf("else without if")
				}
				stack[len(stack)-1] = !stack[len(stack)-1]
			case m[1] == "endif":
				if len(stack) == 0 {
					return nil, fmt.Errorf("endif without if")
				}
				stack = stack[:len(stack)-1]
			default:
				v, ok := conditions[m[2]]
				if !ok {
					return nil, fmt.Errorf("unknown condition %q: add it to prepareConditions", m[2])
				}
				stack = append(stack, v)
			}
			continue
		}
		if strings.Contains(line, "{%") {
			return nil, fmt.Errorf("unhandled template tag in %q", line)
		}
		m := jinjaLine.FindStringSubmatch(line)
		if m == nil || !active() {
			continue
		}
		if strings.Contains(m[2], "{{") {
			out = append(out, m[1])
		} else {
			out = append(out, m[1]+"="+m[2])
		}
	}
	return out, sc.Err()
}

// renderedEnv renders a harbor node of the ha-modern example (Trivy on) at a
// Harbor version, with secrets, and returns each component's env lines in
// file order as "file: KEY=value".
func renderedEnv(t *testing.T, version string, edits ...func(*spec.Spec)) map[string][]string {
	t.Helper()
	s, _ := loadPlan(t, "ha-modern")
	s.Harbor.Version = version
	for _, edit := range edits {
		edit(s)
	}
	_, tr, _ := renderSpec(t, s)
	node := s.NodesWithRole(spec.RoleHarbor)[0].Name
	files := map[string][]byte{}
	for _, f := range tr.Files() {
		files[f.Path] = f.Data
	}
	out := map[string][]string{}
	for _, ef := range envFiles {
		for _, name := range ef.files {
			data, ok := files[filepath.ToSlash(filepath.Join("nodes", node, name))]
			if !ok {
				continue
			}
			for _, line := range strings.Split(string(data), "\n") {
				if line != "" && !strings.HasPrefix(line, "#") {
					out[ef.component] = append(out[ef.component], name+": "+line)
				}
			}
		}
	}
	return out
}

// envKey splits "file: KEY=value".
func envKey(line string) (file, key, value string) {
	file, kv, _ := strings.Cut(line, ": ")
	key, value, _ = strings.Cut(kv, "=")
	return file, key, value
}

// minorGoldens are the releases of the per-version golden files: the newest
// patch of each minor of profile 2.
var minorGoldens = []string{"2.10.3", "2.11.2", "2.12.4", "2.13.5", "2.14.4", "2.15.2"}

// TestVersionKeys shows, per Harbor minor version, the env keys harborgen
// writes for core, jobservice, registryctl and the Trivy adapter, file by
// file (testdata/keys/<minor>.txt, refreshed with -update).
func TestVersionKeys(t *testing.T) {
	for _, version := range minorGoldens {
		t.Run(version, func(t *testing.T) {
			env := renderedEnv(t, version)
			var b strings.Builder
			fmt.Fprintf(&b, "# Env keys of a harbor node rendered for Harbor %s (examples/ha-modern, Trivy on).\n", version)
			for _, ef := range envFiles {
				var lines []string
				for _, line := range env[ef.component] {
					file, key, _ := envKey(line)
					lines = append(lines, file+": "+key)
				}
				slices.Sort(lines)
				for _, l := range lines {
					b.WriteString(l + "\n")
				}
			}
			minor := semver.MustParse(version)
			golden := filepath.Join("testdata", "keys", fmt.Sprintf("%d.%d.txt", minor.Major(), minor.Minor()))
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if b.String() != string(want) {
				t.Errorf("the keys of %s differ from %s (go test ./internal/render -update):\n%s", version, golden, b.String())
			}
		})
	}
}

// deviation is one row of the facts sheet's table of keys harborgen writes
// where prepare does not ("added"), or leaves out ("omitted").
type deviation struct{ Component, Key, Kind string }

// readDeviations parses the table under "### Keys harborgen adds or omits"
// in the facts sheet: | component | KEY | added or omitted | why |.
func readDeviations(t *testing.T) []deviation {
	t.Helper()
	data, err := os.ReadFile("../../docs/harbor-2.15-prepare.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(data), "\n### Keys harborgen adds or omits\n")
	if !ok {
		t.Fatal("docs/harbor-2.15-prepare.md has no section \"### Keys harborgen adds or omits\"")
	}
	var out []deviation
	for _, line := range strings.Split(section, "\n") {
		if strings.HasPrefix(line, "#") {
			break
		}
		cells := strings.Split(line, "|")
		if len(cells) < 5 || strings.Contains(line, "---") || strings.TrimSpace(cells[1]) == "component" {
			continue
		}
		d := deviation{strings.TrimSpace(cells[1]), strings.Trim(strings.TrimSpace(cells[2]), "`"), strings.TrimSpace(cells[3])}
		if d.Kind != "added" && d.Kind != "omitted" || strings.TrimSpace(cells[4]) == "" {
			t.Fatalf("facts sheet: row %q: want added or omitted, with a reason", line)
		}
		out = append(out, d)
	}
	if len(out) == 0 {
		t.Fatal("facts sheet: the table of keys harborgen adds or omits is empty")
	}
	return out
}

// TestRenderedKeysMatchPrepare renders a harbor node at every recorded
// release and compares each component's env with what that release's
// prepare writes: every key prepare writes is rendered unless the facts
// sheet says harborgen omits it, every rendered key is prepare's or one the
// facts sheet says harborgen adds, and a constant is rendered as prepare
// writes it.
func TestRenderedKeysMatchPrepare(t *testing.T) {
	devs := readDeviations(t)
	is := func(component, key, kind string) bool {
		return slices.Contains(devs, deviation{component, key, kind})
	}
	for _, kv := range keyVariants {
		for _, ks := range readVariantKeySets(t, kv) {
			t.Run(kv.name+"/"+ks.Tag, func(t *testing.T) {
				env := renderedEnv(t, ks.Version, kv.edit)
				for _, ef := range envFiles {
					c := ef.component
					rendered := map[string]bool{}
					for _, line := range env[c] {
						file, key, value := envKey(line)
						if rendered[key] {
							t.Errorf("%s: %s is written twice", c, key)
						}
						rendered[key] = true
						pk, ok := ks.find(c, key)
						switch {
						case !ok && !is(c, key, "added"):
							t.Errorf("%s env: %s (%s) is not written by %s's prepare, nor listed as added in the facts sheet", c, key, file, ks.Tag)
						case ok && is(c, key, "omitted"):
							t.Errorf("%s env: %s (%s) is listed as omitted in the facts sheet", c, key, file)
						case ok && pk.Literal && pk.Value != value:
							t.Errorf("%s env: %s=%s, %s's prepare writes %s", c, key, value, ks.Tag, pk.Value)
						}
					}
					for _, pk := range ks.Env[c] {
						if !rendered[pk.Key] && !is(c, pk.Key, "omitted") {
							t.Errorf("%s env: %s is written by %s's prepare, not by harborgen, and not listed as omitted in the facts sheet", c, pk.Key, ks.Tag)
						}
					}
				}
			})
		}
	}
}

// conditionList names the conditions that are true, sorted.
func conditionList(conditions map[string]bool) string {
	var on []string
	for k, v := range conditions {
		if v {
			on = append(on, k)
		}
	}
	slices.Sort(on)
	return strings.Join(on, ", ") + " on, the rest off"
}

// TestEnvKeyDataMatchesPrepare checks the profile's env-keys.toml against
// the recorded key sets: a row applies to exactly the releases whose prepare
// writes its key, with prepare's constant; and every key or constant that
// differs between releases of the profile has rows.
func TestEnvKeyDataMatchesPrepare(t *testing.T) {
	if _, err := profile.All(); err != nil {
		t.Fatal(err)
	}
	sets := readKeySets(t)
	p := profile.ForVersion(sets[0].Version)
	for _, ks := range sets {
		if profile.ForVersion(ks.Version) != p {
			t.Fatalf("%s is not in profile %s", ks.Tag, p.Name)
		}
	}
	for _, k := range p.EnvKeys {
		for _, ks := range sets {
			pk, ok := ks.find(k.File, k.Key)
			switch {
			case k.In(ks.Version) && !ok:
				t.Errorf("%s %s (since %q until %q): %s's prepare does not write it", k.File, k.Key, k.Since, k.Until, ks.Tag)
			case !k.In(ks.Version) && ok && !slices.ContainsFunc(p.Env(ks.Version, k.File), func(o profile.EnvKey) bool { return o.Key == k.Key }):
				t.Errorf("%s %s: %s's prepare writes it, but no row covers %s", k.File, k.Key, ks.Tag, ks.Version)
			case k.In(ks.Version) && pk.Literal && pk.Value != k.Value:
				t.Errorf("%s %s=%s: %s's prepare writes %s", k.File, k.Key, k.Value, ks.Tag, pk.Value)
			}
		}
	}
	// A key whose presence or constant differs between releases must be data.
	for _, ef := range envFiles {
		var keys []string
		for _, ks := range sets {
			for _, pk := range ks.Env[ef.component] {
				if !slices.Contains(keys, pk.Key) {
					keys = append(keys, pk.Key)
				}
			}
		}
		for _, key := range keys {
			first, _ := sets[0].find(ef.component, key)
			_, firstOK := sets[0].find(ef.component, key)
			for _, ks := range sets[1:] {
				pk, ok := ks.find(ef.component, key)
				if ok == firstOK && pk == first {
					continue
				}
				if !slices.ContainsFunc(p.EnvKeys, func(k profile.EnvKey) bool { return k.File == ef.component && k.Key == key }) {
					t.Errorf("%s %s differs between %s and %s, and env-keys.toml has no row for it", ef.component, key, sets[0].Tag, ks.Tag)
				}
				break
			}
		}
	}
}
