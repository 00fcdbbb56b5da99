#!/usr/bin/env bash
# Counts the wake-ups of the tray app's threads against the floor's (the bare Fyne app of
# scripts/ui-bench-floor), window closed, on a private headless desktop: every
# sched:sched_wakeup event whose target is one of the app's threads, over MEASURE seconds,
# after SETTLE seconds idle. Needs perf with access to tracepoints (root; Debian's linux-perf).
# Usage: scripts/ui-wakeups.sh        (SETTLE=20 MEASURE=60 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
SETTLE=${SETTLE:-20}
MEASURE=${MEASURE:-60}

if [ -z "${CALTRAY_WAKEUPS_INNER:-}" ]; then
	command -v perf >/dev/null || { echo "ui-wakeups: needs perf (apt-get install linux-perf)" >&2; exit 1; }
	mkdir -p bin
	go build -o bin/caltray . && go build -o bin/ui-bench-floor ./scripts/ui-bench-floor && go build -o bin/ui-trayhost ./scripts/ui-trayhost
	export CALTRAY_WAKEUPS_INNER=1 SETTLE MEASURE
	exec scripts/with-desktop.sh "$0"
fi

home=$(mktemp -d "${TMPDIR:-/tmp}/caltray-wakeups.XXXXXX")
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$home"' EXIT
export HOME=$home XDG_CONFIG_HOME=$home/.config XDG_CACHE_HOME=$home/.cache

# wakeups NAME CMD...: wake-ups per minute of CMD's threads, with the stand-in tray host serving.
wakeups() {
	local name=$1; shift
	bin/ui-trayhost -serve >/dev/null 2>>"$home/$name-host.log" &
	local host=$!
	sleep 0.5
	"$@" 2>>"$home/$name.log" &
	local pid=$!
	sleep "$SETTLE"
	perf record -q -e sched:sched_wakeup -a -o "$home/$name.perf" -- sleep "$MEASURE" 2>/dev/null
	local tids
	tids=$(ls /proc/"$pid"/task | paste -sd'|')
	kill -TERM "$pid" "$host"; wait "$pid" 2>/dev/null || true; wait "$host" 2>/dev/null || true
	perf script -i "$home/$name.perf" -F trace 2>/dev/null |
		grep -Ec "pid=($tids) " | awk -v m="$MEASURE" '{printf "%.1f\n", $1 * 60 / m}'
}

floor=$(wakeups floor bin/ui-bench-floor -hidden)
cal=$(wakeups caltray bin/caltray --demo)
echo "| wake-ups of the app's threads per minute, window closed, ${MEASURE} s | floor $floor | caltray --demo $cal | goal: ≤ floor + 1 |"
