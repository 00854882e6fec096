package validate

import (
	"fmt"
	"slices"
	"strings"

	"github.com/harborgen/harborgen/internal/spec"
)

// sites checks the two-site topology: one primary, every node in a declared
// site, and each site with its own Harbor nodes and its own Redis.
func sites(c *check) {
	s := c.s
	if len(s.Sites) == 0 {
		for i, n := range s.Nodes {
			if n.Site != "" {
				c.errorf(nodePath(i, "site"), "declare the site with a [[site]] table, or remove the key", "site %q is not declared", n.Site)
			}
		}
		return
	}
	var names []string
	primaries := 0
	for i, site := range s.Sites {
		if !slices.Contains(names, site.Name) {
			names = append(names, site.Name)
		}
		if site.Primary {
			primaries++
			if primaries == 2 {
				c.errorf(fmt.Sprintf("site[%d].primary", i), "keep primary = true on one site only", "a second primary site; exactly one site is primary")
			}
		}
	}
	if primaries == 0 {
		c.errorf("site", "set primary = true on the site that holds the writable database", "no site is primary; exactly one site must be")
	}
	for i, n := range s.Nodes {
		switch {
		case n.Site != "" && !slices.Contains(names, n.Site):
			c.errorf(nodePath(i, "site"), "declared sites: "+strings.Join(names, ", "), "site %q is not declared", n.Site)
		case n.Site == "" && siteBound(n):
			c.errorf(fmt.Sprintf("node[%d]", i), "add site = \"NAME\" ("+strings.Join(names, ", ")+")",
				"node %q runs Harbor, Redis or a load balancer and must belong to a site", n.Name)
		}
	}
	if c.s.Source.Has("lb.vip") {
		c.warnf("lb.vip", "remove it and set vip in each [[site]]", "lb.vip is ignored with sites: each site has its own VIP")
	}
	redisOwners := map[string]string{}
	for _, sc := range s.Scopes() {
		if len(sc.WithRole(spec.RoleHarbor)) == 0 {
			c.errorf(sc.Path, `add "harbor" to the roles of nodes in this site`, "site %q has no harbor nodes", sc.Site)
		}
		if sc.Redis.Mode != "external" || sc.Redis.External == nil {
			continue
		}
		host := strings.ToLower(strings.TrimSpace(sc.Redis.External.Host))
		if prev, shared := redisOwners[host]; shared {
			c.errorf(sc.RedisPath+".external.host", "give each site its own Redis in [site.redis]",
				"sites %q and %q share the Redis at %s; a site's Harbor nodes never use another site's Redis", prev, sc.Site, sc.Redis.External.Host)
			continue
		}
		redisOwners[host] = sc.Site
	}
}

// siteBound reports whether a node serves one site's tiers.
func siteBound(n spec.Node) bool {
	return n.HasRole(spec.RoleHarbor) || n.HasRole(spec.RoleRedis) || n.HasRole(spec.RoleSentinel) || n.HasRole(spec.RoleLB)
}
