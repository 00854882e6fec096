package services

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"go.yaml.in/yaml/v3"
)

// An external Redis that requires AUTH is not rendered by harborgen: the
// suite starts one itself (a master with an ACL user and a default-user
// password, and two Sentinels without AUTH, as Harbor needs, #14757), renders
// redis-external.toml against it, and logs in with what every rendered Redis
// client setting says: the Redis URLs of core, jobservice and Trivy as
// net/url reads them, and the registry's config.yml with its REGISTRY_REDIS_*
// overrides, each file read back as compose reads it.

const (
	extRedisSpec     = "testdata/redis-external.toml"
	extRedisMaster   = "127.0.0.172:16379"
	extRedisSentinel = "127.0.0.173:26390,127.0.0.174:26390"
	extRedisUser     = "hb@r:b/ü%#?" // as in the spec
	// extRedisPassword holds what breaks a URL or an env_file written raw.
	extRedisPassword = `p/w@r%d:#? x'y"z\$a=b€中`
)

// respConn is a minimal RESP client: enough to AUTH, SELECT, SET and GET as
// Harbor's Redis clients do, with binary-safe arguments.
type respConn struct {
	conn net.Conn
	r    *bufio.Reader
}

func dialRESP(addr string) (*respConn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if err := loopbackOnly(host); err != nil {
		return nil, err
	}
	c, err := net.DialTimeout("tcp", addr, 3*time.Second)
	if err != nil {
		return nil, err
	}
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	return &respConn{conn: c, r: bufio.NewReader(c)}, nil
}

func (c *respConn) Close() { _ = c.conn.Close() }

// Do sends one command and returns its reply: a status or bulk string, an
// integer as text, or the elements of an array joined by newlines. A Redis
// error reply is an error.
func (c *respConn) Do(args ...string) (string, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := c.conn.Write(b.Bytes()); err != nil {
		return "", err
	}
	return c.reply()
}

func (c *respConn) reply() (string, error) {
	line, err := c.r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return "", errors.New("empty reply")
	}
	switch body := line[1:]; line[0] {
	case '+', ':':
		return body, nil
	case '-':
		return "", errors.New(body)
	case '$':
		n, err := strconv.Atoi(body)
		if err != nil || n < 0 {
			return "", err
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(c.r, buf); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	case '*':
		n, err := strconv.Atoi(body)
		if err != nil {
			return "", err
		}
		parts := make([]string, 0, max(n, 0))
		for range n {
			p, err := c.reply()
			if err != nil {
				return "", err
			}
			parts = append(parts, p)
		}
		return strings.Join(parts, "\n"), nil
	}
	return "", fmt.Errorf("unexpected reply %q", line)
}

// redisClient is what one Harbor component is told about Redis.
type redisClient struct {
	Name      string
	Addrs     []string // the server, or the Sentinels
	MasterSet string   // Sentinel's master set; "" for a plain server
	User      string
	Password  string
	HasAuth   bool
	DB        int
}

// clientFromURL reads a Redis URL as Harbor's Go clients do (net/url).
func clientFromURL(name, raw string) (redisClient, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return redisClient{}, fmt.Errorf("%s = %q: %w", name, raw, err)
	}
	c := redisClient{Name: name, Addrs: strings.Split(u.Host, ",")}
	if u.User != nil {
		c.User = u.User.Username()
		c.Password, c.HasAuth = u.User.Password()
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	switch u.Scheme {
	case "redis":
	case "redis+sentinel":
		c.MasterSet, parts = parts[0], parts[1:]
	default:
		return c, fmt.Errorf("%s = %q: scheme %q", name, raw, u.Scheme)
	}
	if len(parts) > 0 && parts[0] != "" {
		if c.DB, err = strconv.Atoi(parts[0]); err != nil {
			return c, fmt.Errorf("%s = %q: db: %w", name, raw, err)
		}
	}
	return c, nil
}

// login reaches the master the way the client would (asking a Sentinel
// first, without AUTH), authenticates, selects the database and writes and
// reads a key there.
func (rc redisClient) login() error {
	master := rc.Addrs[0]
	if rc.MasterSet != "" {
		s, err := dialRESP(rc.Addrs[0])
		if err != nil {
			return err
		}
		reply, err := s.Do("SENTINEL", "get-master-addr-by-name", rc.MasterSet)
		s.Close()
		hp := strings.Split(reply, "\n")
		if err != nil || len(hp) != 2 {
			return fmt.Errorf("%s: sentinel %s: master %q: %v", rc.Name, rc.Addrs[0], reply, err)
		}
		master = net.JoinHostPort(hp[0], hp[1])
	}
	c, err := dialRESP(master)
	if err != nil {
		return err
	}
	defer c.Close()
	auth := []string{"AUTH", rc.Password}
	if rc.User != "" {
		auth = []string{"AUTH", rc.User, rc.Password}
	}
	if _, err := c.Do(auth...); err != nil {
		return fmt.Errorf("%s: AUTH as %q: %w", rc.Name, rc.User, err)
	}
	if _, err := c.Do("SELECT", strconv.Itoa(rc.DB)); err != nil {
		return fmt.Errorf("%s: SELECT %d: %w", rc.Name, rc.DB, err)
	}
	key := "harborgen-test:" + rc.Name
	if _, err := c.Do("SET", key, rc.Name); err != nil {
		return fmt.Errorf("%s: SET: %w", rc.Name, err)
	}
	if got, err := c.Do("GET", key); err != nil || got != rc.Name {
		return fmt.Errorf("%s: GET %q: %v", rc.Name, got, err)
	}
	return nil
}

// startExternalRedis starts the master that requires AUTH (the ACL user, and
// the password for the default user) and two Sentinels watching it.
func startExternalRedis(t *testing.T) {
	t.Helper()
	host, port, _ := net.SplitHostPort(extRedisMaster)
	start(t, "external-redis", exec.Command("redis-server", "--bind", host, "--port", port, "--save", "",
		"--appendonly", "no", "--dir", t.TempDir(), "--protected-mode", "no"))
	waitFor(t, "the external Redis", 10*time.Second, func() error { return dialable(extRedisMaster) })
	c, err := dialRESP(extRedisMaster)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, cmd := range [][]string{
		{"ACL", "SETUSER", extRedisUser, "on", ">" + extRedisPassword, "~*", "&*", "+@all"},
		{"CONFIG", "SET", "requirepass", extRedisPassword}, // the default user; after this, AUTH first
	} {
		if _, err := c.Do(cmd...); err != nil {
			t.Fatalf("%s: %v", cmd[:2], err)
		}
	}
	for _, addr := range strings.Split(extRedisSentinel, ",") {
		host, port, _ := net.SplitHostPort(addr)
		dir := t.TempDir()
		conf := filepath.Join(dir, "sentinel.conf") // Sentinel rewrites it
		mhost, mport, _ := net.SplitHostPort(extRedisMaster)
		text := fmt.Sprintf("bind %s\nport %s\ndir %s\nprotected-mode no\nsentinel monitor harbor %s %s 1\n", host, port, dir, mhost, mport)
		if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		start(t, "external-sentinel-"+port+"-"+host, exec.Command("redis-server", conf, "--sentinel"))
		waitFor(t, "Sentinel "+addr, 10*time.Second, func() error { return dialable(addr) })
		s, err := dialRESP(addr)
		if err != nil {
			t.Fatal(err)
		}
		for _, set := range [][]string{{"auth-user", extRedisUser}, {"auth-pass", extRedisPassword}} {
			if _, err := s.Do("SENTINEL", "SET", "harbor", set[0], set[1]); err != nil {
				t.Fatalf("sentinel %s: SENTINEL SET %s: %v", addr, set[0], err)
			}
		}
		s.Close()
	}
}

// renderExternalRedis renders redis-external.toml with the host list and
// username given, the password through HARBORGEN_SECRET_REDIS_PASSWORD.
func renderExternalRedis(t *testing.T, hosts, username string) string {
	t.Helper()
	src, err := os.ReadFile(extRedisSpec)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(src), `host = "`+extRedisMaster+`"`, `host = `+strconv.Quote(hosts), 1)
	text = strings.Replace(text, `username = `+strconv.Quote(extRedisUser), `username = `+strconv.Quote(username), 1)
	if username == "" {
		text = strings.Replace(text, `username = ""`, "", 1)
	}
	dir := t.TempDir()
	specPath := filepath.Join(dir, "harborgen.toml")
	if err := os.WriteFile(specPath, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "HARBORGEN_SECRET_DB_PASSWORD=test-db-password", "HARBORGEN_SECRET_REDIS_PASSWORD="+extRedisPassword)
	for _, args := range [][]string{{"secrets", "init", specPath}, {"render", specPath}} {
		cmd := exec.Command(harborgen(t), args...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("harborgen %s: %v\n%s", args[0], err, out)
		}
	}
	return filepath.Join(dir, "out", "nodes", "harbor01")
}

// renderedClients reads every Redis client setting of a rendered harbor node.
func renderedClients(t *testing.T, node string) []redisClient {
	t.Helper()
	readEnv := func(rel string) map[string]string {
		data, err := os.ReadFile(filepath.Join(node, rel))
		if err != nil {
			t.Fatal(err)
		}
		env, err := dotenv.ParseWithLookup(bytes.NewReader(data), func(string) (string, bool) { return "", false })
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		return env
	}
	var out []redisClient
	for file, keys := range map[string][]string{
		"secrets/core.env":       {"_REDIS_URL_CORE", "_REDIS_URL_REG"},
		"secrets/jobservice.env": {"JOB_SERVICE_POOL_REDIS_URL"},
		"secrets/trivy.env":      {"SCANNER_REDIS_URL", "SCANNER_STORE_REDIS_URL", "SCANNER_JOB_QUEUE_REDIS_URL"},
	} {
		env := readEnv(file)
		for _, k := range keys {
			rc, err := clientFromURL(k, env[k])
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, rc)
		}
	}
	// The registry: config.yml, then the REGISTRY_REDIS_* overrides.
	data, err := os.ReadFile(filepath.Join(node, "harbor/common/config/registry/config.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Redis struct {
			Addr              string `yaml:"addr"`
			SentinelMasterSet string `yaml:"sentinelMasterSet"`
			DB                int    `yaml:"db"`
		} `yaml:"redis"`
	}
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	env := readEnv("secrets/registry.env")
	pw, hasPw := env["REGISTRY_REDIS_PASSWORD"]
	return append(out, redisClient{Name: "registry", Addrs: strings.Split(cfg.Redis.Addr, ","), MasterSet: cfg.Redis.SentinelMasterSet,
		User: env["REGISTRY_REDIS_USERNAME"], Password: pw, HasAuth: hasPw, DB: cfg.Redis.DB})
}

// TestRedisExternalAuth logs in to a real Redis that requires AUTH with every
// rendered Redis client setting, for a standalone Redis and through
// Sentinels, as an ACL user and as the default user.
func TestRedisExternalAuth(t *testing.T) {
	need(t, "redis-server")
	startExternalRedis(t)
	probe, err := dialRESP(extRedisMaster)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := probe.Do("PING"); err == nil || !strings.HasPrefix(err.Error(), "NOAUTH") {
		t.Fatalf("the external Redis answers PING without AUTH (%v): the test would prove nothing", err)
	}
	probe.Close()
	logins := 0
	for _, tc := range []struct{ name, hosts, user string }{
		{"standalone, ACL user", extRedisMaster, extRedisUser},
		{"standalone, default user", extRedisMaster, ""},
		{"sentinel, ACL user", extRedisSentinel, extRedisUser},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clients := renderedClients(t, renderExternalRedis(t, tc.hosts, tc.user))
			if len(clients) != 7 {
				t.Fatalf("%d Redis clients, want 7", len(clients))
			}
			for _, rc := range clients {
				if !rc.HasAuth || rc.Password != extRedisPassword || rc.User != tc.user {
					t.Errorf("%s: user %q password %q (set %t), want %q %q", rc.Name, rc.User, rc.Password, rc.HasAuth, tc.user, extRedisPassword)
					continue
				}
				if err := rc.login(); err != nil {
					t.Error(err)
					continue
				}
				logins++
			}
		})
	}
	if !t.Failed() {
		summary(t, "redis-external auth ok: %d logins (core, registry, jobservice, trivy x3; standalone and Sentinel; ACL and default user)", logins)
	}
}
