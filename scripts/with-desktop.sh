#!/usr/bin/env bash
# Runs a command inside a private desktop session: its own D-Bus session bus, an unlocked
# gnome-keyring (the Secret Service) with a throwaway keyring, and an Xvfb display.
# Nothing outlives the command: the keyring daemon is stopped here, dbus-run-session stops
# the bus and xvfb-run stops Xvfb. Usage: scripts/with-desktop.sh CMD [ARG...]
set -euo pipefail

if [ -z "${CALTRAY_DESKTOP_INNER:-}" ]; then
	export CALTRAY_DESKTOP_INNER=1
	exec dbus-run-session -- xvfb-run --auto-servernum --server-args="-screen 0 1280x800x24 -nolisten tcp" "$0" "$@"
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/caltray-desktop.XXXXXX")
keyring_pid=""
cleanup() {
	if [ -n "$keyring_pid" ]; then
		kill "$keyring_pid" 2>/dev/null || true
		wait "$keyring_pid" 2>/dev/null || true
	fi
	rm -rf "$scratch"
}
trap cleanup EXIT

# Fyne cannot parse the POSIX locale ("C") that minimal images and CI have, and says so on
# every start: give the session a real one.
case "${LANG:-}" in "" | C | C.* | POSIX) export LANG=en_US.UTF-8 LC_ALL= ;; esac

# The keyring files go to a throwaway place, never the user's own keyrings.
export XDG_DATA_HOME="$scratch/data"
mkdir -p "$XDG_DATA_HOME"
export CALTRAY_TEST_KEYRING=gnome-keyring

printf '%s' caltray-test | gnome-keyring-daemon --foreground --unlock --components=secrets >"$scratch/keyring.env" 2>"$scratch/keyring.log" &
keyring_pid=$!

# Wait (at most 10 s) until the Secret Service answers on the bus.
for _ in $(seq 100); do
	if dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
		org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'; then
		break
	fi
	if ! kill -0 "$keyring_pid" 2>/dev/null; then
		echo "with-desktop: gnome-keyring-daemon exited:" >&2
		cat "$scratch/keyring.log" >&2
		exit 1
	fi
	sleep 0.1
done

set +e
"$@"
rc=$?
set -e
exit $rc
