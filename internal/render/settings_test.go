package render_test

import (
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/harborgen/harborgen/internal/plan"
	"github.com/harborgen/harborgen/internal/render"
	"github.com/harborgen/harborgen/internal/spec"
	"github.com/harborgen/harborgen/internal/tree"
	"github.com/harborgen/harborgen/internal/validate"
)

// prepareLine is where Harbor's prepare writes a harbor.yml setting: one
// line of one of its templates (make/photon/prepare/templates/<Template>)
// at a tag, and the harborgen file that must hold it with the setting's
// value in place of the template's {{ ... }}.
type prepareLine struct {
	Tag, Template, Line string
	File                string // under nodes/<first harbor node>/
	Value               string // what replaces the template's {{ ... }}; "" when the line has none
}

// settingCase is one harbor.yml setting set to a value other than
// prepare's default.
type settingCase struct {
	name    string
	example string
	base    []string // old, new pairs applied to both renders (e.g. tls.mode node)
	edit    []string // old, new pairs that set the value
	// baseWithout: a secret left out of the default render (an optional one)
	baseWithout string
	secrets     map[string]string // secret values of both renders, over the fake ones
	prepare     []prepareLine
}

const prepareTemplates = "make/photon/prepare/templates/"

var settingCases = []settingCase{
	{name: "external_url", example: "ha-modern",
		edit:    []string{`version = "2.15.2"`, `version = "2.15.2"` + "\n" + `external_url = "https://harbor.corp.example:9443"`},
		prepare: []prepareLine{{"v2.15.2", "core/env.jinja", "EXT_ENDPOINT={{public_url}}", "harbor/common/config/core/env", "https://harbor.corp.example:9443"}}},
	{name: "ip_family.ipv6", example: "shared-fs", base: []string{`mode = "lb"`, `mode = "node"`},
		edit:    []string{`version = "2.15.2"`, `version = "2.15.2"` + "\n" + `ip_family = { ipv4 = true, ipv6 = true }`},
		prepare: []prepareLine{{"v2.15.2", "nginx/nginx.https.conf.jinja", "listen [::]:8443 ssl;", "harbor/common/config/nginx/nginx.conf", ""}}},
	{name: "ip_family.ipv4", example: "shared-fs", base: []string{`mode = "lb"`, `mode = "node"`},
		edit:    []string{`version = "2.15.2"`, `version = "2.15.2"` + "\n" + `ip_family = { ipv4 = false, ipv6 = true }`},
		prepare: []prepareLine{{"v2.15.2", "nginx/nginx.https.conf.jinja", "listen [::]:8443 ssl;", "harbor/common/config/nginx/nginx.conf", ""}}},
	{name: "logger_sweeper_duration", example: "ha-modern",
		edit:    []string{`version = "2.15.2"`, `version = "2.15.2"` + "\n" + `logger_sweeper_duration = 7`},
		prepare: []prepareLine{{"v2.15.2", "jobservice/config.yml.jinja", "duration: {{logger_sweeper_duration}} #days", "harbor/common/config/jobservice/config.yml", "7"}}},
	{name: "max_job_duration_hours", example: "ha-modern",
		edit:    []string{`version = "2.15.2"`, `version = "2.15.2"` + "\n" + `max_job_duration_hours = 72`},
		prepare: []prepareLine{{"v2.15.2", "jobservice/config.yml.jinja", "max_update_hours: {{ max_job_duration_hours }}", "harbor/common/config/jobservice/config.yml", "72"}}},
	{name: "max_job_duration_hours@2.13.5", example: "ha-modern", base: []string{`version = "2.15.2"`, `version = "2.13.5"`},
		edit: []string{`version = "2.13.5"`, `version = "2.13.5"` + "\n" + `max_job_duration_hours = 72`},
		prepare: []prepareLine{
			{"v2.13.5", "jobservice/config.yml.jinja", "max_update_hours: {{ max_job_duration_hours }}", "harbor/common/config/jobservice/config.yml", "72"},
			{"v2.13.5", "jobservice/env.jinja", "MAX_JOB_DURATION_SECONDS={{max_job_duration_seconds}}", "harbor/common/config/jobservice/env", "259200"}}},
	{name: "notification.webhook_job_max_retry", example: "ha-modern",
		edit:    []string{`version = "2.15.2"`, `version = "2.15.2"` + "\n" + `notification = { webhook_job_max_retry = 7 }`},
		prepare: []prepareLine{{"v2.15.2", "jobservice/env.jinja", "JOBSERVICE_WEBHOOK_JOB_MAX_RETRY={{notification_webhook_job_max_retry}}", "harbor/common/config/jobservice/env", "7"}}},
	{name: "notification.webhook_job_http_client_timeout", example: "ha-modern",
		edit:    []string{`version = "2.15.2"`, `version = "2.15.2"` + "\n" + `notification = { webhook_job_http_client_timeout = 30 }`},
		prepare: []prepareLine{{"v2.15.2", "jobservice/env.jinja", "JOBSERVICE_WEBHOOK_JOB_HTTP_CLIENT_TIMEOUT={{notification_webhook_job_http_client_timeout}}", "harbor/common/config/jobservice/env", "30"}}},
	{name: "upload_purging.enabled", example: "ha-modern",
		edit:    []string{`version = "2.15.2"`, `version = "2.15.2"` + "\n" + `upload_purging = { enabled = false }`},
		prepare: []prepareLine{{"v2.15.2", "registry/config.yml.jinja", "enabled: false", "harbor/common/config/registry/config.yml", ""}}},
	{name: "upload_purging.age", example: "ha-modern",
		edit:    []string{`version = "2.15.2"`, `version = "2.15.2"` + "\n" + `upload_purging = { age = "72h" }`},
		prepare: []prepareLine{{"v2.15.2", "registry/config.yml.jinja", "age: {{ purge_upload.age }}", "harbor/common/config/registry/config.yml", "72h"}}},
	{name: "upload_purging.interval", example: "ha-modern",
		edit:    []string{`version = "2.15.2"`, `version = "2.15.2"` + "\n" + `upload_purging = { interval = "12h" }`},
		prepare: []prepareLine{{"v2.15.2", "registry/config.yml.jinja", "interval: {{ purge_upload.interval }}", "harbor/common/config/registry/config.yml", "12h"}}},
	{name: "upload_purging.dryrun", example: "ha-modern",
		edit:    []string{`version = "2.15.2"`, `version = "2.15.2"` + "\n" + `upload_purging = { dryrun = true }`},
		prepare: []prepareLine{{"v2.15.2", "registry/config.yml.jinja", "dryrun: true", "harbor/common/config/registry/config.yml", ""}}},
	{name: "storage.redirect_disable", example: "shared-fs",
		edit:    []string{`driver = "filesystem"`, `driver = "filesystem"` + "\n" + `redirect_disable = true`},
		prepare: []prepareLine{{"v2.15.2", "registry/config.yml.jinja", "disable: true", "harbor/common/config/registry/config.yml", ""}}},
	{name: "storage.redirect_disable@s3", example: "ha-modern",
		edit: []string{`driver = "s3"`, `driver = "s3"` + "\n" + `redirect_disable = false`}},
	{name: "cache", example: "ha-modern",
		edit:    []string{`version = "2.15.2"`, `version = "2.15.2"` + "\n" + `cache = { enabled = true, expire_hours = 48 }`},
		secrets: map[string]string{"redis_password": "redispass"},
		prepare: []prepareLine{
			{"v2.15.2", "core/env.jinja", "CACHE_ENABLED=true", "harbor/common/config/core/env", ""},
			{"v2.15.2", "core/env.jinja", "CACHE_EXPIRE_HOURS={{ cache.expire_hours }}", "harbor/common/config/core/env", "48"},
			{"v2.15.2", "jobservice/env.jinja", "CACHE_ENABLED=true", "harbor/common/config/jobservice/env", ""},
			{"v2.15.2", "jobservice/env.jinja", "CACHE_EXPIRE_HOURS={{ cache.expire_hours }}", "harbor/common/config/jobservice/env", "48"},
			{"v2.15.2", "jobservice/env.jinja", "_REDIS_URL_CORE={{redis_url_core}}", "secrets/jobservice.env",
				"redis+sentinel://:redispass@10.20.0.11:26379,10.20.0.12:26379,10.20.0.13:26379/harbor?idle_timeout_seconds=30"}}},
	{name: "trivy.enabled", example: "shared-fs",
		edit: []string{`trivy = { enabled = false }`, `trivy = { enabled = true }`},
		prepare: []prepareLine{
			{"v2.15.2", "core/env.jinja", "WITH_TRIVY={{with_trivy}}", "harbor/common/config/core/env", "true"},
			{"v2.15.2", "docker_compose/docker-compose.yml.jinja", "trivy-adapter:", "docker-compose.yml", ""},
			{"v2.15.2", "docker_compose/docker-compose.yml.jinja", "image: goharbor/trivy-adapter-photon:{{trivy_adapter_version}}", "docker-compose.yml", "v2.15.2"}}},
	trivyCase("ignore_unfixed", "true", "SCANNER_TRIVY_IGNORE_UNFIXED={{trivy_ignore_unfixed}}"),
	trivyCase("skip_update", "true", "SCANNER_TRIVY_SKIP_UPDATE={{trivy_skip_update}}"),
	trivyCase("skip_java_db_update", "true", "SCANNER_TRIVY_SKIP_JAVA_DB_UPDATE={{trivy_skip_java_db_update}}"),
	trivyCase("offline_scan", "true", "SCANNER_TRIVY_OFFLINE_SCAN={{trivy_offline_scan}}"),
	trivyCase("security_check", `"vuln,secret"`, "SCANNER_TRIVY_SECURITY_CHECKS={{trivy_security_check}}"),
	trivyCase("insecure", "true", "SCANNER_TRIVY_INSECURE={{trivy_insecure}}"),
	trivyCase("timeout", `"10m0s"`, "SCANNER_TRIVY_TIMEOUT={{trivy_timeout}}"),
	trivyCase("db_repository", `"mirror.corp.example/aquasecurity/trivy-db"`, "SCANNER_TRIVY_DB_REPOSITORY={{trivy_db_repository}}"),
	trivyCase("java_db_repository", `"mirror.corp.example/aquasecurity/trivy-java-db"`, "SCANNER_TRIVY_JAVA_DB_REPOSITORY={{trivy_java_db_repository}}"),
	{name: "trivy_github_token", example: "ha-modern", baseWithout: "trivy_github_token",
		secrets: map[string]string{"trivy_github_token": "ghp_0123456789abcdefABCDEF0123456789abcd"},
		prepare: []prepareLine{{"v2.15.2", "trivy-adapter/env.jinja", "SCANNER_TRIVY_GITHUB_TOKEN={{trivy_github_token}}", "secrets/trivy.env",
			"ghp_0123456789abcdefABCDEF0123456789abcd"}}},
}

// trivyCase sets one key of [harbor.trivy] in ha-modern (Trivy on).
func trivyCase(key, value, jinja string) settingCase {
	return settingCase{name: "trivy." + key, example: "ha-modern",
		edit:    []string{`trivy = { enabled = true }`, `trivy = { enabled = true, ` + key + ` = ` + value + ` }`},
		prepare: []prepareLine{{"v2.15.2", "trivy-adapter/env.jinja", jinja, "harbor/common/config/trivy-adapter/env", strings.Trim(value, `"`)}}}
}

// TestSettingsReachPrepare sets each harbor.yml setting to a value other
// than prepare's default and shows, in testdata/settings/<name>.txt, every
// line of the first harbor node's files that changes against the render of
// the same spec without it (-update rewrites them). Each changed value must
// be where prepare's template (named in the case, read at its tag with
// -prepare-mirror) writes it: its line with the value in place of {{ ... }}.
func TestSettingsReachPrepare(t *testing.T) {
	for _, tc := range settingCases {
		t.Run(tc.name, func(t *testing.T) {
			src, err := os.ReadFile("../../examples/" + tc.example + "/harborgen.toml")
			if err != nil {
				t.Fatal(err)
			}
			text := replacePairs(t, string(src), tc.base)
			before := renderSettingSpec(t, text, tc.baseWithout, tc.secrets)
			after := renderSettingSpec(t, replacePairs(t, text, tc.edit), "", tc.secrets)
			node := firstHarborNode(t, text)
			var b strings.Builder
			fmt.Fprintf(&b, "# %s: examples/%s%s, changed by %q\n", tc.name, tc.example, describePairs(tc.base), tc.edit)
			for _, pl := range tc.prepare {
				fmt.Fprintf(&b, "# prepare %s %s%s: %s\n", pl.Tag, prepareTemplates, pl.Template, pl.Line)
			}
			changed := diffTrees(before, after, "nodes/"+node+"/")
			if changed == "" {
				t.Fatal("the setting changes no file")
			}
			b.WriteString(changed)
			golden := filepath.Join("testdata", "settings", tc.name+".txt")
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
				t.Fatalf("%v (go test ./internal/render -run TestSettingsReachPrepare -update)", err)
			}
			if b.String() != string(want) {
				t.Errorf("differs from %s (-update):\n%s", golden, b.String())
			}
			for _, pl := range tc.prepare {
				data := string(file(t, after, "nodes/"+node+"/"+pl.File))
				if !holdsPrepareLine(data, pl) {
					t.Errorf("%s has no line %q (prepare %s %s with %q)", pl.File, expectedLine(pl), pl.Tag, pl.Template, pl.Value)
				}
				if *prepareMirror != "" {
					jinja, err := exec.Command("git", "-C", *prepareMirror, "show", pl.Tag+":"+prepareTemplates+pl.Template).Output()
					if err != nil {
						t.Fatalf("%s %s: %v", pl.Tag, pl.Template, err)
					}
					if !containsTrimmedLine(string(jinja), pl.Line) {
						t.Errorf("prepare %s %s has no line %q", pl.Tag, pl.Template, pl.Line)
					}
				}
			}
		})
	}
}

func replacePairs(t *testing.T, text string, pairs []string) string {
	t.Helper()
	for i := 0; i+1 < len(pairs); i += 2 {
		if !strings.Contains(text, pairs[i]) {
			t.Fatalf("the example no longer has %q", pairs[i])
		}
		text = strings.Replace(text, pairs[i], pairs[i+1], 1)
	}
	return text
}

func describePairs(pairs []string) string {
	if len(pairs) == 0 {
		return ""
	}
	return fmt.Sprintf(" with %q", pairs)
}

// renderSettingSpec validates (no error, no warning) and renders a spec,
// with the fake secrets and overrides, less one optional secret if named.
func renderSettingSpec(t *testing.T, text, without string, overrides map[string]string) *tree.Tree {
	t.Helper()
	s, d := spec.Parse("harborgen.toml", []byte(text), spec.TOML)
	if s == nil {
		t.Fatalf("does not parse: %v", d.Items())
	}
	validate.Validate(s, d, validate.Options{})
	if d.Len() > 0 {
		t.Fatalf("diagnostics: %v", d.Items())
	}
	p, err := plan.Build(s)
	if err != nil {
		t.Fatal(err)
	}
	vals := fakeSecrets(t, s)
	maps.Copy(vals, overrides)
	delete(vals, without)
	tr, err := render.Tree(p, "harborgen.toml", vals)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func firstHarborNode(t *testing.T, text string) string {
	t.Helper()
	s, _ := spec.Parse("harborgen.toml", []byte(text), spec.TOML)
	return s.NodesWithRole(spec.RoleHarbor)[0].Name
}

// diffTrees lists, per file under prefix (MANIFEST aside), the lines only
// in a ("-") and only in b ("+"), in file order.
func diffTrees(a, b *tree.Tree, prefix string) string {
	files := map[string][2][]string{}
	var names []string
	for i, tr := range []*tree.Tree{a, b} {
		for _, f := range tr.Files() {
			if !strings.HasPrefix(f.Path, prefix) {
				continue
			}
			e, ok := files[f.Path]
			if !ok {
				names = append(names, f.Path)
			}
			e[i] = strings.Split(string(f.Data), "\n")
			files[f.Path] = e
		}
	}
	var out strings.Builder
	for _, name := range names {
		e := files[name]
		d := lineDiff(e[0], e[1])
		if d != "" {
			fmt.Fprintf(&out, "%s\n%s", strings.TrimPrefix(name, prefix), d)
		}
	}
	return out.String()
}

// lineDiff is a longest-common-subsequence diff of two line lists, showing
// only the changed lines.
func lineDiff(a, b []string) string {
	n, m := len(a), len(b)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out strings.Builder
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			i, j = i+1, j+1
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			out.WriteString("-" + a[i] + "\n")
			i++
		default:
			out.WriteString("+" + b[j] + "\n")
			j++
		}
	}
	return out.String()
}

var jinjaExpr = regexp.MustCompile(`\{\{[^}]*\}\}`)

// expectedLine is prepare's template line with the value in place of its
// {{ ... }}, without a trailing comment.
func expectedLine(pl prepareLine) string {
	line := jinjaExpr.ReplaceAllLiteralString(pl.Line, pl.Value)
	if i := strings.Index(line, " #"); i >= 0 {
		line = line[:i]
	}
	return strings.TrimSpace(line)
}

// holdsPrepareLine: a line of data is prepare's line with the value, as
// written or with the value after "key: " or "KEY=" quoted (harborgen
// quotes YAML and env values; prepare writes them raw).
func holdsPrepareLine(data string, pl prepareLine) bool {
	want := expectedLine(pl)
	for _, line := range strings.Split(data, "\n") {
		line = strings.TrimSpace(line)
		if line == want {
			return true
		}
		if m := quotedValue.FindStringSubmatch(line); m != nil && m[1]+m[2] == want {
			return true
		}
	}
	return false
}

var quotedValue = regexp.MustCompile(`^(.*?(?:: |=))"(.*)"$`)

func containsTrimmedLine(text, line string) bool {
	for _, l := range strings.Split(text, "\n") {
		if strings.TrimSpace(l) == strings.TrimSpace(line) {
			return true
		}
	}
	return false
}
