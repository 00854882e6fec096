package secrets

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"

	"github.com/harborgen/harborgen/internal/cache"
)

// TestTokenCertificateCached: the certificate is the same bytes with and without a cache,
// from a cold cache and a warm one; the cache holds the certificate's own signature, nothing
// of the key; a signature from the cache is used (a key that cannot sign still gives the
// certificate), and one that does not verify is not (the certificate is still right, and the
// entry is repaired).
func TestTokenCertificateCached(t *testing.T) {
	keyPEM, err := Generate(TokenPrivateKey, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	want, err := TokenCertificate(keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	memo := cache.Open(root)
	for _, run := range []string{"cold", "warm"} {
		got, err := TokenCertificateCached(keyPEM, memo)
		if err != nil || got != want {
			t.Fatalf("%s cache: a different certificate (%v)", run, err)
		}
	}
	block, _ := pem.Decode([]byte(want))
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := filepath.Glob(filepath.Join(root, signatureKind, "*"))
	if err != nil || len(entries) != 1 {
		t.Fatalf("cache entries %v (%v), want one signature", entries, err)
	}
	entry := entries[0]
	if data, _ := os.ReadFile(entry); !bytes.Equal(data, cert.Signature) {
		t.Errorf("the cache entry is not the certificate's signature")
	}
	kb, _ := pem.Decode([]byte(keyPEM))
	key, err := x509.ParsePKCS1PrivateKey(kb.Bytes)
	if err != nil {
		t.Fatal(err)
	}

	// Only the public half: signing fails, unless the cache has the signature.
	public := &rsa.PrivateKey{PublicKey: key.PublicKey}
	digest := sha256.Sum256(cert.RawTBSCertificate)
	if _, err := (memoSigner{public, nil}).Sign(rand.Reader, digest[:], crypto.SHA256); err == nil {
		t.Fatal("a key without its private half signed: the test proves nothing")
	}
	sig, err := (memoSigner{public, memo}).Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil || !bytes.Equal(sig, cert.Signature) {
		t.Errorf("the cached signature was not used: %v", err)
	}

	// A corrupted entry is not used, and is replaced.
	bad := bytes.Clone(cert.Signature)
	bad[len(bad)/2] ^= 1
	if err := os.WriteFile(entry, bad, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := (memoSigner{public, memo}).Sign(rand.Reader, digest[:], crypto.SHA256); err == nil {
		t.Error("a signature that does not verify was taken from the cache")
	}
	if got, err := TokenCertificateCached(keyPEM, memo); err != nil || got != want {
		t.Errorf("with a corrupted cache entry: a different certificate (%v)", err)
	}
	if data, _ := os.ReadFile(entry); !bytes.Equal(data, cert.Signature) {
		t.Error("the corrupted entry was not replaced")
	}
	for _, e := range entries {
		data, _ := os.ReadFile(e)
		if bytes.Contains(data, kb.Bytes[:64]) || bytes.Contains([]byte(e), []byte(keyPEM[40:80])) {
			t.Error("the cache holds part of the private key")
		}
	}
}
