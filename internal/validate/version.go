package validate

import (
	"fmt"
	"strings"

	"github.com/harborgen/harborgen/internal/profile"
)

// version checks harbor.version against the profiles, and every setting that
// depends on the Harbor release.
func version(c *check) {
	v := c.s.Harbor.Version
	p := profile.ForVersion(v)
	if p == nil {
		c.errorf("harbor.version", "pick a release in one of the profiles, e.g. 2.15.2",
			"Harbor %s is not supported; the profiles are %s", v, profile.Supported())
		return
	}
	if want := p.DatabaseName; want != "" && c.s.Database.Name != want {
		c.errorf("database.name", fmt.Sprintf("use name = %q", want), "Harbor %s always uses the database %q, not %q", v, want, c.s.Database.Name)
	}
	if engine := c.s.Database.Engine; engine != "" && !p.SupportsEngine(engine) {
		hint := fmt.Sprintf("Harbor %s supports engine = %s", v, quoteAll(p.DatabaseEngines))
		why := ""
		if engine == "galera" || engine == "mariadb" {
			why = " (MySQL/MariaDB support ended in Harbor 1.6.0)"
		}
		c.errorf("database.engine", hint, "Harbor %s (profile %s) cannot use database engine %q%s", v, p.Name, engine, why)
	}
	if !p.SupportsEngine("postgres") {
		for _, key := range []string{"database.conn_max_lifetime", "database.conn_max_idle_time"} {
			if c.s.Source.Has(key) {
				c.warnf(key, "remove it", "Harbor %s's components take no connection lifetime setting (Harbor 2's core does): it is ignored", v)
			}
		}
	}
	for _, sc := range c.s.Scopes() {
		if sc.Redis.Mode == "sentinel" && !profile.Has(v, profile.Sentinel) {
			c.errorf(sc.RedisPath+".mode", "use mode = \"standalone\", or Harbor 2.1 or later",
				"%sRedis Sentinel needs Harbor %s or later; this spec has %s", where(&sc), profile.Sentinel.Since, v)
		}
		if sc.Redis.Mode == "external" && sc.Redis.External != nil && strings.Contains(sc.Redis.External.Host, ",") &&
			!profile.Has(v, profile.Sentinel) {
			c.errorf(sc.RedisPath+".external.host", "name one Redis host:port",
				"%sa list of Sentinel hosts needs Harbor %s or later; this spec has %s", where(&sc), profile.Sentinel.Since, v)
		}
		if ext := sc.Redis.External; sc.Redis.Mode == "external" && ext != nil && ext.Username != "" && !profile.Has(v, profile.RedisUsername) {
			c.errorf(sc.RedisPath+".external.username",
				"use Harbor 2.15 or later, or remove username and let Harbor use the Redis default user (its password as redis_password)",
				"%sHarbor %s's registry cannot send a Redis username (it reads redis.username from %s on, goharbor/harbor#22770): it would AUTH as the default user",
				where(&sc), v, profile.RedisUsername.Since)
		}
		if sc.Redis.Mode == "cluster" && !profile.Has(v, profile.Sentinel) {
			c.errorf(sc.RedisPath+".mode", `use mode = "standalone": one Redis instance`,
				"%sHarbor %s talks to one Redis host:port (registry redis.addr, UI sessions, job queue); a Redis Cluster fails at login with MOVED", where(&sc), v)
		} else if sc.Redis.Mode == "cluster" {
			c.warnf(sc.RedisPath+".mode", "use mode = \"sentinel\" (Harbor 2.1+) or \"standalone\"; --strict makes this an error",
				"%sno Harbor version can use Redis Cluster (MOVED, CROSSSLOT, \"SELECT is not allowed in cluster mode\"); harborgen renders it as asked", where(&sc))
		}
	}
	if c.s.Harbor.WithTrivy && !profile.Has(v, profile.Trivy) {
		c.errorf("harbor.with_trivy", "remove it, or use Harbor 2.x", "Trivy needs Harbor %s or later; this spec has %s", profile.Trivy.Since, v)
	}
	if q := c.s.Harbor.QuotaUpdateProvider; q != "" && !profile.Has(v, profile.QuotaUpdateProvider) {
		c.errorf("harbor.quota_update_provider", "remove it, or use Harbor 2.9 or later",
			"quota_update_provider needs Harbor %s or later; this spec has %s", profile.QuotaUpdateProvider.Since, v)
	}
}

func quoteAll(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, " or ")
}
