#!/usr/bin/env bash
# make dist: the release artifacts of docs/DESIGN.md ("Release artifacts"), in dist/:
#   caltray_<version>_amd64.deb            dpkg-deb; Depends from dpkg-shlibdeps; lintian-clean
#   caltray-<version>-linux-amd64.tar.xz   binary, desktop entry, icons, install note
#   caltray-<version>-windows-amd64.zip    caltray.exe (GUI) + caltray-cli.exe (console twin)
#   SHA256SUMS
# <version> is $VERSION, else `git describe --tags --always --dirty`. The packaging files are in
# assets/packaging/; docs/PACKAGING.md gives the choices and their reasons.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

version=${VERSION:-$(git describe --tags --always --dirty)}
version=${version#v}
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
case $version in
"" | */* | *" "*) echo "dist: bad version '$version'" >&2; exit 2 ;;
esac
# Debian versions start with a digit and use no '-' in a native package: 1.2.0-3-gabc -> 1.2.0+3.gabc;
# an untagged tree (git describe gives the bare commit) -> 0~git.<commit>.
debversion=$(echo "$version" | sed -e 's/-/+/' -e 's/-/./g')
[[ $debversion =~ ^[0-9]+\.[0-9] ]] || debversion="0~git.$debversion"
# Timestamps inside the archives: the commit's, so that two builds of a commit match.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}

stage=$(mktemp -d "${TMPDIR:-/tmp}/caltray-dist.XXXXXX")
trap 'rm -rf "$stage"' EXIT
out=dist
rm -rf "$out"
mkdir -p "$out"

echo "== dist: caltray $version (commit $commit, Debian version $debversion)"
ldflags="-s -w -X main.version=$version -X main.commit=$commit"

echo "== dist: linux/amd64 binary"
go build -ldflags "$ldflags" -o "$stage/caltray" .
LANG=C.UTF-8 "$stage/caltray" version | grep -qF "caltray $version (commit $commit," ||
	{ echo "dist: the Linux binary does not say version $version, commit $commit" >&2; exit 1; }

echo "== dist: windows/amd64 binaries"
scripts/build-windows.sh "$stage/windows" "$version" "$commit"

# The desktop entry and the hicolor icons, shared by the .deb and the tarball.
desktop-file-validate assets/packaging/app.caltray.desktop
icons="$stage/icons/hicolor"
for size in 16 24 32 48 64 128 256; do
	mkdir -p "$icons/${size}x${size}/apps"
	convert assets/icons/app.png -resize "${size}x${size}" -strip "PNG32:$icons/${size}x${size}/apps/app.caltray.png"
done

echo "== dist: .deb"
root="$stage/deb"
install -D -m 0755 "$stage/caltray" "$root/usr/bin/caltray"
install -D -m 0644 assets/packaging/app.caltray.desktop "$root/usr/share/applications/app.caltray.desktop"
mkdir -p "$root/usr/share/icons"
cp -r "$icons" "$root/usr/share/icons/"
install -D -m 0644 assets/packaging/copyright "$root/usr/share/doc/caltray/copyright"
install -D -m 0644 README.md "$root/usr/share/doc/caltray/README.md"
mkdir -p "$root/usr/share/man/man1"
gzip -9n <assets/packaging/caltray.1 >"$root/usr/share/man/man1/caltray.1.gz"
{
	echo "caltray ($debversion) unstable; urgency=medium"
	echo
	echo "  * Release $version, built from commit $commit."
	echo
	echo " -- caltray developers <caltray@users.noreply.github.com>  $(date -R -u -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n >"$root/usr/share/doc/caltray/changelog.gz"
chmod 0644 "$root/usr/share/man/man1/caltray.1.gz" "$root/usr/share/doc/caltray/changelog.gz"
find "$root" -type d -exec chmod 0755 {} +
find "$root/usr/share" -type f -exec chmod 0644 {} +

# Depends: the shared libraries the binary really links, mapped to their packages.
mkdir -p "$stage/shlib/debian"
printf 'Source: caltray\n\nPackage: caltray\nArchitecture: amd64\n' >"$stage/shlib/debian/control"
depends=$(cd "$stage/shlib" && dpkg-shlibdeps -O -e "$root/usr/bin/caltray" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "dist: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
mkdir -p "$root/DEBIAN"
sed -e "s/@DEBVERSION@/$debversion/" -e "s/@INSTALLED_SIZE@/$(du -sk --exclude=DEBIAN "$root" | cut -f1)/" \
	-e "s/@DEPENDS@/$depends/" assets/packaging/control.in >"$root/DEBIAN/control"
find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
deb="$out/caltray_${version}_amd64.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
if command -v lintian >/dev/null; then
	# Errors fail the build; warnings are printed for whoever reads the log.
	lintian --fail-on error --tag-display-limit 0 "$deb"
else
	echo "dist: lintian is not installed: the .deb is unchecked (scripts/install-deps.sh installs it)" >&2
fi

echo "== dist: tar.xz"
name="caltray-$version-linux-amd64"
tdir="$stage/tar/$name"
install -D -m 0755 "$stage/caltray" "$tdir/caltray"
install -D -m 0644 assets/packaging/app.caltray.desktop "$tdir/app.caltray.desktop"
install -D -m 0644 assets/packaging/INSTALL-linux.txt "$tdir/INSTALL.txt"
install -D -m 0644 README.md "$tdir/README.md"
mkdir -p "$tdir/icons"
cp -r "$icons" "$tdir/icons/"
tar -C "$stage/tar" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" \
	-cJf "$out/$name.tar.xz" "$name"

echo "== dist: zip"
name="caltray-$version-windows-amd64"
zdir="$stage/zip/$name"
mkdir -p "$zdir"
cp "$stage/windows/caltray.exe" "$stage/windows/caltray-cli.exe" "$zdir/"
sed 's/$/\r/' assets/packaging/README-windows.txt >"$zdir/README.txt"
find "$zdir" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
(cd "$stage/zip" && find "$name" -print | LC_ALL=C sort | zip -q -X -9 "$OLDPWD/$out/$name.zip" -@)

(cd "$out" && sha256sum "caltray_${version}_amd64.deb" "caltray-$version-linux-amd64.tar.xz" \
	"caltray-$version-windows-amd64.zip" >SHA256SUMS)
echo "== dist: done"
ls -l "$out"
