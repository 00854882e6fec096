package spec

import (
	"bytes"
	"strings"
)

// DeepAndLarge are fuzz seeds at the loader's bounds: documents nesting
// just under, at and beyond MaxNesting (arrays, inline tables or mappings,
// dotted keys, table headers), far beyond it, and documents just under and
// just over MaxSize. Fuzz targets of every package that loads specs start
// from them, so that the generated inputs include depth and size.
func DeepAndLarge(yaml bool) [][]byte {
	var out [][]byte
	for _, depth := range []int{MaxNesting - 1, MaxNesting, MaxNesting + 1, 1000} {
		if yaml {
			out = append(out, yamlFlow(depth), yamlBlock(depth))
			continue
		}
		out = append(out,
			[]byte("spec = 1\nx = "+strings.Repeat("[", depth)+"1"+strings.Repeat("]", depth)+"\n"),
			[]byte("spec = 1\nx = "+strings.Repeat("{a=", depth)+"1"+strings.Repeat("}", depth)+"\n"),
			[]byte("spec = 1\nx"+strings.Repeat(".a", depth)+" = 1\n"),
			[]byte("spec = 1\n[x"+strings.Repeat(".a", depth)+"]\nb = 1\n"))
	}
	line := []byte("# padding padding padding padding padding padding padding padding\n")
	doc := []byte("spec = 1\n")
	if yaml {
		doc = []byte("spec: 1\n")
	}
	under := append(bytes.Repeat(line, (MaxSize-len(doc))/len(line)), doc...)
	over := append(bytes.Repeat([]byte("#"), MaxSize+1-len(doc)), doc...)
	return append(out, under, over)
}

func yamlFlow(depth int) []byte {
	return []byte("spec: 1\nx: " + strings.Repeat("[", depth) + "1" + strings.Repeat("]", depth) + "\n")
}

func yamlBlock(depth int) []byte { return []byte("spec: 1\n" + NestedYAML("x", depth)) }

// NestedYAML is a block mapping key whose value nests depth mappings deep.
func NestedYAML(key string, depth int) string {
	var b strings.Builder
	b.WriteString(key + ":\n")
	for i := 1; i <= depth; i++ {
		b.WriteString(strings.Repeat(" ", i) + "a:\n")
	}
	b.WriteString(strings.Repeat(" ", depth+1) + "b: 1\n")
	return b.String()
}
