package schema_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/harborgen/harborgen/internal/diag"
	"github.com/harborgen/harborgen/internal/spec"
	"github.com/harborgen/harborgen/schema"
)

const schemaID = "https://harborgen.dev/schema/harborgen.schema.json"

// loadDoc parses the embedded schema the way the validator does (numbers
// become json.Number).
func loadDoc(t *testing.T) map[string]any {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema.JSON))
	if err != nil {
		t.Fatalf("harborgen.schema.json is not valid JSON: %v", err)
	}
	root, ok := doc.(map[string]any)
	if !ok {
		t.Fatalf("harborgen.schema.json is a %T, want an object", doc)
	}
	return root
}

// newCompiler returns a compiler that knows the embedded schema by its $id.
func newCompiler(t *testing.T) *jsonschema.Compiler {
	t.Helper()
	c := jsonschema.NewCompiler()
	if err := c.AddResource(schemaID, loadDoc(t)); err != nil {
		t.Fatalf("add schema resource: %v", err)
	}
	return c
}

func compile(t *testing.T) *jsonschema.Schema {
	t.Helper()
	sch, err := newCompiler(t).Compile(schemaID)
	if err != nil {
		t.Fatalf("compile %s: %v", schemaID, err)
	}
	return sch
}

func TestSchemaCompiles(t *testing.T) {
	root := loadDoc(t)
	if got := root["$schema"]; got != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema = %v, want draft 2020-12", got)
	}
	if got := root["$id"]; got != schemaID {
		t.Errorf("$id = %v, want %s", got, schemaID)
	}
	for _, k := range []string{"title", "description"} {
		if s, _ := root[k].(string); s == "" {
			t.Errorf("the schema has no %s", k)
		}
	}
	compile(t)
}

// TestEveryObjectIsClosed makes an unknown key a schema error everywhere, as
// it is a decode error in Go.
func TestEveryObjectIsClosed(t *testing.T) {
	var objects int
	walkJSON(loadDoc(t), "", func(ptr string, m map[string]any) {
		_, hasProps := m["properties"]
		if m["type"] != "object" && !hasProps {
			return
		}
		objects++
		// A table of free names (trace.attributes) is a map in Go: its
		// values are typed instead.
		if _, free := m["additionalProperties"].(map[string]any); free && !hasProps {
			return
		}
		if m["additionalProperties"] != false {
			t.Errorf("%s: additionalProperties is %v, want false", pointerName(ptr), m["additionalProperties"])
		}
	})
	if objects < 2 {
		t.Fatalf("found %d object schemas; the walk is broken", objects)
	}
}

// walkJSON calls fn for every JSON object in v with its JSON pointer.
func walkJSON(v any, ptr string, fn func(ptr string, m map[string]any)) {
	switch v := v.(type) {
	case map[string]any:
		fn(ptr, v)
		for _, k := range sortedKeys(v) {
			walkJSON(v[k], ptr+"/"+escapePointer(k), fn)
		}
	case []any:
		for i, child := range v {
			walkJSON(child, ptr+"/"+strconv.Itoa(i), fn)
		}
	}
}

func escapePointer(key string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(key)
}

func pointerName(ptr string) string {
	if ptr == "" {
		return "#"
	}
	return "#" + ptr
}

// TestSchemaMatchesGoTypes proves that the schema and spec.Spec describe the
// same keys, types and defaults, and that every key is documented.
func TestSchemaMatchesGoTypes(t *testing.T) {
	root := loadDoc(t)
	order, err := keyOrder(schema.JSON)
	if err != nil {
		t.Fatalf("read key order: %v", err)
	}
	w := &walker{root: root, order: order, usedDefs: map[string]bool{}}
	w.compareStruct(reflect.TypeFor[spec.Spec](), root, "", "")
	defs, _ := root["$defs"].(map[string]any)
	for _, name := range sortedKeys(defs) {
		if !w.usedDefs[name] {
			w.problemf("#/$defs/%s: defined in the schema but used by no key", name)
		}
	}
	for _, p := range w.problems {
		t.Error(p)
	}
	if w.keys < 50 {
		t.Fatalf("compared only %d keys; the walk is broken", w.keys)
	}
}

// walker compares a Go struct type with an object schema.
type walker struct {
	root     map[string]any
	order    map[string][]string // JSON pointer of an object -> its keys in file order
	usedDefs map[string]bool
	problems []string
	keys     int
}

func (w *walker) problemf(format string, args ...any) {
	w.problems = append(w.problems, fmt.Sprintf(format, args...))
}

// resolve follows a $ref to #/$defs/NAME and returns the target with its
// JSON pointer.
func (w *walker) resolve(node map[string]any, ptr string) (map[string]any, string, bool) {
	ref, ok := node["$ref"].(string)
	if !ok {
		return node, ptr, true
	}
	name, ok := strings.CutPrefix(ref, "#/$defs/")
	defs, _ := w.root["$defs"].(map[string]any)
	target, found := defs[name].(map[string]any)
	if !ok || !found {
		w.problemf("%s: $ref %q does not name an entry of #/$defs", pointerName(ptr), ref)
		return nil, "", false
	}
	w.usedDefs[name] = true
	return target, "/$defs/" + escapePointer(name), true
}

func (w *walker) compareStruct(goType reflect.Type, node map[string]any, path, ptr string) {
	props, _ := node["properties"].(map[string]any)
	if props == nil {
		w.problemf("%s (%s): the schema has no properties for Go type %s", displayPath(path), pointerName(ptr), goType)
		return
	}
	var goKeys []string
	for _, f := range spec.Fields(goType) {
		goKeys = append(goKeys, f.Key)
		key := joinPath(path, f.Key)
		goField := goType.Name() + "." + goType.Field(f.Index).Name
		prop, ok := props[f.Key].(map[string]any)
		if !ok {
			w.problemf("%s: in Go (%s) but not in the schema", key, goField)
			continue
		}
		w.keys++
		w.compareField(f.Default, f.HasDef, goType.Field(f.Index).Type, prop, key, ptr+"/properties/"+escapePointer(f.Key))
	}
	for _, k := range sortedKeys(props) {
		if !slices.Contains(goKeys, k) {
			w.problemf("%s: in the schema (%s) but not in Go type %s", joinPath(path, k), pointerName(ptr+"/properties"), goType)
		}
	}
	if got := w.order[ptr+"/properties"]; slices.Equal(sortedCopy(got), sortedCopy(goKeys)) && !slices.Equal(got, goKeys) {
		w.problemf("%s: schema properties are in the order %v, Go fields in the order %v", displayPath(path), got, goKeys)
	}
}

func (w *walker) compareField(def string, hasDef bool, ft reflect.Type, prop map[string]any, path, ptr string) {
	if d, _ := prop["description"].(string); strings.TrimSpace(d) == "" {
		w.problemf("%s: the schema property has no description", path)
	}
	w.compareDefault(def, hasDef, ft, prop, path)
	target, tptr, ok := w.resolve(prop, ptr)
	if !ok {
		return
	}
	w.compareType(ft, target, path, tptr)
}

func (w *walker) compareType(ft reflect.Type, node map[string]any, path, ptr string) {
	if ft.Kind() == reflect.Pointer {
		ft = ft.Elem()
	}
	if want := jsonType(ft.Kind()); node["type"] != want {
		w.problemf("%s: schema type is %v, the Go type %s needs %q", path, node["type"], ft, want)
		return
	}
	switch ft.Kind() {
	case reflect.Struct:
		w.compareStruct(ft, node, path, ptr)
	case reflect.Map:
		values, ok := node["additionalProperties"].(map[string]any)
		if !ok || ft.Key().Kind() != reflect.String {
			w.problemf("%s: the schema object of a Go map has no additionalProperties schema", path)
			return
		}
		w.compareType(ft.Elem(), values, path+".*", ptr+"/additionalProperties")
	case reflect.Slice:
		items, ok := node["items"].(map[string]any)
		if !ok {
			w.problemf("%s: the schema array has no items schema", path)
			return
		}
		target, tptr, ok := w.resolve(items, ptr+"/items")
		if ok {
			w.compareType(ft.Elem(), target, path+"[]", tptr)
		}
	}
}

func jsonType(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "string"
	case reflect.Int:
		return "integer"
	case reflect.Bool:
		return "boolean"
	case reflect.Float64:
		return "number"
	case reflect.Slice:
		return "array"
	case reflect.Struct, reflect.Map:
		return "object"
	}
	return "unsupported Go kind " + k.String()
}

// compareDefault checks that the schema's "default" is the Go default tag,
// parsed to the field's kind, and that one exists exactly when the other does.
func (w *walker) compareDefault(def string, hasDef bool, ft reflect.Type, prop map[string]any, path string) {
	schemaDef, schemaHas := prop["default"]
	switch {
	case hasDef && !schemaHas:
		w.problemf("%s: Go default %q is missing from the schema", path, def)
		return
	case !hasDef && schemaHas:
		w.problemf("%s: the schema has default %v but the Go field has no default tag", path, schemaDef)
		return
	case !hasDef:
		return
	}
	goDef, err := parseDefault(def, ft)
	if err != nil {
		w.problemf("%s: Go default tag %q: %v", path, def, err)
		return
	}
	if got := normalize(schemaDef); !reflect.DeepEqual(got, goDef) {
		w.problemf("%s: schema default %s differs from Go default %s", path, show(got), show(goDef))
	}
}

// parseDefault reads a default tag as the decoder applies it: lists are
// comma-separated.
func parseDefault(tag string, ft reflect.Type) (any, error) {
	switch ft.Kind() {
	case reflect.String:
		return tag, nil
	case reflect.Int:
		n, err := strconv.ParseInt(tag, 10, 64)
		return n, err
	case reflect.Bool:
		return strconv.ParseBool(tag)
	case reflect.Float64:
		if _, err := strconv.ParseFloat(tag, 64); err != nil {
			return nil, err
		}
		return normalize(json.Number(tag)), nil
	case reflect.Slice:
		list := []any{}
		for _, part := range strings.Split(tag, ",") {
			v, err := parseDefault(part, ft.Elem())
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		return list, nil
	}
	return nil, fmt.Errorf("a default on a %s field is not supported", ft)
}

// normalize turns json.Number into int64 (or float64) so a schema value
// compares with a parsed Go default.
func normalize(v any) any {
	switch v := v.(type) {
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return n
		}
		f, _ := v.Float64()
		return f
	case []any:
		out := make([]any, len(v))
		for i, item := range v {
			out[i] = normalize(item)
		}
		return out
	}
	return v
}

func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func displayPath(path string) string {
	if path == "" {
		return "(top level)"
	}
	return path
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

// keyOrder returns, for every JSON object in data, its keys in file order,
// by JSON pointer.
func keyOrder(data []byte) (map[string][]string, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	out := map[string][]string{}
	if err := readOrdered(dec, "", out); err != nil {
		return nil, err
	}
	return out, nil
}

func readOrdered(dec *json.Decoder, ptr string, out map[string][]string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		keys := []string{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return err
			}
			key, _ := kt.(string)
			keys = append(keys, key)
			if err := readOrdered(dec, ptr+"/"+escapePointer(key), out); err != nil {
				return err
			}
		}
		out[ptr] = keys
		_, err = dec.Token()
		return err
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			if err := readOrdered(dec, ptr+"/"+strconv.Itoa(i), out); err != nil {
				return err
			}
		}
		_, err = dec.Token()
		return err
	}
	return nil
}

// TestDefaultsAreValid checks every default against the schema of its own
// key, so a default can never fail an enum, range or pattern.
func TestDefaultsAreValid(t *testing.T) {
	c := newCompiler(t)
	var checked int
	walkJSON(loadDoc(t), "", func(ptr string, m map[string]any) {
		def, ok := m["default"]
		if !ok {
			return
		}
		checked++
		sch, err := c.Compile(schemaID + "#" + ptr)
		if err != nil {
			t.Errorf("compile %s: %v", pointerName(ptr), err)
			return
		}
		if err := sch.Validate(def); err != nil {
			t.Errorf("%s: default %s is not valid for its own key: %v", pointerName(ptr), show(normalize(def)), err)
		}
	})
	if checked == 0 {
		t.Fatal("no defaults found; the walk is broken")
	}
}

// specExample is the spec of SPEC.md §3 extended until it sets every key
// (TestSchemaAcceptsWhatGoAccepts checks that). It is not a sensible cluster,
// which only the Go validator would notice: it exercises the schema.
const specExample = `
spec = 1

[cluster]
name = "harbor-prod"
hostname = "registry.example.com"

[harbor]
version = "2.15.2"
external_url = "https://registry.example.com:8443"
ip_family = { ipv4 = true, ipv6 = true }
logger_sweeper_duration = 7
max_job_duration_hours = 48
data_dir = "/data/harbor"
http_port = 8080
https_port = 8443
registry_port = 5000
auth_mode = "ldap_auth"
job_loggers = ["DB"]
quota_update_provider = "redis"
max_job_workers = 10
with_trivy = false
image_registry = "mirror.example.com:5000/goharbor"
log_dir = "/var/log/harbor"
[harbor.ldap]
url = "ldap://10.2.208.11:389"
search_dn = "CN=admin,OU=Infra,DC=example,DC=com"
base_dn = "OU=Tech,DC=example,DC=com"
filter = "(objectClass=person)"
uid = "sAMAccountName"
scope = "subtree"
timeout = 5
verify_cert = true
group_base_dn = "OU=Tech,DC=example,DC=com"
group_filter = "(objectclass=group)"
group_gid = "sAMAccountName"
group_scope = "subtree"
group_admin_dn = "CN=harbor-admins,OU=Tech,DC=example,DC=com"
[harbor.proxy]
http_proxy = "http://proxy.corp.example:3128"
https_proxy = "http://proxy.corp.example:3128"
no_proxy = [".corp.example", "10.0.0.0/8"]
components = ["core", "jobservice", "trivy"]
[harbor.notification]
webhook_job_max_retry = 5
webhook_job_http_client_timeout = 10
[harbor.upload_purging]
enabled = true
age = "72h"
interval = "12h"
dryrun = true
[harbor.cache]
enabled = true
expire_hours = 12
[harbor.trivy]
enabled = false
ignore_unfixed = true
skip_update = true
skip_java_db_update = true
offline_scan = true
security_check = "vuln,secret"
insecure = false
timeout = "10m0s"
db_repository = "mirror.corp.example/aquasecurity/trivy-db"
java_db_repository = "mirror.corp.example/aquasecurity/trivy-java-db"
[harbor.metric]
enabled = true
port = 9091
path = "/metrics"
[harbor.trace]
enabled = true
sample_rate = 0.5
namespace = "registry"
attributes = { application = "harbor" }
[harbor.trace.jaeger]
endpoint = "http://jaeger.example.com:14268/api/traces"
username = "harbor"
agent_host = "jaeger.example.com"
agent_port = 6831
[harbor.trace.otel]
endpoint = "otel.example.com:4318"
url_path = "/v1/traces"
compression = true
insecure = true
timeout = 10
[harbor.log]
level = "warning"
rotate_count = 20
rotate_size = "100M"
[harbor.log.external_endpoint]
protocol = "udp"
host = "syslog.example.com"
port = 514

[tls]
mode = "lb"
cert_file = "/etc/harbor/tls/registry.crt"
key_file = "/etc/harbor/tls/registry.key"
trust_ca_files = ["/etc/pki/corp-root.pem"]

[[node]]
name = "registry01"
address = "10.212.29.38"
roles = ["harbor", "galera", "redis"]
site = "idc-a"

[[node]]
name = "lb01"
address = "fd00::10"
roles = ["lb", "ceph-admin", "sentinel"]
site = "idc-b"

[database]
engine = "galera"
name = "registry"
user = "registry"
port = 3306
max_connections = 1000
max_open_conns = 100
max_idle_conns = 50
conn_max_lifetime = "1m30s"
conn_max_idle_time = "0"
[database.patroni]
scope = "harbor-pg"
synchronous_mode = true
postgres_version = 15
data_dir = "/srv/patroni"
ttl = 30
loop_wait = 10
retry_timeout = 10
dcs_nodes = ["registry01", "registry02", "registry03"]
[database.galera]
cluster_name = "harbor"
sst_method = "mariabackup"
bootstrap_node = "registry01"
buffer_pool_size = "1G"
gcache_size = "512M"
data_dir = "/data/galera"
[database.external]
host = "10.0.0.5"
ssl_mode = "disable"

[redis]
mode = "sentinel"
ports = [6379, 6380]
replicas = 1
master_set = "harbor"
sentinel_port = 26379
quorum = 2
maxmemory = "2gb"
data_dir = "/data/redis"
[redis.external]
host = "10.0.0.6:26379,10.0.0.7:26379"
username = "harbor"

[storage]
driver = "swift"
redirect_disable = true
[storage.swift]
auth_url = "http://10.32.3.70:7480/auth/v1.0"
container = "registry.example.com"
uid = "registry"
region = "RegionOne"
[storage.s3]
endpoint = "http://10.32.3.70:7480"
bucket = "harbor"
region = "us-east-1"
uid = "registry"
[storage.filesystem]
path = "/mnt/cephfs/harbor/registry"
shared = true
[storage.rgw]
max_size = "10T"

[lb]
kind = "nginx"
vip = "10.212.29.100"
vrrp_interface = "eth0"
virtual_router_id = 51
http_port = 80
https_port = 443
sticky = true
proxy_database = true
proxy_redis = false
proxy_read_timeout = 900
client_max_body_size = "0"

[images]
mirror = "mirror.corp.example/hub"
galera = "mirror.corp.example/db/mariadb:10.11.18"
redis = "redis@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
nginx = "nginx:1.30.0"
haproxy = "mirror.corp.example:5000/hub/library/haproxy:2.8.26@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
postgres = "mirror.corp.example:5000/hub/library/postgres:15.14"
etcd = "mirror.corp.example:5000/coreos/etcd:v3.5.21"

[[site]]
name = "idc-a"
primary = true
vip = "10.1.0.100"

[[site]]
name = "idc-b"
vip = "10.2.0.100"
[site.redis]
mode = "standalone"
ports = [6379]
replicas = 0
master_set = "harbor-b"
sentinel_port = 26379
quorum = 1
maxmemory = "512mb"
data_dir = "/srv/redis"
[site.redis.external]
host = "10.2.0.6:6379"
username = "harbor-b"
[site.storage]
driver = "s3"
redirect_disable = false
[site.storage.swift]
auth_url = "http://10.2.3.70:7480/auth/v1.0"
container = "registry.example.com"
uid = "registry"
region = "RegionTwo"
[site.storage.s3]
endpoint = "http://10.2.3.70:7480"
bucket = "harbor"
region = "us-east-1"
uid = "registry"
[site.storage.filesystem]
path = "/mnt/cephfs-b/harbor/registry"
shared = true
[site.storage.rgw]
max_size = "2T"
`

// goKeyPaths lists every key of a spec type, lists written as key[].
func goKeyPaths(goType reflect.Type, path string) []string {
	var out []string
	for _, f := range spec.Fields(goType) {
		key := joinPath(path, f.Key)
		out = append(out, key)
		ft := goType.Field(f.Index).Type
		if ft.Kind() == reflect.Slice {
			ft, key = ft.Elem(), key+"[]"
		}
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct {
			out = append(out, goKeyPaths(ft, key)...)
		}
	}
	return out
}

// collectPaths records the key paths present in a parsed document, in the
// form of goKeyPaths.
func collectPaths(v any, path string, seen map[string]bool) {
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			key := joinPath(path, k)
			seen[key] = true
			collectPaths(child, key, seen)
		}
	case []any:
		for _, item := range v {
			collectPaths(item, path+"[]", seen)
		}
	}
}

// parseSpec parses a TOML spec with harborgen's own loader and returns it as
// plain values for the schema validator, with the Go decoder's diagnostics.
func parseSpec(t *testing.T, text string) (any, *diag.List) {
	t.Helper()
	s, diags := spec.Parse("example.toml", []byte(text), spec.TOML)
	if s == nil {
		t.Fatalf("the example does not parse: %v", diags.Items())
	}
	return s.Source.Root.Interface(), diags
}

// TestSchemaAcceptsWhatGoAccepts validates a spec that sets every key, and
// then a few broken copies of it that the schema must reject.
func TestSchemaAcceptsWhatGoAccepts(t *testing.T) {
	sch := compile(t)
	doc, diags := parseSpec(t, specExample)
	if diags.HasErrors(false) {
		var buf bytes.Buffer
		_ = diag.WriteText(&buf, diags.Items())
		t.Fatalf("the Go decoder rejects the full example:\n%s", buf.String())
	}
	if err := sch.Validate(doc); err != nil {
		t.Fatalf("the schema rejects the full example: %v", err)
	}
	inExample := map[string]bool{}
	collectPaths(doc, "", inExample)
	for _, key := range goKeyPaths(reflect.TypeFor[spec.Spec](), "") {
		if !inExample[key] {
			t.Errorf("the full example does not set %s; add it so the schema is tried on every key", key)
		}
	}
	reject := func(why, at, old, new string) {
		t.Helper()
		broken := strings.Replace(specExample, old, new, 1)
		if broken == specExample {
			t.Fatalf("%s: %q is not in the example", why, old)
		}
		doc, _ := parseSpec(t, broken)
		err := sch.Validate(doc)
		switch {
		case err == nil:
			t.Errorf("%s: the schema accepts it", why)
		case !strings.Contains(err.Error(), "at '"+at+"'"):
			t.Errorf("%s: want an error at %s, got: %v", why, at, err)
		}
	}
	reject("an unknown key in a site's redis", "/site/1/redis",
		"[site.redis]\nmode =", "[site.redis]\nmdoe = \"x\"\nmode =")
	reject("an unknown redis mode", "/redis/mode",
		`mode = "sentinel"`, `mode = "clustr"`)
	reject("a node without roles", "/node/0/roles",
		`roles = ["harbor", "galera", "redis"]`, `roles = []`)
	reject("a repeated role", "/node/0/roles",
		`roles = ["harbor", "galera", "redis"]`, `roles = ["harbor", "harbor"]`)
	reject("spec version 2", "/spec",
		"spec = 1", "spec = 2")
	reject("a port out of range", "/harbor/http_port",
		"http_port = 8080", "http_port = 65536")
	reject("an upper-case cluster name", "/cluster/name",
		`name = "harbor-prod"`, `name = "Harbor-Prod"`)
	reject("a size with a bad unit", "/database/galera/gcache_size",
		`gcache_size = "512M"`, `gcache_size = "512 MiB"`)
	reject("a scheme in image_registry", "/harbor/image_registry",
		`image_registry = "mirror`, `image_registry = "https://mirror`)
	reject("a scheme in images.mirror", "/images/mirror",
		`mirror = "mirror`, `mirror = "https://mirror`)
	reject("an image without a tag or digest", "/images/nginx",
		`nginx = "nginx:1.30.0"`, `nginx = "nginx"`)
	reject("a space in an image", "/images/galera",
		`galera = "mirror.corp.example/db/`, `galera = "mirror.corp.example/db /`)
	reject("an upper-case image path", "/images/galera",
		`galera = "mirror.corp.example/db/mariadb`, `galera = "mirror.corp.example/db/MariaDB`)
	reject("a short digest", "/images/redis",
		`redis = "redis@sha256:0123`, `redis = "redis@sha256:`)
	reject("an unknown proxy component", "/harbor/proxy/components/1",
		`components = ["core", "jobservice", "trivy"]`, `components = ["core", "registry"]`)
	reject("a storage without driver", "/site/1/storage",
		"[site.storage]\ndriver = \"s3\"\n", "[site.storage]\n")
}
