package plan

import (
	"fmt"
	"io"
	"strings"
)

// WriteText prints the plan for a person: per node its services, ports and
// endpoints, then the bootstrap order.
func WriteText(w io.Writer, p *Plan) error {
	var b strings.Builder
	fmt.Fprintf(&b, "cluster %s (%s): Harbor %s, profile %s\n", p.Cluster, p.Hostname, p.HarborVersion, p.Profile)
	fmt.Fprintf(&b, "containers %s\n", ContainerName(p.Cluster, "<service>"))
	for _, site := range p.Sites {
		primary := ""
		if site.Primary {
			primary = " (primary)"
		}
		fmt.Fprintf(&b, "site %s%s vip %s\n", site.Name, primary, site.VIP)
	}
	for _, n := range p.Nodes {
		site := ""
		if n.Site != "" {
			site = " site " + n.Site
		}
		fmt.Fprintf(&b, "\nnode %s %s%s [%s]\n", n.Name, n.Address, site, strings.Join(n.Roles, " "))
		for _, s := range n.Services {
			image := s.Image
			if g := n.Galera; s.Name == "galera" && g != nil && len(g.ImagePackages) > 0 {
				image += " + " + strings.Join(g.ImagePackages, " ") + " (built: galera/Dockerfile)"
			}
			if pg := n.Patroni; s.Name == "patroni" && pg != nil {
				image += " + " + strings.Join(pg.ImagePackages, " ") + " (built: patroni/Dockerfile)"
			}
			fmt.Fprintf(&b, "  service  %-14s %s\n", s.Name, image)
		}
		for _, l := range n.Listens {
			fmt.Fprintf(&b, "  listens  %-14d %s\n", l.Port, l.Owner)
		}
		writePatroniText(&b, n)
		if e := n.Endpoints; e != nil {
			fmt.Fprintf(&b, "  database %s via %s\n", e.Database, e.Database.Via)
			master := ""
			if e.Redis.MasterSet != "" {
				master = " master " + e.Redis.MasterSet
			}
			fmt.Fprintf(&b, "  redis    %s %s%s via %s\n", e.Redis.Mode, strings.Join(e.Redis.Addrs, ","), master, e.Redis.Via)
			fmt.Fprintf(&b, "  storage  %s %s\n", e.Storage.Driver, e.Storage.Location)
		}
		if h := n.Harbor; h != nil {
			fmt.Fprintf(&b, "  harbor   %s, quota_update_provider %s, job loggers %s\n", h.ExtEndpoint, h.QuotaUpdateProvider, strings.Join(h.JobLoggers, ","))
			fmt.Fprintf(&b, "  pool     %s\n", h.Database.PoolNote)
			fmt.Fprintf(&b, "  syslog   %s (the log container; every other container logs to it)\n", h.Syslog)
			fmt.Fprintf(&b, "  urls     core %s registry %s\n", h.Redis.Core.String(""), h.Redis.Registry.String(""))
			for _, ca := range h.TrustCA {
				fmt.Fprintf(&b, "  trusts   %s at %s\n", ca.Source, ca.Target)
			}
			if px := h.Proxy; px != nil {
				fmt.Fprintf(&b, "  proxy    http %s https %s for %s, no_proxy %s\n", px.HTTPProxy, px.HTTPSProxy, strings.Join(px.Components, ","), px.NoProxy)
			}
		}
		writeHostText(&b, n.Host)
	}
	b.WriteString("\nbootstrap order:\n")
	for i, s := range p.Steps {
		fmt.Fprintf(&b, "  %2d. %s: %s\n      $ %s\n", i+1, s.Node, s.Action, s.Command)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writePatroniText prints a postgres member's cluster and an etcd member's
// store: the members and the leader expected after the runbook.
func writePatroniText(b *strings.Builder, n Node) {
	if p := n.Patroni; p != nil {
		names := make([]string, len(p.Members))
		for i, m := range p.Members {
			names[i] = m.Name + " " + m.Address
		}
		sync := "asynchronous"
		if p.SynchronousMode {
			sync = "synchronous_mode"
		}
		fmt.Fprintf(b, "  patroni  scope %s, PostgreSQL %d, members %s; expected leader %s; %s, ttl %ds loop_wait %ds\n",
			p.Scope, p.PostgresVersion, strings.Join(names, ", "), p.ExpectedLeader, sync, p.TTL, p.LoopWait)
		fmt.Fprintf(b, "  patroni  dcs etcd %s\n", strings.Join(p.DCS, ","))
	}
	if e := n.Etcd; e != nil {
		fmt.Fprintf(b, "  etcd     member %s of %s\n", e.Name, e.InitialCluster)
	}
}

// writeHostText prints what prepare-host.sh sets up on a node.
func writeHostText(b *strings.Builder, hp *HostPrep) {
	if hp == nil {
		return
	}
	for _, d := range hp.Dirs {
		fmt.Fprintf(b, "  host     dir %s %s %s\n", d.Path, d.Owner(), d.Mode)
	}
	for _, f := range hp.Secrets {
		fmt.Fprintf(b, "  host     secret secrets/%s %s %s\n", f.Name, f.Owner(), f.Mode)
	}
	for _, s := range hp.Sysctls {
		fmt.Fprintf(b, "  host     sysctl %s=%s in %s\n", s.Key, s.Value, hp.SysctlFile)
	}
	for _, f := range hp.Required {
		owner := ""
		if f.Owner != "" {
			owner = " " + f.Owner
		}
		fmt.Fprintf(b, "  host     file %s%s\n", f.Path, owner)
	}
	if k := hp.Keepalived; k != nil {
		fmt.Fprintf(b, "  host     package %s (service %s)\n", k.Package, k.Service)
		for _, f := range k.Files {
			fmt.Fprintf(b, "  host     install %s %s %s\n", f.Source, f.Dest, f.Mode)
		}
	}
}
