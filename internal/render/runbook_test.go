package render_test

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"

	"github.com/harborgen/harborgen/internal/plan"
	"github.com/harborgen/harborgen/internal/render"
)

// TestRunbookStepsKeepTheirCodeBlocks parses the runbook with a CommonMark
// parser (goldmark): the order of operations is one ordered list with an item
// per step, and each item holds the step's command and its check as code
// blocks, item 10 and later too (whose content sits one column deeper than
// item 9's). Each example's steps are repeated to make at least 12.
func TestRunbookStepsKeepTheirCodeBlocks(t *testing.T) {
	for _, example := range examples {
		t.Run(example, func(t *testing.T) {
			_, p := loadPlan(t, example)
			for len(p.Steps) < 12 {
				p.Steps = append(p.Steps, p.Steps...)
			}
			tr, err := render.Tree(p, "harborgen.toml", nil)
			if err != nil {
				t.Fatal(err)
			}
			var readme []byte
			for _, f := range tr.Files() {
				if f.Path == "README.md" {
					readme = f.Data
				}
			}
			list := stepsList(t, readme)
			if list == nil {
				t.Fatal("no ordered list after the heading Order of operations")
			}
			if list.Start != 1 || list.ChildCount() != len(p.Steps) {
				t.Fatalf("the list starts at %d with %d items, want 1 and %d", list.Start, list.ChildCount(), len(p.Steps))
			}
			i := 0
			for item := list.FirstChild(); item != nil; item = item.NextSibling() {
				if got, want := codeBlocks(item, readme), stepBlocks(p.Steps[i]); got != want {
					t.Errorf("item %d: code blocks %q, want %q", i+1, got, want)
				}
				i++
			}
		})
	}
}

// stepsList is the first list after the heading "Order of operations".
func stepsList(t *testing.T, readme []byte) *ast.List {
	t.Helper()
	doc := goldmark.New().Parser().Parse(text.NewReader(readme))
	found := false
	for n := doc.FirstChild(); n != nil; n = n.NextSibling() {
		if h, ok := n.(*ast.Heading); ok {
			found = string(h.Lines().Value(readme)) == "Order of operations"
			continue
		}
		if l, ok := n.(*ast.List); ok && found && l.IsOrdered() {
			return l
		}
	}
	return nil
}

// codeBlocks are the texts of an item's code blocks (fenced or indented),
// each in brackets.
func codeBlocks(item ast.Node, src []byte) string {
	var b strings.Builder
	for c := item.FirstChild(); c != nil; c = c.NextSibling() {
		switch c.(type) {
		case *ast.FencedCodeBlock, *ast.CodeBlock:
			fmt.Fprintf(&b, "[%s]", strings.TrimSuffix(string(c.Lines().Value(src)), "\n"))
		}
	}
	return b.String()
}

func stepBlocks(s plan.Step) string {
	if s.Check == "" {
		return "[" + s.Command + "]"
	}
	return "[" + s.Command + "][" + s.Check + "]"
}

// runbook renders an example's runbook (no secrets).
func runbook(t *testing.T, example string) []byte {
	t.Helper()
	_, p := loadPlan(t, example)
	tr, err := render.Tree(p, "harborgen.toml", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range tr.Files() {
		if f.Path == "README.md" {
			return f.Data
		}
	}
	t.Fatal("no README.md")
	return nil
}

// TestRunbookShellBlocksParse: every sh code block of every runbook (the
// steps, their checks, the prerequisites, the end-to-end check) is a script
// bash parses, so no prose hides in code.
func TestRunbookShellBlocksParse(t *testing.T) {
	for _, example := range examples {
		readme := runbook(t, example)
		doc := goldmark.New().Parser().Parse(text.NewReader(readme))
		blocks := 0
		err := ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
			f, ok := n.(*ast.FencedCodeBlock)
			if !entering || !ok || string(f.Language(readme)) != "sh" {
				return ast.WalkContinue, nil
			}
			blocks++
			code := string(f.Lines().Value(readme))
			if out, err := exec.Command("bash", "-n", "-c", code).CombinedOutput(); err != nil {
				t.Errorf("%s: bash -n: %v %s\n%s", example, err, out, code)
			}
			return ast.WalkContinue, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if blocks < 10 {
			t.Errorf("%s: %d sh blocks, want every step's command and check", example, blocks)
		}
	}
}

// TestRunbookPrerequisitesAndEndToEnd: the runbook says, before the steps,
// where the TLS files go, the SQL of an external database and where 1.5's
// registry.sql comes from, and ends with a ping and an admin login.
func TestRunbookPrerequisitesAndEndToEnd(t *testing.T) {
	for _, tc := range []struct {
		example     string
		want, avoid []string
	}{
		{example: "ha-modern", want: []string{
			"on lb01, lb02, as root", "cert_file=/etc/harbor/tls/registry.crt", "CREATE USER :\"user\" PASSWORD :'pw';",
			"CREATE DATABASE :\"db\" OWNER :\"user\";", "db_host=10.20.0.5", "secret db_password | psql",
			"resolve=registry.example.com:443:10.20.0.100", `"$url"/api/v2.0/ping`, "It prints `Pong`",
			`"$(secret harbor_admin_password)"`, `"$url"/api/v2.0/users/current`},
			avoid: []string{"registry.sql"}},
		{example: "ha-galera-ceph", want: []string{
			"harbor-offline-installer-v1.5.1.tgz", "`harbor/ha/registry.sql`", `"$url"/api/systeminfo`, `"$url"/api/users/current`},
			avoid: []string{"psql", "mysql -h"}},
		{example: "two-site-dr", want: []string{"resolve=registry.example.com:"}},
	} {
		t.Run(tc.example, func(t *testing.T) {
			readme := string(runbook(t, tc.example))
			before, _, ok := strings.Cut(readme, "## Order of operations")
			if !ok {
				t.Fatal("no Order of operations")
			}
			for _, w := range tc.want {
				if !strings.Contains(readme, w) {
					t.Errorf("runbook lacks %q", w)
				}
			}
			for _, a := range tc.avoid {
				if strings.Contains(readme, a) {
					t.Errorf("runbook has %q", a)
				}
			}
			for _, w := range []string{"tls.cert_file", "./prepare-host.sh"} {
				if !strings.Contains(before, w) {
					t.Errorf("%q is not before the steps", w)
				}
			}
			if i, j := strings.Index(readme, "## End-to-end check"), strings.LastIndex(readme, "It prints the admin user"); i < strings.Index(readme, "## Order of operations") || j < i {
				t.Error("the end-to-end check does not follow the steps")
			}
		})
	}
}

// TestRunbookMariaDBSQL runs the runbook's external MariaDB block with bash,
// mysql replaced by cat: the SQL it sends holds the password of the secrets
// file as one SQL string, whatever its quotes and backslashes.
func TestRunbookMariaDBSQL(t *testing.T) {
	_, p := loadPlanFile(t, "testdata/mariadb-external.toml")
	tr, err := render.Tree(p, "harborgen.toml", nil)
	if err != nil {
		t.Fatal(err)
	}
	var readme []byte
	for _, f := range tr.Files() {
		if f.Path == "README.md" {
			readme = f.Data
		}
	}
	_, block, _ := strings.Cut(string(readme), "\n  db_host=")
	block, _, ok := strings.Cut("db_host="+block, "\n  ```")
	if !ok {
		t.Fatalf("no external database block in\n%s", readme)
	}
	block = strings.ReplaceAll(block, "\n  ", "\n")
	script := "secret() { printf '%s' \"$PW\"; }\nmysql() { cat; }\n" + block
	cmd := exec.Command("bash", "-c", script)
	cmd.Env = append(cmd.Environ(), `PW=p'w"$x`+"`"+`\ y;`)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s\n%s", err, out, script)
	}
	want := "CREATE DATABASE IF NOT EXISTS `registry` CHARACTER SET utf8;\n" +
		"CREATE USER IF NOT EXISTS 'registry'@'%' IDENTIFIED BY 'p''w\"$x`\\\\ y;';\n" +
		"GRANT ALL PRIVILEGES ON `registry`.* TO 'registry'@'%';\n"
	if string(out) != want {
		t.Errorf("SQL:\n%s\nwant:\n%s", out, want)
	}
}
