#!/usr/bin/env bash
# Which goroutines of the idle tray app wake up? Builds caltray with a temporary file (through
# go build -overlay; nothing is added to the tree) that records a runtime/trace of SECONDS seconds
# after SETTLE seconds idle, runs `caltray --demo` on a private headless desktop with the
# stand-in tray host, and counts each goroutine's wake-ups (Waiting->Runnable) with the stack it
# waited in. Usage: scripts/ui-trace.sh    (SETTLE=20 SECONDS_=10 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
SETTLE=${SETTLE:-20}
SECONDS_=${SECONDS_:-10}

if [ -z "${CALTRAY_TRACE_INNER:-}" ]; then
	work=$(mktemp -d "${TMPDIR:-/tmp}/caltray-trace.XXXXXX")
	cat >"$work/trace_overlay.go" <<GO
package main

import (
	"os"
	"runtime/trace"
	"time"
)

func init() {
	f, err := os.Create(os.Getenv("CALTRAY_TRACE_OUT"))
	if err != nil {
		return
	}
	go func() {
		time.Sleep(${SETTLE} * time.Second)
		trace.Start(f)
		time.Sleep(${SECONDS_} * time.Second)
		trace.Stop()
		f.Close()
	}()
}
GO
	printf '{"Replace":{"%s/trace_overlay.go":"%s/trace_overlay.go"}}' "$PWD" "$work" >"$work/overlay.json"
	mkdir -p bin
	go build -overlay "$work/overlay.json" -o "$work/caltray" .
	go build -o bin/ui-trayhost ./scripts/ui-trayhost
	export CALTRAY_TRACE_INNER=1 CALTRAY_TRACE_WORK=$work SETTLE SECONDS_
	scripts/with-desktop.sh "$0"
	echo "wake-ups per goroutine in ${SECONDS_} s of idle (count, goroutine, where it waited):"
	go tool trace -d=parsed "$work/trace.out" | awk '
		/StateTransition/ && /Running->Waiting/ { match($0, /GoID=[0-9]+/); g = substr($0, RSTART + 5, RLENGTH - 5); want = 1; next }
		want && /^\t[a-zA-Z]/ && !/runtime\.(chanrecv|gopark|selectgo|netpollblock|chanrecv1|semacquire)/ { where[g] = $1; want = 0 }
		/StateTransition/ && /Waiting->Runnable/ { match($0, /GoID=[0-9]+/); n[substr($0, RSTART + 5, RLENGTH - 5)]++ }
		END { for (g in n) printf "%6d  G%-5s %s\n", n[g], g, where[g] }' | sort -rn
	rm -rf "$work"
	exit 0
fi

export HOME=$CALTRAY_TRACE_WORK/home XDG_CONFIG_HOME=$CALTRAY_TRACE_WORK/home/.config XDG_CACHE_HOME=$CALTRAY_TRACE_WORK/home/.cache
bin/ui-trayhost -serve >/dev/null 2>&1 &
host=$!
sleep 0.5
CALTRAY_TRACE_OUT=$CALTRAY_TRACE_WORK/trace.out "$CALTRAY_TRACE_WORK/caltray" --demo 2>/dev/null &
pid=$!
sleep $((SETTLE + SECONDS_ + 3))
kill -TERM "$pid" "$host"
wait "$pid" "$host" 2>/dev/null || true
