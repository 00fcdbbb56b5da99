#!/usr/bin/env bash
# Every check `make test` runs: vet, gofmt, the race-enabled tests inside a private desktop
# session (D-Bus, unlocked gnome-keyring, Xvfb), and a few seconds of each fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== go vet"
go vet ./...

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './bin/*'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change these files; run gofmt -w on them:" >&2
	echo "$unformatted" >&2
	exit 1
fi

# Some tests build the caltray binary themselves (plain and -race): build both here first, so
# that on a cold machine the minutes of compiling Fyne and the Graph models count against no
# test's timeout, and the tests' own builds are cache hits.
echo "== go build (plain and -race)"
go build -o /dev/null .
go build -race -o /dev/null .

echo "== go test -race (private D-Bus session, gnome-keyring, Xvfb)"
scripts/with-desktop.sh go test -race -count=1 -timeout 12m ./...

# Each fuzz target runs briefly: long enough to catch a regression on the seed corpus and a
# few thousand mutations, short enough for every run.
for target in $(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -r grep -ho '^func Fuzz[A-Za-z0-9_]*' | sed 's/^func //' | sort -u); do
	pkg=$(grep -rl --include='*_test.go' "^func $target(" . | head -1 | xargs dirname)
	echo "== fuzz $target ($pkg, 5s)"
	go test -run='^$' -fuzz="^$target\$" -fuzztime=5s "$pkg"
done
