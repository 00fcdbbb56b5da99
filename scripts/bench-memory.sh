#!/bin/sh
# Peak resident memory of the real Graph source reading hostile pages from a loopback server:
# an empty page (the baseline: the process itself), the issue's 95,000-event 59 MB page, the
# 20,000 events a sync may keep, a page
# of 1,000 whole events with 100 KiB bodies (delta's worst real case), and a gzip bomb of 1 GiB.
# Each read runs in its own process under /usr/bin/time -v. See docs/BENCHMARKS.md.
#   scripts/bench-memory.sh [runs]     (default 3 runs of each case; medians printed)
set -eu
cd "$(dirname "$0")/.."
runs=${1:-3}
tmp=$(mktemp -d)
trap 'kill $server 2>/dev/null; rm -rf "$tmp"' EXIT
go build -o "$tmp/bench-memory" ./scripts/bench-memory
"$tmp/bench-memory" serve >"$tmp/url" &
server=$!
while [ ! -s "$tmp/url" ]; do sleep 0.1; done
url=$(cat "$tmp/url")
printf '%-28s %10s  %s\n' case "peak RSS" "median of $runs; last result"
for spec in "empty" "empty -list" "big" "big -pagesize 1000" "big -list -pagesize 1000" "max -pagesize 1000" "bodies -pagesize 1000" "bomb" "bomb -pagesize 1000"; do
	set -- $spec
	name=$1; shift
	: >"$tmp/rss"
	for _ in $(seq "$runs"); do
		/usr/bin/time -v "$tmp/bench-memory" read -url "$url" -case "$name" "$@" >"$tmp/out" 2>"$tmp/time" || true
		awk '/Maximum resident set size/ {print $6}' "$tmp/time" >>"$tmp/rss"
	done
	median=$(sort -n "$tmp/rss" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
	printf '%-28s %7d MB  %s\n' "$spec" $((median / 1024)) "$(cat "$tmp/out")"
done
