#!/usr/bin/env bash
# Every check `make test` runs: vet (Linux, Windows, and macOS for the packages that need no cgo),
# gofmt, the race-enabled tests inside a private desktop session (D-Bus, unlocked gnome-keyring,
# Xvfb), a few seconds of each fuzz target, and the Windows build under Wine (scripts/wine-test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

# Each stage says when it starts (seconds into make test), for the timings in docs/PACKAGING.md.
stage() { echo "== $* (at ${SECONDS} s)"; }

stage "go vet"
go vet ./...

# macOS: no SDK here, so no cgo: every package that needs neither cgo nor Fyne (whose darwin
# files need cgo), tests included, must compile and vet for darwin, its darwin files included
# (LaunchAgent autostart, Keychain through go-keyring). Left out: the main package, ui/, and the
# script helpers that draw with Fyne.
for arch in arm64 amd64; do
	listed=$(GOOS=darwin GOARCH=$arch CGO_ENABLED=0 go list -e \
		-f '{{.ImportPath}} {{.Incomplete}} {{join .Deps " "}} {{join .TestImports " "}} {{join .XTestImports " "}}' ./...)
	mac=$(awk '$2 == "false" && !/ (fyne\.io\/|caltray\/ui |caltray\/ui$|caltray )/ {print $1}' <<<"$listed")
	for must in caltray/ui/autostart caltray/sync/auth caltray/sync/graph caltray/runner; do
		grep -qx "$must" <<<"$mac" || { echo "$must no longer builds for darwin/$arch without cgo" >&2; exit 1; }
	done
	stage "go vet darwin/$arch, CGO_ENABLED=0 ($(wc -l <<<"$mac") packages; left out: $(awk '{print $1}' <<<"$listed" | grep -vxF "$mac" | xargs))"
	GOOS=darwin GOARCH=$arch CGO_ENABLED=0 go vet $mac
done

# Windows: everything, cgo through mingw-w64 (what scripts/build-windows.sh builds with).
if command -v x86_64-w64-mingw32-gcc >/dev/null; then
	# caltray/ui is left out: its tests use ErrNoDisplay, which only the Linux/BSD file defines
	# (its non-test code builds for Windows: scripts/wine-test.sh builds caltray.exe from it).
	stage "go vet windows/amd64 (cgo through mingw-w64; all but caltray/ui's tests)"
	CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC=x86_64-w64-mingw32-gcc go vet $(go list ./... | grep -vx caltray/ui)
fi

stage "gofmt"
# third_party/ holds upstream code as upstream wrote it (plus a marked patch): not ours to reformat.
unformatted=$(gofmt -l $(git ls-files '*.go' ':!third_party' 2>/dev/null || find . -name '*.go' -not -path './bin/*' -not -path './third_party/*'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change these files; run gofmt -w on them:" >&2
	echo "$unformatted" >&2
	exit 1
fi

# Some tests build the caltray binary themselves (plain and -race): build both here first, so
# that on a cold machine the minutes of compiling Fyne and the Graph models count against no
# test's timeout, and the tests' own builds are cache hits.
stage "go build (plain and -race)"
go build -o /dev/null .
go build -race -o /dev/null .

# Every log is kept until the end, so that the last lines of a red run say what failed
# (scripts/failures.sh): CI shows only the end of the output.
logs=$(mktemp -d "${TMPDIR:-/tmp}/caltray-test.XXXXXX")
trap 'rm -rf "$logs"' EXIT

# The Windows tests under Wine (caltray.exe cross-built once, run on Xvfb) start now, at the
# lowest CPU priority: the race-enabled tests below keep both cores busy only part of the
# time (they wait for windows, processes, D-Bus), and the Wine part's builds and prefix boot
# fill those gaps instead of adding a minute after them. nice 19 keeps it from slowing the
# tests it runs beside; its own timeouts are minutes.
stage "Windows under Wine, in the background at nice 19 (its log follows at the end)"
nice -n 19 scripts/wine-test.sh >"$logs/wine.log" 2>&1 &
wine_pid=$!

stage "go test -race (private D-Bus session, gnome-keyring, Xvfb)"
# To a file, then shown: a pipe would wait for every process that inherited it.
race_rc=0
scripts/with-desktop.sh go test -race -count=1 -timeout 12m ./... >"$logs/race.log" 2>&1 || race_rc=$?
cat "$logs/race.log"
if [ "$race_rc" -ne 0 ]; then
	wait "$wine_pid" || true # it cleans up its Wine prefix and display
	echo "make test: go test -race failed:" >&2
	scripts/failures.sh "$logs/race.log" >&2
	exit 1
fi

# Each fuzz target runs briefly: its seed corpus and 2,000 mutations, enough to catch a
# regression, few enough for every run. A count rather than a time: with -fuzztime=5s a
# target still gathering its baseline coverage when the time ran out (on a loaded machine)
# failed with "context deadline exceeded", a failure of the fuzzing engine, not of the code.
# Both logs are shown after, whole, so they do not interleave.
fuzz() {
	for target in $(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -r grep -ho '^func Fuzz[A-Za-z0-9_]*' | sed 's/^func //' | sort -u); do
		pkg=$(grep -rl --include='*_test.go' "^func $target(" . | head -1 | xargs dirname)
		stage "fuzz $target ($pkg, 2000 inputs)"
		go test -run='^$' -fuzz="^$target\$" -fuzztime=2000x -parallel=1 "$pkg" || return 1
	done
}
stage "fuzz targets (the Wine part goes on beside them)"
fuzz_rc=0
fuzz >"$logs/fuzz.log" 2>&1 || fuzz_rc=$?
stage "waiting for the Windows tests under Wine"
wine_rc=0
wait "$wine_pid" || wine_rc=$?
stage "done"
cat "$logs/fuzz.log" "$logs/wine.log"
if [ "$fuzz_rc" -ne 0 ]; then
	echo "make test: a fuzz target failed:" >&2
	scripts/failures.sh "$logs/fuzz.log" 14 >&2
fi
if [ "$wine_rc" -ne 0 ]; then
	echo "make test: the Windows tests under Wine failed:" >&2
	scripts/failures.sh "$logs/wine.log" 14 >&2
	grep -E '^wine-test: (FAILED|FLAKY|wineboot)' "$logs/wine.log" >&2 || tail -n 4 "$logs/wine.log" >&2
fi
[ "$fuzz_rc" -eq 0 ] && [ "$wine_rc" -eq 0 ]
