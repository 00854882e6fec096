package plan_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestStepChecksAreCommands: every step's command and check is a shell
// command bash parses (no prose in code), and every check says what it
// prints when the step worked.
func TestStepChecksAreCommands(t *testing.T) {
	for _, example := range []string{"ha-galera-ceph", "ha-modern", "ha-modern-patroni", "shared-fs", "two-site-dr"} {
		p := examplePlan(t, example, nil)
		for i, st := range p.Steps {
			for _, cmd := range []string{st.Command, st.Check} {
				if out, err := exec.Command("bash", "-n", "-c", cmd).CombinedOutput(); err != nil {
					t.Errorf("%s step %d: %q is not a command: %v %s", example, i+1, cmd, err, out)
				}
			}
			if st.Check != "" && len(st.Expect) == 0 {
				t.Errorf("%s step %d: check %q says nothing of its output", example, i+1, st.Check)
			}
		}
	}
}

// TestHTTPChecksFailOnErrors: a check that asks an HTTP server (curl) fails with a non-zero exit
// on an HTTP error, so that whoever looks at the exit code alone (the Ansible playbook's retried
// check) waits as a reader of its output would: without -f, curl exits 0 on a 502 while Harbor
// starts, and a serial restart moves on to the next node.
func TestHTTPChecksFailOnErrors(t *testing.T) {
	curls := 0
	for _, example := range []string{"ha-galera-ceph", "ha-modern", "ha-modern-patroni", "shared-fs", "two-site-dr"} {
		for i, st := range examplePlan(t, example, nil).Steps {
			words := strings.Fields(st.Check)
			for j, w := range words {
				if w != "curl" {
					continue
				}
				curls++
				if j+1 >= len(words) || !strings.HasPrefix(words[j+1], "-") || strings.HasPrefix(words[j+1], "--") || !strings.Contains(words[j+1], "f") {
					t.Errorf("%s step %d (%s): check %q: curl without -f exits 0 on an HTTP error", example, i+1, st.Node, st.Check)
				}
			}
		}
	}
	if curls < 10 {
		t.Fatalf("only %d curl checks in the examples: the test looks at the wrong thing", curls)
	}
}
