package render_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/Masterminds/semver/v3"
	"github.com/compose-spec/compose-go/v2/dotenv"

	"github.com/harborgen/harborgen/internal/plan"
	"github.com/harborgen/harborgen/internal/render"
	"github.com/harborgen/harborgen/internal/spec"
	"github.com/harborgen/harborgen/internal/tree"
	"github.com/harborgen/harborgen/internal/validate"
)

// obsTag is the release whose prepare templates the placements below were
// read from (docs/harbor-2.15-prepare.md §14). With -prepare-mirror, every
// placement's line is checked against prepare's template at every release
// of profile 2 that writes it.
const obsTag = "v2.15.2"

// placement is one line Harbor's prepare writes for a setting: the file of a
// harbor node it lands in (under nodes/<node>/), prepare's template (under
// make/photon/prepare/templates/) and its line there, verbatim, whose
// {{ ... }} placeholders Fill gives the values prepare fills in for the
// case's spec ("*": any value; "{release}" is the Harbor version).
type placement struct {
	File     string
	Template string
	Line     string
	Fill     map[string]string
	Since    string // the first release whose prepare writes the line; empty: every release of profile 2
	Absent   bool   // the case removes the line (the file holds no line like it)
}

// obsCase sets one spec key to a non-default value: Base is the spec's
// fragment without it, With the fragment with it. The golden file
// testdata/observability/<key>.txt lists every line of harbor01's files that
// With changes against Base, at Harbor 2.15.2.
type obsCase struct {
	Key        string
	Base, With string
	Want       []placement
}

const (
	metricOn    = "[harbor.metric]\nenabled = true\n"
	traceOn     = "[harbor.trace]\nenabled = true\n"
	jaegerColl  = "[harbor.trace.jaeger]\nendpoint = \"http://jaeger.example.com:14268/api/traces\"\n"
	jaegerAgent = "[harbor.trace.jaeger]\nagent_host = \"agent1.example.com\"\nagent_port = 6831\n"
	otelOn      = "[harbor.trace.otel]\nendpoint = \"otel1.example.com:4318\"\nurl_path = \"/v1/traces\"\n"
	syslogOn    = "[harbor.log.external_endpoint]\nhost = \"syslog1.example.com\"\n"
	jaegerURL   = "http://jaeger.example.com:14268/api/traces"
)

// env is a placement in an env file.
func env(file, template, line string, fill ...string) placement {
	return placement{File: file, Template: template, Line: line, Fill: fills(fill)}
}

func fills(kv []string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// inAll repeats a placement in core's, jobservice's and registryctl's env
// (prepare writes the trace keys in the three), its service name filled.
func inAll(line string, fill ...string) []placement {
	var out []placement
	for _, c := range []struct{ file, template string }{
		{"harbor/common/config/core/env", "core/env.jinja"},
		{"harbor/common/config/jobservice/env", "jobservice/env.jinja"},
		{"secrets/registryctl.env", "registryctl/env.jinja"},
	} {
		out = append(out, env(c.file, c.template, line, fill...))
	}
	return out
}

// inSecrets is the Jaeger password line of each component's secrets file.
func inSecrets(password string) []placement {
	line := "TRACE_JAEGER_PASSWORD={{ trace.jaeger.password if trace.jaeger.password else '' }}"
	var out []placement
	for _, c := range []struct{ file, template string }{
		{"secrets/core.env", "core/env.jinja"},
		{"secrets/jobservice.env", "jobservice/env.jinja"},
		{"secrets/registryctl.env", "registryctl/env.jinja"},
	} {
		out = append(out, env(c.file, c.template, line, "trace.jaeger.password if trace.jaeger.password else ''", password))
	}
	return out
}

func join(groups ...[]placement) []placement { return slices.Concat(groups...) }

var obsCases = []obsCase{
	{Key: "harbor.metric.enabled", Base: "", With: metricOn, Want: join(
		[]placement{
			env("harbor/common/config/core/env", "core/env.jinja", "METRIC_ENABLE=true"),
			env("harbor/common/config/core/env", "core/env.jinja", "METRIC_PATH={{ metric.path }}", "metric.path", "/metrics"),
			env("harbor/common/config/core/env", "core/env.jinja", "METRIC_PORT={{ metric.port }}", "metric.port", "9090"),
			env("harbor/common/config/core/env", "core/env.jinja", "METRIC_NAMESPACE=harbor"),
			env("harbor/common/config/core/env", "core/env.jinja", "METRIC_SUBSYSTEM=core"),
			env("harbor/common/config/jobservice/env", "jobservice/env.jinja", "METRIC_NAMESPACE=harbor"),
			env("harbor/common/config/jobservice/env", "jobservice/env.jinja", "METRIC_SUBSYSTEM=jobservice"),
			env("harbor/common/config/registry/config.yml", "registry/config.yml.jinja", "addr: :{{ metric.port }}", "metric.port", "9090"),
			env("harbor/common/config/registry/config.yml", "registry/config.yml.jinja", "prometheus:"),
			env("harbor/common/config/registry/config.yml", "registry/config.yml.jinja", "path: {{ metric.path }}", "metric.path", "/metrics"),
			{File: "harbor/common/config/registry/config.yml", Template: "registry/config.yml.jinja", Line: "addr: localhost:5001", Absent: true},
			env("harbor/common/config/jobservice/config.yml", "jobservice/config.yml.jinja", "metric:"),
			env("harbor/common/config/jobservice/config.yml", "jobservice/config.yml.jinja", "path: {{ metric.path }}", "metric.path", "/metrics"),
			env("harbor/common/config/jobservice/config.yml", "jobservice/config.yml.jinja", "port: {{ metric.port }}", "metric.port", "9090"),
			env("harbor/common/config/nginx/nginx.conf", "nginx/nginx.https.conf.jinja", "server core:{{ metric.port }};", "metric.port", "9090"),
			env("harbor/common/config/nginx/nginx.conf", "nginx/nginx.https.conf.jinja", "server jobservice:{{ metric.port }};", "metric.port", "9090"),
			env("harbor/common/config/nginx/nginx.conf", "nginx/nginx.https.conf.jinja", "server registry:{{ metric.port }};", "metric.port", "9090"),
			env("harbor/common/config/nginx/nginx.conf", "nginx/nginx.https.conf.jinja", "server exporter:8080;"),
			env("harbor/common/config/nginx/nginx.conf", "nginx/nginx.https.conf.jinja", "listen 9090;"),
			env("harbor/common/config/nginx/nginx.conf", "nginx/nginx.https.conf.jinja", "location = {{ metric.path }} {", "metric.path", "/metrics"),
			env("harbor/common/config/nginx/nginx.conf", "nginx/nginx.https.conf.jinja", "if ($arg_comp = registry) { proxy_pass http://registry_metrics; }"),
			env("harbor/common/config/nginx/nginx.conf", "nginx/nginx.https.conf.jinja", "proxy_pass http://harbor_exporter;"),
			// harborgen publishes every port on the node's own address.
			env("docker-compose.yml", "docker_compose/docker-compose.yml.jinja", "- {{metric.port}}:9090", "metric.port", "10.20.0.11:9090"),
			env("docker-compose.yml", "docker_compose/docker-compose.yml.jinja", "exporter:"),
			env("docker-compose.yml", "docker_compose/docker-compose.yml.jinja", "image: goharbor/harbor-exporter:{{version}}", "version", "v{release}"),
		},
		exporterEnv,
	)},
	{Key: "harbor.metric.port", Base: metricOn, With: metricOn + "port = 9191\n", Want: []placement{
		env("harbor/common/config/core/env", "core/env.jinja", "METRIC_PORT={{ metric.port }}", "metric.port", "9191"),
		env("harbor/common/config/registry/config.yml", "registry/config.yml.jinja", "addr: :{{ metric.port }}", "metric.port", "9191"),
		env("harbor/common/config/jobservice/config.yml", "jobservice/config.yml.jinja", "port: {{ metric.port }}", "metric.port", "9191"),
		env("harbor/common/config/nginx/nginx.conf", "nginx/nginx.https.conf.jinja", "server core:{{ metric.port }};", "metric.port", "9191"),
		env("harbor/common/config/nginx/nginx.conf", "nginx/nginx.https.conf.jinja", "server jobservice:{{ metric.port }};", "metric.port", "9191"),
		env("harbor/common/config/nginx/nginx.conf", "nginx/nginx.https.conf.jinja", "server registry:{{ metric.port }};", "metric.port", "9191"),
		env("docker-compose.yml", "docker_compose/docker-compose.yml.jinja", "- {{metric.port}}:9090", "metric.port", "10.20.0.11:9191"),
	}},
	{Key: "harbor.metric.path", Base: metricOn, With: metricOn + "path = \"/prom\"\n", Want: []placement{
		env("harbor/common/config/core/env", "core/env.jinja", "METRIC_PATH={{ metric.path }}", "metric.path", "/prom"),
		env("harbor/common/config/registry/config.yml", "registry/config.yml.jinja", "path: {{ metric.path }}", "metric.path", "/prom"),
		env("harbor/common/config/jobservice/config.yml", "jobservice/config.yml.jinja", "path: {{ metric.path }}", "metric.path", "/prom"),
		env("harbor/common/config/nginx/nginx.conf", "nginx/nginx.https.conf.jinja", "location = {{ metric.path }} {", "metric.path", "/prom"),
	}},
	{Key: "harbor.trace.enabled", Base: "", With: traceOn + jaegerColl, Want: join(
		inAll("TRACE_ENABLED=true"),
		[]placement{
			env("harbor/common/config/core/env", "core/env.jinja", "TRACE_SERVICE_NAME=harbor-core"),
			env("harbor/common/config/jobservice/env", "jobservice/env.jinja", "TRACE_SERVICE_NAME=harbor-jobservice"),
			env("secrets/registryctl.env", "registryctl/env.jinja", "TRACE_SERVICE_NAME=harbor-registryctl"),
		},
		inAll("TRACE_SAMPLE_RATE={{ trace.sample_rate }}", "trace.sample_rate", "1"),
		inAll("TRACE_NAMESPACE={{ trace.namespace }}", "trace.namespace", ""),
		inAll("TRACE_ATTRIBUTES={{ trace.attributes | to_json | safe }}", "trace.attributes | to_json | safe", "{}"),
		inAll("TRACE_JAEGER_ENDPOINT={{ trace.jaeger.endpoint if trace.jaeger.endpoint else '' }}", "trace.jaeger.endpoint if trace.jaeger.endpoint else ''", jaegerURL),
	)},
	{Key: "harbor.trace.sample_rate", Base: traceOn + jaegerColl, With: traceOn + "sample_rate = 0.25\n" + jaegerColl,
		Want: inAll("TRACE_SAMPLE_RATE={{ trace.sample_rate }}", "trace.sample_rate", "0.25")},
	{Key: "harbor.trace.namespace", Base: traceOn + jaegerColl, With: traceOn + "namespace = \"registry-prod\"\n" + jaegerColl,
		Want: inAll("TRACE_NAMESPACE={{ trace.namespace }}", "trace.namespace", "registry-prod")},
	{Key: "harbor.trace.attributes", Base: traceOn + jaegerColl, With: traceOn + "attributes = { application = \"harbor\", site = \"idc-a\" }\n" + jaegerColl,
		Want: inAll("TRACE_ATTRIBUTES={{ trace.attributes | to_json | safe }}", "trace.attributes | to_json | safe", `{"application": "harbor", "site": "idc-a"}`)},
	{Key: "harbor.trace.jaeger.endpoint", Base: traceOn + jaegerAgent, With: traceOn + jaegerColl, Want: join(
		inAll("TRACE_JAEGER_ENDPOINT={{ trace.jaeger.endpoint if trace.jaeger.endpoint else '' }}", "trace.jaeger.endpoint if trace.jaeger.endpoint else ''", jaegerURL),
		inAll("TRACE_JAEGER_AGENT_HOSTNAME={{ trace.jaeger.agent_host if trace.jaeger.agent_host else '' }}", "trace.jaeger.agent_host if trace.jaeger.agent_host else ''", ""),
		// The collector's password, the jaeger_password secret, in the secrets files only.
		inSecrets("S3cr$t/jaeger_password@%#'\""),
	)},
	{Key: "harbor.trace.jaeger.username", Base: traceOn + jaegerColl, With: traceOn + jaegerColl + "username = \"tracer\"\n",
		Want: inAll("TRACE_JAEGER_USERNAME={{ trace.jaeger.username if trace.jaeger.username else '' }}", "trace.jaeger.username if trace.jaeger.username else ''", "tracer")},
	{Key: "harbor.trace.jaeger.agent_host", Base: traceOn + jaegerAgent, With: traceOn + strings.Replace(jaegerAgent, "agent1", "agent2", 1),
		Want: inAll("TRACE_JAEGER_AGENT_HOSTNAME={{ trace.jaeger.agent_host if trace.jaeger.agent_host else '' }}", "trace.jaeger.agent_host if trace.jaeger.agent_host else ''", "agent2.example.com")},
	{Key: "harbor.trace.jaeger.agent_port", Base: traceOn + jaegerAgent, With: traceOn + strings.Replace(jaegerAgent, "6831", "6832", 1),
		Want: inAll("TRACE_JAEGER_AGENT_PORT={{ trace.jaeger.agent_port if trace.jaeger.agent_port else '' }}", "trace.jaeger.agent_port if trace.jaeger.agent_port else ''", "6832")},
	{Key: "harbor.trace.otel.endpoint", Base: traceOn + otelOn, With: traceOn + strings.Replace(otelOn, "otel1", "otel2", 1), Want: join(
		inAll("TRACE_OTEL_ENDPOINT={{ trace.otel.endpoint }}", "trace.otel.endpoint", "otel2.example.com:4318"),
		// Python writes False and 10 (models.py: compression or False, timeout or '10').
		inAll("TRACE_OTEL_COMPRESSION={{ trace.otel.compression }}", "trace.otel.compression", "false"),
		inAll("TRACE_OTEL_TIMEOUT={{ trace.otel.timeout }}", "trace.otel.timeout", "10"),
	)},
	{Key: "harbor.trace.otel.url_path", Base: traceOn + otelOn, With: traceOn + strings.Replace(otelOn, "/v1/", "/v2/", 1),
		Want: inAll("TRACE_OTEL_URL_PATH={{ trace.otel.url_path if trace.otel.url_path else '' }}", "trace.otel.url_path if trace.otel.url_path else ''", "/v2/traces")},
	{Key: "harbor.trace.otel.compression", Base: traceOn + otelOn, With: traceOn + otelOn + "compression = true\n",
		Want: inAll("TRACE_OTEL_COMPRESSION={{ trace.otel.compression }}", "trace.otel.compression", "true")},
	{Key: "harbor.trace.otel.insecure", Base: traceOn + otelOn, With: traceOn + otelOn + "insecure = true\n",
		Want: inAll("TRACE_OTEL_INSECURE={{ trace.otel.insecure }}", "trace.otel.insecure", "true")},
	{Key: "harbor.trace.otel.timeout", Base: traceOn + otelOn, With: traceOn + otelOn + "timeout = 30\n",
		Want: inAll("TRACE_OTEL_TIMEOUT={{ trace.otel.timeout }}", "trace.otel.timeout", "30")},
	{Key: "harbor.log.level", Base: "", With: "[harbor.log]\nlevel = \"warning\"\n", Want: []placement{
		env("harbor/common/config/core/env", "core/env.jinja", "LOG_LEVEL={{log_level}}", "log_level", "warning"),
		{File: "harbor/common/config/jobservice/env", Template: "jobservice/env.jinja", Line: "LOG_LEVEL={{log_level}}", Fill: fills([]string{"log_level", "warning"}), Since: "2.13.1"},
		env("harbor/common/config/trivy-adapter/env", "trivy-adapter/env.jinja", "SCANNER_LOG_LEVEL={{log_level}}", "log_level", "warning"),
		// utils/registry.py levels_map: warning is warn.
		env("harbor/common/config/registry/config.yml", "registry/config.yml.jinja", "level: {{level}}", "level", "warn"),
		env("harbor/common/config/registryctl/config.yml", "registryctl/config.yml.jinja", "log_level: {{level}}", "level", "warn"),
		// utils/jobservice.py: upper-case.
		env("harbor/common/config/jobservice/config.yml", "jobservice/config.yml.jinja", `level: "{{level}}"`, "level", "WARNING"),
	}},
	{Key: "harbor.log.rotate_count", Base: "", With: "[harbor.log]\nrotate_count = 7\n", Want: []placement{
		env("harbor/common/config/log/logrotate.conf", "log/logrotate.conf.jinja", "rotate {{log_rotate_count}}", "log_rotate_count", "7"),
	}},
	{Key: "harbor.log.rotate_size", Base: "", With: "[harbor.log]\nrotate_size = \"50M\"\n", Want: []placement{
		env("harbor/common/config/log/logrotate.conf", "log/logrotate.conf.jinja", "size {{log_rotate_size}}", "log_rotate_size", "50M"),
	}},
	{Key: "harbor.log.external_endpoint", Base: "", With: "[harbor.log]\n" + syslogOn, Want: []placement{
		env("harbor/common/config/log/rsyslog_docker.conf", "log/rsyslog_docker.conf.jinja",
			`action(type="omfwd" Target="{{log_ep_host}}" Port="{{log_ep_port}}" Protocol="{{log_ep_protocol}}" Template="RSYSLOG_SyslogProtocol23Format")`,
			"log_ep_host", "syslog1.example.com", "log_ep_port", "5140", "log_ep_protocol", "tcp"),
		{File: "harbor/common/config/log/rsyslog_docker.conf", Template: "log/rsyslog_docker.conf.jinja", Line: `action(type="omfile" dynaFile="DynaFile")`, Absent: true},
	}},
	{Key: "harbor.log.external_endpoint.protocol", Base: "[harbor.log]\n" + syslogOn, With: "[harbor.log]\n" + syslogOn + "protocol = \"udp\"\n", Want: []placement{
		env("harbor/common/config/log/rsyslog_docker.conf", "log/rsyslog_docker.conf.jinja",
			`action(type="omfwd" Target="{{log_ep_host}}" Port="{{log_ep_port}}" Protocol="{{log_ep_protocol}}" Template="RSYSLOG_SyslogProtocol23Format")`,
			"log_ep_host", "syslog1.example.com", "log_ep_port", "5140", "log_ep_protocol", "udp"),
	}},
	{Key: "harbor.log.external_endpoint.host", Base: "[harbor.log]\n" + syslogOn, With: "[harbor.log]\n" + strings.Replace(syslogOn, "syslog1", "syslog2", 1), Want: []placement{
		env("harbor/common/config/log/rsyslog_docker.conf", "log/rsyslog_docker.conf.jinja",
			`action(type="omfwd" Target="{{log_ep_host}}" Port="{{log_ep_port}}" Protocol="{{log_ep_protocol}}" Template="RSYSLOG_SyslogProtocol23Format")`,
			"log_ep_host", "syslog2.example.com", "log_ep_port", "5140", "log_ep_protocol", "tcp"),
	}},
	{Key: "harbor.log.external_endpoint.port", Base: "[harbor.log]\n" + syslogOn, With: "[harbor.log]\n" + syslogOn + "port = 1514\n", Want: []placement{
		env("harbor/common/config/log/rsyslog_docker.conf", "log/rsyslog_docker.conf.jinja",
			`action(type="omfwd" Target="{{log_ep_host}}" Port="{{log_ep_port}}" Protocol="{{log_ep_protocol}}" Template="RSYSLOG_SyslogProtocol23Format")`,
			"log_ep_host", "syslog1.example.com", "log_ep_port", "1514", "log_ep_protocol", "tcp"),
	}},
}

// exporterEnv is every line of prepare's exporter env: the committed file
// holds all but the Redis URL and the database password, which are secrets.
var exporterEnv = func() []placement {
	const committed, secret, tmpl = "harbor/common/config/exporter/env", "secrets/exporter.env", "exporter/env.jinja"
	out := []placement{
		env(committed, tmpl, "LOG_LEVEL={{log_level}}", "log_level", "info"),
		env(secret, tmpl, "HARBOR_REDIS_URL={{redis_url_js}}", "redis_url_js", "*"),
		env(secret, tmpl, "HARBOR_DATABASE_PASSWORD={{harbor_db_password}}", "harbor_db_password", "S3cr$t/db_password@%#'\""),
	}
	for _, l := range []string{"HARBOR_EXPORTER_PORT=8080", "HARBOR_EXPORTER_METRICS_PATH=/metrics", "HARBOR_EXPORTER_METRICS_ENABLED=true",
		"HARBOR_EXPORTER_MAX_REQUESTS=30", "HARBOR_EXPORTER_CACHE_TIME=23", "HARBOR_EXPORTER_CACHE_CLEAN_INTERVAL=14400",
		"HARBOR_METRIC_NAMESPACE=harbor", "HARBOR_METRIC_SUBSYSTEM=exporter", "HARBOR_SERVICE_HOST=core",
		"HARBOR_REDIS_NAMESPACE=harbor_job_service_namespace", "HARBOR_REDIS_TIMEOUT=3600", "HARBOR_SERVICE_PORT=8080", "HARBOR_SERVICE_SCHEME=http"} {
		out = append(out, env(committed, tmpl, l))
	}
	for _, k := range []string{"host", "port", "username", "name", "sslmode", "max_idle_conns", "max_open_conns", "conn_max_lifetime", "conn_max_idle_time"} {
		key := strings.ToUpper(k)
		if k == "name" {
			key = "DBNAME"
		}
		out = append(out, env(committed, tmpl, "HARBOR_DATABASE_"+key+"={{harbor_db_"+k+"}}", "harbor_db_"+k, "*"))
	}
	return out
}()

// obsSpec is examples/ha-modern at a Harbor version with a fragment of
// [harbor.*] tables added.
func obsSpec(t *testing.T, version, fragment string) *spec.Spec {
	t.Helper()
	src, err := os.ReadFile("../../examples/ha-modern/harborgen.toml")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(src), "\n[tls]", "\n"+fragment+"\n[tls]", 1)
	text = strings.Replace(text, `version = "2.15.2"`, "version = "+strconv.Quote(version), 1)
	if !strings.Contains(text, fragment) {
		t.Fatal("examples/ha-modern has no [tls] table to insert before")
	}
	s, d := spec.Parse("obs.toml", []byte(text), spec.TOML)
	if s == nil {
		t.Fatalf("does not parse: %v", d.Items())
	}
	validate.Validate(s, d, validate.Options{})
	if d.HasErrors(false) {
		t.Fatalf("invalid: %v", d.Items())
	}
	return s
}

// nodeFiles renders a spec and returns harbor01's files by path under its
// node directory, secrets included.
func nodeFiles(t *testing.T, s *spec.Spec) map[string][]byte {
	t.Helper()
	_, tr, _ := renderSpec(t, s)
	return filesOf(tr, "nodes/harbor01/")
}

func filesOf(tr *tree.Tree, prefix string) map[string][]byte {
	out := map[string][]byte{}
	for _, f := range tr.Files() {
		if rest, ok := strings.CutPrefix(f.Path, prefix); ok {
			out[rest] = f.Data
		}
	}
	return out
}

// normalLines reads a file the way its consumer does, one line per setting:
// an env file through compose's dotenv parser (KEY=value, unquoted), a YAML
// line with its quoted scalar unquoted and any comment dropped, nginx
// without quotes; every line trimmed.
func normalLines(t *testing.T, name string, data []byte) []string {
	t.Helper()
	var out []string
	switch {
	case strings.HasSuffix(name, "env"):
		vals, err := dotenv.ParseWithLookup(bytes.NewReader(data), func(string) (string, bool) { return "", false })
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			if k, _, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
				out = append(out, k+"="+vals[k])
			}
		}
	default:
		for _, line := range strings.Split(string(data), "\n") {
			out = append(out, normalLine(name, line))
		}
	}
	return out
}

var yamlQuoted = regexp.MustCompile(`^((?:- )?(?:[A-Za-z_]+: )?)("(?:[^"\\]|\\.)*")$`)

func normalLine(name, line string) string {
	line = strings.TrimSpace(line)
	switch {
	case strings.HasSuffix(name, ".yml"):
		if i := strings.Index(line, " #"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if m := yamlQuoted.FindStringSubmatch(line); m != nil {
			if v, err := strconv.Unquote(m[2]); err == nil {
				line = m[1] + v
			}
		}
	case strings.HasSuffix(name, ".conf") && strings.Contains(name, "nginx"):
		line = strings.ReplaceAll(line, `"`, "")
	}
	return line
}

var placeholder = regexp.MustCompile(`\{\{-?\s*(.*?)\s*-?\}\}`)

// pattern is the line a placement expects in its file, after normalLine:
// prepare's line with each placeholder filled.
func (p placement) pattern(t *testing.T, version string) *regexp.Regexp {
	t.Helper()
	line := normalLine(p.File, p.Line)
	var b strings.Builder
	b.WriteString("^")
	last := 0
	for _, m := range placeholder.FindAllStringSubmatchIndex(line, -1) {
		b.WriteString(regexp.QuoteMeta(line[last:m[0]]))
		expr := line[m[2]:m[3]]
		v, ok := p.Fill[expr]
		switch {
		case !ok:
			t.Fatalf("%s: no value for {{ %s }} of %q", p.File, expr, p.Line)
		case v == "*":
			b.WriteString(".*")
		default:
			b.WriteString(regexp.QuoteMeta(strings.ReplaceAll(v, "{release}", version)))
		}
		last = m[1]
	}
	b.WriteString(regexp.QuoteMeta(line[last:]) + "$")
	return regexp.MustCompile(b.String())
}

// TestObservabilityKeysLandWherePrepareWrites sets each key of
// [harbor.metric], [harbor.trace] and [harbor.log] to a non-default value
// at every minor release of profile 2, and finds in harbor01's files each
// line prepare's templates write for it, filled with that value. At 2.15.2
// it also compares the lines the key changes with testdata/observability.
func TestObservabilityKeysLandWherePrepareWrites(t *testing.T) {
	for _, tc := range obsCases {
		t.Run(tc.Key, func(t *testing.T) {
			for _, version := range minorGoldens {
				files := nodeFiles(t, obsSpec(t, version, tc.With))
				for _, p := range tc.Want {
					if p.Since != "" && semver.MustParse(version).LessThan(semver.MustParse(p.Since)) {
						continue
					}
					data, ok := files[p.File]
					if !ok {
						t.Errorf("%s: no %s", version, p.File)
						continue
					}
					re := p.pattern(t, version)
					found := slices.ContainsFunc(normalLines(t, p.File, data), re.MatchString)
					switch {
					case p.Absent && found:
						t.Errorf("%s: %s still has %q", version, p.File, p.Line)
					case !p.Absent && !found:
						t.Errorf("%s: %s has no line %s (prepare %s: %q)", version, p.File, re, p.Template, p.Line)
					}
				}
			}
			golden := filepath.Join("testdata", "observability", tc.Key+".txt")
			got := changedLines(t, nodeFiles(t, obsSpec(t, "2.15.2", tc.Base)), nodeFiles(t, obsSpec(t, "2.15.2", tc.With)))
			got = fmt.Sprintf("# harbor01's files (examples/ha-modern, Harbor 2.15.2): what %s changes.\n# without:\n%s# with:\n%s%s",
				tc.Key, indent(tc.Base), indent(tc.With), got)
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("%s differs from %s (go test ./internal/render -update):\n%s", tc.Key, golden, got)
			}
		})
	}
}

func indent(fragment string) string {
	if fragment == "" {
		return "#   (nothing)\n"
	}
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimSuffix(fragment, "\n"), "\n") {
		b.WriteString("#   " + l + "\n")
	}
	return b.String()
}

// changedLines lists, file by file, the lines only in before (-) and only in
// after (+); a file only in one of them is listed whole. Secret files are
// included: their values are the fake secrets of the tests.
func changedLines(t *testing.T, before, after map[string][]byte) string {
	t.Helper()
	var names []string
	for n := range after {
		names = append(names, n)
	}
	for n := range before {
		if _, ok := after[n]; !ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	var b strings.Builder
	for _, n := range names {
		if n == "secrets/harborgen-values.toml" {
			continue
		}
		old, new := lines(before[n]), lines(after[n])
		var diff []string
		for _, l := range old {
			if !slices.Contains(new, l) {
				diff = append(diff, "- "+l)
			}
		}
		for _, l := range new {
			if !slices.Contains(old, l) {
				diff = append(diff, "+ "+l)
			}
		}
		if len(diff) > 0 {
			fmt.Fprintf(&b, "%s:\n", n)
			for _, l := range diff {
				b.WriteString("  " + l + "\n")
			}
		}
	}
	return b.String()
}

func lines(data []byte) []string {
	if data == nil {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

// TestObservabilityLinesArePrepares checks, with -prepare-mirror, that every
// placement's line is in prepare's template at every release of profile 2
// from its Since on (the templates of these keys are the same in 2.10.0
// through 2.15.2).
func TestObservabilityLinesArePrepares(t *testing.T) {
	if *prepareMirror == "" {
		// The placements were read at obsTag; this re-reads them. Without a
		// mirror there is nothing to re-read.
		t.Log("no -prepare-mirror: the placements stay as read at " + obsTag)
		return
	}
	out, err := exec.Command("git", "-C", *prepareMirror, "tag", "-l", "v2.1[0-5].*").Output()
	if err != nil {
		t.Fatal(err)
	}
	var tags []string
	for _, tag := range strings.Fields(string(out)) {
		if v, err := semver.StrictNewVersion(strings.TrimPrefix(tag, "v")); err == nil && v.Prerelease() == "" {
			tags = append(tags, tag)
		}
	}
	if !slices.Contains(tags, obsTag) {
		t.Fatalf("the mirror has no %s", obsTag)
	}
	cache := map[string][]string{}
	for _, tc := range obsCases {
		for _, p := range tc.Want {
			for _, tag := range tags {
				if p.Since != "" && semver.MustParse(tag).LessThan(semver.MustParse(p.Since)) {
					continue
				}
				key := tag + ":" + p.Template
				if _, ok := cache[key]; !ok {
					text, err := exec.Command("git", "-C", *prepareMirror, "show", tag+":make/photon/prepare/templates/"+p.Template).Output()
					if err != nil {
						t.Fatalf("%s: %v", key, err)
					}
					for _, l := range strings.Split(string(text), "\n") {
						cache[key] = append(cache[key], strings.TrimSpace(l))
					}
				}
				if !slices.Contains(cache[key], strings.TrimSpace(p.Line)) {
					t.Errorf("%s: %s (%s) has no line %q", tc.Key, key, p.File, p.Line)
				}
			}
		}
	}
}

// TestHostileTraceValuesRoundTrip puts the hostile characters into every
// free-text trace setting and the Jaeger password: each env file must read
// back (compose's dotenv parser) exactly the value, TRACE_ATTRIBUTES as the
// JSON of the table.
func TestHostileTraceValuesRoundTrip(t *testing.T) {
	attrs := "attributes = { " + strconv.Quote("k"+hostile) + " = " + strconv.Quote(hostile) + " }\n"
	for _, tc := range []struct {
		name, fragment string
		want           map[string]string
	}{
		{"jaeger", traceOn + "namespace = " + strconv.Quote(hostile) + "\n" + attrs + jaegerColl + "username = " + strconv.Quote(hostile) + "\n",
			map[string]string{"TRACE_NAMESPACE": hostile, "TRACE_JAEGER_USERNAME": hostile, "TRACE_JAEGER_PASSWORD": hostile}},
		{"otel", traceOn + "[harbor.trace.otel]\nendpoint = " + strconv.Quote(hostile) + "\nurl_path = " + strconv.Quote("/"+hostile) + "\n",
			map[string]string{"TRACE_OTEL_ENDPOINT": hostile, "TRACE_OTEL_URL_PATH": "/" + hostile}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := obsSpec(t, "2.15.2", tc.fragment)
			p, err := plan.Build(s)
			if err != nil {
				t.Fatal(err)
			}
			vals := fakeSecrets(t, s)
			if _, ok := vals["jaeger_password"]; ok {
				vals["jaeger_password"] = hostile
			}
			tr, err := render.Tree(p, "harborgen.toml", vals)
			if err != nil {
				t.Fatal(err)
			}
			for _, files := range [][]string{
				{"harbor/common/config/core/env", "secrets/core.env"},
				{"harbor/common/config/jobservice/env", "secrets/jobservice.env"},
				{"secrets/registryctl.env"},
			} {
				got := map[string]string{}
				for _, name := range files {
					env, err := dotenv.ParseWithLookup(bytes.NewReader(file(t, tr, "nodes/harbor01/"+name)), func(string) (string, bool) { return "", false })
					if err != nil {
						t.Fatalf("%s does not parse: %v", name, err)
					}
					maps.Copy(got, env)
				}
				for k, v := range tc.want {
					if got[k] != v {
						t.Errorf("%s: %s reads back %q, want %q", files[0], k, got[k], v)
					}
				}
				if tc.name == "jaeger" {
					var a map[string]string
					if err := json.Unmarshal([]byte(got["TRACE_ATTRIBUTES"]), &a); err != nil || a["k"+hostile] != hostile || len(a) != 1 {
						t.Errorf("%s: TRACE_ATTRIBUTES reads back %q (%v)", files[0], got["TRACE_ATTRIBUTES"], err)
					}
				}
			}
		})
	}
}

// TestLogRotationHarbor15: Harbor 1.5's harbor.cfg has log_rotate_count and
// log_rotate_size (its prepare writes them into the same logrotate.conf), so
// rotate_count and rotate_size reach the 1.5 profile too.
func TestLogRotationHarbor15(t *testing.T) {
	src, err := os.ReadFile("../../examples/ha-galera-ceph/harborgen.toml")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(src), "\n[tls]", "\n[harbor.log]\nrotate_count = 7\nrotate_size = \"50M\"\n\n[tls]", 1)
	s, d := spec.Parse("obs15.toml", []byte(text), spec.TOML)
	if s == nil {
		t.Fatal(d.Items())
	}
	validate.Validate(s, d, validate.Options{})
	if d.HasErrors(false) || s.Harbor.Log.RotateCount != 7 {
		t.Fatalf("invalid, or the table was not inserted: %v", d.Items())
	}
	_, tr, _ := renderSpec(t, s)
	node := s.NodesWithRole(spec.RoleHarbor)[0].Name
	conf := string(file(t, tr, "nodes/"+node+"/harbor/common/config/log/logrotate.conf"))
	for _, want := range []string{"\n    rotate 7\n", "\n    size 50M\n"} {
		if !strings.Contains(conf, want) {
			t.Errorf("Harbor 1.5 logrotate.conf has no %q:\n%s", strings.TrimSpace(want), conf)
		}
	}
}

// obsVariants are the settings under which prepare's env templates write
// keys they write in no other case: each with the spec fragment that turns
// it on and the template conditions that become true.
var obsVariants = []struct {
	name, fragment string
	on             []string
}{
	{"metric", metricOn, []string{"metric.enabled"}},
	{"jaeger", traceOn + jaegerColl, []string{"trace.enabled", "trace.jaeger.enabled"}},
	{"otel", traceOn + otelOn, []string{"trace.enabled", "trace.otel.enabled"}},
}

// obsEnvFiles are envFiles and the exporter's env, which prepare writes
// only with metric.enabled.
var obsEnvFiles = append(slices.Clone(envFiles), struct {
	component, jinja string
	files            []string
}{"exporter", "exporter", []string{"harbor/common/config/exporter/env", "secrets/exporter.env"}})

const obsKeysFile = "testdata/observability/prepare-keys.txt"

// TestObservabilityKeySetsMatchPrepare compares, at every recorded release
// of profile 2, the env keys that turning metrics, Jaeger or OpenTelemetry
// tracing on adds to each component (core, jobservice, registryctl, Trivy,
// the exporter) with the keys prepare's templates write only then
// (testdata/observability/prepare-keys.txt, re-read with -prepare-mirror):
// the same keys, and prepare's constants as prepare writes them.
func TestObservabilityKeySetsMatchPrepare(t *testing.T) {
	if *prepareMirror != "" {
		writeObsKeys(t, *prepareMirror)
	}
	data, err := os.ReadFile(obsKeysFile)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{} // "tag variant component" -> KEY or KEY=constant
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		head, key, ok := strings.Cut(line, ": ")
		if !ok {
			t.Fatalf("%s: bad line %q", obsKeysFile, line)
		}
		want[head] = append(want[head], key)
	}
	tags := 0
	for _, ks := range readKeySets(t) {
		tags++
		t.Run(ks.Tag, func(t *testing.T) {
			base := envOfSpec(t, obsSpec(t, ks.Version, ""))
			for _, v := range obsVariants {
				on := envOfSpec(t, obsSpec(t, ks.Version, v.fragment))
				for _, ef := range obsEnvFiles {
					head := ks.Tag + " " + v.name + " " + ef.component
					var got []string
					for key, value := range on[ef.component] {
						if _, ok := base[ef.component][key]; !ok {
							got = append(got, key+"="+value)
						}
					}
					slices.Sort(got)
					exp := want[head]
					for _, pk := range exp {
						k, constant, literal := strings.Cut(pk, "=")
						i := slices.IndexFunc(got, func(g string) bool { return strings.HasPrefix(g, k+"=") })
						switch {
						case i < 0:
							t.Errorf("%s: prepare writes %s, harborgen does not", head, k)
						case literal && got[i] != k+"="+constant:
							t.Errorf("%s: harborgen writes %s, prepare %s", head, got[i], pk)
						}
					}
					for _, g := range got {
						k, _, _ := strings.Cut(g, "=")
						if !slices.ContainsFunc(exp, func(pk string) bool { return pk == k || strings.HasPrefix(pk, k+"=") }) {
							t.Errorf("%s: harborgen writes %s, prepare does not", head, k)
						}
					}
				}
			}
		})
	}
	if tags == 0 || len(want) == 0 {
		t.Fatal("no recorded release: the test would prove nothing")
	}
}

// envOfSpec renders a spec and reads harbor01's env of each component
// (committed file and secrets twin) as KEY -> raw value.
func envOfSpec(t *testing.T, s *spec.Spec) map[string]map[string]string {
	t.Helper()
	files := nodeFiles(t, s)
	out := map[string]map[string]string{}
	for _, ef := range obsEnvFiles {
		out[ef.component] = map[string]string{}
		for _, name := range ef.files {
			for _, line := range strings.Split(string(files[name]), "\n") {
				if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
					out[ef.component][k] = v
				}
			}
		}
	}
	return out
}

// writeObsKeys records, per release of profile 2 and variant, the keys each
// component's env template writes with the variant on and not without it.
func writeObsKeys(t *testing.T, gitDir string) {
	t.Helper()
	keysAt := func(tag, jinja string, on []string) []string {
		conditions := maps.Clone(prepareConditions)
		for _, c := range on {
			conditions[c] = true
		}
		text, err := exec.Command("git", "-C", gitDir, "show", tag+":make/photon/prepare/templates/"+jinja+"/env.jinja").Output()
		if err != nil {
			t.Fatalf("%s %s: %v", tag, jinja, err)
		}
		keys, err := jinjaKeys(text, conditions)
		if err != nil {
			t.Fatalf("%s %s: %v", tag, jinja, err)
		}
		return keys
	}
	var b strings.Builder
	b.WriteString("# The env keys Harbor's prepare writes only with metric.enabled, or with trace.enabled and a\n")
	b.WriteString("# Jaeger or OpenTelemetry exporter (make/photon/prepare/templates/*/env.jinja at each tag):\n")
	b.WriteString("# \"<tag> <variant> <component>: KEY\", KEY=value for a constant.\n")
	for _, ks := range readKeySets(t) {
		for _, v := range obsVariants {
			for _, ef := range obsEnvFiles {
				var base []string
				if ef.component != "exporter" { // prepare writes the exporter's env only with metrics
					base = keysAt(ks.Tag, ef.jinja, nil)
				}
				for _, k := range keysAt(ks.Tag, ef.jinja, v.on) {
					name, _, _ := strings.Cut(k, "=")
					if !slices.ContainsFunc(base, func(b string) bool { return b == name || strings.HasPrefix(b, name+"=") }) &&
						(ef.component != "exporter" || v.name == "metric") {
						fmt.Fprintf(&b, "%s %s %s: %s\n", ks.Tag, v.name, ef.component, k)
					}
				}
			}
		}
	}
	if err := os.WriteFile(obsKeysFile, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}
