package plan_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/harborgen/harborgen/internal/plan"
	"github.com/harborgen/harborgen/internal/spec"
)

// TestPatroniMembers: who runs Patroni and etcd, the expected leader, and
// the order of the steps, for the example and its variants.
func TestPatroniMembers(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*spec.Spec)
		leader string
		etcd   []string // nodes with an etcd member
		dcs    string
	}{
		{name: "every member runs etcd", leader: "pg01", etcd: []string{"pg01", "pg02", "pg03"},
			dcs: "10.30.0.31:2379,10.30.0.32:2379,10.30.0.33:2379"},
		{name: "dcs_nodes on the harbor nodes", leader: "pg01",
			change: func(s *spec.Spec) { s.Database.Patroni.DCSNodes = []string{"harbor01", "harbor02", "harbor03"} },
			etcd:   []string{"harbor01", "harbor02", "harbor03"}, dcs: "10.30.0.11:2379,10.30.0.12:2379,10.30.0.13:2379"},
		{name: "the first postgres node in spec order leads, wherever it is listed", leader: "pg03",
			change: func(s *spec.Spec) {
				i := slices.IndexFunc(s.Nodes, func(n spec.Node) bool { return n.Name == "pg03" })
				pg03 := s.Nodes[i]
				s.Nodes = append([]spec.Node{pg03}, slices.Delete(s.Nodes, i, i+1)...)
			},
			etcd: []string{"pg03", "pg01", "pg02"}, dcs: "10.30.0.33:2379,10.30.0.31:2379,10.30.0.32:2379"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := examplePlan(t, "ha-modern-patroni", tc.change)
			var etcd []string
			for _, n := range p.Nodes {
				if n.Etcd != nil {
					etcd = append(etcd, n.Name)
					if !slices.ContainsFunc(n.Services, func(s plan.Service) bool { return s.Name == "etcd" }) {
						t.Errorf("%s has an etcd member but no etcd service", n.Name)
					}
				}
				if pg := n.Patroni; pg != nil {
					if pg.ExpectedLeader != tc.leader || pg.Init != (n.Name == tc.leader) {
						t.Errorf("%s: expected leader %s, init %v; want %s", n.Name, pg.ExpectedLeader, pg.Init, tc.leader)
					}
					if got := strings.Join(pg.DCS, ","); got != tc.dcs {
						t.Errorf("%s: dcs %s, want %s", n.Name, got, tc.dcs)
					}
				}
			}
			if !slices.Equal(etcd, tc.etcd) {
				t.Errorf("etcd members %v, want %v", etcd, tc.etcd)
			}
			// etcd first (the last start checked), then the leader, the
			// other members, the init script on the leader, Harbor last.
			var order []string
			for _, st := range p.Steps {
				switch {
				case strings.HasSuffix(st.Command, " etcd"), strings.HasSuffix(st.Command, " patroni"),
					st.Command == plan.PatroniInitScript, st.Command == "docker compose up -d":
					order = append(order, st.Node+" "+st.Command)
				}
			}
			if !strings.HasPrefix(strings.Join(order, "\n"), tc.etcd[0]+" docker compose up -d etcd") {
				t.Errorf("the steps do not start with etcd on %s:\n%s", tc.etcd[0], strings.Join(order, "\n"))
			}
			leaderStart := slices.Index(order, tc.leader+" docker compose up -d patroni")
			initStep := slices.Index(order, tc.leader+" "+plan.PatroniInitScript)
			lastEtcd := slices.Index(order, tc.etcd[len(tc.etcd)-1]+" docker compose up -d etcd")
			lb := slices.Index(order, "lb01 docker compose up -d")
			harbor := slices.Index(order, "harbor01 docker compose up -d")
			if !(lastEtcd < leaderStart && leaderStart < initStep && initStep < lb && lb < harbor) {
				t.Errorf("order: etcd %d, leader %d, init %d, lb %d, harbor %d:\n%s", lastEtcd, leaderStart, initStep, lb, harbor, strings.Join(order, "\n"))
			}
			for _, st := range p.Steps {
				if strings.HasSuffix(st.Command, " etcd") && st.Check != "" && st.Node != tc.etcd[len(tc.etcd)-1] {
					t.Errorf("%s: etcd's start is checked before a majority runs: %s", st.Node, st.Check)
				}
			}
		})
	}
}

// TestPatroniProxy: HAProxy checks every member's /primary; none is a backup.
func TestPatroniProxy(t *testing.T) {
	p := examplePlan(t, "ha-modern-patroni", nil)
	db := nodeNamed(t, p, "lb02").LB.Database
	if db == nil || !db.LeaderOnly || db.CheckPort != plan.PatroniRESTPort || db.CheckPath != "/primary" || len(db.Backends) != 3 {
		t.Fatalf("database proxy %+v", db)
	}
	for _, b := range db.Backends {
		if b.Backup {
			t.Errorf("%s is a backup: only the check picks the leader", b.Name)
		}
	}
	if h := nodeNamed(t, p, "harbor02").Harbor.Database; h.Host != "10.30.0.100" || h.ConnMaxLifetime != "1m" || h.ConnMaxIdleTime != "30s" {
		t.Errorf("harbor's database %+v", h)
	}
}

// TestPatroniHBALoopback: on loopback addresses (one host, the services
// suite) connections come from 127.0.0.1, which pg_hba then allows; on real
// addresses it does not.
func TestPatroniHBALoopback(t *testing.T) {
	for _, tc := range []struct {
		name     string
		loopback bool
	}{{"real addresses", false}, {"loopback addresses", true}} {
		t.Run(tc.name, func(t *testing.T) {
			p := examplePlan(t, "ha-modern-patroni", func(s *spec.Spec) {
				if !tc.loopback {
					return
				}
				for i := range s.Nodes {
					s.Nodes[i].Address = strings.Replace(s.Nodes[i].Address, "10.30.0.", "127.0.0.", 1)
				}
				s.LB.VIP = "127.0.0.100"
				s.Storage.S3.Endpoint = "http://127.0.0.70:7480"
			})
			var lines []string
			for _, r := range nodeNamed(t, p, "pg02").Patroni.HBA {
				lines = append(lines, r.Line())
			}
			all := strings.Join(lines, "\n")
			for _, want := range []string{`host replication "replicator" 127.0.0.1/32`, `host all "postgres" 127.0.0.1/32`, `host "registry" "registry" 127.0.0.1/32`} {
				if got := strings.Contains(all, want); got != tc.loopback {
					t.Errorf("pg_hba has %q: %v, want %v:\n%s", want, got, tc.loopback, all)
				}
			}
		})
	}
}
