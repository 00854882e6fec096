package validate

import (
	"strconv"

	"github.com/harborgen/harborgen/internal/plan"
)

// ports reports two services that would listen on the same address and port,
// naming both owners.
func ports(c *check) {
	taken := map[string]plan.Listener{}
	for _, cl := range plan.Listeners(c.s) {
		if c.broken(cl.AddrPath) {
			continue // a wrong or duplicate address is reported once, by addresses
		}
		key := addrKey(cl.Addr) + " " + strconv.Itoa(cl.Port)
		prev, ok := taken[key]
		if !ok {
			taken[key] = cl
			continue
		}
		if prev.Owner == cl.Owner {
			continue
		}
		// Point at the port the user chose: a fixed port (Galera's 4567)
		// has only the node's roles to point at.
		at := cl.Path
		if !cl.Chosen && prev.Chosen {
			at = prev.Path
		}
		c.errorf(at, "change one of the two ports, or move one role to another node",
			"port %d on %s is used by both %s and %s", cl.Port, cl.Addr, prev.Owner, cl.Owner)
	}
}
