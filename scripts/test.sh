#!/usr/bin/env bash
# Every check `make test` runs: gofmt; vet for Linux, Windows and macOS (scripts/vet.sh); the
# race-enabled tests inside a private desktop session (D-Bus, unlocked gnome-keyring, Xvfb); a
# few thousand inputs of each fuzz target; and the Windows build under Wine
# (scripts/wine-test.sh).
#
# The Linux checks run in order, in the foreground. The Windows vet and Wine tests, and the
# macOS vet, build for another GOOS and share no compiled package with them, so they run beside
# them from the start, in the background at a lower CPU priority. A cold run is mostly
# compiling, and much of that holds a single core for minutes (cgo's pass over go-gl: 167 s of
# one core on Linux; the Graph models): side by side, the platforms' compiles keep both
# cores busy. The lower priority keeps them from slowing the timing-sensitive Linux tests.
# docs/PACKAGING.md has the per-stage times, warm and cold.
set -euo pipefail
cd "$(dirname "$0")/.."

# Each stage says when it starts (seconds into make test), the background ones too.
MAKE_TEST_T0=$(date +%s)
export MAKE_TEST_T0
stage() { echo "== $* (at $(($(date +%s) - MAKE_TEST_T0)) s)"; }
export -f stage

# Every log is kept until the end, so that the last lines of a red run say what failed
# (scripts/failures.sh): CI shows only the end of the output. Logs go to files, never through
# a pipe, which would wait for every process that inherited it (Wine's services among them).
logs=$(mktemp -d "${TMPDIR:-/tmp}/caltray-test.XXXXXX")

# The background jobs, by name. Each runs in a session of its own, so that a red Linux stage
# ends it with everything it started (wine-test.sh's exit trap then stops its Wine prefix).
declare -A bg=()
start_bg() { # start_bg NAME NICE COMMAND...: COMMAND's output goes to $logs/NAME.log
	local name=$1 nice=$2
	shift 2
	setsid nice -n "$nice" "$@" >"$logs/$name.log" 2>&1 &
	bg[$name]=$!
}
stop_bg() {
	local pid
	for pid in "${bg[@]}"; do
		kill -TERM -- "-$pid" 2>/dev/null || true
	done
	for pid in "${bg[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
}
trap 'stop_bg; rm -rf "$logs"' EXIT

# fail LOG WHAT: a red Linux stage: its log's failures last, where CI shows them.
fail() {
	echo "make test: $2 failed:" >&2
	scripts/failures.sh "$1" >&2
	exit 1
}

stage "gofmt"
# third_party/ holds upstream code as upstream wrote it (plus a marked patch): not ours to reformat.
unformatted=$(gofmt -l $(git ls-files '*.go' ':!third_party' 2>/dev/null || find . -name '*.go' -not -path './bin/*' -not -path './third_party/*'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change these files; run gofmt -w on them:" >&2
	echo "$unformatted" >&2
	exit 1
fi

# Windows: vet (cgo through mingw-w64), then caltray.exe built from what the vet compiled, and
# the tests under Wine. nice 10: ahead of the macOS vet, whose compiles have no waits in them
# and so best fill the end of the run, while the Wine tests wait for windows and processes.
start_bg windows 10 bash -c 'stage "go vet windows/amd64 (in the background, nice 10)"
	scripts/vet.sh windows || exit
	stage "Windows under Wine (in the background, nice 10)"
	scripts/wine-test.sh'
start_bg darwin 19 bash -c 'stage "go vet darwin (in the background, nice 19)"; scripts/vet.sh darwin'

stage "go vet linux"
scripts/vet.sh linux >"$logs/vet.log" 2>&1 || { cat "$logs/vet.log"; fail "$logs/vet.log" "go vet (linux)"; }
cat "$logs/vet.log"

# Some tests build the caltray binary themselves, with -race as they run: after the vet above,
# that is a link (seconds), not the minutes of compiling Fyne and the Graph models.
stage "go test -race (private D-Bus session, gnome-keyring, Xvfb)"
scripts/with-desktop.sh go test -race -count=1 -timeout 12m ./... >"$logs/race.log" 2>&1 || {
	cat "$logs/race.log"
	fail "$logs/race.log" "go test -race"
}
cat "$logs/race.log"

# Each fuzz target runs briefly: its seed corpus and 2,000 mutations, enough to catch a
# regression, few enough for every run. A count rather than a time: with -fuzztime=5s a
# target still gathering its baseline coverage when the time ran out (on a loaded machine)
# failed with "context deadline exceeded", a failure of the fuzzing engine, not of the code.
fuzz() {
	for target in $(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -r grep -ho '^func Fuzz[A-Za-z0-9_]*' | sed 's/^func //' | sort -u); do
		pkg=$(grep -rl --include='*_test.go' "^func $target(" . | head -1 | xargs dirname)
		stage "fuzz $target ($pkg, 2000 inputs)"
		go test -run='^$' -fuzz="^$target\$" -fuzztime=2000x -parallel=1 "$pkg" || return 1
	done
}
stage "fuzz targets"
fuzz >"$logs/fuzz.log" 2>&1 || { cat "$logs/fuzz.log"; fail "$logs/fuzz.log" "a fuzz target"; }
cat "$logs/fuzz.log"

stage "waiting for the background jobs: ${!bg[*]}"
failed=()
for name in "${!bg[@]}"; do
	wait "${bg[$name]}" || failed+=("$name")
done
bg=()
stage "done"
# Shown whole, one after the other, so that they do not interleave.
for name in darwin windows; do
	echo "---- the $name job's log:"
	cat "$logs/$name.log"
done
for name in "${failed[@]}"; do
	echo "make test: the $name job failed:" >&2
	scripts/failures.sh "$logs/$name.log" 14 >&2
	grep -E '^wine-test: (FAILED|FLAKY|wineboot)' "$logs/$name.log" >&2 || tail -n 4 "$logs/$name.log" >&2
done
[ ${#failed[@]} -eq 0 ]
