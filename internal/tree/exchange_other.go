//go:build !linux

package tree

// renameExchange is Linux-only; elsewhere Write falls back to two renames (swapByRenames).
func renameExchange(a, b string) error {
	return errNoExchange
}
