#!/usr/bin/env bash
# Takes the README's screenshots of `caltray --demo` on a private headless desktop:
#   assets/screenshots/agenda.png     the agenda window, as the X server shows it
#   assets/screenshots/tray-menu.png  the tray menu caltray publishes over D-Bus (dbusmenu),
#                                     drawn as Fyne draws menus by scripts/ui-trayhost, with the
#                                     icon from the item's pixmap (Xvfb has no panel to draw it)
# Usage: scripts/screenshots.sh [OUT_DIR]   (needs scripts/install-deps.sh's packages)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${CALTRAY_SHOTS_INNER:-}" ]; then
	out=${1:-assets/screenshots}
	mkdir -p "$out" bin
	echo "screenshots: building caltray and the stand-in tray host" >&2
	go build -o bin/caltray .
	go build -o bin/ui-trayhost ./scripts/ui-trayhost
	export CALTRAY_SHOTS_INNER=1 CALTRAY_SHOTS_OUT=$(cd "$out" && pwd)
	exec scripts/with-desktop.sh "$0"
fi

out=$CALTRAY_SHOTS_OUT
home=$(mktemp -d "${TMPDIR:-/tmp}/caltray-shots.XXXXXX")
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
	rm -rf "$home"
}
trap cleanup EXIT
# Demo settings and cache in a throwaway home, never the user's.
export HOME=$home XDG_CONFIG_HOME=$home/.config XDG_CACHE_HOME=$home/.cache

# 1. The tray menu: the stand-in host owns the watcher first, then caltray registers with it.
bin/ui-trayhost -wait 60s -menu-png "$out/tray-menu.png" -menu-txt "$home/menu.txt" >/dev/null &
host=$!
sleep 0.5
bin/caltray --demo 2>"$home/tray.log" &
pids+=($!)
if ! wait "$host"; then
	echo "screenshots: the tray host failed; caltray said:" >&2
	cat "$home/tray.log" >&2
	exit 1
fi
kill -TERM "${pids[0]}"; wait "${pids[0]}" || true
pids=()
echo "screenshots: tray menu:" >&2
sed 's/^/  /' "$home/menu.txt" >&2

# 2. The agenda: with no tray host on the bus, caltray opens its agenda window by itself.
bin/caltray --demo 2>"$home/agenda.log" &
pids+=($!)
wid=""
for _ in $(seq 300); do
	wid=$(xdotool search --name 'Agenda.*caltray' 2>/dev/null | head -1 || true)
	[ -n "$wid" ] && break
	sleep 0.1
done
if [ -z "$wid" ]; then
	echo "screenshots: the agenda window never appeared; caltray said:" >&2
	cat "$home/agenda.log" >&2
	exit 1
fi
sleep 3 # let the first sync land and the window paint
import -window root "$home/root.png"
eval "$(xdotool getwindowgeometry --shell "$wid")"
convert "$home/root.png" -crop "${WIDTH}x${HEIGHT}+${X}+${Y}" +repage "$out/agenda.png"
echo "screenshots: wrote $out/agenda.png and $out/tray-menu.png" >&2
