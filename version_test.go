package main

import (
	"runtime/debug"
	"testing"
)

func TestFormatVersion(t *testing.T) {
	stamp := func(kv ...string) *debug.BuildInfo {
		info := &debug.BuildInfo{}
		for i := 0; i+1 < len(kv); i += 2 {
			info.Settings = append(info.Settings, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return info
	}
	const full = "0123456789abcdef0123456789abcdef01234567"
	tests := []struct {
		name            string
		version, commit string
		info            *debug.BuildInfo
		want            string
	}{
		{"release build: ldflags win over the stamp", "1.2.0", "0123abc", stamp("vcs.revision", full, "vcs.modified", "true"),
			"caltray 1.2.0 (commit 0123abc, go1.26.8 linux/amd64)"},
		{"dev build in a clean checkout", "0.1.0-dev", "", stamp("vcs.revision", full, "vcs.modified", "false"),
			"caltray 0.1.0-dev (commit 0123456789ab, go1.26.8 linux/amd64)"},
		{"dev build with changes", "0.1.0-dev", "", stamp("vcs.revision", full, "vcs.modified", "true"),
			"caltray 0.1.0-dev (commit 0123456789ab-dirty, go1.26.8 linux/amd64)"},
		{"short revision kept whole", "0.1.0-dev", "", stamp("vcs.revision", "abc"),
			"caltray 0.1.0-dev (commit abc, go1.26.8 linux/amd64)"},
		{"no stamp (go test, -buildvcs=false)", "0.1.0-dev", "", stamp(),
			"caltray 0.1.0-dev (commit unknown, go1.26.8 linux/amd64)"},
		{"modified without a revision says nothing", "0.1.0-dev", "", stamp("vcs.modified", "true"),
			"caltray 0.1.0-dev (commit unknown, go1.26.8 linux/amd64)"},
		{"no build info at all", "0.1.0-dev", "", nil,
			"caltray 0.1.0-dev (commit unknown, go1.26.8 linux/amd64)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := formatVersion(tt.version, tt.commit, tt.info, "go1.26.8", "linux/amd64")
			if got != tt.want {
				t.Errorf("formatVersion = %q, want %q", got, tt.want)
			}
		})
	}
}
