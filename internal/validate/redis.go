package validate

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/harborgen/harborgen/internal/spec"
)

// redis checks each scope's Redis layout: one standalone instance, a Sentinel
// quorum that is a majority, or a Cluster big enough for its replicas.
func redis(c *check) {
	for _, sc := range c.s.Scopes() {
		redisScope(c, &sc)
	}
}

func redisScope(c *check, sc *spec.Scope) {
	r, base, label := &sc.Redis, sc.RedisPath, where(sc)
	nodes := sc.WithRole(spec.RoleRedis)
	instances := len(nodes) * len(r.Ports)
	checkSize(c, base+".maxmemory", r.MaxMemory)
	switch r.Mode {
	case "standalone":
		if len(nodes) > 0 && instances != 1 {
			at := c.first(base+".ports", base+".mode")
			if second := nthWithRole(sc, spec.RoleRedis, 1); second >= 0 { // the roles made it two
				at = fmt.Sprintf("node[%d].roles", second)
			}
			c.errorf(at, `use one redis node and one port, or mode = "sentinel" for replicas`,
				"%sstandalone Redis is one instance; this spec has %d (%s x %s)", label, instances, plural(len(nodes), "redis node"), plural(len(r.Ports), "port"))
		}
	case "sentinel":
		sentinel(c, sc, nodes)
	case "cluster":
		cluster(c, sc, nodes, instances)
	case "external":
		if r.External == nil {
			c.errorf(base+".mode", `add [redis.external] with host = "ADDRESS:PORT"`, "%smode external needs [redis.external]", label)
			return
		}
		for _, hp := range strings.Split(r.External.Host, ",") {
			if _, port, err := net.SplitHostPort(strings.TrimSpace(hp)); err != nil || !validPort(port) {
				c.errorf(base+".external.host", `write host:port, e.g. "10.0.0.6:6379", or a comma-separated list of Sentinels`,
					"%s%q is not host:port", label, hp)
				return
			}
		}
	}
	if r.Mode != "external" && c.s.Source.Has(base+".external") {
		c.errorf(base+".external", `remove it, or set mode = "external"`, "%s[redis.external] is only for mode external", label)
	}
}

func sentinel(c *check, sc *spec.Scope, nodes []spec.Node) {
	r, base, label := &sc.Redis, sc.RedisPath, where(sc)
	if len(r.Ports) > 1 {
		c.errorf(base+".ports", "give one port: the master and each replica run on ports[0] of their redis node",
			"%ssentinel mode runs one Redis instance per redis node", label)
	}
	if len(nodes) == 1 {
		c.warnf(base+".mode", `add "redis" to the roles of a second node`,
			"%sone redis node has no replica for Sentinel to promote", label)
	}
	n := len(sc.WithRole(spec.RoleSentinel))
	if n == 0 {
		return // reported by roles
	}
	if n < 3 {
		c.warnf(base+".mode", `add "sentinel" to the roles of three nodes`,
			"%swith %s, losing one leaves no majority to agree on a failover", label, plural(n, "sentinel"))
	}
	switch q := r.Quorum; {
	case q > n:
		c.errorf(c.first(base+".quorum", base+".mode"), "set quorum to "+quorumRange(n),
			"%squorum %d is more than the %s: no failover could ever be agreed", label, q, plural(n, "sentinel"))
	case q < n/2+1:
		c.errorf(c.first(base+".quorum", base+".mode"), "set quorum to "+quorumRange(n),
			"%squorum %d is not a majority of the %s", label, q, plural(n, "sentinel"))
	}
}

func quorumRange(n int) string {
	lo := n/2 + 1
	if lo == n {
		return strconv.Itoa(n)
	}
	return strconv.Itoa(lo) + ".." + strconv.Itoa(n)
}

func cluster(c *check, sc *spec.Scope, nodes []spec.Node, instances int) {
	r, base, label := &sc.Redis, sc.RedisPath, where(sc)
	if len(nodes) == 0 {
		return
	}
	if need := 3 * (r.Replicas + 1); instances < need {
		c.errorf(c.first(base+".ports", base+".mode"), "add redis nodes or ports",
			"%sa Redis Cluster with %s per master needs at least %d instances (3 masters); this spec has %d",
			label, plural(r.Replicas, "replica"), need, instances)
	}
	addrs := map[string]bool{}
	for _, n := range nodes {
		addrs[addrKey(n.Address)] = true
	}
	if len(addrs) < r.Replicas+1 {
		c.errorf(c.first(base+".replicas", base+".mode"), "add redis nodes on other addresses, or lower replicas",
			"%s%s per master need %d distinct addresses so no replica shares an address with its master; the redis nodes have %d",
			label, plural(r.Replicas, "replica"), r.Replicas+1, len(addrs))
	}
}

func validPort(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n >= 1 && n <= 65535
}

// plural writes a count with its noun: "1 sentinel", "2 sentinels".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// nthWithRole is the spec index of the scope's n-th node (from 0) with a
// role, or -1.
func nthWithRole(sc *spec.Scope, role string, n int) int {
	for k, node := range sc.Nodes {
		if node.HasRole(role) {
			if n == 0 {
				return sc.NodeIndex[k]
			}
			n--
		}
	}
	return -1
}
