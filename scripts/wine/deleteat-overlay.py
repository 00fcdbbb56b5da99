#!/usr/bin/env python3
"""Test-environment overlay, never shipped: writes a copy of Go's
internal/syscall/windows/at_windows.go whose Deleteat also falls back to the old delete path when
Wine 8 answers FileDispositionInformationEx with STATUS_NOT_IMPLEMENTED ("Invalid function"), and
the go -overlay JSON that swaps it in. Without it every t.TempDir cleanup fails under Wine (Go's
os.RemoveAll). Real Windows 10 1607+ supports the call. Usage: deleteat-overlay.py GOROOT OUTDIR"""
import json, os, sys

goroot, out = sys.argv[1], sys.argv[2]
src_path = os.path.join(goroot, "src/internal/syscall/windows/at_windows.go")
src = open(src_path).read()
anchor = """		return deleteatFallback(h)
	default:
		return err.(NTStatus).Errno()
	}"""
if src.count(anchor) != 1:
    sys.exit("deleteat-overlay: Go's at_windows.go changed; update scripts/wine/deleteat-overlay.py")
src = src.replace(anchor, """		return deleteatFallback(h)
	default:
		// caltray's scripts/wine-test.sh: Wine 8 answers STATUS_NOT_IMPLEMENTED.
		if err.(NTStatus).Errno() == syscall.Errno(1) { // ERROR_INVALID_FUNCTION
			return deleteatFallback(h)
		}
		return err.(NTStatus).Errno()
	}""")
os.makedirs(out, exist_ok=True)
patched = os.path.join(out, "at_windows.go")
open(patched, "w").write(src)
json.dump({"Replace": {src_path: patched}}, open(os.path.join(out, "overlay.json"), "w"))
