package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	tests := []struct {
		args     []string
		code     int
		stdout   string
		inStderr string
	}{
		{[]string{"version"}, exitOK, "caltray " + version + "\n", ""},
		{[]string{"version", "extra"}, exitUsage, "", "takes no arguments"},
		{nil, exitUsage, "", "usage: caltray"},
		{[]string{"frobnicate"}, exitUsage, "", `unknown command "frobnicate"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := run(tt.args, &out, &errb); code != tt.code {
				t.Errorf("exit code = %d, want %d (stderr: %s)", code, tt.code, errb.String())
			}
			if out.String() != tt.stdout {
				t.Errorf("stdout = %q, want %q", out.String(), tt.stdout)
			}
			if !strings.Contains(errb.String(), tt.inStderr) {
				t.Errorf("stderr = %q, want it to contain %q", errb.String(), tt.inStderr)
			}
		})
	}
}
