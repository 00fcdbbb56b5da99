#!/usr/bin/env bash
# Cross-builds caltray for Windows (amd64) with cgo (Fyne) through Debian's mingw-w64:
#   OUT/caltray.exe      the GUI-subsystem app (-H=windowsgui: no console window at login)
#   OUT/caltray-cli.exe  its console twin, the same code in the console subsystem, so that
#                        `caltray-cli agenda` in cmd or PowerShell prints there and returns its
#                        exit code (both shells do not wait for GUI-subsystem programs)
# Each carries the app icon, version information and an application manifest (per-monitor
# DPI-aware, common controls v6), made by go-winres (the `tool` in go.mod) into a .syso that
# the go command links in; the .syso exists only while this script runs.
# Usage: scripts/build-windows.sh OUT VERSION COMMIT
# A cold build (Fyne and its cgo, the Graph models) takes minutes; the Go build cache makes a
# warm one a re-link.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

out=${1:?usage: build-windows.sh OUT VERSION COMMIT}
version=${2:?version}
commit=${3:?commit}
mkdir -p "$out"

# VERSIONINFO's numeric file version: the leading a.b.c of the version, else 0.0.0.
if [[ $version =~ ^v?([0-9]+)\.([0-9]+)\.([0-9]+) ]]; then
	numeric="${BASH_REMATCH[1]}.${BASH_REMATCH[2]}.${BASH_REMATCH[3]}.0"
else
	numeric=0.0.0.0
fi

syso=zz_winres_windows_amd64.syso # in the main package's folder, where go build looks
scratch=$(mktemp -d "${TMPDIR:-/tmp}/caltray-winres.XXXXXX")
cleanup() { rm -rf "$scratch" "$syso"; }
trap cleanup EXIT

export CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC=x86_64-w64-mingw32-gcc
ldflags="-s -w -X main.version=$version -X main.commit=$commit"

for target in caltray.exe:gui:-H=windowsgui caltray-cli.exe:cli:; do
	IFS=: read -r name manifest subsystem <<<"$target"
	# go-winres runs as a host tool: it must not inherit the Windows target.
	GOOS= GOARCH= CGO_ENABLED= go tool go-winres simply --arch amd64 --out "$scratch/rsrc" \
		--icon assets/icons/app.png --manifest "$manifest" \
		--product-name caltray --product-version "$version" --file-version "$numeric" \
		--file-description "caltray: your Microsoft 365 meetings in the tray" \
		--original-filename "$name" --copyright "caltray authors"
	cp "$scratch/rsrc_windows_amd64.syso" "$syso"
	go build -ldflags "$ldflags $subsystem" -o "$out/$name" .
	rm -f "$syso"
done
