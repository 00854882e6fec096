package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The completion scripts parse in their shells, pass shellcheck (bash), and
// complete for real: bash runs the function against the built binary.
func TestCompletion(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "harborgen")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	script := func(shell string) string {
		code, stdout, stderr := harborgen("", "completion", shell)
		if code != 0 {
			t.Fatalf("completion %s: exit %d %s", shell, code, stderr)
		}
		file := filepath.Join(dir, "harborgen."+shell)
		if err := os.WriteFile(file, []byte(stdout), 0o644); err != nil {
			t.Fatal(err)
		}
		return file
	}
	bash, zsh, fish := script("bash"), script("zsh"), script("fish")
	for _, check := range [][]string{{"bash", "-n", bash}, {"shellcheck", "-s", "bash", bash}, {"zsh", "-n", zsh}} {
		if out, err := exec.Command(check[0], check[1:]...).CombinedOutput(); err != nil {
			t.Errorf("%s: %v\n%s", strings.Join(check, " "), err, out)
		}
	}
	if data, _ := os.ReadFile(fish); !strings.Contains(string(data), "complete -c harborgen") || !strings.Contains(string(data), "validate") {
		t.Errorf("the fish script completes nothing:\n%s", data)
	}
	for _, tc := range []struct{ words, want string }{
		{"harborgen val", "validate"},
		{"harborgen render --st", "--strict"},
		{"harborgen secrets i", "init"},
	} {
		words := strings.Fields(tc.words)
		cmd := exec.Command("bash", "-c", `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($#-1)); _harborgen; printf '%s\n' "${COMPREPLY[@]}"`, "_", bash)
		cmd.Args = append(cmd.Args, words...)
		cmd.Env = append(os.Environ(), "PATH="+dir+":"+os.Getenv("PATH"))
		out, err := cmd.CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != tc.want {
			t.Errorf("%q completes to %q (%v), want %q", tc.words, out, err, tc.want)
		}
	}
	if code, _, _ := harborgen("", "completion", "tcsh"); code != 2 {
		t.Errorf("completion tcsh: exit %d, want 2", code)
	}
}
