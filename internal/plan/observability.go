package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/harborgen/harborgen/internal/spec"
)

// The settings of harbor.yml's metric, trace and log sections, as Harbor's
// prepare writes them (docs/harbor-2.15-prepare.md §14).

// HarborMetric is [harbor.metric] when enabled: core, jobservice and the
// registry serve Prometheus metrics on Port at Path in their containers,
// the exporter runs, and the proxy publishes them on the node's Port.
type HarborMetric struct {
	Port int    `json:"port"`
	Path string `json:"path"`
}

// HarborTrace is [harbor.trace] when enabled, with exactly one exporter.
type HarborTrace struct {
	SampleRate string       `json:"sample_rate"` // as prepare prints the number: 1, 0.5
	Namespace  string       `json:"namespace"`
	Attributes string       `json:"attributes"` // TRACE_ATTRIBUTES: JSON as Python's json.dumps writes it
	Jaeger     *TraceJaeger `json:"jaeger,omitempty"`
	Otel       *TraceOtel   `json:"otel,omitempty"`
}

// TraceJaeger is a Jaeger exporter: a collector (Endpoint, Username; the
// password is the jaeger_password secret) or an agent.
type TraceJaeger struct {
	Endpoint  string `json:"endpoint"`
	Username  string `json:"username"`
	AgentHost string `json:"agent_host"`
	AgentPort string `json:"agent_port"` // empty without an agent, as prepare writes it
}

// TraceOtel is an OpenTelemetry exporter.
type TraceOtel struct {
	Endpoint    string `json:"endpoint"`
	URLPath     string `json:"url_path"`
	Compression bool   `json:"compression"`
	Insecure    bool   `json:"insecure"`
	Timeout     int    `json:"timeout"`
}

// HarborLog is [harbor.log]: each component's level in its own spelling,
// the log container's rotation, and the syslog server it forwards to.
type HarborLog struct {
	Level         string       `json:"level"`          // core, jobservice, Trivy, exporter env: debug | info | warning | error | fatal
	RegistryLevel string       `json:"registry_level"` // registry and registryctl: warning is warn
	JobLevel      string       `json:"job_level"`      // jobservice config.yml loggers: upper-case
	RotateCount   int          `json:"rotate_count"`
	RotateSize    string       `json:"rotate_size"`
	External      *LogEndpoint `json:"external,omitempty"`
}

// LogEndpoint is the syslog server the log container forwards to (rsyslog
// omfwd) instead of writing files.
type LogEndpoint struct {
	Protocol string `json:"protocol"`
	Host     string `json:"host"`
	Port     int    `json:"port"`
}

func harborMetric(s *spec.Spec) *HarborMetric {
	m := s.Harbor.Metric
	if !m.Enabled {
		return nil
	}
	return &HarborMetric{Port: m.Port, Path: m.Path}
}

func harborTrace(s *spec.Spec) *HarborTrace {
	t := s.Harbor.Trace
	if !t.Enabled {
		return nil
	}
	out := &HarborTrace{
		SampleRate: strconv.FormatFloat(t.SampleRate, 'g', -1, 64),
		Namespace:  t.Namespace,
		Attributes: pythonJSON(t.Attributes),
	}
	if j := t.Jaeger; j != nil {
		out.Jaeger = &TraceJaeger{Endpoint: j.Endpoint, Username: j.Username, AgentHost: j.AgentHost}
		if j.AgentPort != 0 {
			out.Jaeger.AgentPort = strconv.Itoa(j.AgentPort)
		}
	} else if o := t.Otel; o != nil {
		out.Otel = &TraceOtel{Endpoint: o.Endpoint, URLPath: o.URLPath, Compression: o.Compression, Insecure: o.Insecure, Timeout: o.Timeout}
	}
	return out
}

// registryLevels is prepare's levels_map (utils/registry.py): the
// registry's and registryctl's spelling of each level.
var registryLevels = map[string]string{"debug": "debug", "info": "info", "warning": "warn", "error": "error", "fatal": "fatal"}

func harborLog(s *spec.Spec) HarborLog {
	l := s.Harbor.Log
	out := HarborLog{Level: l.Level, RegistryLevel: registryLevels[l.Level], JobLevel: strings.ToUpper(l.Level),
		RotateCount: l.RotateCount, RotateSize: l.RotateSize}
	if out.RegistryLevel == "" {
		out.RegistryLevel = l.Level // refused by validate; keep the value visible
	}
	if ep := l.ExternalEndpoint; ep != nil {
		out.External = &LogEndpoint{Protocol: ep.Protocol, Host: ep.Host, Port: ep.Port}
	}
	return out
}

// pythonJSON writes a table of strings as Python's json.dumps does
// (prepare's to_json filter): ", " and ": " separators, every non-ASCII
// character as \uXXXX; keys sorted, since a spec's table has no order.
func pythonJSON(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	b.WriteString("{")
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s: %s", pythonString(k), pythonString(m[k]))
	}
	b.WriteString("}")
	return b.String()
}

func pythonString(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	out := strings.TrimSuffix(buf.String(), "\n")
	var b strings.Builder
	for _, r := range out {
		switch {
		case r < 0x80:
			b.WriteRune(r)
		case r > 0xffff:
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&b, `\u%04x\u%04x`, r1, r2)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.String()
}
