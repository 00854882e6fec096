package render_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/harborgen/harborgen/internal/render"
	"github.com/harborgen/harborgen/internal/tree"
)

// fakeRadosgwAdmin keeps a user database in $FAKE_RGW and answers the
// radosgw-admin calls rgw-user.sh makes, with the exit codes FACTS.md lists
// (user info on a missing uid: 22). Like the real one, a bare `user create`
// adds a random S3 key pair and `key create` on an existing S3 access key
// replaces its secret. The real single-node Ceph test is in the real-service
// suite (internal/services/ceph_test.go).
const fakeRadosgwAdmin = `#!/usr/bin/env bash
set -euo pipefail
db="$FAKE_RGW/users.json"; [ -f "$db" ] || echo '{}' > "$db"
echo "$*" >> "$FAKE_RGW/calls.log"
uid="" sub="" ak="" sk="" type="" size=""
for a in "$@"; do
  case "$a" in
    --uid=*) uid="${a#--uid=}" ;; --subuser=*) sub="${a#--subuser=}" ;;
    --access-key=*) ak="${a#--access-key=}" ;; --secret-key=*) sk="${a#--secret-key=}" ;;
    --key-type=*) type="${a#--key-type=}" ;; --max-size=*) size="${a#--max-size=}" ;;
  esac
done
[ -n "$uid" ] || uid="${sub%%:*}"
user() { jq -e --arg u "$uid" '.[$u]' "$db"; }
update() { jq --arg u "$uid" --arg s "$sub" --arg ak "$ak" --arg sk "$sk" --arg size "$size" "$1" "$db" > "$db.new"; mv "$db.new" "$db"; }
case "$1 $2" in
  "user info") user || exit 22 ;;
  "user create") if user >/dev/null; then exit 17; fi
    update '.[$u] = {user_id: $u, subusers: [], keys: [], swift_keys: []}'
    if [ -n "$sub" ]; then update '.[$u].subusers += [{id: $s, permissions: "full-control"}]'; fi
    if [ "$type" = swift ]; then update '.[$u].swift_keys += [{user: $s, secret_key: $sk}]'
    elif [ -n "$ak" ]; then update '.[$u].keys += [{user: $u, access_key: $ak, secret_key: $sk}]'
    else update '.[$u].keys += [{user: $u, access_key: "RANDOMACCESSKEY", secret_key: "random"}]'; fi
    user ;;
  "subuser create") update '.[$u].subusers += [{id: $s, permissions: "full-control"}]'; user ;;
  "key create") if [ "$type" = swift ]; then
      update '.[$u].swift_keys = ([.[$u].swift_keys[] | select(.user != $s)] + [{user: $s, secret_key: $sk}])'
    else
      update '.[$u].keys = ([.[$u].keys[] | select(.access_key != $ak)] + [{user: $u, access_key: $ak, secret_key: $sk}])'
    fi; user ;;
  "quota set") update '.[$u].quota = ($size | tonumber)' ;;
  "quota enable") update '.[$u].quota_enabled = true' ;;
  *) echo "fake radosgw-admin: $*" >&2; exit 1 ;;
esac
`

// fakeCurl answers the S3 bucket calls rgw-user.sh makes (HEAD, then PUT
// when missing) with buckets kept in $FAKE_RGW/buckets. It wants the keys as
// curl's config on stdin (-K -), and keeps that config for the test.
const fakeCurl = `#!/usr/bin/env bash
set -euo pipefail
echo "curl $*" >> "$FAKE_RGW/calls.log"
method="" url="" config=no
for a in "$@"; do
  case "$a" in
    --head) method=HEAD ;; PUT) method=PUT ;; -K) config=yes ;; http://*|https://*) url="$a" ;;
  esac
done
[ "$config" = yes ] || { echo "fake curl: no -K -" >&2; exit 2; }
cat > "$FAKE_RGW/curl-config"
mkdir -p "$FAKE_RGW/buckets"
bucket="$FAKE_RGW/buckets/${url##*/}"
case "$method" in
  HEAD) if [ -e "$bucket" ]; then printf 200; else printf 404; fi ;;
  PUT) touch "$bucket"; printf 200 ;;
  *) echo "fake curl: $*" >&2; exit 2 ;;
esac
`

// TestRGWUserScript runs every example's rendered rgw-user.sh twice against
// the fake: the user gets exactly the rendered keys, the second run changes
// nothing, and no run prints a secret.
func TestRGWUserScript(t *testing.T) {
	for _, bin := range []string{"bash", "jq"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("%s is not installed (.ci/run installs it)", bin)
		}
	}
	scripts := 0
	for _, example := range examples {
		s, p := loadPlan(t, example)
		vals := fakeSecrets(t, s)
		tr, err := render.Tree(p, "harborgen.toml", vals)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		out := filepath.Join(dir, "out")
		if _, err := tree.Write(out, tr); err != nil {
			t.Fatal(err)
		}
		bin := filepath.Join(dir, "bin")
		os.Mkdir(bin, 0o755)
		os.WriteFile(filepath.Join(bin, "radosgw-admin"), []byte(fakeRadosgwAdmin), 0o755)
		os.WriteFile(filepath.Join(bin, "curl"), []byte(fakeCurl), 0o755)
		matches, _ := filepath.Glob(filepath.Join(out, "nodes", "*", "rgw-user.sh"))
		for _, script := range matches {
			scripts++
			state := t.TempDir()
			run := func() string {
				cmd := exec.Command("bash", script)
				cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "FAKE_RGW="+state)
				b, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("%s: %v\n%s", script, err, b)
				}
				for name, v := range vals {
					if len(v) >= 6 && strings.Contains(string(b), v) {
						t.Errorf("%s printed the secret %s", script, name)
					}
				}
				return string(b)
			}
			run()
			first, _ := os.ReadFile(filepath.Join(state, "users.json"))
			second := run()
			again, _ := os.ReadFile(filepath.Join(state, "users.json"))
			if string(first) != string(again) {
				t.Errorf("%s: a second run changed the user:\n%s\n%s", script, first, again)
			}
			if strings.Contains(second, "created") || strings.Contains(second, "set the") {
				t.Errorf("%s: the second run did something:\n%s", script, second)
			}
			want := vals["swift_key"]
			if want == "" {
				want = vals["s3_secret_key"]
			}
			quoted, _ := json.Marshal(want)
			if !strings.Contains(string(first), string(quoted)) {
				t.Errorf("%s: the user lacks the rendered key:\n%s", script, first)
			}
			if strings.Contains(string(first), "RANDOMACCESSKEY") {
				t.Errorf("%s: the user has a random S3 key pair nobody holds:\n%s", script, first)
			}
			calls, _ := os.ReadFile(filepath.Join(state, "calls.log"))
			for _, call := range strings.Split(string(calls), "\n") {
				for name, v := range vals {
					if strings.HasPrefix(call, "curl ") && len(v) >= 6 && strings.Contains(call, v) {
						t.Errorf("%s: the secret %s is on curl's command line", script, name)
					}
				}
			}
			if vals["s3_access_key"] == "" || strings.Contains(string(first), `"swift_keys":[{`) {
				continue
			}
			// S3: distribution 2.8 never creates its bucket, the script does,
			// as the registry's user.
			buckets, _ := filepath.Glob(filepath.Join(state, "buckets", "*"))
			if len(buckets) != 1 {
				t.Errorf("%s: %d buckets created, want the registry's one", script, len(buckets))
			}
			config, _ := os.ReadFile(filepath.Join(state, "curl-config"))
			quote := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace // a quoted value of curl's config
			if want := `user = "` + quote(vals["s3_access_key"]+":"+vals["s3_secret_key"]) + `"`; strings.TrimSpace(string(config)) != want {
				t.Errorf("%s: curl's config is not the rendered S3 keys", script)
			}
		}
	}
	if scripts < 3 {
		t.Fatalf("only %d rgw-user.sh scripts rendered", scripts)
	}
}

// TestScriptsPassShellcheck runs shellcheck on every rendered script of
// every example; each starts with set -euo pipefail.
func TestScriptsPassShellcheck(t *testing.T) {
	bin, err := exec.LookPath("shellcheck")
	if err != nil {
		t.Fatal("shellcheck is not installed: apt-get install shellcheck (.ci/run does)")
	}
	var scripts []string
	for _, example := range examples {
		s, p := loadPlan(t, example)
		tr, err := render.Tree(p, "harborgen.toml", fakeSecrets(t, s))
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(t.TempDir(), "out")
		if _, err := tree.Write(out, tr); err != nil {
			t.Fatal(err)
		}
		for _, f := range tr.Files() {
			if f.Mode == tree.ModeScript {
				if !strings.Contains(string(f.Data), "\nset -euo pipefail\n") {
					t.Errorf("%s %s does not set -euo pipefail", example, f.Path)
				}
				scripts = append(scripts, filepath.Join(out, f.Path))
			}
		}
	}
	if len(scripts) == 0 {
		t.Fatal("no scripts rendered")
	}
	if b, err := exec.Command(bin, append([]string{"-x"}, scripts...)...).CombinedOutput(); err != nil {
		t.Errorf("shellcheck: %v\n%s", err, b)
	}
}
