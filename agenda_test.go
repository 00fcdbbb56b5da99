package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"caltray/sync/fakegraph"
)

// Usage errors are found before anything else: before the sign-in is looked at (a signed-out
// home would exit 3), before a sync, and an empty URL is never taken as the default.
func TestUsageErrorsComeFirst(t *testing.T) {
	t.Parallel() // see newHome
	tests := []struct {
		args     []string
		inStderr string
	}{
		{[]string{"agenda", "--days", "100000"}, "at most 60 days ahead"},
		{[]string{"agenda", "--graph-url", ""}, "is empty"},
		{[]string{"agenda", "--graph-url", "  "}, "is empty"},
		{[]string{"agenda", "--graph-url", "https://graph.microsoft.com/v1.0 x"}, "a space (U+0020) at character 33"},
		{[]string{"agenda", "--graph-url", "https://graph.microsoft.com/\x1b[2J"}, "the character U+001B at character 29"},
		{[]string{"agenda", "--authority", ""}, "--authority is empty"},
		{[]string{"--graph-url", ""}, "is empty"}, // the tray
		{[]string{"whoami", "--graph-url", ""}, "is empty"},
		{[]string{"signin", "--authority", "https://login.microsoftonline.com/ x"}, "U+0020"},
		{[]string{"signout", "--graph-url", "\t"}, "is empty"},
		{[]string{"agenda", "--serve", "--health-addr", ":8765"}, "every interface"},
		{[]string{"--health-addr", "192.0.2.1:8765"}, "not a loopback address"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			h := newHome(t)
			h.run(tt.args...)
			if h.code != exitUsage || !strings.Contains(h.stderr, tt.inStderr) {
				t.Fatalf("exit %d, want %d; stderr (want %q):\n%s", h.code, exitUsage, tt.inStderr, h.stderr)
			}
			if strings.Contains(h.stderr, "\x1b") {
				t.Errorf("stderr echoes an escape character raw: %q", h.stderr)
			}
		})
	}
}

// Commands that open no window print nothing of Fyne's, in the POSIX locale CI and minimal
// systems have (Fyne cannot parse C.UTF-8 and used to say so on every run).
func TestNoFyneOutputInCLocale(t *testing.T) {
	t.Parallel() // see newHome
	for _, lang := range []string{"C.UTF-8", "C", "POSIX", "en_US.UTF-8"} {
		h := newHome(t, "LANG="+lang)
		for _, args := range [][]string{{"version"}, {"agenda", "--demo"}} {
			h.run(args...)
			if h.code != exitOK || strings.Contains(h.stderr, "Fyne") {
				t.Errorf("LANG=%s caltray %s: exit %d, stderr:\n%s", lang, strings.Join(args, " "), h.code, h.stderr)
			}
		}
	}
}

// --days narrows what is printed, never what is cached: after a `--days 0` run, an offline
// run still has the whole window, and its JSON says when the agenda was last good.
func TestAgendaDaysNeverNarrowsTheCache(t *testing.T) {
	t.Parallel() // see newHome
	fake, env := startFake(t, false, fakegraph.Options{})
	h := newHome(t, env...)
	h.run("agenda", "--json", "--graph-url", fake.URL())
	if h.code != exitOK {
		t.Fatalf("first run: exit %d\n%s", h.code, h.stderr)
	}
	week := decode(t, h.stdout)
	h.run("agenda", "--json", "--days", "0", "--graph-url", fake.URL())
	today := decode(t, h.stdout)
	if h.code != exitOK || len(today.Events) >= len(week.Events) {
		t.Fatalf("--days 0: exit %d, %d events (the week has %d)", h.code, len(today.Events), len(week.Events))
	}
	if err := fake.SetOutage(fakegraph.Fault{Kind: fakegraph.Unavailable}); err != nil {
		t.Fatal(err)
	}
	h.run("agenda", "--json", "--graph-url", fake.URL())
	offline := decode(t, h.stdout)
	if h.code != exitSync || !slices.EqualFunc(offline.Events, week.Events, sameEvent) {
		t.Fatalf("offline after --days 0: exit %d, %d events, want the cached week's %d", h.code, len(offline.Events), len(week.Events))
	}
	if offline.Health.LastSuccess == nil || offline.Health.LastSuccess.Before(today.GeneratedAt.Add(-2e9)) {
		t.Fatalf("offline: last_success = %v, want the cache's last good sync (about %v)", offline.Health.LastSuccess, today.GeneratedAt)
	}
}

// The health's last_error_kind, end to end through the built binary, the real Graph source and
// the simulated Graph: a program can switch on it. A sign-in needed is not healthy.
func TestAgendaJSONErrorKinds(t *testing.T) {
	t.Parallel() // see newHome
	fake, env := startFake(t, false, fakegraph.Options{})
	h := newHome(t, env...)
	h.run("agenda", "--json", "--graph-url", fake.URL())
	if o := decode(t, h.stdout); h.code != exitOK || !o.Health.Healthy || o.Health.LastErrorKind != "" {
		t.Fatalf("first run: exit %d, health %+v", h.code, o.Health)
	}
	tests := []struct {
		fault   fakegraph.FaultKind
		env     []string
		code    int
		kind    string
		status  string
		healthy bool
	}{
		{fakegraph.Unavailable, nil, exitSync, "server", "degraded", false},
		{fakegraph.NotJSON, nil, exitSync, "unreadable", "degraded", false},
		{fakegraph.Throttled, nil, exitSync, "throttled", "degraded", false},
		{fakegraph.None, []string{"CALTRAY_ACCESS_TOKEN=not-the-fakes-token"}, exitSignIn, "signin", "degraded", false},
	}
	for _, tt := range tests {
		t.Run(string(tt.fault)+strings.Join(tt.env, ""), func(t *testing.T) {
			// A Retry-After beyond the runner's budget fails at once instead of waiting it out.
			if err := fake.SetOutage(fakegraph.Fault{Kind: tt.fault, RetryAfter: time.Hour}); err != nil {
				t.Fatal(err)
			}
			h.env = append(h.env[:len(h.env):len(h.env)], tt.env...)
			defer func() { h.env = h.env[:len(h.env)-len(tt.env)] }()
			h.run("agenda", "--json", "--graph-url", fake.URL())
			o := decode(t, h.stdout)
			if h.code != tt.code || o.Health.LastErrorKind != tt.kind || o.Health.Status != tt.status || o.Health.Healthy != tt.healthy || !o.Health.Stale {
				t.Fatalf("exit %d, health %+v; want exit %d, kind %q, %s, healthy %v, stale\n%s", h.code, o.Health, tt.code, tt.kind, tt.status, tt.healthy, h.stderr)
			}
		})
	}
}

// A damaged account record is named as such by every command, never taken for "nobody is
// signed in" (which would send the user to sign in without saying what broke).
func TestDamagedAccountRecordIsNamed(t *testing.T) {
	h := newHome(t)
	dir := filepath.Join(h.config, "caltray")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "account.json"), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"agenda", "whoami"} {
		h.run(cmd)
		if h.code == exitOK || !strings.Contains(h.stderr, "account.json") || strings.Contains(h.stderr, "nobody is signed in") {
			t.Errorf("caltray %s: exit %d, stderr:\n%s\nwant the damaged account record named", cmd, h.code, h.stderr)
		}
	}
}
