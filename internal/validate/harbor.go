package validate

import (
	"net/url"
	"path"
	"slices"

	"github.com/harborgen/harborgen/internal/spec"
)

// harbor checks the [harbor] table: paths, job loggers and LDAP.
func harbor(c *check) {
	h := &c.s.Harbor
	dirs(c)
	if slices.Contains(h.JobLoggers, "FILE") {
		if n := len(c.s.NodesWithRole(spec.RoleHarbor)); n >= 2 {
			c.warnf("harbor.job_loggers", `use ["DB"]`,
				"with the FILE job logger a job's log stays on the one of the %d harbor nodes that ran it", n)
		}
	}
	ldap(c)
}

// dirs checks the host directories the compose files mount.
func dirs(c *check) {
	h := &c.s.Harbor
	list := []struct{ key, value string }{{"harbor.data_dir", h.DataDir}, {"harbor.log_dir", h.LogDir}}
	if g := c.s.Database.Galera; g != nil {
		list = append(list, struct{ key, value string }{"database.galera.data_dir", g.DataDir})
	}
	if p := c.s.Database.Patroni; p != nil {
		list = append(list, struct{ key, value string }{"database.patroni.data_dir", p.DataDir})
	}
	list = append(list, struct{ key, value string }{"redis.data_dir", c.s.Redis.DataDir})
	for i, site := range c.s.Sites {
		if site.Redis != nil {
			list = append(list, struct{ key, value string }{spec.JoinIndex("site", i) + ".redis.data_dir", site.Redis.DataDir})
		}
	}
	for _, p := range list {
		if p.value != "" && (!path.IsAbs(p.value) || path.Clean(p.value) != p.value || p.value == "/") {
			c.errorf(p.key, "write a clean absolute path such as /data/harbor", "%q is not a clean absolute directory", p.value)
		}
	}
}

func ldap(c *check) {
	h := &c.s.Harbor
	switch {
	case h.AuthMode == "ldap_auth" && h.LDAP == nil:
		c.errorf("harbor.auth_mode", "add a [harbor.ldap] table with url and base_dn", "auth_mode ldap_auth needs [harbor.ldap]")
		return
	case h.AuthMode != "ldap_auth" && h.LDAP != nil:
		c.warnf("harbor.ldap", `remove it, or set auth_mode = "ldap_auth"`, "[harbor.ldap] is ignored with auth_mode %s", h.AuthMode)
		return
	case h.LDAP == nil:
		return
	}
	if raw := h.LDAP.URL; raw != "" {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "ldap" && u.Scheme != "ldaps") || u.Host == "" {
			c.errorf("harbor.ldap.url", "write ldap://HOST:389 or ldaps://HOST:636", "%q is not an ldap:// or ldaps:// URL", raw)
		}
	}
}

// tls checks that certificates are named by absolute paths on the hosts
// that terminate TLS.
func tls(c *check) {
	t := &c.s.TLS
	if t.Mode == "none" {
		for _, key := range []string{"tls.cert_file", "tls.key_file"} {
			if c.s.Source.Has(key) {
				c.warnf(key, `remove it, or set tls.mode = "lb" or "node"`, "ignored: tls.mode is none")
			}
		}
		return
	}
	for _, f := range []struct{ key, value string }{{"tls.cert_file", t.CertFile}, {"tls.key_file", t.KeyFile}} {
		switch {
		case f.value == "":
			c.errorf(f.key, "add "+f.key+" = \"/etc/harbor/tls/...\"", "tls.mode %s needs %s", t.Mode, f.key)
		case !path.IsAbs(f.value):
			c.errorf(f.key, "write the absolute path of the file on the target hosts", "%q is not an absolute path", f.value)
		}
	}
	if t.Mode == "lb" && len(c.s.NodesWithRole(spec.RoleLB)) == 0 {
		c.errorf(c.first("tls.mode", "tls"), `add a node with the role lb, or use tls.mode = "node"`, "tls.mode lb terminates TLS on the load balancer but no node has the role lb")
	}
}
