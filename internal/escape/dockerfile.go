package escape

import "fmt"

// DockerfileImage returns an image reference for a Dockerfile's FROM line.
// A Dockerfile has no quoting: FROM splits its arguments on white space,
// expands $VAR and ${VAR}, reads a backslash as an escape or a line
// continuation and a leading - as a flag. So only what an image reference is
// made of passes (name components, registry host and port, tag and digest):
// letters, digits and . _ - / : @, starting with a letter or a digit.
func DockerfileImage(s string) (string, error) {
	if s == "" {
		return "", fmt.Errorf("%w in a Dockerfile FROM line: an image reference cannot be empty", ErrUnrepresentable)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case i > 0 && (c == '.' || c == '_' || c == '-' || c == '/' || c == ':' || c == '@'):
		default:
			return "", unrepresentable("a Dockerfile FROM line", s, i, "an image reference is letters, digits and . _ - / : @, starting with a letter or a digit")
		}
	}
	return s, nil
}
