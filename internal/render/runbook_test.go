package render_test

import (
	"fmt"
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
