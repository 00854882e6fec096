package render

// CountTokenCerts makes every derivation of a token certificate count in
// *n, forgetting the one already derived, until the returned func restores
// the derivation.
func CountTokenCerts(n *int) (restore func()) {
	derive := deriveTokenCert
	tokenCerts = certMemo{}
	deriveTokenCert = func(key string) (string, error) {
		*n++
		return derive(key)
	}
	return func() { deriveTokenCert, tokenCerts = derive, certMemo{} }
}
