#!/usr/bin/env bash
# Benchmarks the tray app against the floor — a bare Fyne app (hello window + tray menu,
# scripts/ui-bench-floor) built here from the same Fyne — side by side in one run, on a
# private headless desktop (Xvfb, D-Bus; scripts/ui-trayhost stands in for the panel's tray):
#   - time from start to the window painted (caltray: the agenda, from a cached agenda);
#   - resident memory after IDLE seconds idle, tray only;
#   - CPU (% of one core) and wakeups (context switches of all threads, per second) over
#     MEASURE seconds idle, first with the window closed (tray only), then with it open.
# Usage: scripts/bench-ui.sh            (IDLE=60 MEASURE=60 RUNS=5 by default)
set -euo pipefail
cd "$(dirname "$0")/.."

IDLE=${IDLE:-60}
MEASURE=${MEASURE:-60}
RUNS=${RUNS:-5}

if [ -z "${CALTRAY_BENCH_INNER:-}" ]; then
	mkdir -p bin
	echo "bench: building caltray, the floor and the stand-in tray host" >&2
	go build -o bin/caltray .
	go build -o bin/ui-bench-floor ./scripts/ui-bench-floor
	go build -o bin/ui-trayhost ./scripts/ui-trayhost
	export CALTRAY_BENCH_INNER=1 IDLE MEASURE RUNS
	exec scripts/with-desktop.sh "$0"
fi

home=$(mktemp -d "${TMPDIR:-/tmp}/caltray-bench.XXXXXX")
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
	rm -rf "$home"
}
trap cleanup EXIT
export HOME=$home XDG_CONFIG_HOME=$home/.config XDG_CACHE_HOME=$home/.cache
hz=$(getconf CLK_TCK)

now_ms() { date +%s%3N; }

# cpu_ticks PID: user+system clock ticks of the whole process.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# switches PID: context switches of all its threads, each a wake-up of some thread.
switches() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/ {n += $2} END {print n}'; }
rss_mb() { awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }

# painted WINDOW_ID: true once the window shows more than a blank fill.
painted() {
	local X Y WIDTH HEIGHT SCREEN
	eval "$(xdotool getwindowgeometry --shell "$1" 2>/dev/null)" || return 1
	[ "${WIDTH:-0}" -gt 10 ] || return 1
	local n
	n=$(import -window root -crop "${WIDTH}x${HEIGHT}+${X}+${Y}" +repage -format '%k' info: 2>/dev/null || echo 0)
	[ "$n" -ge 16 ]
}

# first_paint NAME TITLE_REGEX CMD...: milliseconds from start to the window mapped, and to painted.
first_paint() {
	local name=$1 title=$2; shift 2
	local t0 wid="" tmap tpaint
	t0=$(now_ms)
	"$@" 2>>"$home/$name.log" &
	local pid=$!
	pids+=($pid)
	for _ in $(seq 3000); do
		wid=$(xdotool search --onlyvisible --name "$title" 2>/dev/null | head -1 || true)
		[ -n "$wid" ] && break
		sleep 0.005
	done
	tmap=$(( $(now_ms) - t0 ))
	for _ in $(seq 500); do painted "$wid" && break; sleep 0.01; done
	tpaint=$(( $(now_ms) - t0 ))
	kill -TERM "$pid"; wait "$pid" || true
	pids=("${pids[@]/$pid}")
	echo "$tmap $tpaint"
}

median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

# idle NAME CMD...: runs CMD with the stand-in tray host serving (and clicking Open agenda…
# first when CLICK is set), and prints RSS after IDLE s, then CPU % and wakeups/s over MEASURE s.
idle() {
	local name=$1; shift
	local hostargs=(-serve)
	[ -n "${CLICK:-}" ] && hostargs=(-click "$CLICK" -serve)
	bin/ui-trayhost "${hostargs[@]}" >/dev/null 2>>"$home/$name-host.log" &
	local host=$!
	pids+=($host)
	sleep 0.5
	"$@" 2>>"$home/$name.log" &
	local pid=$!
	pids+=($pid)
	sleep "$IDLE"
	local rss c0 s0 c1 s1
	rss=$(rss_mb "$pid")
	c0=$(cpu_ticks "$pid"); s0=$(switches "$pid")
	sleep "$MEASURE"
	c1=$(cpu_ticks "$pid"); s1=$(switches "$pid")
	kill -TERM "$pid" "$host"; wait "$pid" || true; wait "$host" || true
	pids=()
	awk -v rss="$rss" -v c="$((c1 - c0))" -v s="$((s1 - s0))" -v m="$MEASURE" -v hz="$hz" \
		'BEGIN {printf "%s %.2f %.1f\n", rss, 100 * c / hz / m, s / m}'
}

echo "bench: warming caltray's demo cache" >&2
bin/caltray --demo 2>>"$home/warm.log" &
warm=$!
pids+=($warm)
sleep 5
kill -TERM "$warm"; wait "$warm" || true
pids=()

# First paint: the two apps alternate, so a change in the machine's load hits both alike.
declare -A maps paints
for _ in $(seq "$RUNS"); do
	read -r m p < <(first_paint floor 'Floor.*hello' bin/ui-bench-floor)
	maps[floor]+="$m "; paints[floor]+="$p "
	read -r m p < <(first_paint caltray 'Agenda.*caltray' bin/caltray --demo)
	maps[caltray]+="$m "; paints[caltray]+="$p "
done
declare -A map paint
for app in floor caltray; do
	map[$app]=$(printf '%s\n' ${maps[$app]} | median)
	paint[$app]=$(printf '%s\n' ${paints[$app]} | median)
	echo "bench: $app first paint, each run (ms): mapped ${maps[$app]}; painted ${paints[$app]}" >&2
done

echo "bench: idle, window closed (${IDLE}s settle + ${MEASURE}s measured, each)" >&2
read -r floor_rss floor_cpu floor_wake < <(idle floor bin/ui-bench-floor -hidden)
read -r cal_rss cal_cpu cal_wake < <(idle caltray bin/caltray --demo)
echo "bench: idle, window open" >&2
read -r _ floor_cpu_open floor_wake_open < <(idle floor-open bin/ui-bench-floor)
read -r _ cal_cpu_open cal_wake_open < <(CLICK="Open agenda…" idle caltray-open bin/caltray --demo)

cat <<REPORT

| measure | floor (bare Fyne) | caltray --demo | goal |
| --- | --- | --- | --- |
| start → window mapped, median of $RUNS (ms) | ${map[floor]} | ${map[caltray]} | |
| start → window painted, median of $RUNS (ms) | ${paint[floor]} | ${paint[caltray]} | < 500 and ≤ 1.5× floor |
| resident memory after ${IDLE} s idle (MB) | $floor_rss | $cal_rss | ≤ 1.3× floor |
| CPU, ${MEASURE} s idle, window closed (% of a core) | $floor_cpu | $cal_cpu | ≤ floor + 0.2 |
| wakeups/s, window closed | $floor_wake | $cal_wake | ≤ floor + 1/60 |
| CPU, ${MEASURE} s idle, window open (% of a core) | $floor_cpu_open | $cal_cpu_open | ≤ floor + 0.2 |
| wakeups/s, window open | $floor_wake_open | $cal_wake_open | ≤ floor + 1/60 |
REPORT
