package services

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/harborgen/harborgen/internal/plan"
)

// harbor15Addr is where the throw-away mariadbd of the schema test listens;
// no spec of the suite uses it.
const harbor15Addr = "127.0.0.110"

// harbor15RegistrySQL is a stand-in for Harbor 1.5's ha/registry.sql (which
// harborgen cannot ship): the same shape, drop and create the database, a
// table with a '#' comment inside, the alembic_version marker filled last.
const harbor15RegistrySQL = `drop database if exists registry;
create database registry charset = utf8;

use registry;

create table properties (
 id int NOT NULL AUTO_INCREMENT,
 k varchar(64) NOT NULL,
# a comment as registry.sql has them
 v varchar(128) NOT NULL,
 PRIMARY KEY(id),
 UNIQUE (k)
 );

CREATE TABLE IF NOT EXISTS ` + "`alembic_version`" + ` (
    ` + "`version_num`" + ` varchar(32) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

insert into alembic_version values ('1.5.0');
`

// TestHarbor15Schema runs the rendered harbor-schema.sh of the Galera
// bootstrap member against one plain mariadbd (not Galera: the Galera test
// proves the cluster), through a stand-in `docker` that runs
// `docker compose exec -T galera CMD...` on the host with the container's
// client option file replaced by a copy pointing at the test's socket. The
// stand-in answers the wsrep status query the script asks first, as a Synced
// Primary member, or (HARBOR15_WSREP=donor) as a member that is not.
func TestHarbor15Schema(t *testing.T) {
	need(t, "mariadbd", "mariadb", "mariadb-install-db")
	begin := time.Now()
	c := clusterWith(t, "Harbor 1.5 schema load", func(n *plan.Node) bool { return n.Schema != nil && n.Schema.Via == "galera" })
	n := c.Nodes(func(n *plan.Node) bool { return n.Schema != nil && n.Schema.Via == "galera" })[0]
	if n.Schema.Database != "registry" || n.Schema.Marker != "alembic_version" {
		t.Fatalf("schema of %s: %+v: want database registry, marker alembic_version", n.Name, n.Schema)
	}
	node := c.Node(n.Name)

	state, err := os.MkdirTemp("", "h15-") // short: the socket path has a length limit
	must(t, err)
	t.Cleanup(func() { os.RemoveAll(state) })
	data, sock := filepath.Join(state, "data"), filepath.Join(state, "mysqld.sock")
	out, err := exec.Command("mariadb-install-db", "--no-defaults", "--datadir="+data, "--user=root",
		"--auth-root-authentication-method=normal", "--skip-test-db").CombinedOutput()
	if err != nil {
		t.Fatalf("mariadb-install-db: %v\n%s", err, out)
	}
	pw := strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(galeraSecret(c, "db_root_password"))
	boot := exec.Command("mariadbd", "--no-defaults", "--datadir="+data, "--user=root", "--bootstrap", "--skip-networking")
	boot.Stdin = strings.NewReader("FLUSH PRIVILEGES;\nALTER USER 'root'@'localhost' IDENTIFIED BY '" + pw + "';\n")
	if out, err := boot.CombinedOutput(); err != nil {
		t.Fatalf("set the root password: %v\n%s", err, out)
	}
	start(t, "mariadbd", exec.Command("mariadbd", "--no-defaults", "--datadir="+data, "--user=root",
		"--socket="+sock, "--bind-address="+harbor15Addr, "--port=3306", "--pid-file="+filepath.Join(state, "mariadbd.pid"),
		"--innodb-buffer-pool-size=16M", "--skip-log-bin"))
	waitFor(t, "mariadbd on "+harbor15Addr+":3306", 60*time.Second, func() error { return dialable(harbor15Addr + ":3306") })

	// The rendered root login, only its socket rewritten.
	client, err := galeraRewriteCnf(filepath.Join(node, "secrets", "galera-client.cnf"), map[string]string{"socket": sock}, "")
	must(t, err)
	clientCnf := filepath.Join(state, "client.cnf")
	must(t, os.WriteFile(clientCnf, client, 0o600))
	bin := filepath.Join(state, "bin")
	must(t, os.MkdirAll(bin, 0o755))
	must(t, os.WriteFile(filepath.Join(bin, "docker"), []byte(harbor15DockerShim), 0o755))
	sqlFile := filepath.Join(state, "registry.sql")
	must(t, os.WriteFile(sqlFile, []byte(harbor15RegistrySQL), 0o644))
	env := []string{"PATH=" + bin + ":" + os.Getenv("PATH"), "HARBOR15_CLIENT_CNF=" + clientCnf}

	sql := func(q string) string {
		t.Helper()
		out, err := exec.Command("mariadb", "--defaults-file="+clientCnf, "--batch", "--skip-column-names", "--execute="+q).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", q, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	run := func(wantOK bool, extra []string, args ...string) string {
		t.Helper()
		out, err := runScript(t, node, append(env, extra...), "harbor-schema.sh", args...)
		t.Logf("harbor-schema.sh %s (err=%v):\n%s", strings.Join(args, " "), err, out)
		if (err == nil) != wantOK {
			t.Fatalf("harbor-schema.sh %s: err=%v, want success=%v", strings.Join(args, " "), err, wantOK)
		}
		return out
	}
	tables := func() string {
		return sql("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'registry'")
	}

	// A member that is not Synced and Primary loads nothing.
	wantContains(t, run(false, []string{"HARBOR15_WSREP=donor"}, sqlFile), "not Synced and Primary")
	if got := tables(); got != "0" {
		t.Fatalf("after the refused run: %s tables in registry, want 0", got)
	}
	// A file that is not registry.sql is refused.
	other := filepath.Join(state, "other.sql")
	must(t, os.WriteFile(other, []byte("create database harbor;\n"), 0o644))
	wantContains(t, run(false, nil, other), "not Harbor 1.5's registry.sql")

	// galera-init-db.sh ran before: the database exists, empty.
	sql("CREATE DATABASE IF NOT EXISTS registry CHARACTER SET utf8")
	wantContains(t, run(true, nil, sqlFile), "harbor-schema: loaded")
	if got := sql("SELECT version_num FROM registry.alembic_version"); got != "1.5.0" {
		t.Fatalf("alembic_version after the load: %q", got)
	}
	// Harbor writes its configuration; a second run must keep it.
	sql("INSERT INTO registry.properties (k, v) VALUES ('auth_mode', 'ldap_auth')")
	wantContains(t, run(true, nil, sqlFile), "already in registry (alembic_version 1.5.0): nothing loaded")
	if got := sql("SELECT v FROM registry.properties WHERE k = 'auth_mode'"); got != "ldap_auth" {
		t.Fatalf("properties after the second run: %q, want ldap_auth", got)
	}

	// Tables without the marker (a partial load) are left alone without --force.
	sql("DROP TABLE registry.alembic_version")
	wantContains(t, run(false, nil, sqlFile), "no alembic_version")
	if got := sql("SELECT COUNT(*) FROM registry.properties"); got != "1" {
		t.Fatalf("properties after the refused run: %s rows, want 1", got)
	}
	wantContains(t, run(true, nil, sqlFile, "--force"), "harbor-schema: loaded")
	if got := sql("SELECT COUNT(*) FROM registry.properties"); got != "0" {
		t.Fatalf("properties after --force: %s rows, want 0 (reloaded)", got)
	}
	summary(t, "harbor 1.5 schema: loaded once, second run a no-op, partial load refused (%.0fs)", time.Since(begin).Seconds())
}

// harbor15DockerShim stands in for `docker compose exec -T galera CMD...`:
// it runs CMD on the host with the container's client option file replaced
// by $HARBOR15_CLIENT_CNF, and answers the wsrep status query itself.
const harbor15DockerShim = `#!/usr/bin/env bash
set -euo pipefail
[ "${1:-}" = compose ] && [ "${2:-}" = exec ] || { echo "docker (test stand-in): only compose exec: $*" >&2; exit 2; }
shift 2
if [ "${1:-}" = -T ]; then shift; fi
[ "${1:-}" = galera ] || { echo "docker (test stand-in): exec in ${1:-} unsupported" >&2; exit 2; }
shift
args=()
for a in "$@"; do
	case "$a" in
	*"SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_local_state'"*)
		if [ "${HARBOR15_WSREP:-}" = donor ]; then
			printf 'wsrep_local_state\t2\nwsrep_cluster_status\tPrimary\nwsrep_cluster_size\t3\n'
		else
			printf 'wsrep_local_state\t4\nwsrep_cluster_status\tPrimary\nwsrep_cluster_size\t3\n'
		fi
		exit 0
		;;
	esac
	args+=("${a//\/etc\/mysql\/secrets\/galera-client.cnf/$HARBOR15_CLIENT_CNF}")
done
exec "${args[@]}"
`
