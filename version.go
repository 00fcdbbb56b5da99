package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// version and commit say which release and which commit this binary was built from. Release
// builds (make dist: scripts/dist.sh, scripts/build-windows.sh) set both at link time:
//
//	go build -ldflags "-X main.version=1.2.0 -X main.commit=0123abc" .
//
// A plain `go build` in a git checkout leaves them as they are here; the commit then comes
// from the VCS stamp the go command embeds (runtime/debug.BuildInfo), if there is one.
var (
	version = "0.1.0-dev"
	commit  = ""
)

// versionLine is what `caltray version` prints: the version, the commit (with "-dirty" when the
// build stamp says the tree had changes) and the toolchain and platform, e.g.
// "caltray 1.2.0 (commit 0123abc, go1.26.8 windows/amd64)".
func versionLine() string {
	info, _ := debug.ReadBuildInfo()
	return formatVersion(version, commit, info, runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH)
}

// formatVersion is versionLine with its inputs passed in, for tests.
func formatVersion(version, commit string, info *debug.BuildInfo, goVersion, platform string) string {
	if commit == "" {
		commit = "unknown"
		if rev, dirty := vcsStamp(info); rev != "" {
			commit = rev + dirty
		}
	}
	return fmt.Sprintf("caltray %s (commit %s, %s %s)", version, commit, goVersion, platform)
}

// vcsStamp returns the revision the go command stamped into the binary (shortened to 12
// hexadecimal digits) and "-dirty" if the working tree had uncommitted changes.
func vcsStamp(info *debug.BuildInfo) (rev, dirty string) {
	if info == nil {
		return "", ""
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
			if len(rev) > 12 {
				rev = rev[:12]
			}
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if rev == "" {
		dirty = ""
	}
	return rev, dirty
}
