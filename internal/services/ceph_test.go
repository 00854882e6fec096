package services

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/harborgen/harborgen/internal/plan"
)

// TestCephRGW starts a single-node Ceph (one mon, one memstore OSD, no mgr,
// radosgw) on the ceph-admin node's loopback address, runs the rendered
// rgw-user.sh against it twice, and logs in as Harbor's registry would:
// Swift auth (204, wrong key 401) or a signed S3 request (200, wrong key 403).
func TestCephRGW(t *testing.T) {
	need(t, "bash", "jq", "ceph", "ceph-authtool", "monmaptool", "ceph-mon", "ceph-osd", "radosgw", "radosgw-admin")
	c := clusterWith(t, "ceph-admin with rgw", func(n *plan.Node) bool { return n.RGW != nil })
	admin := c.Nodes(func(n *plan.Node) bool { return n.RGW != nil })[0]
	st := rgwStorage(t, c, admin)
	endpoint, err := url.Parse(st.URL)
	if err != nil || endpoint.Port() == "" {
		t.Fatalf("storage URL %q: want http://host:port/...: %v", st.URL, err)
	}
	if err := loopbackOnly(endpoint.Hostname()); err != nil {
		t.Fatalf("storage URL %s: %v", st.URL, err)
	}

	dir := c.Node(admin.Name)
	script := filepath.Join(dir, "rgw-user.sh")
	if fi, err := os.Stat(script); err != nil {
		t.Fatal(err)
	} else if fi.Mode().Perm() != 0o755 {
		t.Errorf("%s: mode %v, want 0755", script, fi.Mode().Perm())
	}
	if _, err := os.Stat(filepath.Join(dir, "secrets", "rgw.env")); err != nil {
		t.Fatal(err)
	}

	began := time.Now()
	conf := startCeph(t, admin.Address, endpoint.Host)
	up := time.Since(began)
	t.Logf("ceph (mon, memstore osd, radosgw on %s) up in %s", endpoint.Host, up.Round(100*time.Millisecond))

	uid := admin.RGW.UID
	env := []string{"RGW_ADMIN_ARGS=-c " + conf}
	run := func(n int) string {
		t.Helper()
		out, err := runScript(t, dir, env, script)
		if err != nil {
			t.Fatalf("rgw-user.sh run %d: %v\n%s", n, err, out)
		}
		for name, v := range c.Secrets {
			if len(v) >= 6 && strings.Contains(out, v) {
				t.Errorf("rgw-user.sh run %d printed the secret %s", n, name)
			}
		}
		if !strings.Contains(out, "radosgw user "+uid+" is ready") {
			t.Errorf("rgw-user.sh run %d did not finish:\n%s", n, out)
		}
		return out
	}
	first := run(1)
	if !strings.Contains(first, "created radosgw user "+uid) {
		t.Errorf("first run did not create the user:\n%s", first)
	}
	after1 := rgwUserInfo(t, conf, uid)
	if second := run(2); strings.Contains(second, "created") || strings.Contains(second, "set the") {
		t.Errorf("second run changed something:\n%s", second)
	}
	after2 := rgwUserInfo(t, conf, uid)
	if !after1.sameKeys(after2) {
		t.Error("the second run changed the user's keys or subusers") // not printed: they are secrets
	}
	rerun := func() (string, error) { return runScript(t, dir, env, script) }

	if q := admin.RGW.MaxSizeBytes; q > 0 {
		if !after2.Quota.Enabled || after2.Quota.MaxSize != int64(q) {
			t.Errorf("user quota %+v, want enabled with max_size %d", after2.Quota, q)
		}
	}

	var result string
	switch admin.RGW.Driver {
	case "swift":
		result = checkSwift(t, c, conf, rerun, st, uid, after2)
	case "s3":
		result = checkS3(t, c, conf, rerun, st, endpoint, uid, after2)
	default:
		t.Fatalf("rgw driver %q", admin.RGW.Driver)
	}
	quota := "no quota"
	if admin.RGW.MaxSizeBytes > 0 {
		quota = fmt.Sprintf("quota %d B", admin.RGW.MaxSizeBytes)
	}
	summary(t, "ceph rgw %s after 2 runs of rgw-user.sh (keys unchanged, %s, secret never printed); ceph up in %s",
		result, quota, up.Round(100*time.Millisecond))
}

// checkSwift checks the Swift key and logs in with it; it then rotates the
// key behind the script's back, as a stray `subuser create` would, and
// checks that a run of the script puts the rendered key back.
func checkSwift(t *testing.T, c *Cluster, conf string, rerun func() (string, error), st plan.Storage, uid string, info rgwUser) string {
	t.Helper()
	secret := c.Secrets["swift_key"]
	subuser := uid + ":swift"
	if secret == "" {
		t.Fatal("the secrets file has no swift_key")
	}
	if st.SwiftUser != "" && st.SwiftUser != subuser {
		t.Errorf("harbor's swift user %q, the script's subuser %q", st.SwiftUser, subuser)
	}
	if got := info.swiftKey(subuser); got != secret {
		t.Errorf("radosgw's swift key of %s is not secrets' swift_key (len %d vs %d)", subuser, len(got), len(secret))
	}
	if len(info.Keys) != 0 {
		t.Errorf("the swift user has %d S3 key pair(s) nobody holds", len(info.Keys))
	}
	storageURL := swiftAuth(t, st.URL, subuser, secret, http.StatusNoContent)
	swiftAuth(t, st.URL, subuser, secret+"x", http.StatusUnauthorized)

	// The registry's container can be created with the token.
	if st.Bucket != "" {
		u, err := url.Parse(storageURL.url + "/" + url.PathEscape(st.Bucket))
		if err != nil {
			t.Fatal(err)
		}
		res := rgwHTTP(t, "PUT", u, map[string]string{"X-Auth-Token": storageURL.token})
		if res.StatusCode != http.StatusCreated && res.StatusCode != http.StatusAccepted {
			t.Errorf("PUT container %s: %s", st.Bucket, res.Status)
		}
	}

	// Drift: the key is rotated outside the script; the next run restores it.
	radosgwAdmin(t, conf, "key", "create", "--subuser="+subuser, "--key-type=swift", "--gen-secret")
	swiftAuth(t, st.URL, subuser, secret, http.StatusUnauthorized)
	out, err := rerun()
	if err != nil || !strings.Contains(out, "set the swift key") || strings.Contains(out, secret) {
		t.Errorf("run after a rotation: %v\n%s", err, out)
	}
	swiftAuth(t, st.URL, subuser, secret, http.StatusNoContent)
	return "swift auth 204 (wrong key 401, rotated key restored)"
}

// checkS3 checks the user's S3 keys and signs requests with them; it then
// changes the secret behind the script's back and checks that a run of the
// script puts the rendered one back.
func checkS3(t *testing.T, c *Cluster, conf string, rerun func() (string, error), st plan.Storage, endpoint *url.URL, uid string, info rgwUser) string {
	t.Helper()
	access, secret := c.Secrets["s3_access_key"], c.Secrets["s3_secret_key"]
	if access == "" || secret == "" {
		t.Fatal("the secrets file has no s3_access_key/s3_secret_key")
	}
	if len(info.Keys) != 1 || info.Keys[0].AccessKey != access || info.Keys[0].SecretKey != secret {
		t.Errorf("radosgw's S3 keys are not exactly the secrets' pair (%d key(s))", len(info.Keys))
	}
	region := st.Region
	if region == "" {
		region = "us-east-1"
	}
	root := &url.URL{Scheme: endpoint.Scheme, Host: endpoint.Host, Path: "/"}
	if res := rgwHTTP(t, "GET", root, s3Sign("GET", root, region, access, secret)); res.StatusCode != http.StatusOK {
		t.Errorf("signed ListBuckets: %s", res.Status)
	}
	if res := rgwHTTP(t, "GET", root, s3Sign("GET", root, region, access, secret+"x")); res.StatusCode != http.StatusForbidden {
		t.Errorf("ListBuckets signed with a wrong secret: %s, want 403", res.Status)
	}
	if st.Bucket != "" {
		b := &url.URL{Scheme: endpoint.Scheme, Host: endpoint.Host, Path: "/" + st.Bucket}
		if res := rgwHTTP(t, "PUT", b, s3Sign("PUT", b, region, access, secret)); res.StatusCode != http.StatusOK {
			t.Errorf("signed PUT bucket %s: %s", st.Bucket, res.Status)
		}
	}

	// Drift: the secret is changed outside the script; the next run restores it.
	radosgwAdmin(t, conf, "key", "create", "--uid="+uid, "--key-type=s3", "--access-key="+access, "--gen-secret")
	if res := rgwHTTP(t, "GET", root, s3Sign("GET", root, region, access, secret)); res.StatusCode != http.StatusForbidden {
		t.Errorf("ListBuckets with the old secret after a change: %s, want 403", res.Status)
	}
	out, err := rerun()
	if err != nil || !strings.Contains(out, "set the s3 keys") || strings.Contains(out, secret) {
		t.Errorf("run after a secret change: %v\n%s", err, out)
	}
	if res := rgwHTTP(t, "GET", root, s3Sign("GET", root, region, access, secret)); res.StatusCode != http.StatusOK {
		t.Errorf("signed ListBuckets after the restoring run: %s", res.Status)
	}
	return "s3 signed request 200 (wrong secret 403, changed secret restored)"
}

// rgwStorage is the storage Harbor uses in the ceph-admin node's scope.
func rgwStorage(t *testing.T, c *Cluster, admin *plan.Node) plan.Storage {
	t.Helper()
	harbors := c.Nodes(func(n *plan.Node) bool {
		return n.Endpoints != nil && n.Endpoints.Storage.Driver == admin.RGW.Driver
	})
	for _, h := range harbors {
		if h.Site == admin.Site {
			return h.Endpoints.Storage
		}
	}
	if len(harbors) == 0 {
		t.Fatalf("no harbor node uses %s storage", admin.RGW.Driver)
	}
	return harbors[0].Endpoints.Storage
}

// startCeph starts mon a, osd.0 (memstore) and radosgw client.rgw.a in a
// temp dir, binding only monAddr and rgwEndpoint, and returns the ceph.conf
// every client call must be given (-c).
func startCeph(t *testing.T, monAddr, rgwEndpoint string) string {
	t.Helper()
	if err := loopbackOnly(monAddr); err != nil {
		t.Fatal(err)
	}
	d := t.TempDir()
	for _, sub := range []string{"run", "crash", "mon/ceph-a", "osd/ceph-0"} {
		if err := os.MkdirAll(filepath.Join(d, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	fsid, osdUUID := cephUUID(t), cephUUID(t)
	mon := fmt.Sprintf("[v2:%s:3300,v1:%s:6789]", monAddr, monAddr)
	conf := filepath.Join(d, "ceph.conf")
	keyring := filepath.Join(d, "keyring")
	// Daemons log to stderr (kept by start, printed on failure), never to
	// /var/log/ceph. paxos intervals are cut so that radosgw's pool creations
	// take milliseconds instead of ~2 s each.
	text := fmt.Sprintf(`[global]
fsid = %[1]s
mon host = %[2]s
mon initial members = a
public addr = %[3]s
cluster addr = %[3]s
ms bind ipv6 = false
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
auth allow insecure global id reclaim = false
keyring = %[4]s
run dir = %[5]s/run
crash dir = %[5]s/crash
mon data = %[5]s/mon/$cluster-$id
osd data = %[5]s/osd/$cluster-$id
osd objectstore = memstore
memstore device bytes = 268435456
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon warn on pool no redundancy = false
mon data avail warn = 5
paxos propose interval = 0.05
paxos min wait = 0.01
log to file = false
mon cluster log to file = false
[mon]
log to stderr = true
err to stderr = true
[osd]
log to stderr = true
err to stderr = true
[client.rgw.a]
log to stderr = true
err to stderr = true
rgw frontends = beast endpoint=%[6]s
`, fsid, mon, monAddr, keyring, d, rgwEndpoint)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}

	cephRun(t, "ceph-authtool", "--create-keyring", keyring, "--gen-key", "-n", "mon.", "--cap", "mon", "allow *")
	for _, k := range [][]string{
		{"client.admin", "mon", "allow *", "osd", "allow *", "mgr", "allow *", "mds", "allow *"},
		{"osd.0", "mon", "allow profile osd", "osd", "allow *", "mgr", "allow profile osd"},
		{"client.rgw.a", "mon", "allow rw", "osd", "allow rwx"},
	} {
		args := []string{keyring, "--gen-key", "-n", k[0]}
		for i := 1; i+1 < len(k); i += 2 {
			args = append(args, "--cap", k[i], k[i+1])
		}
		cephRun(t, "ceph-authtool", args...)
	}
	monmap := filepath.Join(d, "monmap")
	cephRun(t, "monmaptool", "--create", "--fsid", fsid, "--addv", "a", mon, monmap)
	cephRun(t, "ceph-mon", "-c", conf, "--mkfs", "-i", "a", "--monmap", monmap, "--keyring", keyring)
	monProc := start(t, "ceph-mon", exec.Command("ceph-mon", "-c", conf, "-f", "-i", "a"))
	waitFor(t, "ceph-mon", 30*time.Second, cephAlive(monProc, func() error { return dialable(net.JoinHostPort(monAddr, "3300")) }))

	cephRun(t, "ceph", "-c", conf, "--connect-timeout", "30", "osd", "new", osdUUID, "0")
	cephRun(t, "ceph-osd", "-c", conf, "-i", "0", "--mkfs", "--osd-uuid", osdUUID, "--no-mon-config")
	osdProc := start(t, "ceph-osd", exec.Command("ceph-osd", "-c", conf, "-f", "-i", "0"))
	rgwProc := start(t, "radosgw", exec.Command("radosgw", "-c", conf, "-f", "-n", "client.rgw.a"))
	waitFor(t, "radosgw on "+rgwEndpoint, 90*time.Second, cephAlive(osdProc, cephAlive(rgwProc, func() error { return dialable(rgwEndpoint) })))
	return conf
}

// cephAlive wraps a readiness check so that a daemon's exit fails it at once.
func cephAlive(p *Proc, check func() error) func() error {
	return func() error {
		if done, err := p.Exited(); done {
			return fmt.Errorf("%s exited: %v (log %s)", p.Name, err, p.Log)
		}
		return check()
	}
}

// cephRun runs a setup command and fails the test on error.
func cephRun(t *testing.T, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// radosgwAdmin runs radosgw-admin against the test cluster.
func radosgwAdmin(t *testing.T, conf string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "radosgw-admin", append([]string{"-c", conf}, args...)...).Output()
	if err != nil {
		// Its output may hold keys: not in the failure.
		t.Fatalf("radosgw-admin %s: %v", args[0]+" "+args[1], err)
	}
	return string(out)
}

type rgwUser struct {
	UserID string `json:"user_id"`
	Keys   []struct {
		User      string `json:"user"`
		AccessKey string `json:"access_key"`
		SecretKey string `json:"secret_key"`
	} `json:"keys"`
	SwiftKeys []struct {
		User      string `json:"user"`
		SecretKey string `json:"secret_key"`
	} `json:"swift_keys"`
	Subusers []struct {
		ID          string `json:"id"`
		Permissions string `json:"permissions"`
	} `json:"subusers"`
	Quota struct {
		Enabled bool  `json:"enabled"`
		MaxSize int64 `json:"max_size"`
	} `json:"user_quota"`
}

func rgwUserInfo(t *testing.T, conf, uid string) rgwUser {
	t.Helper()
	var u rgwUser
	if err := json.Unmarshal([]byte(radosgwAdmin(t, conf, "user", "info", "--uid="+uid)), &u); err != nil {
		t.Fatalf("radosgw-admin user info: %v", err)
	}
	return u
}

func (u rgwUser) swiftKey(subuser string) string {
	for _, k := range u.SwiftKeys {
		if k.User == subuser {
			return k.SecretKey
		}
	}
	return ""
}

func (u rgwUser) sameKeys(v rgwUser) bool {
	a, _ := json.Marshal([]any{u.Keys, u.SwiftKeys, u.Subusers})
	b, _ := json.Marshal([]any{v.Keys, v.SwiftKeys, v.Subusers})
	return string(a) == string(b)
}

type swiftSession struct{ url, token string }

// swiftAuth does GET <auth_url> with X-Auth-User/X-Auth-Key and wants the
// status; on 204 it returns the storage URL and token.
func swiftAuth(t *testing.T, authURL, user, key string, want int) swiftSession {
	t.Helper()
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatal(err)
	}
	res := rgwHTTP(t, "GET", u, map[string]string{"X-Auth-User": user, "X-Auth-Key": key})
	if res.StatusCode != want {
		t.Fatalf("swift auth %s as %s: %s, want %d", authURL, user, res.Status, want)
	}
	s := swiftSession{url: res.Header.Get("X-Storage-Url"), token: res.Header.Get("X-Auth-Token")}
	if want == http.StatusNoContent && (s.url == "" || s.token == "") {
		t.Fatalf("swift auth 204 without X-Storage-Url/X-Auth-Token: %v", res.Header)
	}
	return s
}

// rgwHTTP sends one request to a loopback address and returns the response
// (body drained and closed).
func rgwHTTP(t *testing.T, method string, u *url.URL, header map[string]string) *http.Response {
	t.Helper()
	if err := loopbackOnly(u.Hostname()); err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	req, err := http.NewRequest(method, u.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	client := &http.Client{Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

// s3Sign returns the headers of an AWS Signature V4 request with an empty
// body (what the registry's S3 driver sends).
func s3Sign(method string, u *url.URL, region, access, secret string) map[string]string {
	now := time.Now().UTC()
	amzDate, day := now.Format("20060102T150405Z"), now.Format("20060102")
	payload := hex.EncodeToString(rgwSHA256(nil))
	canonical := strings.Join([]string{method, u.EscapedPath(), u.RawQuery,
		"host:" + u.Host, "x-amz-content-sha256:" + payload, "x-amz-date:" + amzDate, "",
		"host;x-amz-content-sha256;x-amz-date", payload}, "\n")
	scope := day + "/" + region + "/s3/aws4_request"
	toSign := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(rgwSHA256([]byte(canonical)))
	key := []byte("AWS4" + secret)
	for _, part := range []string{day, region, "s3", "aws4_request"} {
		key = rgwHMAC(key, part)
	}
	return map[string]string{
		"X-Amz-Date":           amzDate,
		"X-Amz-Content-Sha256": payload,
		"Authorization": "AWS4-HMAC-SHA256 Credential=" + access + "/" + scope +
			", SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=" + hex.EncodeToString(rgwHMAC(key, toSign)),
	}
}

func rgwSHA256(b []byte) []byte { s := sha256.Sum256(b); return s[:] }

func rgwHMAC(key []byte, s string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return m.Sum(nil)
}

func cephUUID(t *testing.T) string {
	t.Helper()
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
