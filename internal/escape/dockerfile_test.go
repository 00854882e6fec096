package escape

import (
	"fmt"
	"strings"
	"testing"
)

func TestDockerfileImage(t *testing.T) {
	runEscaperTable(t, DockerfileImage, []escaperCase{
		{name: "official", in: "mariadb:10.11.9", want: "mariadb:10.11.9"},
		{name: "mirror with port", in: "mirror.corp.example:5000/hub/mariadb:10.11.9", want: "mirror.corp.example:5000/hub/mariadb:10.11.9"},
		{name: "digest", in: "mariadb@sha256:0123abcd", want: "mariadb@sha256:0123abcd"},
		{name: "underscore tag", in: "repo/img:v1_2-rc.3", want: "repo/img:v1_2-rc.3"},
		{name: "empty", in: "", wantErr: "cannot be empty"},
		{name: "space", in: "mariadb:10.11 AS x", wantErr: "' ' (U+0020) at byte 13"},
		{name: "newline", in: "mariadb\nRUN id", wantErr: `'\n' (U+000A) at byte 7`},
		{name: "variable", in: "${IMAGE}", wantErr: "'$' (U+0024) at byte 0"},
		{name: "backslash", in: `mariadb\`, wantErr: `'\\' (U+005C) at byte 7`},
		{name: "flag", in: "--platform=linux/arm64", wantErr: "'-' (U+002D) at byte 0"},
	})
}

// readFrom is how a Dockerfile reads the word after FROM: split on white
// space (one word, no AS), no variable, escape or flag.
func readFrom(escaped string) (string, error) {
	words := strings.Fields("FROM " + escaped)
	if len(words) != 2 {
		return "", fmt.Errorf("FROM %s has %d arguments", escaped, len(words)-1)
	}
	w := words[1]
	if strings.ContainsAny(w, `$\`) || strings.HasPrefix(w, "-") || strings.ContainsFunc(w, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "", fmt.Errorf("FROM %s is expanded or escaped", escaped)
	}
	return w, nil
}

// notImageReference: what DockerfileImage must refuse.
func notImageReference(s string) bool {
	if s == "" {
		return true
	}
	for i, r := range s {
		alnum := 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
		if !alnum && (i == 0 || !strings.ContainsRune("._-/:@", r)) {
			return true
		}
	}
	return false
}

func TestDockerfileImageRoundTrip(t *testing.T) {
	roundTripHostile(t, DockerfileImage, readFrom, notImageReference)
}

func FuzzDockerfileImage(f *testing.F) {
	seedHostile(f)
	f.Fuzz(func(t *testing.T, s string) {
		checkRoundTrip(t, s, DockerfileImage, readFrom, notImageReference)
	})
}
