#!/usr/bin/env bash
# failures.sh LOG [MAX]: the lines of a `go test` log that say what failed (each "--- FAIL" with
# the test's own lines after it, panics, build and vet errors, "FAIL pkg"), at most MAX lines (default
# 30). CI shows only the end of a run's output: test.sh prints this last, so a red run says why
# without scrolling.
set -euo pipefail
log=$1 max=${2:-30}
awk '
	/^[[:space:]]*--- FAIL/            { print; ctx = 4; next }
	/^panic: |^fatal error: /          { print; ctx = 6; next }
	/^FAIL[[:space:]]|^# |: cannot |: undefined: / { print; ctx = 0; next }
	/^[^[:space:]]+\.go:[0-9]+:[0-9]+: / { print; ctx = 0; next }
	ctx > 0 && /^[[:space:]]/          { print; ctx--; next }
	{ ctx = 0 }
' "$log" | awk -v max="$max" 'NR <= max { print } NR == max + 1 { print "… (more in the full log above)" }'
