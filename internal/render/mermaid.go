package render

import (
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/harborgen/harborgen/internal/escape"
	"github.com/harborgen/harborgen/internal/plan"
)

// Topology returns the runbook's Mermaid flowchart of the plan: one subgraph
// per site (or one for the cluster), holding its VIP and nodes; the external
// database, external Redis and the storage as their own shapes; arrows from
// the clients to the VIP or balancers, from the balancers to the harbor
// nodes, and from each harbor node to its database, Redis and storage. It
// keeps to what GitHub and GitLab render: flowchart, subgraph, quoted labels.
func Topology(p *plan.Plan) (string, error) {
	d := &diagram{ids: map[string]string{}, seen: map[string]bool{}}
	if err := d.build(p); err != nil {
		return "", fmt.Errorf("topology diagram: %w", err)
	}
	return d.String(), nil
}

type diagram struct {
	lines []string
	edges []string
	seen  map[string]bool
	ids   map[string]string // node address or VIP -> Mermaid id
	next  int
}

func (d *diagram) String() string {
	return strings.Join(append(append([]string{"flowchart LR"}, d.lines...), d.edges...), "\n")
}

// shape adds a Mermaid node: open and close are its shape's brackets.
func (d *diagram) shape(indent, open, close string, parts ...string) (string, error) {
	label, err := escape.MermaidLabel(parts...)
	if err != nil {
		return "", err
	}
	id := fmt.Sprintf("n%d", d.next)
	d.next++
	d.lines = append(d.lines, indent+id+open+label+close)
	return id, nil
}

// edge adds an arrow once; label may be empty.
func (d *diagram) edge(from, arrow, to, label string) error {
	if from == "" || to == "" || from == to { // a node's own tier shows in its roles
		return nil
	}
	e := "  " + from + " " + arrow + " " + to
	if label != "" {
		l, err := escape.MermaidLabel(label)
		if err != nil {
			return err
		}
		e = "  " + from + " " + arrow + "|" + l + "| " + to
	}
	if !d.seen[e] {
		d.seen[e] = true
		d.edges = append(d.edges, e)
	}
	return nil
}

func (d *diagram) build(p *plan.Plan) error {
	clients, err := d.shape("  ", "([", "])", "clients", p.Hostname)
	if err != nil {
		return err
	}
	groups := siteGroups(p)
	for gi, g := range groups {
		title := "cluster " + p.Cluster
		switch {
		case g.site != "" && g.primary:
			title = "site " + g.site + " (primary)"
		case g.site != "":
			title = "site " + g.site
		case len(groups) > 1:
			title = "outside the sites"
		}
		label, err := escape.MermaidLabel(title)
		if err != nil {
			return err
		}
		d.lines = append(d.lines, fmt.Sprintf("  subgraph s%d[%s]", gi, label))
		for _, vip := range g.vips {
			id, err := d.shape("    ", "((", "))", "VIP", vip)
			if err != nil {
				return err
			}
			d.ids[vip] = id
		}
		for _, n := range g.nodes {
			open, close := "[", "]"
			if n.Galera != nil || n.Patroni != nil || n.Redis != nil {
				open, close = "[(", ")]"
			}
			id, err := d.shape("    ", open, close, n.Name, n.Address, strings.Join(n.Roles, ", "))
			if err != nil {
				return err
			}
			d.ids[n.Address] = id
		}
		d.lines = append(d.lines, "  end")
	}
	return d.connect(p, clients, groups)
}

// connect draws the arrows, creating the shapes of what is outside the plan's
// nodes (external database and Redis, the storage) on first use.
func (d *diagram) connect(p *plan.Plan, clients string, groups []siteGroup) error {
	for _, g := range groups {
		for _, vip := range g.vips {
			if err := d.edge(clients, "-->", d.ids[vip], ""); err != nil {
				return err
			}
		}
		for _, n := range g.nodes {
			if n.LB == nil {
				continue
			}
			from := clients
			if len(g.vips) > 0 {
				from = d.ids[g.vips[0]]
			}
			if err := d.edge(from, "-->", d.ids[n.Address], ""); err != nil {
				return err
			}
			if err := d.balancerEdges(n); err != nil {
				return err
			}
		}
	}
	if !slices.ContainsFunc(p.Nodes, func(n plan.Node) bool { return n.LB != nil }) {
		for _, n := range p.Nodes {
			if n.Harbor != nil {
				if err := d.edge(clients, "-->", d.ids[n.Address], ""); err != nil {
					return err
				}
			}
		}
	}
	for _, n := range p.Nodes {
		if err := d.galeraEdges(n); err != nil {
			return err
		}
		if err := d.patroniEdges(n); err != nil {
			return err
		}
		if n.Endpoints == nil {
			continue
		}
		if err := d.tierEdges(n); err != nil {
			return err
		}
	}
	return nil
}

func (d *diagram) balancerEdges(n plan.Node) error {
	from := d.ids[n.Address]
	for _, b := range n.LB.Harbor {
		if err := d.edge(from, "-->", d.ids[b.Address], ""); err != nil {
			return err
		}
	}
	for _, b := range n.LB.Remote {
		if err := d.edge(from, "-.->", d.ids[b.Address], "GET/HEAD fail-over"); err != nil {
			return err
		}
	}
	for _, proxy := range []*plan.TCPProxy{n.LB.Database, n.LB.Redis} {
		if proxy == nil {
			continue
		}
		for _, b := range proxy.Backends {
			label := proxy.Kind + " proxy"
			if proxy.LeaderOnly {
				label += ", to the leader"
			}
			if err := d.edge(from, "-.->", d.ids[b.Address], label); err != nil {
				return err
			}
		}
	}
	return nil
}

// galeraEdges links each Galera member to the bootstrap member.
func (d *diagram) galeraEdges(n plan.Node) error {
	if n.Galera == nil || n.Galera.Bootstrap {
		return nil
	}
	return d.edge(d.ids[n.Galera.BootstrapAddr], "---", d.ids[n.Address], "Galera")
}

// patroniEdges links each Patroni member to the expected leader, which the
// others stream from.
func (d *diagram) patroniEdges(n plan.Node) error {
	p := n.Patroni
	if p == nil || p.ExpectedLeader == p.Name {
		return nil
	}
	for _, m := range p.Members {
		if m.Name == p.ExpectedLeader {
			return d.edge(d.ids[m.Address], "---", d.ids[n.Address], "Patroni streaming")
		}
	}
	return nil
}

// tierEdges draws a harbor node's arrows to its database, Redis and storage.
func (d *diagram) tierEdges(n plan.Node) error {
	from := d.ids[n.Address]
	e := n.Endpoints
	db, err := d.target(e.Database.Host, "[(", ")]", "database (external)", e.Database.String())
	if err != nil {
		return err
	}
	if err := d.edge(from, "-->", db, "database"); err != nil {
		return err
	}
	for _, addr := range e.Redis.Addrs {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			host = addr
		}
		r, err := d.target(host, "[(", ")]", "Redis (external)", addr)
		if err != nil {
			return err
		}
		if err := d.edge(from, "-->", r, "redis "+e.Redis.Mode); err != nil {
			return err
		}
	}
	st := e.Storage
	key := "storage " + st.Driver + " " + st.Location
	id, ok := d.ids[key]
	if !ok {
		if id, err = d.shape("  ", "[(", ")]", "storage: "+st.Driver, st.Location); err != nil {
			return err
		}
		d.ids[key] = id
	}
	return d.edge(from, "-->", id, "storage")
}

// target is the shape of a node or VIP at host, or else a new shape for the
// external service there.
func (d *diagram) target(host, open, close, what, hostport string) (string, error) {
	if id, ok := d.ids[host]; ok {
		return id, nil
	}
	if id, ok := d.ids[what+" "+hostport]; ok {
		return id, nil
	}
	id, err := d.shape("  ", open, close, what, hostport)
	if err != nil {
		return "", err
	}
	d.ids[what+" "+hostport] = id
	return id, nil
}

// siteGroup is the nodes of one site (site "" for a cluster without sites,
// or the nodes outside every site) and its VIPs.
type siteGroup struct {
	site    string
	primary bool
	vips    []string
	nodes   []plan.Node
}

func siteGroups(p *plan.Plan) []siteGroup {
	var groups []siteGroup
	index := map[string]int{}
	for _, s := range p.Sites {
		index[s.Name] = len(groups)
		groups = append(groups, siteGroup{site: s.Name, primary: s.Primary})
	}
	for _, n := range p.Nodes {
		i, ok := index[n.Site]
		if !ok {
			i = len(groups)
			index[n.Site] = i
			groups = append(groups, siteGroup{site: n.Site})
		}
		g := &groups[i]
		g.nodes = append(g.nodes, n)
		if n.LB != nil {
			for _, a := range n.LB.Listen {
				if a != n.Address && !slices.Contains(g.vips, a) {
					g.vips = append(g.vips, a)
				}
			}
		}
	}
	return groups
}
