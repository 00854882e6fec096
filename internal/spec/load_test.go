package spec

import (
	"strings"
	"testing"

	"github.com/harborgen/harborgen/internal/diag"
)

const minimalTOML = `spec = 1
[cluster]
name = "c"
hostname = "r.example.com"
[[node]]
name = "a"
address = "10.0.0.1"
roles = ["harbor"]
[[node]]
name = "b"
address = "10.0.0.2"
roles = ["harbor", "lb"]
`

func parse(t *testing.T, format Format, src string) (*Spec, []diag.Diagnostic) {
	t.Helper()
	s, d := Parse("f", []byte(src), format)
	return s, d.Items()
}

// TestLoadProblems checks that every kind of broken input is one clear
// diagnostic at the right place, never a panic.
func TestLoadProblems(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		format    Format
		want      string // "LINE:COL PATH: message" prefix of the first diagnostic
	}{
		{"empty", "", TOML, "1:1 : the spec is empty"},
		{"whitespace only", " \n\t\n", YAML, "1:1 : the spec is empty"},
		{"not utf-8", "spec = 1\nname = \"a\xff\"\n", TOML, "2:10 : the spec is not valid UTF-8"},
		{"too large", "#" + strings.Repeat("x", MaxSize), TOML, "1:1 : the spec is larger than"},
		{"toml syntax", "spec = 1\n[cluster\n", TOML, "2:9 : TOML syntax"},
		{"toml duplicate key", "spec = 1\nspec = 2\n", TOML, "2:1 spec: key spec is already defined above"},
		{"toml duplicate table", "[cluster]\nname = \"a\"\n[cluster]\n", TOML, "3:2 cluster: key cluster is already defined above"},
		{"yaml syntax", "spec: 1\ncluster: [\n", YAML, "2:1 : YAML syntax"},
		{"yaml duplicate key", "spec: 1\nspec: 2\n", YAML, "2:1 spec: key spec is already defined above (at 1:1)"},
		{"yaml two documents", "spec: 1\n---\nspec: 2\n", YAML, "2:1 : the file holds more than one YAML document"},
		{"yaml not a mapping", "- a\n- b\n", YAML, "1:1 : the spec must be a YAML mapping"},
		{"yaml merge key", "a: &x {b: 1}\nc:\n  <<: *x\n", YAML, "3:3 : YAML merge keys (<<) are not supported"},
		{"yaml alias bomb", aliasBomb(), YAML, "1:34 : the YAML document is too large"},
		{"unknown key suggests", "spec = 1\n[cluster]\nnmae = \"a\"\n", TOML, `3:1 cluster.nmae: unknown key "nmae" in cluster`},
		{"unknown top-level key", "spec = 1\n[clustre]\n", TOML, `2:2 clustre: unknown key "clustre" at the top level`},
		{"type mismatch", "spec = \"1\"\n", TOML, `1:1 spec: expected an integer, got string "1"`},
		{"yaml null table", "spec: 1\ncluster:\n", YAML, "2:1 cluster: expected a table, got nothing"},
		{"date value", "spec = 1\n[cluster]\nname = 2024-01-01\n", TOML, "3:1 cluster.name: expected a string, got date/time"},
		{"yaml binary tag", "spec: 1\ncluster:\n  hostname: !!binary aGVsbG8=\n", YAML, "3:3 cluster.hostname: expected a string, got a value tagged !!binary"},
		{"yaml custom tag", "spec: 1\ncluster:\n  hostname: !vault secret/x\n", YAML, "3:3 cluster.hostname: expected a string, got a value tagged !vault"},
		{"yaml timestamp", "spec: 1\ncluster:\n  hostname: 2024-01-01\n", YAML, "3:3 cluster.hostname: expected a string, got date/time"},
		{"yaml tab indentation", "spec: 1\nredis:\n\tmode: standalone\n", YAML, "3:1 : YAML syntax: the line is indented with a tab"},
		{"yaml duplicate in a list item", "node:\n  - name: a\n    name: b\n", YAML, "3:5 node[0].name: key node[0].name is already defined above (at 2:5)"},
		{"toml duplicate in second node", "[[node]]\nname = \"a\"\n[[node]]\nname = \"b\"\nname = \"c\"\n", TOML, "5:1 node[1].name: key node[1].name is already defined above"},
		{"integer too large", "spec = 99999999999\n", TOML, "1:1 spec: integer 99999999999 is out of range"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, items := parse(t, tc.format, tc.src)
			if len(items) == 0 {
				t.Fatalf("no diagnostic, want %q", tc.want)
			}
			d := items[0]
			got := strings.TrimPrefix(d.Pos.String(), "f:") + " " + d.Path + ": " + d.Message
			if !strings.HasPrefix(got, tc.want) {
				t.Errorf("got  %q\nwant %q...", got, tc.want)
			}
			if d.Severity != diag.Error {
				t.Errorf("severity %s, want error", d.Severity)
			}
		})
	}
}

func aliasBomb() string {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 9; i++ {
		b.WriteString("a")
		b.WriteString(string(rune('0' + i)))
		b.WriteString(": &a")
		b.WriteString(string(rune('0' + i)))
		b.WriteString(" [")
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a")
			b.WriteString(string(rune('0' + i - 1)))
		}
		b.WriteString("]\n")
	}
	return b.String()
}

func TestSuggest(t *testing.T) {
	known := []string{"name", "address", "roles", "site"}
	for _, tc := range []struct{ in, want string }{
		{"adress", "address"},
		{"Address", "address"},
		{"role", "roles"},
		{"nmae", "name"},
		{"zzzzzz", ""},
	} {
		if got := Suggest(tc.in, known); got != tc.want {
			t.Errorf("Suggest(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestPositions checks that keys of the second [[node]] point at the second
// node, in both formats.
func TestPositions(t *testing.T) {
	yamlSrc := "spec: 1\nnode:\n  - name: a\n    address: 10.0.0.1\n  - name: b\n    address: 10.0.0.2\n    roles: [harbor, lb]\n"
	for _, tc := range []struct {
		format     Format
		src        string
		path, want string
	}{
		{TOML, minimalTOML, "node[1].address", "f:11:1"},
		{TOML, minimalTOML, "node[1]", "f:9:3"},
		{TOML, minimalTOML, "node[1].roles[1]", "f:12:20"},
		{TOML, minimalTOML, "cluster.hostname", "f:4:1"},
		{TOML, minimalTOML, "database.port", "f:1:1"}, // absent: start of file
		{TOML, "[database]\nexternal.ssl_mode = \"x\"\n", "database.external", "f:2:1"},
		{TOML, "[database]\nexternal.ssl_mode = \"x\"\n", "database.external.ssl_mode", "f:2:10"},
		{TOML, "spec = 1\nnode = [{name = \"a\"}, {name = \"b\"}]\n", "node[1].name", "f:2:24"},
		{TOML, "spec = 1\n[[site]]\nname = \"a\"\n[site.redis]\nmode = \"standalone\"\n[[site]]\nname = \"b\"\n[site.redis]\nmode = \"x\"\n", "site[1].redis.mode", "f:9:1"},
		{YAML, yamlSrc, "node[1].address", "f:6:5"},
		{YAML, yamlSrc, "node[1].roles[1]", "f:7:21"},
		{YAML, yamlSrc, "node[1]", "f:5:5"},
	} {
		s, items := parse(t, tc.format, tc.src)
		if s == nil {
			t.Fatalf("%s does not parse: %v", tc.path, items)
		}
		if got := s.Source.Pos(tc.path).String(); got != tc.want {
			t.Errorf("%s %s at %s, want %s", tc.format, tc.path, got, tc.want)
		}
	}
}

// TestDefaults checks that absent keys take their defaults, including the
// derived ones.
func TestDefaults(t *testing.T) {
	s, items := parse(t, TOML, minimalTOML+"[database]\nengine = \"galera\"\n[[node]]\nname = \"g\"\naddress = \"10.0.0.3\"\nroles = [\"galera\"]\n")
	if len(items) != 0 {
		t.Fatalf("unexpected diagnostics: %v", items)
	}
	for _, tc := range []struct {
		name      string
		got, want any
	}{
		{"harbor.version", s.Harbor.Version, "2.15.2"},
		{"harbor.http_port", s.Harbor.HTTPPort, 8080},
		{"harbor.job_loggers", strings.Join(s.Harbor.JobLoggers, ","), "DB"},
		{"lb.sticky", s.LB.Sticky, true},
		{"redis.ports", len(s.Redis.Ports), 1},
		{"database.port", s.Database.Port, 3306},
		{"galera.sst_method", s.Database.Galera.SSTMethod, "mariabackup"},
		{"galera.cluster_name", s.Database.Galera.ClusterName, "c"},
		{"galera.bootstrap_node", s.Database.Galera.BootstrapNode, "g"},
		{"tls.mode", s.TLS.Mode, "none"},
		{"harbor.metric.port", s.Harbor.Metric.Port, 9090},
		{"harbor.metric.path", s.Harbor.Metric.Path, "/metrics"},
		{"harbor.trace.sample_rate", s.Harbor.Trace.SampleRate, 1.0},
		{"harbor.log.level", s.Harbor.Log.Level, "info"},
		{"harbor.log.rotate_count", s.Harbor.Log.RotateCount, 50},
		{"harbor.log.rotate_size", s.Harbor.Log.RotateSize, "200M"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want)
		}
	}
}

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"512M", 512 << 20, true}, {"1G", 1 << 30, true}, {"2gb", 2 << 30, true}, {"10T", 10 << 40, true},
		{"100", 100, true}, {"64k", 64 << 10, true}, {"1b", 1, true},
		{"", 0, false}, {"G", 0, false}, {"-1G", 0, false}, {"+1G", 0, false}, {"1.5G", 0, false},
		{"99999999999999999999", 0, false}, {"9999999999T", 0, false},
	} {
		got, err := ParseSize(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, ok=%t", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestFormatOf(t *testing.T) {
	for name, want := range map[string]Format{"a.toml": TOML, "a.YAML": YAML, "b.yml": YAML, "c.json": ""} {
		if got, _ := FormatOf(name); got != want {
			t.Errorf("FormatOf(%q) = %q, want %q", name, got, want)
		}
	}
}

// TestNumbersAndTables decodes the float (sample_rate) and the table of
// strings (attributes) from TOML and YAML: an integer is a number too, and
// a table keeps every key as written.
func TestNumbersAndTables(t *testing.T) {
	for _, tc := range []struct {
		name   string
		format Format
		src    string
		rate   float64
	}{
		{"toml float", TOML, minimalTOML + "[harbor.trace]\nsample_rate = 0.25\nattributes = { app = \"harbor\", \"a b\" = \"c\" }\n", 0.25},
		{"toml integer", TOML, minimalTOML + "[harbor.trace]\nsample_rate = 1\nattributes = { app = \"harbor\", \"a b\" = \"c\" }\n", 1},
		{"yaml float", YAML, "spec: 1\nharbor:\n  trace:\n    sample_rate: 0.5\n    attributes: {app: harbor, \"a b\": c}\n", 0.5},
		{"yaml integer", YAML, "spec: 1\nharbor:\n  trace:\n    sample_rate: 0\n    attributes: {app: harbor, \"a b\": c}\n", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, items := parse(t, tc.format, tc.src)
			if len(items) != 0 {
				t.Fatalf("unexpected diagnostics: %v", items)
			}
			if s.Harbor.Trace.SampleRate != tc.rate {
				t.Errorf("sample_rate = %v, want %v", s.Harbor.Trace.SampleRate, tc.rate)
			}
			if a := s.Harbor.Trace.Attributes; len(a) != 2 || a["app"] != "harbor" || a["a b"] != "c" {
				t.Errorf("attributes = %v", a)
			}
		})
	}
}
