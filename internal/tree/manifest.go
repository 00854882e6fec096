package tree

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// Manifest returns the content of MANIFEST for t: one "<sha256 hex>  <path>\n" line for every
// non-secret file, sorted by path (the format of sha256sum, so `sha256sum -c MANIFEST` verifies a
// checkout). MANIFEST does not list itself, and never lists a secret.
func Manifest(t *Tree) []byte {
	var b bytes.Buffer
	for _, f := range t.Files() {
		if f.Secret {
			continue
		}
		sum := sha256.Sum256(f.Data)
		fmt.Fprintf(&b, "%s  %s\n", hex.EncodeToString(sum[:]), f.Path)
	}
	return b.Bytes()
}

// parseManifest returns the paths a MANIFEST lists. Write trusts it to tell harborgen's files from
// an operator's, so a line it cannot read is an error rather than a guess.
func parseManifest(data []byte) (map[string]bool, error) {
	listed := map[string]bool{}
	text := string(data)
	if text == "" {
		return listed, nil
	}
	if !strings.HasSuffix(text, "\n") {
		return nil, fmt.Errorf("%s: last line has no newline", ManifestName)
	}
	for i, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		sum, p, ok := strings.Cut(line, "  ")
		if _, err := hex.DecodeString(sum); !ok || err != nil || len(sum) != 2*sha256.Size {
			return nil, fmt.Errorf("%s line %d: want \"<sha256 hex>  <path>\", got %q", ManifestName, i+1, line)
		}
		if err := checkPath(p); err != nil {
			return nil, fmt.Errorf("%s line %d: %q: %w", ManifestName, i+1, p, err)
		}
		listed[p] = true
	}
	return listed, nil
}
