# The README's two commands: `make demo` runs caltray on the simulated Graph, `make test` runs
# every test. Both install what they need first (scripts/install-deps.sh, quick when done).
export PATH := $(PATH):/usr/local/go/bin

.PHONY: demo test deps build

deps:
	@scripts/install-deps.sh

build: deps
	go build -o bin/caltray .

demo: build
	./bin/caltray --demo

test: deps
	@scripts/test.sh
