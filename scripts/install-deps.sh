#!/usr/bin/env bash
# Installs the Debian packages caltray needs to build and test: cgo headers for Fyne (X11/GL),
# Xvfb for headless GUI tests, D-Bus and gnome-keyring for the Secret Service tests, xdotool and
# ImageMagick for window checks and screenshots; for the Windows build and its tests under Wine
# (scripts/build-windows.sh, scripts/wine-test.sh) mingw-w64 and Wine; for make dist lintian,
# desktop-file-validate, xz and zip; fonts for the scripts Fyne does not bundle, which the
# agenda finds among the system's fonts and ui's rendering test checks (fonts-noto-core:
# Devanagari, Arabic, Hebrew and most other scripts, 12 MB to download; fonts-wqy-microhei:
# Chinese, Japanese and Korean in 1.6 MB, where fonts-noto-cjk is 57 MB; Latin, Cyrillic, Greek
# and emoji come with Fyne). Quick no-op when everything is present.
set -euo pipefail

pkgs=(gcc pkg-config libgl1-mesa-dev xorg-dev xvfb xauth dbus dbus-x11 gnome-keyring libsecret-tools
      xdotool imagemagick x11-utils procps fonts-noto-core fonts-wqy-microhei
      gcc-mingw-w64-x86-64 wine wine64 lintian desktop-file-utils dpkg-dev xz-utils zip unzip)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
