package secrets

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
	"golang.org/x/crypto/bcrypt"

	"github.com/harborgen/harborgen/internal/spec"
)

// alphabet keeps generated values free of characters that need escaping
// anywhere; the renderer escapes every value all the same.
const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// generatedLength is the length of each generated secret; Harbor fixes some
// (CSRF_KEY 32, secretkey 16) and keepalived truncates auth_pass past 8.
var generatedLength = map[string]int{
	CoreSecret.Name:         16,
	JobserviceSecret.Name:   16,
	CSRFKey.Name:            32,
	SecretKey.Name:          16,
	KeepalivedAuthPass.Name: 8,
	S3AccessKey.Name:        20,
	S3SecretKey.Name:        40,
	SwiftKey.Name:           40,
}

// tokenKeyBits is the size of Harbor's token signing key, as its prepare
// script makes it.
const tokenKeyBits = 4096

// Generate makes a new value for a generated secret from r (crypto/rand in
// production).
func Generate(d Def, r io.Reader) (string, error) {
	if !d.Generated {
		return "", fmt.Errorf("%s is supplied by the operator, not generated", d.Name)
	}
	if d.Name == TokenPrivateKey.Name {
		key, err := rsa.GenerateKey(r, tokenKeyBits)
		if err != nil {
			return "", fmt.Errorf("generate %s: %w", d.Name, err)
		}
		block := &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}
		return string(pem.EncodeToMemory(block)), nil
	}
	n := generatedLength[d.Name]
	if n == 0 {
		n = 32
	}
	out := make([]byte, n)
	max := big.NewInt(int64(len(alphabet)))
	for i := range out {
		k, err := rand.Int(r, max)
		if err != nil {
			return "", fmt.Errorf("generate %s: %w", d.Name, err)
		}
		out[i] = alphabet[k.Int64()]
	}
	return string(out), nil
}

// InitResult says what Init did.
type InitResult struct {
	Path      string
	Created   bool     // the file did not exist
	Generated []string // names added
	Recovered []string // names added with the value a rendered tree holds
	Present   []string // names already there, left unchanged
	Supply    []Need   // operator-supplied secrets still missing
	Optional  []Need   // optional operator-supplied secrets not given (fine as they are)
	Warnings  []string // readable by others, tracked by git
}

// Init creates or completes the secrets file at path for spec s: every
// missing generated secret is appended; nothing already in the file changes,
// not even its comments. The file is written 0600 through a rename.
func Init(path string, s *spec.Spec, r io.Reader) (*InitResult, error) {
	return InitFrom(path, s, r, nil)
}

// InitFrom is Init that takes each missing generated secret from held (the
// values a rendered tree holds, see TreeValues) before it generates one: a
// lost secrets file comes back as the cluster runs, instead of a new set of
// values that would rotate every secret.
func InitFrom(path string, s *spec.Spec, r io.Reader, held *Held) (*InitResult, error) {
	res := &InitResult{Path: path}
	f, err := Load(path)
	old, readErr := os.ReadFile(path)
	switch {
	case errors.Is(readErr, fs.ErrNotExist):
		res.Created, old = true, nil
	case readErr != nil:
		return nil, fmt.Errorf("read secrets: %w", readErr)
	case err != nil:
		return nil, err // present but not valid TOML: never overwrite it
	}
	var added bytes.Buffer
	needs := Required(s)
	// The hash of registry_password comes after the password itself.
	slices.SortStableFunc(needs, func(a, b Need) int {
		return cmp.Compare(boolInt(a.Name == RegistryHtpasswd.Name), boolInt(b.Name == RegistryHtpasswd.Name))
	})
	for _, need := range needs {
		if _, ok := f.Values[need.Name]; ok {
			res.Present = append(res.Present, need.Name)
			continue
		}
		if need.Optional {
			res.Optional = append(res.Optional, need)
			continue
		}
		if !need.Generated {
			res.Supply = append(res.Supply, need)
			continue
		}
		if v, ok := heldValue(held, need.Name); ok {
			fmt.Fprintf(&added, "%s = %s\n", need.Name, tomlString(v))
			res.Recovered = append(res.Recovered, need.Name)
			continue
		}
		var v string
		var err error
		if need.Name == RegistryHtpasswd.Name {
			v, err = htpasswd(f, &added)
		} else {
			v, err = Generate(need.Def, r)
		}
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&added, "%s = %s\n", need.Name, tomlString(v))
		res.Generated = append(res.Generated, need.Name)
	}
	if info, err := os.Stat(path); err == nil && info.Mode().Perm()&0o077 != 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%s was readable by others (mode %04o); harborgen rewrites it 0600", path, info.Mode().Perm()))
	}
	if tracked(path) {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%s would be tracked by git: add it to .gitignore (*.secrets.toml)", path))
	}
	if added.Len() == 0 && !res.Created {
		return res, os.Chmod(path, 0o600) // follows a symlink to its target
	}
	var content bytes.Buffer
	if res.Created {
		content.WriteString("# harborgen secrets: never commit this file. Made by `harborgen secrets init`;\n")
		content.WriteString("# HARBORGEN_SECRET_<NAME> environment variables override these values.\n")
	}
	content.Write(old)
	if len(old) > 0 && !bytes.HasSuffix(old, []byte("\n")) {
		content.WriteString("\n")
	}
	content.Write(added.Bytes())
	return res, writeFile0600(path, content.Bytes())
}

// tomlString writes a TOML basic string; a PEM key becomes a multi-line
// literal string, which keeps it readable.
func tomlString(v string) string {
	if strings.Contains(v, "\n") && !strings.Contains(v, "'''") {
		return "'''\n" + v + "'''"
	}
	return strconv.Quote(v)
}

// writeFile0600 replaces the file atomically, through a symlink: a secrets
// file linked to a vault mount or a file kept elsewhere is updated there,
// and the link stays a link.
func writeFile0600(path string, data []byte) error {
	path, err := linkTarget(path)
	if err != nil {
		return fmt.Errorf("write secrets: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write secrets: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write secrets: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write secrets: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write secrets: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write secrets: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write secrets: %w", err)
	}
	return nil
}

// linkTarget follows path's symlinks, even to a target that does not exist
// yet, and returns the file to write.
func linkTarget(path string) (string, error) {
	for range 40 {
		info, err := os.Lstat(path)
		if err != nil || info.Mode()&os.ModeSymlink == 0 {
			return path, nil
		}
		target, err := os.Readlink(path)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(path), target)
		}
		path = target
	}
	return "", fmt.Errorf("%s: too many levels of symbolic links", path)
}

// tracked reports whether git would track the file: it is inside a work
// tree and not ignored. Without git there is nothing to warn about.
func tracked(path string) bool {
	dir := filepath.Dir(path)
	if err := exec.Command("git", "-C", dir, "rev-parse", "--is-inside-work-tree").Run(); err != nil {
		return false
	}
	err := exec.Command("git", "-C", dir, "check-ignore", "-q", filepath.Base(path)).Run()
	var exit *exec.ExitError
	return errors.As(err, &exit) && exit.ExitCode() == 1
}

// registryBcryptCost is Harbor's (htpasswd -B): the registry checks the hash
// on every request from core and jobservice.
const registryBcryptCost = 5

// htpasswd hashes registry_password, whether it was in the file or was just
// generated into added.
func htpasswd(f *File, added *bytes.Buffer) (string, error) {
	pw, ok := f.Values[RegistryPassword.Name]
	if !ok {
		var fresh map[string]any
		if _, err := toml.Decode(added.String(), &fresh); err != nil {
			return "", fmt.Errorf("read generated secrets: %w", err)
		}
		pw, _ = fresh[RegistryPassword.Name].(string)
	}
	if pw == "" {
		return "", fmt.Errorf("registry_htpasswd needs registry_password")
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(pw), registryBcryptCost)
	if err != nil {
		return "", fmt.Errorf("hash registry_password: %w", err)
	}
	return string(hash), nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func heldValue(h *Held, name string) (string, bool) {
	if h == nil {
		return "", false
	}
	v, ok := h.Values[name]
	return v, ok && v != ""
}
