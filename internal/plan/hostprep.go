package plan

import (
	"fmt"
	"net/netip"
	"path"
	"strconv"
	"strings"

	"github.com/harborgen/harborgen/internal/profile"
)

// HostPrep is what a node's prepare-host.sh makes true before anything of
// the node starts, and checks with --check: every step an operator would
// otherwise do by hand on the host.
type HostPrep struct {
	// Dirs are the bind-mounted host directories the node's containers
	// write, owned by the user each container writes them as.
	Dirs []HostDir `json:"dirs,omitempty"`
	// SecretsDir: the node has a secrets/ directory (it must be copied
	// before the script runs). Secrets are its files that a container reads
	// as a user other than root; every other file there is root's, 0600.
	SecretsDir bool         `json:"secrets_dir"`
	Secrets    []SecretFile `json:"secrets,omitempty"`
	// Sysctls are written to SysctlFile (persistent) and set live.
	SysctlFile string   `json:"sysctl_file,omitempty"`
	Sysctls    []Sysctl `json:"sysctls,omitempty"`
	// Required are host files the spec names (TLS), checked to exist; one
	// with an owner is given to it.
	Required []HostFile `json:"required,omitempty"`
	// Keepalived runs from the host's distribution package on an lb node
	// that carries a VIP with others (docs/harbor-2.15-prepare.md says why).
	Keepalived *HostKeepalived `json:"keepalived,omitempty"`
}

// TLSOwners reports whether a required file is given an owner.
func (hp *HostPrep) TLSOwners() bool {
	for _, f := range hp.Required {
		if f.Owner != "" {
			return true
		}
	}
	return false
}

// HostDir is one host directory with its owner and mode.
type HostDir struct {
	Path string `json:"path"`
	UID  int    `json:"uid"`
	GID  int    `json:"gid"`
	Mode string `json:"mode"` // octal, e.g. 0755
	Why  string `json:"why"`
}

// Owner is uid:gid, as chown and stat -c %u:%g write it.
func (d HostDir) Owner() string { return owner(d.UID, d.GID) }

// SecretFile is a file of the node's secrets/ directory with its owner.
type SecretFile struct {
	Name string `json:"name"` // under secrets/
	UID  int    `json:"uid"`
	GID  int    `json:"gid"`
	Mode string `json:"mode"`
	Why  string `json:"why"`
}

// Owner is uid:gid.
func (f SecretFile) Owner() string { return owner(f.UID, f.GID) }

// Sysctl is one kernel setting.
type Sysctl struct {
	Key   string `json:"key"`
	Value string `json:"value"`
	Why   string `json:"why"`
}

// ProcPath is the key's file under /proc/sys.
func (s Sysctl) ProcPath() string { return "/proc/sys/" + strings.ReplaceAll(s.Key, ".", "/") }

// HostFile is a file the spec names on the host.
type HostFile struct {
	Path  string `json:"path"`
	Owner string `json:"owner,omitempty"` // uid:gid to give it; empty: left as it is
	Why   string `json:"why"`
}

// HostKeepalived is keepalived from the distribution package: the rendered
// files installed where the package's keepalived reads them.
type HostKeepalived struct {
	Package string        `json:"package"`
	Service string        `json:"service"` // the systemd unit
	Files   []InstallFile `json:"files"`
}

// InstallFile is a file of the node's directory copied onto the host.
type InstallFile struct {
	Source string `json:"source"` // relative to nodes/<node>/
	Dest   string `json:"dest"`
	Mode   string `json:"mode"`
}

// The users of the official images that write host directories: the
// mariadb image's mysql user (MariaDB/mariadb-docker, useradd -r on Ubuntu,
// 999) and the redis image's redis user (docker-library/redis, -u 999). Both
// entrypoints start as root and drop to them.
const (
	mariadbUID = 999
	redisUID   = 999
)

// Where the distribution's keepalived reads its configuration; the rendered
// keepalived.conf names the check script and the authentication include at
// these paths.
const (
	keepalivedDir     = "/etc/keepalived"
	keepalivedConf    = keepalivedDir + "/keepalived.conf"
	keepalivedCheck   = keepalivedDir + "/check-balancer.sh"
	keepalivedAuthInc = keepalivedDir + "/keepalived-auth.conf"
)

// hostPrep derives a node's host preparation from the rest of its plan.
func hostPrep(cluster string, prof *profile.Profile, n *Node) *HostPrep {
	hp := &HostPrep{SecretsDir: hasSecrets(n)}
	if n.Harbor != nil {
		harborHost(hp, prof, n)
	}
	if g := n.Galera; g != nil {
		hp.addDir(g.DataDir, mariadbUID, mariadbUID, "0750", "MariaDB's data directory, written by the mariadb image's mysql user (999)")
	}
	if p := n.Patroni; p != nil {
		hp.addDir(p.DataDir, postgresUID, postgresUID, "0700",
			"PostgreSQL's data (pgdata below it), written by the postgres image's postgres user (999) that Patroni runs as")
	}
	if e := n.Etcd; e != nil {
		hp.addDir(e.DataDir, etcdUID, etcdUID, "0700", "etcd's data directory (Patroni's store), written by etcd as root")
	}
	if r := n.Redis; r != nil {
		for _, in := range r.Instances {
			hp.addDir(path.Join(r.DataDir, strconv.Itoa(in.Port)), redisUID, redisUID, "0750",
				fmt.Sprintf("Redis %d's data and working configuration, written by the redis image's redis user (999)", in.Port))
		}
	}
	if s := n.Sentinel; s != nil {
		hp.addDir(path.Join(s.DataDir, "sentinel"), redisUID, redisUID, "0750",
			"Sentinel's working configuration, which Sentinel rewrites as the redis user (999)")
	}
	if lb := n.LB; lb != nil {
		balancerHost(hp, cluster, lb)
	}
	return hp
}

// harborHost adds a harbor node's directories, secret owners and TLS files.
func harborHost(hp *HostPrep, prof *profile.Profile, n *Node) {
	h := n.Harbor
	uid, gid := prof.HarborUID, prof.HarborGID
	for _, d := range prof.HostDirs {
		if d.When == "trivy" && !h.WithTrivy {
			continue
		}
		var base string
		switch d.Base {
		case "data_dir":
			base = h.DataDir
		case "log_dir":
			base = h.LogDir
		case "storage":
			if n.Endpoints == nil || n.Endpoints.Storage.Driver != "filesystem" {
				continue
			}
			base = n.Endpoints.Storage.Path
		}
		if base == "" {
			continue
		}
		hp.addDir(path.Join(base, d.Path), uid, gid, "0755", d.Why)
	}
	for _, f := range prof.Files {
		if f.Owner != "harbor" || (f.When == "trivy" && !h.WithTrivy) {
			continue
		}
		hp.Secrets = append(hp.Secrets, SecretFile{Name: strings.TrimPrefix(f.Path, "secrets/"), UID: uid, GID: gid, Mode: "0600",
			Why: "mounted into a Harbor container that reads it as uid " + strconv.Itoa(uid)})
	}
	if h.HTTPSPort != 0 {
		why := "tls.%s: Harbor's proxy (nginx-photon) reads it as uid %d (Harbor's prepare copies it to a file of that user)"
		hp.Required = append(hp.Required,
			HostFile{Path: h.TLSCertFile, Owner: owner(uid, gid), Why: fmt.Sprintf(why, "cert_file", uid)},
			HostFile{Path: h.TLSKeyFile, Owner: owner(uid, gid), Why: fmt.Sprintf(why, "key_file", uid)})
	}
}

// balancerHost adds an lb node's TLS files, its non-local bind sysctl and
// keepalived.
func balancerHost(hp *HostPrep, cluster string, lb *Balancer) {
	if lb.TLS == "lb" {
		hp.Required = append(hp.Required,
			HostFile{Path: lb.CertFile, Why: "tls.cert_file: the load balancer terminates TLS with it"},
			HostFile{Path: lb.KeyFile, Why: "tls.key_file: the load balancer terminates TLS with it"})
	}
	for _, addr := range lb.Listen[1:] { // the VIP
		family := "ipv4"
		if a, err := netip.ParseAddr(addr); err == nil && a.Is6() && !a.Is4In6() {
			family = "ipv6"
		}
		hp.Sysctls = append(hp.Sysctls, Sysctl{Key: "net." + family + ".ip_nonlocal_bind", Value: "1",
			Why: "the balancer binds the VIP " + addr + " also while the peer holds it"})
	}
	if len(hp.Sysctls) > 0 {
		hp.SysctlFile = "/etc/sysctl.d/90-harborgen-" + cluster + ".conf"
	}
	if lb.Keepalived != nil {
		hp.Keepalived = &HostKeepalived{Package: "keepalived", Service: "keepalived", Files: []InstallFile{
			{Source: "lb/keepalived.conf", Dest: keepalivedConf, Mode: "0644"},
			{Source: "lb/check-balancer.sh", Dest: keepalivedCheck, Mode: "0755"},
			{Source: "secrets/keepalived-auth.conf", Dest: keepalivedAuthInc, Mode: "0600"},
		}}
	}
}

// hasSecrets reports whether render writes a secrets/ directory for the
// node: every harbor, galera, postgres and ceph-admin node, Redis and Sentinel with a
// password, keepalived, and HAProxy checking a Redis with a password.
func hasSecrets(n *Node) bool {
	switch {
	case n.Harbor != nil, n.Galera != nil, n.RGW != nil, n.Patroni != nil:
		return true
	case n.Redis != nil && n.Redis.Auth, n.Sentinel != nil && n.Sentinel.Auth:
		return true
	case n.LB != nil && (n.LB.Keepalived != nil || (n.LB.Kind == "haproxy" && n.LB.Redis != nil && n.LB.Redis.Auth)):
		return true
	}
	return false
}

// addDir adds a directory once; the first owner of a path wins.
func (hp *HostPrep) addDir(p string, uid, gid int, mode, why string) {
	for _, d := range hp.Dirs {
		if d.Path == p {
			return
		}
	}
	hp.Dirs = append(hp.Dirs, HostDir{Path: p, UID: uid, GID: gid, Mode: mode, Why: why})
}

func owner(uid, gid int) string { return strconv.Itoa(uid) + ":" + strconv.Itoa(gid) }

// PrepareHostScript is the host preparation of every node.
const PrepareHostScript = "./prepare-host.sh"

// hostSteps are the first step of every node: prepare its host.
func hostSteps(nodes []Node) []Step {
	out := make([]Step, 0, len(nodes))
	for _, n := range nodes {
		out = append(out, Step{Node: n.Name, Action: n.Host.action(),
			Command: PrepareHostScript, Check: PrepareHostScript + " --check", Expect: []string{"prepare-host: node " + n.Name + " is ready"}})
	}
	return out
}

// action says what the script does on this node, for the runbook.
func (hp *HostPrep) action() string {
	var what []string
	if len(hp.Dirs) > 0 {
		what = append(what, "its data directories with their owners")
	}
	if hp.SecretsDir {
		what = append(what, "the owners of secrets/")
	}
	for _, s := range hp.Sysctls {
		what = append(what, s.Key)
	}
	if len(hp.Required) > 0 {
		what = append(what, "the TLS files")
	}
	if hp.Keepalived != nil {
		what = append(what, "keepalived (package, configuration, service)")
	}
	if len(what) == 0 {
		return "prepare the host, as root (nothing to set up on this node; the check says so)"
	}
	again := ""
	if hp.SecretsDir {
		again = "; run it again after every copy of secrets/"
	}
	return "prepare the host, as root: " + strings.Join(what, ", ") + again
}
