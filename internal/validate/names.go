package validate

import (
	"fmt"
	"net/netip"

	"github.com/harborgen/harborgen/internal/spec"
)

// names checks that node and site names are unique (the schema checks that
// each is a DNS label, so a name can never escape the output directory).
func names(c *check) {
	nodes := map[string]string{}
	for i, n := range c.s.Nodes {
		path := nodePath(i, "name")
		if prev, dup := nodes[n.Name]; dup && n.Name != "" {
			c.errorf(path, "give every node its own name", "node name %q is already used by %s", n.Name, prev)
			continue
		}
		nodes[n.Name] = fmt.Sprintf("node[%d]", i)
	}
	sites := map[string]string{}
	for i, s := range c.s.Sites {
		path := fmt.Sprintf("site[%d].name", i)
		if prev, dup := sites[s.Name]; dup && s.Name != "" {
			c.errorf(path, "give every site its own name", "site name %q is already used by %s", s.Name, prev)
			continue
		}
		sites[s.Name] = fmt.Sprintf("site[%d]", i)
	}
}

// addresses checks node addresses and VIPs: IP literals, never unspecified,
// unique, and no VIP is a node's address.
func addresses(c *check) {
	owners := map[netip.Addr]string{}
	for i, n := range c.s.Nodes {
		path := nodePath(i, "address")
		if a, ok := c.ipLiteral(path, n.Address); ok {
			if prev, dup := owners[a]; dup {
				c.errorf(path, "give every node its own address", "address %s is already used by %s", n.Address, prev)
				continue
			}
			owners[a] = fmt.Sprintf("node %q", n.Name)
			if a.Is6() && !a.Is4In6() && n.HasRole(spec.RoleGalera) && c.s.Database.Engine == "galera" {
				c.errorf(path, "give the galera members IPv4 addresses",
					"%s is an IPv6 address: harborgen renders Galera (gcomm://, SST, IST) over IPv4 only", n.Address)
			}
		}
	}
	vips := []struct{ path, addr string }{}
	if c.s.LB.VIP != "" {
		vips = append(vips, struct{ path, addr string }{"lb.vip", c.s.LB.VIP})
	}
	for i, s := range c.s.Sites {
		if s.VIP != "" {
			vips = append(vips, struct{ path, addr string }{fmt.Sprintf("site[%d].vip", i), s.VIP})
		}
	}
	for _, v := range vips {
		a, ok := c.ipLiteral(v.path, v.addr)
		if !ok {
			continue
		}
		if prev, dup := owners[a]; dup {
			c.errorf(v.path, "a VIP floats between the load balancers: pick a free address in the same subnet",
				"the VIP %s is also the address of %s", v.addr, prev)
			continue
		}
		owners[a] = "the VIP " + v.path
	}
}

// ipLiteral parses an address and reports why it is unusable.
func (c *check) ipLiteral(path, s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	switch {
	case s == "":
		return a, false // required: reported by the schema
	case err == nil && a.Zone() != "":
		c.errorf(path, "drop the %zone: other hosts cannot use a link-local zone; use a global or unique-local address",
			"%q has an IPv6 zone", s)
		return a, false
	case err != nil:
		c.errorf(path, "Galera and Redis need addresses, not host names: write an IP address such as 10.0.0.11",
			"%q is not an IP address", s)
		return a, false
	case a.IsUnspecified():
		c.errorf(path, "write the address other hosts reach this one at", "%s is the unspecified address", s)
		return a, false
	case a.IsMulticast():
		c.errorf(path, "write a unicast address", "%s is a multicast address", s)
		return a, false
	case a.Is4In6():
		c.errorf(path, fmt.Sprintf("write the IPv4 address itself: %s", a.Unmap()),
			"%s is an IPv4-mapped IPv6 address, which no service can bind (Redis: bind: Invalid argument)", s)
		return a, false
	case a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		c.errorf(path, "write a unicast address", "%s is the broadcast address", s)
		return a, false
	case a.IsLoopback():
		c.warnf(path, "use the address other hosts reach this node at; loopback suits a one-machine test only",
			"%s is a loopback address: no other node can reach it", s)
	}
	return a.Unmap(), true
}

// addrKey is the canonical form of an address for comparisons.
func addrKey(s string) string {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().String()
	}
	return s
}
