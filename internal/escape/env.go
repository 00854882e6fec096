package escape

// Env returns the value part of a KEY=VALUE line of a docker compose
// env_file, as compose-go's dotenv package reads it.
//
// A plain word is written bare. Anything else is double-quoted, the one form
// in which dotenv both keeps spaces and '#' and lets every character be
// written: it drops the backslash of \" while collecting the quoted text,
// turns \\ into \ (its shell-style escapes), then interpolates, where $$ is a
// literal $. Single quotes would avoid interpolation but cannot hold a
// backslash right before a quote or at the end.
//
// Control characters are rejected (see rejectControl).
func Env(s string) (string, error) {
	if err := rejectControl("env_file", s); err != nil {
		return "", err
	}
	if isPlainWord(s) {
		return s, nil
	}
	return quoteWith(s, func(c byte) string {
		if c == '$' {
			return "$$"
		}
		return backslashQuote(c)
	}), nil
}
