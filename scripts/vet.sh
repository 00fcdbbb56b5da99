#!/usr/bin/env bash
# go vet for one target platform, as make test runs it (scripts/test.sh):
#   linux    every package, built with -race: the race-enabled go build and go test of make
#            test then reuse every package this compiles, where a plain vet would compile the
#            whole dependency graph once more (minutes on a cold machine). -race sets the race
#            build tag, so the two `!race` test files (a constant each) are not vetted here:
#            sync's is vetted for darwin and windows, ui's (a test budget factor) nowhere;
#   darwin   every package that needs neither cgo nor Fyne, tests included, for arm64 and amd64:
#            no macOS SDK here, so no cgo; the darwin files are included (LaunchAgent autostart,
#            Keychain through go-keyring). Left out: the main package, ui/, and the script
#            helpers that draw with Fyne. Compiled without optimisation (-N -l): nothing
#            compiled for darwin here is run or shipped, vet needs only the type information,
#            and a cold compile takes a fifth less CPU (docs/PACKAGING.md);
#   windows  every package, cgo through mingw-w64, in the environment scripts/build-windows.sh
#            and scripts/wine-test.sh build in, so that they reuse what this compiles.
# Usage: scripts/vet.sh linux|darwin|windows
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

case "${1:-}" in
linux)
	go vet -race ./...
	;;
darwin)
	for arch in arm64 amd64; do
		listed=$(GOOS=darwin GOARCH=$arch CGO_ENABLED=0 go list -e \
			-f '{{.ImportPath}} {{.Incomplete}} {{join .Deps " "}} {{join .TestImports " "}} {{join .XTestImports " "}}' ./...)
		mac=$(awk '$2 == "false" && !/ (fyne\.io\/|caltray\/ui |caltray\/ui$|caltray )/ {print $1}' <<<"$listed")
		for must in caltray/ui/autostart caltray/sync/auth caltray/sync/graph caltray/runner; do
			grep -qx "$must" <<<"$mac" || { echo "$must no longer builds for darwin/$arch without cgo" >&2; exit 1; }
		done
		echo "go vet darwin/$arch, CGO_ENABLED=0 ($(wc -l <<<"$mac") packages; left out: $(awk '{print $1}' <<<"$listed" | grep -vxF "$mac" | xargs))"
		GOOS=darwin GOARCH=$arch CGO_ENABLED=0 go vet -gcflags='all=-N -l' $mac
	done
	;;
windows)
	if ! command -v x86_64-w64-mingw32-gcc >/dev/null; then
		echo "go vet windows: skipped, x86_64-w64-mingw32-gcc is not installed (scripts/install-deps.sh installs it)" >&2
		exit 0
	fi
	# caltray/ui is left out: its tests use ErrNoDisplay, which only the Linux/BSD file defines
	# (its non-test code builds for Windows: scripts/wine-test.sh builds caltray.exe from it).
	echo "go vet windows/amd64 (cgo through mingw-w64; all but caltray/ui's tests)"
	CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC=x86_64-w64-mingw32-gcc go vet $(go list ./... | grep -vx caltray/ui)
	;;
*)
	echo "usage: scripts/vet.sh linux|darwin|windows" >&2
	exit 2
	;;
esac
