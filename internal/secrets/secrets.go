// Package secrets knows every secret a cluster needs, reads the secrets file
// with its HARBORGEN_SECRET_<NAME> overrides, and checks the values.
package secrets

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
	"golang.org/x/crypto/bcrypt"

	"github.com/harborgen/harborgen/internal/cache"
	"github.com/harborgen/harborgen/internal/profile"
	"github.com/harborgen/harborgen/internal/spec"
)

// Def describes one secret.
type Def struct {
	Name      string
	Generated bool // secrets init can make it; otherwise the user supplies it
	// Optional: the spec works without it (an external Redis without AUTH).
	// Absent, it is no error; given, it is used and checked. Never generated.
	Optional bool
	Check    func(string) error
}

func exactLen(n int) func(string) error {
	return func(v string) error {
		if utf8.RuneCountInString(v) != n {
			return fmt.Errorf("must be exactly %d characters, is %d", n, utf8.RuneCountInString(v))
		}
		return nil
	}
}

func maxLen(n int) func(string) error {
	return func(v string) error {
		if utf8.RuneCountInString(v) > n {
			return fmt.Errorf("must be at most %d characters, is %d", n, utf8.RuneCountInString(v))
		}
		return nil
	}
}

// both passes when every check passes, reporting the first failure.
func both(checks ...func(string) error) func(string) error {
	return func(v string) error {
		for _, c := range checks {
			if err := c(v); err != nil {
				return err
			}
		}
		return nil
	}
}

// bareWord is a value keepalived's configuration reads as one unquoted word
// (it expands $ and treats quotes, '#', '!' and braces itself).
func bareWord(v string) error {
	if !keepalivedWord.MatchString(v) {
		return errors.New("must be 1 to 8 letters, digits or _.:@%+=,/- (keepalived reads it as one bare word)")
	}
	return nil
}

var keepalivedWord = regexp.MustCompile(`^[A-Za-z0-9_.:@%+=,/-]{1,8}$`)

func bcryptHash(v string) error {
	if _, err := bcrypt.Cost([]byte(v)); err != nil {
		return errors.New("must be a bcrypt hash ($2y$...); delete it and run `harborgen secrets init`")
	}
	return nil
}

func rsaKey(v string) error {
	block, _ := pem.Decode([]byte(v))
	if block == nil {
		return errors.New("must be a PEM-encoded RSA private key")
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil && k.N.BitLen() >= 2048 {
		return nil
	}
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		if rk, ok := k.(*rsa.PrivateKey); ok && rk.N.BitLen() >= 2048 {
			return nil
		}
	}
	return errors.New("must be a PEM-encoded RSA private key of at least 2048 bits")
}

// The secrets of SPEC.md §3. Lengths are Harbor's: CSRF_KEY exactly 32
// (#21060), secretkey exactly 16 (AES key), keepalived auth_pass at most 8.
var (
	AdminPassword      = Def{Name: "harbor_admin_password", Generated: true}
	DBPassword         = Def{Name: "db_password", Generated: true}
	DBRootPassword     = Def{Name: "db_root_password", Generated: true}
	GaleraSSTPassword  = Def{Name: "galera_sst_password", Generated: true}
	RedisPassword      = Def{Name: "redis_password", Generated: true}
	CoreSecret         = Def{Name: "core_secret", Generated: true, Check: exactLen(16)}
	JobserviceSecret   = Def{Name: "jobservice_secret", Generated: true, Check: exactLen(16)}
	CSRFKey            = Def{Name: "csrf_key", Generated: true, Check: exactLen(32)}
	SecretKey          = Def{Name: "secretkey", Generated: true, Check: exactLen(16)}
	RegistryHTTPSecret = Def{Name: "registry_http_secret", Generated: true}
	RegistryPassword   = Def{Name: "registry_password", Generated: true}
	SwiftKey           = Def{Name: "swift_key", Generated: true}
	S3AccessKey        = Def{Name: "s3_access_key", Generated: true}
	S3SecretKey        = Def{Name: "s3_secret_key", Generated: true}
	KeepalivedAuthPass = Def{Name: "keepalived_auth_pass", Generated: true, Check: both(maxLen(8), bareWord)}
	TokenPrivateKey    = Def{Name: "token_private_key", Generated: true, Check: rsaKey}
	// RegistryHtpasswd is the bcrypt hash of registry_password for the
	// registry's htpasswd file, made once by secrets init: bcrypt salts at
	// random, and render must be deterministic.
	RegistryHtpasswd   = Def{Name: "registry_htpasswd", Generated: true, Check: bcryptHash}
	LDAPSearchPassword = Def{Name: "ldap_search_password"}
	// TrivyGitHubToken is harbor.yml's trivy.github_token, optional: it
	// raises GitHub's rate limit for Trivy's database downloads.
	TrivyGitHubToken = Def{Name: "trivy_github_token", Optional: true, Check: githubToken}
	// JaegerPassword is the Jaeger collector's password for
	// harbor.trace.jaeger.username: the operator's, and optional (a
	// collector without authentication needs none).
	JaegerPassword = Def{Name: "jaeger_password", Optional: true}
	// The PostgreSQL cluster under Patroni (engine patroni): its superuser,
	// its replication user and the REST API's unsafe endpoints.
	PostgresSuperuserPassword   = Def{Name: "postgres_superuser_password", Generated: true}
	PostgresReplicationPassword = Def{Name: "postgres_replication_password", Generated: true}
	PatroniRESTPassword         = Def{Name: "patroni_rest_password", Generated: true}
)

// githubToken accepts what GitHub issues (ghp_..., github_pat_...): one
// word of printable ASCII, which an env file holds without surprise.
func githubToken(v string) error {
	for _, r := range v {
		if r <= ' ' || r > '~' {
			return errors.New("must be one word of printable ASCII characters, as GitHub's tokens are")
		}
	}
	if v == "" {
		return errors.New("must not be empty; remove it to download without a token")
	}
	return nil
}

// Need is a secret the spec needs, with the reason.
type Need struct {
	Def
	Why string
}

// Required lists the secrets a spec needs, sorted by name.
func Required(s *spec.Spec) []Need {
	var out []Need
	add := func(d Def, why string) {
		if !slices.ContainsFunc(out, func(n Need) bool { return n.Name == d.Name }) {
			out = append(out, Need{Def: d, Why: why})
		}
	}
	for _, d := range []Def{AdminPassword, CoreSecret, JobserviceSecret, CSRFKey, SecretKey,
		RegistryHTTPSecret, RegistryPassword, RegistryHtpasswd, TokenPrivateKey} {
		add(d, "every Harbor node shares it")
	}
	switch s.Database.Engine {
	case "galera":
		add(DBPassword, "Harbor's database user")
		add(DBRootPassword, "the Galera root user")
		if g := s.Database.Galera; g != nil && g.SSTMethod == "mariabackup" {
			add(GaleraSSTPassword, "mariabackup SST user")
		}
	case "patroni":
		add(DBPassword, "Harbor's database user")
		add(PostgresSuperuserPassword, "the PostgreSQL superuser of the Patroni cluster")
		add(PostgresReplicationPassword, "the PostgreSQL replication user of the Patroni cluster")
		add(PatroniRESTPassword, "Patroni's REST API (switchover, restart)")
	case "mariadb", "postgres":
		add(userSupplied(DBPassword), "the external database's password for "+s.Database.User)
	}
	if n, ok := redisPassword(s); ok {
		add(n.Def, n.Why)
	}
	for _, sc := range s.Scopes() {
		rgw := sc.Storage.RGW != nil
		switch sc.Storage.Driver {
		case "swift":
			add(generatedIf(SwiftKey, rgw), "the Swift key of the radosgw user")
		case "s3":
			add(generatedIf(S3AccessKey, rgw), "the S3 access key of the radosgw user")
			add(generatedIf(S3SecretKey, rgw), "the S3 secret key of the radosgw user")
		}
		if len(sc.WithRole(spec.RoleLB)) >= 2 {
			add(KeepalivedAuthPass, "keepalived VRRP authentication")
		}
	}
	if s.Harbor.AuthMode == "ldap_auth" && s.Harbor.LDAP != nil && s.Harbor.LDAP.SearchDN != "" {
		add(LDAPSearchPassword, "the LDAP search DN's password")
	}
	if s.Harbor.TrivyEnabled() {
		add(TrivyGitHubToken, "Trivy's GitHub token (harbor.yml trivy.github_token), if you have one: raises GitHub's rate limit for the database download (absent: anonymous)")
	}
	if t := s.Harbor.Trace; t.Enabled && t.Jaeger != nil && t.Jaeger.Endpoint != "" {
		add(JaegerPassword, "the Jaeger collector's password, if it requires one (absent: none is sent)")
	}
	slices.SortFunc(out, func(a, b Need) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func userSupplied(d Def) Def { d.Generated = false; return d }

func optional(d Def) Def { d.Generated, d.Optional = false, true; return d }

// redisPassword is what the spec needs of redis_password. A Redis that
// harborgen renders gets a generated requirepass; an external one has the
// password its owner set, if any: the operator supplies it, and without it
// Harbor connects without AUTH. With sites mixing the two, the one
// redis_password serves both, so it is generated and the external Redis
// must be given the same password. Under Harbor 1.5 nothing sends a
// password at all (see Refused).
func redisPassword(s *spec.Spec) (Need, bool) {
	if p := profile.ForVersion(s.Harbor.Version); p != nil && !p.UsesRedisPassword() {
		return Need{}, false
	}
	var rendered, external bool
	for _, sc := range s.Scopes() {
		switch sc.Redis.Mode {
		case "":
		case "external":
			external = true
		default:
			rendered = true
		}
	}
	switch {
	case rendered && external:
		return Need{Def: RedisPassword, Why: "Redis requirepass; the external Redis must use the same password"}, true
	case rendered:
		return Need{Def: RedisPassword, Why: "Redis requirepass"}, true
	case external:
		return Need{Def: optional(RedisPassword), Why: "the external Redis's password, if it requires one (absent: no AUTH)"}, true
	}
	return Need{}, false
}

// Refusal is a secret the spec cannot use, with the reason and the fix:
// given anyway, it would be silently dropped.
type Refusal struct {
	Name, Why, Hint string
	At              string // the spec path that makes the secret unusable
}

// Refused lists the secrets that must not be given for this spec: the
// password of an external Redis under Harbor 1.5, whose profile connects
// every component to Redis without AUTH (profile.UsesRedisPassword).
func Refused(s *spec.Spec) []Refusal {
	p := profile.ForVersion(s.Harbor.Version)
	if p == nil || p.UsesRedisPassword() {
		return nil
	}
	for _, sc := range s.Scopes() {
		if sc.Redis.Mode == "external" {
			return []Refusal{{Name: RedisPassword.Name, At: sc.RedisPath + ".mode",
				Why:  fmt.Sprintf("the Harbor %s profile reaches Redis without AUTH, as Harbor 1.5's own HA registry config does (redis.addr, no password)", s.Harbor.Version),
				Hint: "remove it and let Harbor's clients reach that Redis without AUTH (e.g. on a protected network), or use Harbor 2.x"}}
		}
	}
	return nil
}

// generatedIf keeps a secret generated only when harborgen also creates the
// account it belongs to; otherwise the operator supplies the existing one.
func generatedIf(d Def, generated bool) Def {
	if !generated {
		return userSupplied(d)
	}
	return d
}

// EnvPrefix starts the name of every environment variable that overrides a secret.
const EnvPrefix = "HARBORGEN_SECRET_"

// EnvVar is the environment variable that overrides a secret.
func EnvVar(name string) string { return EnvPrefix + strings.ToUpper(name) }

// KnownNames is every secret name harborgen knows, sorted.
func KnownNames() []string {
	names := make([]string, len(known))
	for i, d := range known {
		names[i] = d.Name
	}
	slices.Sort(names)
	return names
}

// known is every secret of SPEC.md §3.
var known = []Def{AdminPassword, DBPassword, DBRootPassword, GaleraSSTPassword, RedisPassword, CoreSecret,
	JobserviceSecret, CSRFKey, SecretKey, RegistryHTTPSecret, RegistryPassword, SwiftKey, S3AccessKey,
	S3SecretKey, KeepalivedAuthPass, TokenPrivateKey, RegistryHtpasswd, LDAPSearchPassword,
	TrivyGitHubToken, JaegerPassword, PostgresSuperuserPassword, PostgresReplicationPassword, PatroniRESTPassword}

// DefaultPath is the secrets file beside a spec: harborgen.toml ->
// harborgen.secrets.toml.
func DefaultPath(specPath string) string {
	base := strings.TrimSuffix(filepath.Base(specPath), filepath.Ext(specPath))
	return filepath.Join(filepath.Dir(specPath), base+".secrets.toml")
}

// File is a loaded secrets file.
type File struct {
	Path   string
	Values map[string]string
	Lines  map[string]int // line of each key, for diagnostics
}

// Load reads a secrets file: flat TOML, name = "value". A missing file is an
// empty File and os.ErrNotExist.
func Load(path string) (*File, error) {
	f := &File{Path: path, Values: map[string]string{}, Lines: map[string]int{}}
	data, err := os.ReadFile(path)
	if err != nil {
		return f, fmt.Errorf("read secrets: %w", err)
	}
	return f, parse(f, data)
}

// parse fills f from the text of a secrets file.
func parse(f *File, data []byte) error {
	path := f.Path
	if line, col, msg, deep := spec.TOMLTooDeep(data); deep {
		return &ParseError{Path: path, Line: line, Col: col, Msg: msg}
	}
	var raw map[string]any
	if _, err := toml.Decode(string(data), &raw); err != nil {
		pe := &ParseError{Path: path, Line: 1, Col: 1, Msg: "not flat TOML of name = \"value\" lines"}
		var tpe toml.ParseError
		if errors.As(err, &tpe) {
			// From the byte offset: the parser's own line is 0 for some
			// errors at the end of the file (`"\`).
			pe.Line, pe.Col = lineCol(data, tpe.Position.Start)
		}
		return pe
	}
	for _, k := range slices.Sorted(maps.Keys(raw)) { // the first bad key, always the same one
		s, ok := raw[k].(string)
		if !ok {
			return &ParseError{Path: path, Line: keyLine(data, k), Col: 1, Msg: k + " must be a quoted string"}
		}
		f.Values[k] = s
	}
	for i, line := range strings.Split(string(data), "\n") {
		if k, ok := lineKey(line); ok && f.Values[k] != "" && f.Lines[k] == 0 {
			f.Lines[k] = i + 1
		}
	}
	for k, v := range f.Values { // a key written in a form lineKey does not read
		if v != "" && f.Lines[k] == 0 {
			f.Lines[k] = 1
		}
	}
	return nil
}

// lineKey is the key a `key = value` line sets: bare, "basic" (escapes
// read) or 'literal'; ok is false for any other line.
func lineKey(line string) (string, bool) {
	line = strings.TrimSpace(line)
	switch {
	case strings.HasPrefix(line, `"`):
		for j := 1; j < len(line); j++ {
			switch line[j] {
			case '\\':
				j++
			case '"':
				k, err := strconv.Unquote(line[:j+1])
				rest := strings.TrimSpace(line[j+1:])
				return k, err == nil && strings.HasPrefix(rest, "=")
			}
		}
		return "", false
	case strings.HasPrefix(line, "'"):
		end := strings.IndexByte(line[1:], '\'')
		if end < 0 {
			return "", false
		}
		return line[1 : end+1], strings.HasPrefix(strings.TrimSpace(line[end+2:]), "=")
	}
	k, _, ok := strings.Cut(line, "=")
	return strings.TrimSpace(k), ok
}

// ParseError is a secrets file that does not parse. It never holds any of
// the file's text beyond a key name: the parser's own message quotes the
// value it choked on, and that value is a secret.
type ParseError struct {
	Path      string
	Line, Col int
	Msg       string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("parse secrets %s:%d:%d: %s", e.Path, e.Line, e.Col, e.Msg)
}

// lineCol is the line and column (in runes) of a byte offset of data.
func lineCol(data []byte, offset int) (line, col int) {
	before := data[:min(max(offset, 0), len(data))]
	start := bytes.LastIndexByte(before, '\n') + 1
	return bytes.Count(before, []byte("\n")) + 1, utf8.RuneCount(before[start:]) + 1
}

// keyLine is the line where a key is set, or 1.
func keyLine(data []byte, key string) int {
	for i, line := range strings.Split(string(data), "\n") {
		if k, ok := lineKey(line); ok && k == key {
			return i + 1
		}
	}
	return 1
}

// Lookup returns a secret, the environment variable overriding the file.
func (f *File) Lookup(name string, env func(string) (string, bool)) (value string, fromEnv, ok bool) {
	if env != nil {
		if v, ok := env(EnvVar(name)); ok {
			return v, true, true
		}
	}
	v, ok := f.Values[name]
	return v, false, ok
}

// CheckValue reports why a secret's value is unusable, or nil. An optional
// secret may be empty: that is the same as absent.
func CheckValue(d Def, v string) error {
	if v == "" {
		if d.Optional {
			return nil
		}
		return errors.New("is empty")
	}
	if d.Name != TokenPrivateKey.Name && strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return errors.New("contains a control character or newline")
	}
	if d.Check != nil {
		return d.Check(v)
	}
	return nil
}

// HtpasswdMatches reports whether hash is the bcrypt hash of password.
func HtpasswdMatches(hash, password string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}

// TokenCertificate is the self-signed certificate of the token signing key
// that Harbor 1.5's registry verifies tokens with (root.crt). It is derived
// from the key alone, with a fixed serial and validity, so that rendering
// it twice gives the same bytes.
func TokenCertificate(keyPEM string) (string, error) {
	return TokenCertificateCached(keyPEM, nil)
}

// signatureKind is the cache's directory of RSA signatures.
const signatureKind = "rsa-signatures"

// TokenCertificateCached is TokenCertificate with its signature, an RSA private-key operation
// (10 ms, most of a small render), remembered in memo and taken from it only when it verifies
// with the key: a PKCS #1 v1.5 signature of a digest is unique, so a signature that verifies
// is the very one signing gives, and the certificate the same bytes. The cache holds the
// signature, which the certificate itself publishes, under a hash of the public key and the
// digest: nothing secret.
func TokenCertificateCached(keyPEM string, memo *cache.Dir) (string, error) {
	block, _ := pem.Decode([]byte(keyPEM))
	if block == nil {
		return "", errors.New("token_private_key is not PEM")
	}
	key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		k8, err8 := x509.ParsePKCS8PrivateKey(block.Bytes)
		rk, ok := k8.(*rsa.PrivateKey)
		if err8 != nil || !ok {
			return "", errors.New("token_private_key is not an RSA key")
		}
		key = rk
	}
	sum := sha256.Sum256(x509.MarshalPKCS1PublicKey(&key.PublicKey))
	tmpl := &x509.Certificate{
		SerialNumber:          new(big.Int).SetBytes(sum[:16]),
		Subject:               pkix.Name{CommonName: "harbor-token-issuer"},
		NotBefore:             time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:              time.Date(2118, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	// PKCS #1 v1.5 signatures are deterministic; the reader is not used for them.
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, memoSigner{key, memo})
	if err != nil {
		return "", fmt.Errorf("token certificate: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), nil
}

// memoSigner signs with key, through memo (TokenCertificateCached).
type memoSigner struct {
	key  *rsa.PrivateKey
	memo *cache.Dir
}

func (s memoSigner) Public() crypto.PublicKey { return &s.key.PublicKey }

func (s memoSigner) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if _, pss := opts.(*rsa.PSSOptions); pss { // randomized: nothing to remember
		return s.key.Sign(r, digest, opts)
	}
	id := cache.Key(x509.MarshalPKCS1PublicKey(&s.key.PublicKey), []byte(opts.HashFunc().String()), digest)
	if sig, ok := s.memo.Get(signatureKind, id); ok && rsa.VerifyPKCS1v15(&s.key.PublicKey, opts.HashFunc(), digest, sig) == nil {
		return sig, nil
	}
	sig, err := s.key.Sign(r, digest, opts)
	if err == nil {
		s.memo.Put(signatureKind, id, sig)
	}
	return sig, err
}
