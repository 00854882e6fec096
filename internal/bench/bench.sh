#!/usr/bin/env bash
# Whole-process timings of harborgen against the physical limits of issue 14,
# measured side by side: each round runs every command once, in turn, so that
# the load of a shared machine falls on both sides of a ratio alike. Prints
# one Markdown table (docs/benchmarks.md records it).
#
#   bash internal/bench/bench.sh [ROUNDS]      (make bench runs it; default 15)
#
# BASELINE=path/to/another/harborgen adds its timings, in the same rounds, as
# a "before" column (e.g. a build of the commit before a change).
set -euo pipefail
rounds=${1:-15}
big_rounds=$(( rounds < 5 ? rounds : 5 ))
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go=${GO:-go}

# The binaries: harborgen as make build builds it, and a hello-world Go
# program built the same way (the cost of starting any Go process).
(cd "$repo" && $go build -trimpath -ldflags '-s -w' -o "$work/harborgen" ./cmd/harborgen)
mkdir "$work/hello"
printf 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hello") }\n' > "$work/hello/main.go"
printf 'module hello\n\ngo 1.26\n' > "$work/hello/go.mod"
(cd "$work/hello" && $go build -trimpath -ldflags '-s -w' -o "$work/hello-world" .)
hg=$work/harborgen
base=${BASELINE:-}

# The specs: the example, and the generated spec of 500 harbor nodes; each
# with a secrets file, rendered once so that every timed render re-renders.
mkdir "$work/small" "$work/big"
cp "$repo/examples/ha-galera-ceph/harborgen.toml" "$work/small/"
(cd "$repo" && $go test -count=1 -run '^TestGeneratedSpecs$' ./internal/bench -args -spec-dir="$work/big" >/dev/null)
mv "$work/big/harbor500.toml" "$work/big/harborgen.toml"
export HARBORGEN_SECRET_LDAP_SEARCH_PASSWORD=bench-ldap-password
# render's cache (compose files that loaded, the token certificate's signature), kept in the
# work directory: warm after the first renders below, as on an operator's machine. The
# "no cache" rows turn it off: every compose file loaded, the certificate signed.
export HARBORGEN_CACHE=$work/cache
for s in small big; do
  "$hg" secrets init "$work/$s/harborgen.toml" >/dev/null 2>&1
  "$hg" render "$work/$s/harborgen.toml" 2>/dev/null
done

# time_ms CMD...: runs CMD once, prints its wall time in milliseconds.
time_ms() {
  local t0=$EPOCHREALTIME
  "$@" >/dev/null 2>&1 || { echo "bench: failed: $*" >&2; exit 1; }
  local t1=$EPOCHREALTIME
  echo "$(( (${t1/./} - ${t0/./}) ))" | awk '{printf "%.3f\n", $1/1000}'
}
copy() { rm -rf "$work/$1/copy"; time_ms cp -r "$work/$1/out" "$work/$1/copy"; }

declare -A times
record() { times[$1]+="$2 "; }
# One round: each command once, the slower ones first.
round() {
  record cp_small "$(copy small)"
  record render_small "$(time_ms "$hg" render "$work/small/harborgen.toml")"
  record render_small_nocache "$(HARBORGEN_CACHE=off time_ms "$hg" render "$work/small/harborgen.toml")"
  record validate_small "$(time_ms "$hg" validate "$work/small/harborgen.toml")"
  record hello "$(time_ms "$work/hello-world")"
  record version "$(time_ms "$hg" version)"
  if [ -n "$base" ]; then
    record render_small_base "$(time_ms "$base" render "$work/small/harborgen.toml")"
    record validate_small_base "$(time_ms "$base" validate "$work/small/harborgen.toml")"
    record version_base "$(time_ms "$base" version)"
  fi
}
big_round() {
  record cp_big "$(copy big)"
  record render_big "$(time_ms "$hg" render "$work/big/harborgen.toml")"
  record render_big_nocache "$(HARBORGEN_CACHE=off time_ms "$hg" render "$work/big/harborgen.toml")"
  if [ -n "$base" ]; then
    record render_big_base "$(time_ms "$base" render "$work/big/harborgen.toml")"
  fi
}
for _ in $(seq "$rounds"); do round; done
for _ in $(seq "$big_rounds"); do big_round; done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
# ratio A B: the median of the per-round ratios A/B.
ratio() {
  paste -d' ' <(tr ' ' '\n' <<<"${times[$1]}" | grep -v '^$') <(tr ' ' '\n' <<<"${times[$2]}" | grep -v '^$') |
    awk '{print $1/$2}' | tr '\n' ' ' | median
}
ms() { median <<<"${times[$1]}"; }

files_small=$(find "$work/small/out" -type f | wc -l)
files_big=$(find "$work/big/out" -type f | wc -l)
HARBORGEN_CACHE=off /usr/bin/time -o "$work/peak" -f '%M' "$hg" render "$work/big/harborgen.toml" >/dev/null 2>&1
peak_kb=$(tail -1 "$work/peak")

# before A B: the baseline's column, when there is one.
before() { if [ -n "$base" ]; then printf ' %s ms, %.2fx |' "$(ms "$1")" "$(ratio "$1" "$2")"; fi; }
[ -n "$base" ] && /usr/bin/time -o "$work/peak" -f '%M' "$base" render "$work/big/harborgen.toml" >/dev/null 2>&1 || true
base_peak_kb=$(tail -1 "$work/peak" 2>/dev/null || echo 0)

head='| what | harborgen (median ms) | reference (median ms) | ratio (median of per-round ratios) | target |'
rule='|---|---|---|---|---|'
if [ -n "$base" ]; then head+=' before ('"$(basename "$base")"') |'; rule+='---|'; fi
echo "$head"; echo "$rule"
printf '| `render` ha-galera-ceph (%s files; %s rounds) | %s | `cp -r` of its tree: %s | %.2fx | at most 2x |%s\n' "$files_small" "$rounds" "$(ms render_small)" "$(ms cp_small)" "$(ratio render_small cp_small)" "$(before render_small_base cp_small)"
printf '| the same without the cache (`HARBORGEN_CACHE=off`) | %s | `cp -r` of its tree: %s | %.2fx | |%s\n' "$(ms render_small_nocache)" "$(ms cp_small)" "$(ratio render_small_nocache cp_small)" "$(if [ -n "$base" ]; then printf ' |'; fi)"
printf '| `validate` ha-galera-ceph | %s | hello-world Go: %s | %.2fx | at most 3x |%s\n' "$(ms validate_small)" "$(ms hello)" "$(ratio validate_small hello)" "$(before validate_small_base hello)"
printf '| `version` | %s | hello-world Go: %s | %.2fx | cheap |%s\n' "$(ms version)" "$(ms hello)" "$(ratio version hello)" "$(before version_base hello)"
printf '| `render` 500 harbor nodes (%s files; %s rounds) | %s | `cp -r` of its tree: %s | %.2fx | at most 2x |%s\n' "$files_big" "$big_rounds" "$(ms render_big)" "$(ms cp_big)" "$(ratio render_big cp_big)" "$(before render_big_base cp_big)"
printf '| the same without the cache | %s | `cp -r` of its tree: %s | %.2fx | |%s\n' "$(ms render_big_nocache)" "$(ms cp_big)" "$(ratio render_big_nocache cp_big)" "$(if [ -n "$base" ]; then printf ' |'; fi)"
printf '| peak memory of a render without the cache | %s MB | | | under 200 MB |' "$(( peak_kb / 1024 ))"
if [ -n "$base" ]; then printf ' %s MB |' "$(( base_peak_kb / 1024 ))"; fi
echo
