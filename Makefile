# The README's two commands: `make demo` runs caltray on the simulated Graph, `make test` runs
# every test. Both install what they need first (scripts/install-deps.sh, quick when done).
export PATH := $(PATH):/usr/local/go/bin

.PHONY: demo test deps build dist

deps:
	@scripts/install-deps.sh

build: deps
	go build -o bin/caltray .

# Fyne cannot parse the POSIX locale a bare root shell has; give it a real one.
demo: build
	@case "$$LANG" in ""|C|C.*|POSIX) export LANG=en_US.UTF-8;; esac; ./bin/caltray --demo

test: deps
	@scripts/test.sh

# Release artifacts in dist/ (DESIGN.md): the .deb, the Linux tarball, the Windows zip, SHA256SUMS.
# VERSION=1.2.0 overrides `git describe --tags --always --dirty`.
dist: deps
	@VERSION=$(VERSION) scripts/dist.sh
