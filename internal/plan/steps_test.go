package plan_test

import (
	"os/exec"
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
