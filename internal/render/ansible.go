package render

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/harborgen/harborgen/internal/escape"
	"github.com/harborgen/harborgen/internal/plan"
	"github.com/harborgen/harborgen/internal/tree"
)

// The Ansible hand-off: out/ansible/inventory.yml and out/ansible/site.yml,
// rendered from the same plan.Plan.Steps as the runbook, so a step added to
// the plan is in both.

// ansibleData is what the templates under ansible/ see.
type ansibleData struct {
	Header string
	Plan   *plan.Plan
	Groups []ansibleGroup
	Files  []ansibleNodeFiles
	Plays  []ansiblePlay
}

// ansibleGroup is an inventory group: one per role, one per site, and the
// cluster.
type ansibleGroup struct {
	Name  string
	Hosts []string
}

// ansibleNodeFiles are the committed files of one node (nodes/<node>/
// without secrets/).
type ansibleNodeFiles struct {
	Node  string
	Files []ansibleFile
}

type ansibleFile struct {
	Path string
	Mode string
}

// ansiblePlay is a run of consecutive plan steps with the same command on
// different nodes (named by their action when they share it): one play, its hosts in the runbook's order.
type ansiblePlay struct {
	First, Last int // the runbook's step numbers, 1-based
	Action      string
	Command     string
	Tier        string
	Hosts       []string
	Checks      []ansibleCheck // one per host, or none
	Serial      bool
	// ChangedWhen is the Jinja test of the command's registered result
	// (harborgen_step) that tells a change from a run that changed nothing.
	ChangedWhen string
	// Pools: for a play that (re)starts harbor nodes, the balancers whose
	// HAProxy holds each node, drained before its restart and readied after
	// its check (lb/haproxy-pool.sh). nginx has no runtime API (README).
	Pools []ansiblePool
}

// ansiblePool is a harbor node and the lb nodes that balance to it.
type ansiblePool struct {
	Node      string
	Balancers []string
}

type ansibleCheck struct {
	Node  string
	Check string
}

// stepRule says, for a command of the plan, its tier (the play's tag) and
// how its output tells a change apart from a run that found nothing to do.
// Every command of the plan must match one rule (TestAnsibleEveryStepKnown).
type stepRule struct {
	prefix  string
	tier    string
	changed string // Jinja test on harborgen_step
}

var stepRules = []stepRule{
	{"./prepare-host.sh", "host", "harborgen_step.stdout is not search('nothing to change')"},
	{"bash rgw-user.sh", "ceph", "harborgen_step.stdout is search('(created|set the)')"},
	{"./galera-bootstrap.sh", "galera", "harborgen_step.stdout is not search('already up')"},
	{"./galera-join.sh", "galera", "harborgen_step.stdout is not search('already Synced')"},
	// CREATE ... IF NOT EXISTS and ALTER USER to the same password: the
	// script cannot tell whether it changed anything, and a repeated run
	// changes nothing.
	{"./galera-init-db.sh", "galera", "false"},
	{"./harbor-schema.sh", "galera", "harborgen_step.stdout is not search('nothing loaded')"},
	{"docker compose up -d galera", "galera", composeChanged},
	{"docker compose up -d etcd", "patroni", composeChanged},
	{"docker compose up -d patroni", "patroni", composeChanged},
	{"./patroni-init-db.sh", "patroni", "harborgen_step.stdout is search('created now')"},
	{"docker compose up -d redis", "redis", composeChanged},
	{"docker compose up -d sentinel", "redis", composeChanged},
	{"docker compose up -d redis-", "redis", composeChanged}, // Redis Cluster instances
	{"./redis-cluster-create.sh", "redis", "harborgen_step.stdout is not search('nothing to do')"},
	{"./replication-setup.sh", "harbor", "harborgen_step.stdout is search('(created|now points)')"},
}

// composeChanged: docker compose up -d says Created, Recreated or Started
// for what it changed, Running for what it left alone.
const composeChanged = "(harborgen_step.stdout ~ harborgen_step.stderr) is search('(Created|Recreated|Started|Pulled)')"

// ansibleRule finds the rule of a step; "docker compose up -d" alone (every
// service of the node) is Harbor's or the load balancer's, told by the node.
func ansibleRule(s plan.Step, n *plan.Node) (stepRule, error) {
	if s.Command == "docker compose up -d" {
		if n != nil && n.Harbor != nil {
			return stepRule{s.Command, "harbor", composeChanged}, nil
		}
		if n != nil && n.LB != nil {
			return stepRule{s.Command, "lb", composeChanged}, nil
		}
	}
	for _, r := range stepRules {
		if s.Command == r.prefix || strings.HasPrefix(s.Command, r.prefix+" ") ||
			strings.HasSuffix(r.prefix, "-") && strings.HasPrefix(s.Command, r.prefix) {
			return r, nil
		}
	}
	return stepRule{}, fmt.Errorf("ansible: step %q of node %s has no rule (internal/render/ansible.go stepRules)", s.Command, s.Node)
}

// checkProse is a check's trailing explanation for people, "(a second run
// ...)": the playbook runs the command before it.
var checkProse = regexp.MustCompile(` \([^()]*\)$`)

// checkCommand is the command part of a step's check.
func checkCommand(c string) string {
	return checkProse.ReplaceAllString(c, "")
}

// groupName makes an inventory group name Ansible accepts without warning.
func groupName(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

func buildAnsible(p *plan.Plan, header string, t *tree.Tree) (*ansibleData, error) {
	d := &ansibleData{Header: header, Plan: p}
	order := make(map[string]int, len(p.Nodes))
	nodes := make(map[string]*plan.Node, len(p.Nodes))
	groups := map[string][]string{}
	for i := range p.Nodes {
		n := &p.Nodes[i]
		order[n.Name] = i
		nodes[n.Name] = n
		for _, r := range n.Roles {
			groups[groupName(r)] = append(groups[groupName(r)], n.Name)
		}
		if n.Site != "" {
			groups["site_"+groupName(n.Site)] = append(groups["site_"+groupName(n.Site)], n.Name)
		}
	}
	all := make([]string, 0, len(p.Nodes))
	for _, n := range p.Nodes {
		all = append(all, n.Name)
	}
	cluster := "cluster_" + groupName(p.Cluster)
	if _, dup := groups[cluster]; dup {
		return nil, fmt.Errorf("ansible: group %s is both a role or site and the cluster", cluster)
	}
	groups[cluster] = all
	names := make([]string, 0, len(groups))
	for g := range groups {
		names = append(names, g)
	}
	slices.Sort(names)
	for _, g := range names {
		d.Groups = append(d.Groups, ansibleGroup{Name: g, Hosts: groups[g]})
	}

	// Committed files per node.
	files := map[string]*ansibleNodeFiles{}
	for _, f := range t.Files() {
		rest, ok := strings.CutPrefix(f.Path, "nodes/")
		if !ok || f.Secret {
			continue
		}
		node, rel, ok := strings.Cut(rest, "/")
		if !ok {
			continue
		}
		nf := files[node]
		if nf == nil {
			nf = &ansibleNodeFiles{Node: node}
			files[node] = nf
		}
		mode := tree.ModeConfig
		if f.Mode != 0 {
			mode = f.Mode
		}
		nf.Files = append(nf.Files, ansibleFile{Path: rel, Mode: fmt.Sprintf("%04o", mode)})
	}
	for _, n := range p.Nodes {
		if nf := files[n.Name]; nf != nil {
			d.Files = append(d.Files, *nf)
		}
	}

	// Plays: consecutive steps of one command on nodes in inventory order.
	for i, s := range p.Steps {
		r, err := ansibleRule(s, nodes[s.Node])
		if err != nil {
			return nil, err
		}
		if len(d.Plays) > 0 {
			last := &d.Plays[len(d.Plays)-1]
			prev := p.Steps[i-1]
			if prev.Command == s.Command && last.Tier == r.tier &&
				(prev.Check == "") == (s.Check == "") && order[s.Node] > order[prev.Node] {
				last.Last = i + 1
				if last.Action != s.Action {
					last.Action = "run " + s.Command
				}
				last.Hosts = append(last.Hosts, s.Node)
				if s.Check != "" {
					last.Checks = append(last.Checks, ansibleCheck{s.Node, checkCommand(s.Check)})
				}
				continue
			}
		}
		play := ansiblePlay{First: i + 1, Last: i + 1, Action: s.Action, Command: s.Command, Tier: r.tier,
			Hosts: []string{s.Node}, Serial: r.tier != "host", ChangedWhen: r.changed}
		if s.Check != "" {
			play.Checks = []ansibleCheck{{s.Node, checkCommand(s.Check)}}
		}
		d.Plays = append(d.Plays, play)
	}
	for i := range d.Plays {
		if pl := &d.Plays[i]; pl.Tier == "harbor" && pl.Command == "docker compose up -d" {
			pl.Pools = harborPools(p, pl.Hosts)
		}
	}
	return d, nil
}

// harborPools: for each harbor node of hosts that some HAProxy balancer
// holds, those balancers (in the plan's order).
func harborPools(p *plan.Plan, hosts []string) []ansiblePool {
	var out []ansiblePool
	for _, h := range hosts {
		pool := ansiblePool{Node: h}
		for _, n := range p.Nodes {
			if n.LB == nil || n.LB.Kind != "haproxy" {
				continue
			}
			for _, hp := range haproxyPools(n.LB) {
				if hp.Server == h {
					pool.Balancers = append(pool.Balancers, n.Name)
					break
				}
			}
		}
		if len(pool.Balancers) > 0 {
			out = append(out, pool)
		}
	}
	return out
}

// ansibleFiles renders out/ansible/ from the plan and the node files already
// in t.
func ansibleFiles(e *Engine, p *plan.Plan, header string, t *tree.Tree) error {
	d, err := buildAnsible(p, header, t)
	if err != nil {
		return err
	}
	for _, name := range []string{"inventory.yml", "site.yml"} {
		out, err := e.Render("ansible/"+name+".tmpl", d)
		if err != nil {
			return err
		}
		if err := t.Add(tree.File{Path: "ansible/" + name, Data: out}); err != nil {
			return err
		}
	}
	return nil
}

// ansibleUnsafe is a YAML string Ansible never templates: a value from the
// spec that holds "{{" stays what it is.
func ansibleUnsafe(s string) (string, error) {
	q, err := escape.YAML(s)
	if err != nil {
		return "", err
	}
	return "!unsafe " + q, nil
}

// ansibleTiers are the tags of the plays, in the order they first run.
func ansibleTiers(plays []ansiblePlay) []string {
	var out []string
	for _, p := range plays {
		if p.Tier != "host" && !slices.Contains(out, p.Tier) {
			out = append(out, p.Tier)
		}
	}
	return out
}

// stepRange names the runbook's steps of a play: "3" or "3-5".
func stepRange(first, last int) string {
	if first == last {
		return fmt.Sprint(first)
	}
	return fmt.Sprintf("%d-%d", first, last)
}

// noJinja keeps a play's or task's name (which Ansible templates, and
// ansible-lint reads without the !unsafe tag) from holding Jinja: the
// braces of "{{", "{%" and "{#" are spelled as parentheses.
func noJinja(s string) string {
	return strings.NewReplacer("{{", "((", "}}", "))", "{%", "(%", "%}", "%)", "{#", "(#", "#}", "#)").Replace(s)
}
