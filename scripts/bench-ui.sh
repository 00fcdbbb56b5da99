#!/usr/bin/env bash
# Benchmarks caltray against two floors, side by side in one run, on a private headless desktop
# (Xvfb, D-Bus; scripts/ui-trayhost stands in for the panel's tray): a bare fyne.io/systray
# program (icon + 3 items, scripts/ui-bench-systray: what the tray process can at best be) and
# a bare Fyne app (hello window + tray menu, scripts/ui-bench-floor: what caltray was).
#   - time from start to the window painted (caltray without a tray: the agenda, from a cached
#     agenda, in its window process);
#   - time from a click on "Open agenda…" (over D-Bus, the tray already running) to the agenda
#     painted by the new window process, against the bare Fyne app's start → painted;
#   - resident memory after IDLE seconds idle, and CPU (% of one core) and voluntary context
#     switches (all threads, per 30 s) over MEASURE seconds, of the whole process tree (caltray:
#     the tray process and its window process, if any), first with the window closed, then open.
# Usage: scripts/bench-ui.sh            (IDLE=40 MEASURE=30 RUNS=5 by default)
set -euo pipefail
cd "$(dirname "$0")/.."

IDLE=${IDLE:-40}
MEASURE=${MEASURE:-30}
RUNS=${RUNS:-5}

if [ -z "${CALTRAY_BENCH_INNER:-}" ]; then
	mkdir -p bin
	echo "bench: building caltray, the two floors and the stand-in tray host" >&2
	go build -o bin/caltray .
	go build -o bin/ui-bench-floor ./scripts/ui-bench-floor
	go build -o bin/ui-bench-systray ./scripts/ui-bench-systray
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

# tree PID: PID and its children (caltray's window process).
tree() { echo "$1"; pgrep -P "$1" || true; }
# cpu_ticks PID: user+system clock ticks of the whole process tree.
cpu_ticks() { local n=0 p; for p in $(tree "$1"); do n=$((n + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done; echo $n; }
# switches PID: voluntary context switches of all threads of the tree, each a wake-up of some thread.
switches() { local p; for p in $(tree "$1"); do cat /proc/"$p"/task/*/status 2>/dev/null; done | awk '/^voluntary_ctxt_switches/ {n += $2} END {print n + 0}'; }
rss_mb() { local p; for p in $(tree "$1"); do cat "/proc/$p/status" 2>/dev/null; done | awk '/VmRSS/ {n += $2} END {printf "%.1f", n / 1024}'; }
# own_rss_mb PID: the process alone, without its children.
own_rss_mb() { awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }

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
# first when CLICK is set), and prints the tree's RSS and the process's own RSS after IDLE s,
# then CPU % and voluntary context switches per 30 s over MEASURE s.
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
	local rss own c0 s0 c1 s1
	rss=$(rss_mb "$pid"); own=$(own_rss_mb "$pid")
	c0=$(cpu_ticks "$pid"); s0=$(switches "$pid")
	sleep "$MEASURE"
	c1=$(cpu_ticks "$pid"); s1=$(switches "$pid")
	kill -TERM "$pid" "$host"; wait "$pid" || true; wait "$host" || true
	pids=()
	awk -v rss="$rss" -v own="$own" -v c="$((c1 - c0))" -v s="$((s1 - s0))" -v m="$MEASURE" -v hz="$hz" \
		'BEGIN {printf "%s %s %.2f %.0f\n", rss, own, 100 * c / hz / m, 30 * s / m}'
}

# click_paint: caltray --demo with the tray host; RUNS times, clicks "Open agenda…" over D-Bus
# and prints the milliseconds to the agenda painted by the new window process, which is then
# ended (SIGTERM, as its close button would) before the next click.
click_paint() {
	local fifo=$home/clicks out=$home/clicked
	mkfifo "$fifo"
	bin/ui-trayhost -stdin -serve <"$fifo" >"$out" 2>>"$home/click-host.log" &
	local host=$!
	pids+=($host)
	exec 7>"$fifo"
	sleep 0.5
	bin/caltray --demo 2>>"$home/click.log" &
	local pid=$!
	pids+=($pid)
	sleep 8 # the first sync fills the menu; the host clicks once it says "Synced"
	local i t0 wid tpaint child
	for i in $(seq "$RUNS"); do
		t0=$(now_ms)
		echo "Open agenda…" >&7
		wid=""
		for _ in $(seq 3000); do
			wid=$(xdotool search --onlyvisible --name 'Agenda.*caltray' 2>/dev/null | head -1 || true)
			[ -n "$wid" ] && break
			sleep 0.005
		done
		for _ in $(seq 500); do painted "$wid" && break; sleep 0.01; done
		tpaint=$(( $(now_ms) - t0 ))
		echo -n "$tpaint "
		[ "$i" = 1 ] && echo "$(own_rss_mb "$pid")" >"$home/tray-rss-open"
		child=$(pgrep -P "$pid" || true)
		[ -n "$child" ] && kill -TERM $child
		for _ in $(seq 500); do [ -z "$(pgrep -P "$pid" || true)" ] && break; sleep 0.01; done
		sleep 1
	done
	echo
	exec 7>&-
	kill -TERM "$pid" "$host"; wait "$pid" || true; wait "$host" || true
	pids=()
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

echo "bench: click → agenda painted" >&2
clicks=$(click_paint)
click_med=$(printf '%s\n' $clicks | median)
echo "bench: caltray click → painted, each run (ms): $clicks" >&2

echo "bench: idle, window closed (${IDLE}s settle + ${MEASURE}s measured, each)" >&2
read -r sys_rss _ sys_cpu sys_wake < <(idle systray bin/ui-bench-systray)
read -r floor_rss _ floor_cpu floor_wake < <(idle floor bin/ui-bench-floor -hidden)
read -r cal_rss _ cal_cpu cal_wake < <(idle caltray bin/caltray --demo)
echo "bench: idle, window open" >&2
read -r floor_rss_open _ floor_cpu_open floor_wake_open < <(idle floor-open bin/ui-bench-floor)
read -r cal_rss_open cal_own_open cal_cpu_open cal_wake_open < <(CLICK="Open agenda…" idle caltray-open bin/caltray --demo)

cat <<REPORT

| measure | bare systray | bare Fyne app | caltray --demo | goal |
| --- | --- | --- | --- | --- |
| start → window mapped, median of $RUNS (ms) | | ${map[floor]} | ${map[caltray]} | |
| start → window painted, median of $RUNS (ms) | | ${paint[floor]} | ${paint[caltray]} | |
| click "Open agenda…" → agenda painted, median of $RUNS (ms) | | (start → painted: ${paint[floor]}) | $click_med | ≤ 600 |
| RSS after ${IDLE} s idle, window closed, process tree (MB) | $sys_rss | $floor_rss | $cal_rss | ≤ 45 |
| CPU, ${MEASURE} s idle, window closed (% of a core) | $sys_cpu | $floor_cpu | $cal_cpu | ≤ 0.2 |
| voluntary context switches / 30 s, window closed | $sys_wake | $floor_wake | $cal_wake | ≤ 40 |
| RSS, window open: tree / tray process alone (MB) | | $floor_rss_open | $cal_rss_open / $cal_own_open | tray ≤ 45 |
| CPU, ${MEASURE} s idle, window open (% of a core) | | $floor_cpu_open | $cal_cpu_open | |
| voluntary context switches / 30 s, window open | | $floor_wake_open | $cal_wake_open | |
REPORT
