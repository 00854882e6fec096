package main

import (
	"io"
	"os"
)

// color reports whether w gets colour: a terminal, NO_COLOR unset
// (https://no-color.org), and a TERM other than dumb.
func (e *env) color(w io.Writer) bool {
	if _, set := e.lookup("NO_COLOR"); set {
		return false
	}
	if t, _ := e.lookup("TERM"); t == "dumb" {
		return false
	}
	return isTerminal(w)
}

// isTerminal is a variable so that tests can pretend.
var isTerminal = func(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && terminal(f)
}
