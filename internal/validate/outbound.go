package validate

import (
	"net"
	"net/netip"
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/harborgen/harborgen/internal/profile"
	"github.com/harborgen/harborgen/internal/spec"
)

// outbound checks what Harbor needs to reach the outside: the private CAs
// of tls.trust_ca_files and the proxy of [harbor.proxy], against what the
// profile's images support.
func outbound(c *check) {
	p := profile.ForVersion(c.s.Harbor.Version)
	if p == nil {
		return // reported by version
	}
	trustCAFiles(c, p)
	proxySettings(c, p)
}

func trustCAFiles(c *check, p *profile.Profile) {
	files := c.s.TLS.TrustCAFiles
	if len(files) == 0 {
		return
	}
	if p.TrustCADir == "" {
		c.errorf("tls.trust_ca_files", "remove it, or use Harbor 2.x",
			"Harbor %s's images cannot trust an extra CA (profile %s has no CA directory)", c.s.Harbor.Version, p.Name)
		return
	}
	seen := map[string]int{}
	for i, f := range files {
		key := spec.JoinIndex("tls.trust_ca_files", i)
		base := path.Base(f)
		switch {
		case !path.IsAbs(f) || path.Clean(f) != f || f == "/":
			c.errorf(key, "write the clean absolute path of the certificate on the harbor nodes, e.g. /etc/pki/corp-root.pem",
				"%q is not a clean absolute path of a file", f)
		case !slices.ContainsFunc(p.TrustCASuffixes, func(s string) bool { return strings.HasSuffix(base, s) && base != s }):
			c.errorf(key, "name the file *"+strings.Join(p.TrustCASuffixes, ", *")+" (copy or link it under such a name)",
				"Harbor's install_cert.sh skips %q: it appends only files named *%s", base, strings.Join(p.TrustCASuffixes, ", *"))
		default:
			if j, dup := seen[base]; dup {
				c.errorf(key, "give each certificate its own file name",
					"the file name %q is also tls.trust_ca_files[%d]: both would be mounted at %s", base, j, path.Join(p.TrustCADir, base))
			}
			seen[base] = i
		}
	}
}

func proxySettings(c *check, p *profile.Profile) {
	px := c.s.Harbor.Proxy
	if px == nil {
		return
	}
	if len(p.ProxyComponents) == 0 {
		c.errorf("harbor.proxy", "remove it, or use Harbor 2.x",
			"Harbor %s has no proxy settings for its components (profile %s)", c.s.Harbor.Version, p.Name)
		return
	}
	proxyURL(c, "harbor.proxy.http_proxy", px.HTTPProxy)
	proxyURL(c, "harbor.proxy.https_proxy", px.HTTPSProxy)
	if px.HTTPProxy == "" && px.HTTPSProxy == "" {
		c.warnf("harbor.proxy", "add http_proxy and https_proxy, e.g. http://proxy.corp.example:3128, or remove [harbor.proxy]",
			"[harbor.proxy] names no proxy URL: no component uses a proxy")
	}
	for i, h := range px.NoProxy {
		if !validNoProxy(h) {
			c.errorf(spec.JoinIndex("harbor.proxy.no_proxy", i),
				"write one host, domain (.corp.example or *.corp.example), IP address or CIDR per item, optionally with :port",
				"%q is not a no_proxy entry", h)
		}
	}
	for i, comp := range px.Components {
		if !slices.Contains(p.ProxyComponents, comp) {
			c.errorf(spec.JoinIndex("harbor.proxy.components", i), "use "+quoteAll(p.ProxyComponents),
				"%q cannot use a proxy in Harbor %s", comp, c.s.Harbor.Version)
		}
	}
	if len(px.Components) == 0 && (px.HTTPProxy != "" || px.HTTPSProxy != "") {
		c.warnf("harbor.proxy.components", `list the components that use the proxy, e.g. ["core", "jobservice", "trivy"]`,
			"no component uses the proxy")
	}
}

// proxyURL accepts what Go's http.ProxyFromEnvironment (core, jobservice,
// Trivy) accepts, minus credentials: the env files are committed.
func proxyURL(c *check, key, raw string) {
	if raw == "" {
		return
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || !slices.Contains([]string{"http", "https", "socks5", "socks5h"}, u.Scheme) || !validHost(u.Hostname()) ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "":
		c.errorf(key, "write scheme://host:port, e.g. http://proxy.corp.example:3128 (schemes http, https, socks5, socks5h)",
			"%q is not a proxy URL", raw)
	case u.User != nil:
		c.errorf(key, "use a proxy that admits the harbor nodes by address: a password here would be committed in the env files",
			"the proxy URL carries a user or password")
	case u.Port() != "" && !validPort(u.Port()):
		c.errorf(key, "write a port from 1 to 65535", "%q has no valid port", raw)
	}
}

// validHost accepts an IP address or a DNS name.
func validHost(h string) bool {
	if _, err := netip.ParseAddr(h); err == nil {
		return true
	}
	return noProxyHost.MatchString(h)
}

var noProxyHost = lazy(`^[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*$`)

// validNoProxy accepts the entries Go's httpproxy understands: *, an IP
// address or CIDR, or a host or domain (.example.com, *.example.com), each
// optionally with :port.
func validNoProxy(h string) bool {
	if h == "*" {
		return true
	}
	if _, err := netip.ParsePrefix(h); err == nil {
		return true
	}
	if _, err := netip.ParseAddr(h); err == nil {
		return true
	}
	if host, port, err := net.SplitHostPort(h); err == nil {
		if !validPort(port) {
			return false
		}
		if _, err := netip.ParseAddr(host); err == nil {
			return true
		}
		h = host
	}
	h = strings.TrimPrefix(h, "*")
	h = strings.TrimPrefix(h, ".")
	return noProxyHost.MatchString(h)
}
