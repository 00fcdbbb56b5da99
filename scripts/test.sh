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

stage "go test -race (private D-Bus session, gnome-keyring, Xvfb)"
# To a file, then shown: a pipe would wait for every process that inherited it.
race_rc=0
scripts/with-desktop.sh go test -race -count=1 -timeout 12m ./... >"$logs/race.log" 2>&1 || race_rc=$?
cat "$logs/race.log"
if [ "$race_rc" -ne 0 ]; then
	echo "make test: go test -race failed:" >&2
	scripts/failures.sh "$logs/race.log" >&2
	exit 1
fi

# Each fuzz target runs briefly: long enough to catch a regression on the seed corpus and a
# few thousand mutations, short enough for every run. The fuzz targets (one worker each) and the
# Windows tests under Wine (caltray.exe cross-built once, run on Xvfb) run side by side: each
# leaves a core mostly idle on its own, and together they keep a warm make test within its
# 3 minutes. Both logs are shown after, whole, so they do not interleave.
fuzz() {
	for target in $(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -r grep -ho '^func Fuzz[A-Za-z0-9_]*' | sed 's/^func //' | sort -u); do
		pkg=$(grep -rl --include='*_test.go' "^func $target(" . | head -1 | xargs dirname)
		stage "fuzz $target ($pkg, 5s)"
		go test -run='^$' -fuzz="^$target\$" -fuzztime=5s -parallel=1 "$pkg" || return 1
	done
}
fuzz >"$logs/fuzz.log" 2>&1 &
fuzz_pid=$!

stage "Windows under Wine (the fuzz targets run meanwhile; both logs follow when done)"
wine_rc=0
scripts/wine-test.sh >"$logs/wine.log" 2>&1 || wine_rc=$?
fuzz_rc=0
wait "$fuzz_pid" || fuzz_rc=$?
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
