package validate

import (
	"fmt"

	"github.com/harborgen/harborgen/internal/spec"
)

// database checks the database tables, the Galera membership and the
// connection pool arithmetic.
func database(c *check) {
	db := &c.s.Database
	switch db.Engine {
	case "galera":
		if c.s.Source.Has("database.external") {
			c.errorf("database.external", "remove [database.external]: harborgen renders the Galera cluster",
				"[database.external] is for engine mariadb or postgres, not galera")
		}
		galera(c)
	case "patroni":
		patroni(c)
	case "mariadb", "postgres":
		if db.External == nil {
			c.errorf("database.engine", `add [database.external] with host = "ADDRESS"`,
				"engine %s is an external database: [database.external] is required", db.Engine)
		}
		if db.Engine == "mariadb" && c.s.Source.Has("database.external.ssl_mode") {
			c.warnf("database.external.ssl_mode", "remove it", "ssl_mode applies to postgres only and is ignored")
		}
	}
	// A rendered engine's table under another engine would be ignored.
	for _, engine := range []string{"galera", "patroni"} {
		if table := "database." + engine; db.Engine != "" && db.Engine != engine && c.s.Source.Has(table) {
			c.errorf(table, fmt.Sprintf("remove [%s], or set engine = %q", table, engine), "[%s] is only for engine %s", table, engine)
		}
	}
	pool(c)
}

func galera(c *check) {
	g := c.s.Database.Galera
	members := c.s.NodesWithRole(spec.RoleGalera)
	quorum(c, c.first("database.galera", "database.engine"), spec.RoleGalera, len(members),
		"Galera needs at least 3 members to keep quorum when one fails; this spec has %d",
		"%d Galera members can split in two equal halves and lose quorum (split brain)")
	if g == nil {
		return
	}
	if g.BootstrapNode != "" && len(members) > 0 && !containsNode(members, g.BootstrapNode) {
		c.errorf("database.galera.bootstrap_node", "name a node with the role galera: "+nodeNames(members),
			"bootstrap node %q is not a Galera member", g.BootstrapNode)
	}
	for _, f := range []struct{ key, value string }{{"buffer_pool_size", g.BufferPoolSize}, {"gcache_size", g.GcacheSize}} {
		checkSize(c, "database.galera."+f.key, f.value)
	}
}

// pool checks that every Harbor core's connection pool fits the database:
// beyond max_connections the database refuses connections and the health
// checks restart everything.
func pool(c *check) {
	db := &c.s.Database
	harbors := len(c.s.NodesWithRole(spec.RoleHarbor))
	if harbors == 0 || db.MaxConnections <= 0 {
		return
	}
	if db.MaxOpenConns == 0 {
		c.warnf(c.first("database.max_open_conns", "database"), fmt.Sprintf("set max_open_conns to at most %d", db.MaxConnections*8/10/harbors),
			"max_open_conns = 0 means unlimited: %d harbor nodes can exhaust max_connections = %d", harbors, db.MaxConnections)
		return
	}
	total := db.MaxOpenConns * harbors
	path := c.first("database.max_open_conns", "database.max_connections", "database")
	arith := fmt.Sprintf("max_open_conns %d x %d harbor nodes = %d", db.MaxOpenConns, harbors, total)
	switch {
	case total > db.MaxConnections:
		hint := fmt.Sprintf("lower max_open_conns to %d or less, or raise max_connections to %d or more", db.MaxConnections/harbors, total)
		if db.MaxConnections < harbors { // not one connection per core: lowering cannot help
			hint = fmt.Sprintf("raise max_connections to %d or more (max_open_conns x harbor nodes); %d cannot give each of %d harbor nodes a connection", total, db.MaxConnections, harbors)
		}
		c.errorf(path, hint,
			"%s exceeds the database's max_connections = %d", arith, db.MaxConnections)
	case total*10 > db.MaxConnections*8:
		c.warnf(path, fmt.Sprintf("keep it at or under 80%%: max_open_conns %d or less", db.MaxConnections*8/10/harbors),
			"%s is above 80%% of max_connections = %d, leaving little for maintenance and failover", arith, db.MaxConnections)
	}
	if db.MaxIdleConns > db.MaxOpenConns {
		c.warnf(c.first("database.max_idle_conns", "database"), "set max_idle_conns to max_open_conns or less",
			"max_idle_conns %d is above max_open_conns %d; Go's database pool lowers it", db.MaxIdleConns, db.MaxOpenConns)
	}
}

// quorum checks the member count of a cluster that needs a majority: fewer
// than 3 is an error (tooFew gets the count), an even count a warning (even
// gets it). No member at all is reported by roles.
func quorum(c *check, path, role string, n int, tooFew, even string) {
	switch {
	case n == 0:
	case n < 3:
		c.errorf(path, fmt.Sprintf("add %q to the roles of at least three nodes", role), tooFew, n)
	case n%2 == 0:
		c.warnf(path, "use an odd number of members (3, 5, 7)", even, n)
	}
}

func checkSize(c *check, path, value string) {
	if value == "" {
		return
	}
	n, err := spec.ParseSize(value)
	switch {
	case err != nil:
		c.errorf(path, "write a size such as 512M, 1G or 2gb", "%v", err)
	case n == 0:
		c.errorf(path, "write a size larger than 0", "size %q is zero", value)
	}
}

func containsNode(nodes []spec.Node, name string) bool {
	for _, n := range nodes {
		if n.Name == name {
			return true
		}
	}
	return false
}

func nodeNames(nodes []spec.Node) string {
	out := ""
	for i, n := range nodes {
		if i > 0 {
			out += ", "
		}
		out += n.Name
	}
	return out
}
