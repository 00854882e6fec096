package validate

import (
	"fmt"
	"net"
	"net/url"
	"reflect"
	"strconv"
	"strings"

	"github.com/harborgen/harborgen/internal/profile"
	"github.com/harborgen/harborgen/internal/spec"
)

// settings checks the spec keys that are harbor.yml settings: a key the
// chosen release's prepare does not read (the profile's settings.toml) is
// an error where it is written, then each setting's own rules.
func settings(c *check) {
	settingVersions(c)
	externalURL(c)
	ipFamily(c)
	uploadPurging(c)
	cacheLayer(c)
	trivy(c)
}

func settingVersions(c *check) {
	v := c.s.Harbor.Version
	p := profile.ForVersion(v)
	if p == nil {
		return // reported by version
	}
	var refused []string
	for _, key := range profile.SettingKeys() {
		for _, path := range settingPaths(c.s, key) {
			if !c.s.Source.Has(path) || under(path, refused) {
				continue
			}
			row, ok := p.Setting(key)
			switch {
			case !ok:
				c.errorf(path, "remove it", "Harbor %s (profile %s) has no such setting: it is a harbor.yml setting of Harbor 2", v, p.Name)
			case row.Since != "" && !profile.Has(v, profile.Feature{Since: row.Since}):
				c.errorf(path, fmt.Sprintf("remove it, or use Harbor %s or later", row.Since),
					"Harbor %s's prepare does not read harbor.yml %s; it does from %s on", v, row.YML, row.Since)
			case !row.In(v):
				c.errorf(path, "remove it", "Harbor %s's prepare no longer reads harbor.yml %s (last read before %s)", v, row.YML, row.Until)
			default:
				continue
			}
			refused = append(refused, path)
		}
	}
}

// settingPaths are the spec paths of a setting key: storage.* is also each
// site's own storage table.
func settingPaths(s *spec.Spec, key string) []string {
	out := []string{key}
	if rest, ok := strings.CutPrefix(key, "storage."); ok {
		for i := range s.Sites {
			out = append(out, spec.JoinIndex("site", i)+".storage."+rest)
		}
	}
	return out
}

// under reports whether path is one of parents or below one.
func under(path string, parents []string) bool {
	for _, p := range parents {
		if path == p || strings.HasPrefix(path, p+".") {
			return true
		}
	}
	return false
}

// externalURL checks harbor.external_url beyond the schema's shape: a host
// name or IP address, and a port that exists.
func externalURL(c *check) {
	raw := c.s.Harbor.ExternalURL
	if raw == "" {
		return
	}
	const hint = "write scheme://host[:port] without a path, e.g. https://registry.example.com:8443"
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil {
		c.errorf("harbor.external_url", hint, "%q is not an http:// or https:// URL of a host", raw)
		return
	}
	host := u.Hostname()
	if p := u.Port(); p != "" || strings.HasSuffix(u.Host, ":") {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			c.errorf("harbor.external_url", hint, "%q has no valid port (1-65535)", raw)
			return
		}
	}
	if net.ParseIP(host) == nil && !dnsName.MatchString(strings.ToLower(host)) {
		c.errorf("harbor.external_url", hint, "%q is neither a host name nor an IP address", host)
	}
}

// dnsName is a host name of letters, digits and '-' labels.
var dnsName = lazy(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$`)

var reflectTypeOfTrivy = reflect.TypeFor[spec.Trivy]()

// ipFamily checks harbor.ip_family: one family at least, and a warning where
// prepare's nginx configuration has no line it changes.
func ipFamily(c *check) {
	f := &c.s.Harbor.IPFamily
	switch {
	case !f.IPv4 && !f.IPv6:
		c.errorf(c.first("harbor.ip_family.ipv4", "harbor.ip_family"), "set ipv4 = true or ipv6 = true",
			"no address family is enabled: Harbor's proxy would have no HTTPS listener")
	case c.s.Source.Has("harbor.ip_family") && c.s.TLS.Mode != "node":
		c.warnf("harbor.ip_family", `remove it, or set tls.mode = "node"`,
			"ignored with tls.mode %s: ip_family only changes the listen lines of the proxy's HTTPS server, which Harbor's proxy runs with tls.mode node", c.s.TLS.Mode)
	}
}

// uploadPurging applies prepare's rule (models.py PurgeUpload): age and
// interval are whole hours, at least 2, when purging is on.
func uploadPurging(c *check) {
	u := &c.s.Harbor.UploadPurging
	if !u.Enabled {
		return
	}
	for _, f := range []struct{ key, value string }{{"harbor.upload_purging.age", u.Age}, {"harbor.upload_purging.interval", u.Interval}} {
		n, err := strconv.Atoi(strings.TrimSuffix(f.value, "h"))
		if err == nil && n < 2 {
			c.errorf(f.key, `use "2h" or more`, "%q is below 2 hours; Harbor's prepare refuses it", f.value)
		}
	}
}

// cacheLayer: the cache lives in Redis db 0, so every scope needs a Redis
// that Harbor can use.
func cacheLayer(c *check) {
	if !c.s.Harbor.Cache.Enabled {
		return
	}
	for _, sc := range c.s.Scopes() {
		switch sc.Redis.Mode {
		case "standalone", "sentinel", "external":
			continue
		case "":
			c.errorf("harbor.cache.enabled", "configure Redis ([redis], or each site's [site.redis]), or set enabled = false",
				"%sthe cache layer keeps its entries in Redis, and no Redis is configured", where(&sc))
		default:
			c.errorf("harbor.cache.enabled", `use redis.mode = "standalone" or "sentinel", or set enabled = false`,
				"%sthe cache layer needs a Redis Harbor can use; Harbor cannot use Redis %s mode", where(&sc), sc.Redis.Mode)
		}
		return
	}
}

// trivy checks trivy.enabled against the deprecated with_trivy, and the
// Trivy settings of an adapter that does not run.
func trivy(c *check) {
	h := &c.s.Harbor
	withSet, enabledSet := c.s.Source.Has("harbor.with_trivy"), c.s.Source.Has("harbor.trivy.enabled")
	switch {
	case withSet && enabledSet && h.WithTrivy != h.Trivy.Enabled:
		c.errorf("harbor.with_trivy", "remove with_trivy and keep [harbor.trivy] enabled",
			"with_trivy = %t contradicts harbor.trivy.enabled = %t", h.WithTrivy, h.Trivy.Enabled)
	case withSet:
		c.warnf("harbor.with_trivy", fmt.Sprintf("write enabled = %t under [harbor.trivy] instead", h.WithTrivy),
			"with_trivy is deprecated: harbor.trivy.enabled replaces it")
	}
	for _, f := range []struct{ key, value string }{{"harbor.trivy.db_repository", h.Trivy.DBRepository},
		{"harbor.trivy.java_db_repository", h.Trivy.JavaDBRepository}} {
		if strings.Contains(f.value, "://") {
			c.errorf(f.key, "write the repository without a scheme, e.g. ghcr.io/aquasecurity/trivy-db",
				"%q is a URL; Trivy takes an OCI repository (registry/path)", f.value)
		}
	}
	if h.TrivyEnabled() || !c.s.Source.Has("harbor.trivy") {
		return
	}
	for _, f := range spec.Fields(reflectTypeOfTrivy) {
		if f.Key != "enabled" && c.s.Source.Has("harbor.trivy."+f.Key) {
			c.warnf("harbor.trivy", "remove them, or set enabled = true", "the Trivy settings are ignored: the Trivy adapter is off (harbor.trivy.enabled)")
			return
		}
	}
}
