package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"caltray/sync/fakegraph"
)

func TestRun(t *testing.T) {
	var help bytes.Buffer
	usage(&help)
	tests := []struct {
		args     []string
		code     int
		stdout   string
		inStderr string
	}{
		{[]string{"version"}, exitOK, versionLine() + "\n", ""},
		{[]string{"version", "extra"}, exitUsage, "", "takes no arguments"},
		{[]string{"--help"}, exitOK, help.String(), ""},
		{[]string{"-h"}, exitOK, help.String(), ""},
		// A leading flag means the tray app; these fail before it starts.
		{[]string{"--bogus"}, exitUsage, "", "flag provided but not defined: -bogus"},
		{[]string{"--demo", "extra"}, exitUsage, "", `unexpected argument "extra"`},
		{[]string{"frobnicate"}, exitUsage, "", `unknown command "frobnicate"`},
		{[]string{"agenda", "--nope"}, exitUsage, "", "flag provided but not defined: -nope"},
		{[]string{"agenda", "extra"}, exitUsage, "", `unexpected argument "extra"`},
		{[]string{"agenda", "-h"}, exitOK, "", "usage: caltray agenda"},
		{[]string{"agenda", "--days", "-1"}, exitUsage, "", "want a whole number of days, 0 or more"},
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

// The built binary, shared by the tests of one run.
var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	buildDir  string
)

func TestMain(m *testing.M) {
	// The tray process is this binary, so Fyne's package initialisers run in it: they must
	// start nothing but the GLFW driver's event-queue goroutine, which sits parked on a
	// channel (no timer, no thread, no wake-up) until a window process uses it.
	if err := goleak.Find(goleak.IgnoreTopFunction("fyne.io/fyne/v2/internal/async.(*UnboundedChan[...]).processing")); err != nil {
		fmt.Fprintln(os.Stderr, "package initialisers started goroutines:", err)
		os.Exit(1)
	}
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	// The tests start simulated Graphs in this process: nothing of them may outlive the tests.
	// Fyne's GLFW driver starts its event queue goroutine when the package loads (main imports
	// ui): that one lives as long as the process, by design.
	if err := goleak.Find(goleak.IgnoreTopFunction("fyne.io/fyne/v2/internal/async.(*UnboundedChan[...]).processing")); code == 0 && err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}

// caltrayBinary builds caltray once per test run, as a user would run it, with the race
// detector when the tests have it (make test): the detector then watches the real program too,
// and the build reuses the packages the tests were compiled from, where a plain build would
// compile every package once more (minutes on a cold machine: docs/PACKAGING.md).
func caltrayBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "caltray-bin-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(buildDir, "caltray")
		args := []string{"build", "-o", binPath}
		if raceEnabled() {
			args = append(args, "-race")
		}
		out, err := exec.Command("go", append(args, ".")...).CombinedOutput()
		if err != nil {
			buildErr = &buildError{err: err, out: out}
		}
	})
	if buildErr != nil {
		t.Fatalf("build caltray: %v", buildErr)
	}
	return binPath
}

// raceEnabled reports whether this test binary was built with -race.
func raceEnabled() bool {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range info.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

type buildError struct {
	err error
	out []byte
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + string(e.out) }

// home is a user's environment for one run of the binary: its own cache and config dirs.
type home struct {
	t              *testing.T
	cache, config  string
	env            []string
	stdout, stderr string
	code           int
}

// zone is the binary's time zone in these tests: an offset of +05:30 shows that times are
// written in the viewer's zone, with its offset, and that all-day events sit at local midnight.
const zone = "Asia/Kolkata"

// newHome makes a home for runs of the binary. Its environment is only what is given here: no
// D-Bus unless a test passes DBUS_SESSION_BUS_ADDRESS (the sign-in tests), so no keyring. The tests that run the binary in homes of their own, with
// CALTRAY_ACCESS_TOKEN or --demo, change nothing shared (no t.Setenv, no keyring) and so run in
// parallel: the race-enabled binary starts slowly, and run one after the other they made this
// package the last one of make test by half a minute. The sign-in tests share the session's
// keyring and stay sequential.
func newHome(t *testing.T, env ...string) *home {
	dir := t.TempDir()
	h := &home{t: t, cache: filepath.Join(dir, "cache"), config: filepath.Join(dir, "config")}
	h.env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "TZ=" + zone,
		"XDG_CACHE_HOME=" + h.cache, "XDG_CONFIG_HOME=" + h.config}, env...)
	return h
}

func (h *home) run(args ...string) {
	h.t.Helper()
	cmd := exec.Command(caltrayBinary(h.t), args...)
	cmd.Env = h.env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	h.stdout, h.stderr, h.code = out.String(), errb.String(), cmd.ProcessState.ExitCode()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		h.t.Fatalf("run caltray: %v", err)
	}
}

// startFake starts the simulated Graph and returns it with the environment that points the
// binary at it: the token, and for TLS the certificate as the trusted root.
func startFake(t *testing.T, useTLS bool, opts fakegraph.Options) (*fakegraph.Server, []string) {
	t.Helper()
	start := fakegraph.New
	if useTLS {
		start = fakegraph.NewTLS
	}
	fake, err := start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	env := []string{"CALTRAY_ACCESS_TOKEN=" + fake.Token()}
	if useTLS {
		cert := filepath.Join(t.TempDir(), "fake.pem")
		if err := os.WriteFile(cert, fake.CertPEM(), 0o600); err != nil {
			t.Fatal(err)
		}
		env = append(env, "SSL_CERT_FILE="+cert)
	}
	return fake, env
}

// output mirrors the JSON contract in docs/DESIGN.md; unknown fields fail the decode.
type output struct {
	GeneratedAt time.Time `json:"generated_at"`
	Health      struct {
		Healthy             bool       `json:"healthy"`
		Status              string     `json:"status"`
		Breaker             string     `json:"breaker"`
		ConsecutiveFailures int        `json:"consecutive_failures"`
		LastSuccess         *time.Time `json:"last_success"`
		LastError           string     `json:"last_error"`
		LastErrorKind       string     `json:"last_error_kind"`
		RetryAt             *time.Time `json:"retry_at"`
		Stale               bool       `json:"stale"`
		Timestamp           time.Time  `json:"timestamp"`
	} `json:"health"`
	Events []event `json:"events"`
}

type event struct {
	ID        string `json:"id"`
	Subject   string `json:"subject"`
	Start     string `json:"start"`
	End       string `json:"end"`
	AllDay    bool   `json:"all_day"`
	Location  string `json:"location"`
	JoinURL   string `json:"join_url"`
	WebLink   string `json:"web_link"`
	Organizer string `json:"organizer"`
	Response  string `json:"response"`
	ShowAs    string `json:"show_as"`
	Cancelled bool   `json:"cancelled"`
	// A pointer, so that null and 0 differ; compared by remindersEqual, not ==.
	ReminderMinutes *int `json:"reminder_minutes"`
}

// remindersEqual compares two events' reminder_minutes by value.
func remindersEqual(a, b event) bool {
	return (a.ReminderMinutes == nil) == (b.ReminderMinutes == nil) &&
		(a.ReminderMinutes == nil || *a.ReminderMinutes == *b.ReminderMinutes)
}

// sameEvent compares two events field by field, reminder_minutes by value.
func sameEvent(a, b event) bool {
	if !remindersEqual(a, b) {
		return false
	}
	a.ReminderMinutes, b.ReminderMinutes = nil, nil
	return a == b
}

// fmtMinutes writes reminder_minutes as the JSON has it.
func fmtMinutes(m *int) string {
	if m == nil {
		return "null"
	}
	return strconv.Itoa(*m)
}

func decode(t *testing.T, stdout string) output {
	t.Helper()
	var o output
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		t.Fatalf("stdout is not the agenda JSON: %v\n%s", err, stdout)
	}
	if o.Events == nil {
		t.Fatalf(`"events" is null, want an array`)
	}
	return o
}

// expected returns the fake's events in the agenda window of days days after today, in loc,
// rendered as the contract says, sorted by start.
func expected(fake *fakegraph.Server, days int, loc *time.Location) []event {
	y, m, d := time.Now().In(loc).Date()
	from := time.Date(y, m, d, 0, 0, 0, 0, loc)
	to := from.AddDate(0, 0, days+1)
	type timed struct {
		e          event
		start, end time.Time
	}
	var out []timed
	for _, f := range fake.Events() {
		start, end := f.Start.In(loc), f.End.In(loc)
		if f.AllDay { // dates, read in their own zone, at the viewer's midnight
			sy, sm, sd := f.Start.Date()
			ey, em, ed := f.End.Date()
			start, end = time.Date(sy, sm, sd, 0, 0, 0, 0, loc), time.Date(ey, em, ed, 0, 0, 0, 0, loc)
		}
		if !start.Before(to) || !end.After(from) {
			continue
		}
		e := event{ID: f.ID, Subject: f.Subject, Start: start.Format(time.RFC3339), End: end.Format(time.RFC3339),
			AllDay: f.AllDay, Location: f.Location, Organizer: f.OrganizerName, Cancelled: f.IsCancelled,
			Response: map[string]string{"": "none", "none": "none", "notResponded": "none", "organizer": "organizer",
				"accepted": "accepted", "tentativelyAccepted": "tentative", "declined": "declined"}[f.Response],
			ShowAs: f.ShowAs, WebLink: f.WebLink, JoinURL: f.JoinURL}
		if e.Organizer == "" {
			e.Organizer = f.OrganizerAddress
		}
		if !f.IsCancelled && !f.NoReminder { // the fake's rule for isReminderOn
			m := 15 // Outlook's defaults, which the fake renders
			if f.AllDay {
				m = 18 * 60
			}
			if f.ReminderMinutes != nil {
				m = *f.ReminderMinutes
			}
			e.ReminderMinutes = &m
		}
		if e.ShowAs == "" {
			e.ShowAs = "busy"
		}
		// Safe Links wrappers are unwrapped to the meeting link.
		if u, err := url.Parse(f.JoinURL); err == nil && strings.HasSuffix(u.Hostname(), ".safelinks.protection.outlook.com") {
			e.JoinURL = u.Query().Get("url")
		}
		out = append(out, timed{e, start, end})
	}
	slices.SortStableFunc(out, func(a, b timed) int {
		if c := a.start.Compare(b.start); c != 0 {
			return c
		}
		return a.end.Compare(b.end)
	})
	evs := make([]event, len(out))
	for i, o := range out {
		evs[i] = o.e
	}
	return evs
}

func TestAgendaJSONAgainstFake(t *testing.T) {
	t.Parallel() // see newHome
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	for _, tt := range []struct {
		name string
		tls  bool
	}{{"https", true}, {"loopback http", false}} {
		t.Run(tt.name, func(t *testing.T) {
			fake, env := startFake(t, tt.tls, fakegraph.Options{})
			h := newHome(t, env...)
			h.run("agenda", "--json", "--graph-url", fake.URL(), "--days", "7")
			if h.code != exitOK {
				t.Fatalf("exit %d, stderr:\n%s", h.code, h.stderr)
			}
			o := decode(t, h.stdout)
			if o.Health.Status != "operational" || !o.Health.Healthy || o.Health.Breaker != "closed" || o.Health.Stale ||
				o.Health.LastSuccess == nil || o.Health.RetryAt != nil || o.Health.LastError != "" {
				t.Errorf("health = %+v, want operational and fresh", o.Health)
			}
			if age := time.Since(o.GeneratedAt); age < 0 || age > time.Minute || o.GeneratedAt.Location() != time.UTC {
				t.Errorf("generated_at = %v", o.GeneratedAt)
			}
			want := expected(fake, 7, loc)
			if len(o.Events) != len(want) || len(want) < 10 {
				t.Fatalf("%d events, the fake has %d in the window", len(o.Events), len(want))
			}
			byID := map[string]event{}
			for _, e := range want {
				byID[e.ID] = e
			}
			var prev time.Time
			for i, got := range o.Events {
				w, ok := byID[got.ID]
				if !ok {
					t.Errorf("event %d %q is not in the fake's window", i, got.ID)
					continue
				}
				start, err := time.Parse(time.RFC3339, got.Start)
				if err != nil || start.Before(prev) {
					t.Errorf("event %d: start %q unparsable or out of order (%v)", i, got.Start, err)
				}
				prev = start
				if _, off := start.Zone(); off != 5*3600+1800 {
					t.Errorf("event %d: start %q is not in the viewer's offset", i, got.Start)
				}
				if w.WebLink == "" { // the fake makes an Outlook on the web link from the ID
					if !strings.HasPrefix(got.WebLink, "https://") || !strings.Contains(got.WebLink, url.QueryEscape(got.ID)) {
						t.Errorf("event %d: web_link %q", i, got.WebLink)
					}
					w.WebLink = got.WebLink
				}
				if w.JoinURL == "" { // found in the location or body by the source: its tests check that
					w.JoinURL = got.JoinURL
				}
				if !remindersEqual(got, w) {
					t.Errorf("event %d: reminder_minutes %v, want %v", i, fmtMinutes(got.ReminderMinutes), fmtMinutes(w.ReminderMinutes))
				}
				got.ReminderMinutes, w.ReminderMinutes = nil, nil
				if got != w {
					t.Errorf("event %d differs from the fake's:\n got %+v\nwant %+v", i, got, w)
				}
			}
			// A second run syncs by delta from the cache and prints the same agenda.
			h.run("agenda", "--json", "--graph-url", fake.URL(), "--days", "7")
			if again := decode(t, h.stdout); h.code != exitOK || !slices.EqualFunc(again.Events, o.Events, sameEvent) {
				t.Fatalf("second run: exit %d, %d events (first: %d)", h.code, len(again.Events), len(o.Events))
			}
			var deltaRequests int
			for _, r := range fake.Requests() {
				if r.Query.Has("$deltatoken") {
					deltaRequests++
				}
			}
			if deltaRequests == 0 {
				t.Errorf("the second run did not resume from the cached delta link")
			}
		})
	}
}

// Every event carries reminder_minutes, read from the page Graph sends: the minutes when the
// reminder is on (Outlook's default or a custom one, at the start included), null (not left
// out) when it is off, and null for a cancelled meeting.
func TestAgendaJSONReminders(t *testing.T) {
	now := time.Now()
	at := func(h int) (time.Time, time.Time) {
		return now.Add(time.Duration(h) * time.Hour), now.Add(time.Duration(h)*time.Hour + 30*time.Minute)
	}
	minutes := func(m int) *int { return &m }
	tests := []struct {
		subject string
		edit    func(*fakegraph.Event)
		want    string // reminder_minutes as written in the JSON
	}{
		{"Default reminder", func(*fakegraph.Event) {}, "15"},
		{"Custom reminder", func(e *fakegraph.Event) { e.ReminderMinutes = minutes(45) }, "45"},
		{"At the start", func(e *fakegraph.Event) { e.ReminderMinutes = minutes(0) }, "0"},
		{"No reminder", func(e *fakegraph.Event) { e.NoReminder = true }, "null"},
		{"Cancelled", func(e *fakegraph.Event) { e.IsCancelled = true }, "null"},
	}
	var evs []fakegraph.Event
	for i, tt := range tests {
		e := fakegraph.Event{ID: fmt.Sprintf("ev-%d", i), Subject: tt.subject}
		e.Start, e.End = at(i + 1)
		tt.edit(&e)
		evs = append(evs, e)
	}
	fake, env := startFake(t, false, fakegraph.Options{Events: evs})
	h := newHome(t, env...)
	h.run("agenda", "--json", "--graph-url", fake.URL())
	if h.code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", h.code, h.stderr)
	}
	// The raw JSON: null is written, never left out, so that programs can tell "no reminder"
	// from an older caltray that did not say.
	var raw struct {
		Events []map[string]json.RawMessage `json:"events"`
	}
	if err := json.Unmarshal([]byte(h.stdout), &raw); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, e := range raw.Events {
		var subject string
		json.Unmarshal(e["subject"], &subject)
		m, ok := e["reminder_minutes"]
		if !ok {
			t.Errorf("event %s has no reminder_minutes", subject)
		}
		got[subject] = string(m)
	}
	for _, tt := range tests {
		if got[tt.subject] != tt.want {
			t.Errorf("%s: reminder_minutes %s, want %s", tt.subject, got[tt.subject], tt.want)
		}
	}
}

func TestAgendaExitCodes(t *testing.T) {
	t.Parallel() // see newHome
	fake, env := startFake(t, false, fakegraph.Options{})
	tests := []struct {
		name     string
		env      []string
		args     []string
		code     int
		inStderr string
	}{
		{"no token", nil, []string{"agenda", "--graph-url", fake.URL()}, exitSignIn, "set CALTRAY_ACCESS_TOKEN"},
		{"token rejected", []string{"CALTRAY_ACCESS_TOKEN=not-the-fakes-token"}, []string{"agenda", "--graph-url", fake.URL()}, exitSignIn, "HTTP 401"},
		{"http to a remote host", env, []string{"agenda", "--graph-url", "http://graph.example.com/v1.0"}, exitUsage, "plain http to a non-loopback host"},
		{"not a URL", env, []string{"agenda", "--graph-url", "graph.microsoft.com"}, exitUsage, "--graph-url"},
		{"window too long", env, []string{"agenda", "--graph-url", fake.URL(), "--days", "99"}, exitUsage, `invalid value "99" for flag -days`},
		{"bad flag value", env, []string{"agenda", "--days", "many"}, exitUsage, `invalid value "many" for flag -days`},
		{"kill switch typo", append([]string{"CALTRAY_RUNNER=of"}, env...), []string{"agenda", "--graph-url", fake.URL()}, exitUsage, "CALTRAY_RUNNER"},
		{"ok", env, []string{"agenda", "--graph-url", fake.URL()}, exitOK, ""},
		{"health without serve", env, []string{"agenda", "--graph-url", fake.URL(), "--health-addr", "127.0.0.1:0"}, exitUsage, "--health-addr needs --serve"},
		{"health on every interface", env, []string{"agenda", "--serve", "--graph-url", fake.URL(), "--health-addr", "0.0.0.0:0"}, exitUsage, "not a loopback address"},
		{"serve without token", nil, []string{"agenda", "--serve", "--graph-url", fake.URL()}, exitSignIn, "set CALTRAY_ACCESS_TOKEN"},
		{"kill switch off", append([]string{"CALTRAY_RUNNER=off"}, env...), []string{"agenda", "--graph-url", fake.URL(), "--json"}, exitOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHome(t, tt.env...)
			h.run(tt.args...)
			if h.code != tt.code || !strings.Contains(h.stderr, tt.inStderr) {
				t.Fatalf("exit %d, want %d; stderr (want %q):\n%s", h.code, tt.code, tt.inStderr, h.stderr)
			}
		})
	}
}

func TestAgendaPrintsCachedAgendaWhenSyncFails(t *testing.T) {
	t.Parallel() // see newHome
	fake, env := startFake(t, false, fakegraph.Options{})
	h := newHome(t, env...)
	h.run("agenda", "--json", "--graph-url", fake.URL())
	if h.code != exitOK {
		t.Fatalf("first run: exit %d\n%s", h.code, h.stderr)
	}
	good := decode(t, h.stdout)
	if err := fake.SetOutage(fakegraph.Fault{Kind: fakegraph.Unavailable}); err != nil {
		t.Fatal(err)
	}
	h.run("agenda", "--json", "--graph-url", fake.URL())
	if h.code != exitSync {
		t.Fatalf("during the outage: exit %d, want %d\n%s", h.code, exitSync, h.stderr)
	}
	stale := decode(t, h.stdout)
	if !stale.Health.Stale || stale.Health.LastError == "" || !slices.EqualFunc(stale.Events, good.Events, sameEvent) {
		t.Fatalf("during the outage: stale %v, last error %q, %d events (cached: %d); want the cached agenda, stale",
			stale.Health.Stale, stale.Health.LastError, len(stale.Events), len(good.Events))
	}
	if !strings.Contains(h.stderr, "sync failed") {
		t.Errorf("stderr does not say the sync failed:\n%s", h.stderr)
	}
	h.run("agenda", "--graph-url", fake.URL()) // the table says so too
	if h.code != exitSync || !strings.HasPrefix(h.stdout, "STALE:") || !strings.Contains(h.stdout, good.Events[0].Subject) {
		t.Fatalf("table during the outage: exit %d\n%s", h.code, h.stdout)
	}
}

func TestAgendaDemo(t *testing.T) {
	t.Parallel() // see newHome
	h := newHome(t)
	h.run("agenda", "--demo", "--json")
	if h.code != exitOK {
		t.Fatalf("exit %d\n%s", h.code, h.stderr)
	}
	if o := decode(t, h.stdout); len(o.Events) == 0 || o.Health.Stale {
		t.Fatalf("demo: %d events, stale %v", len(o.Events), o.Health.Stale)
	}
	// The demo keeps its own cache, so it never replaces a real agenda.
	if _, err := os.Stat(filepath.Join(h.cache, "caltray", "demo", "cache.json")); err != nil {
		t.Errorf("demo cache: %v", err)
	}
	if _, err := os.Stat(filepath.Join(h.cache, "caltray", "cache.json")); err == nil {
		t.Errorf("the demo wrote the real cache")
	}
	h.run("agenda", "--demo")
	if h.code != exitOK || !strings.Contains(h.stdout, "Daily stand-up") {
		t.Fatalf("demo table: exit %d\n%s", h.code, h.stdout)
	}
}

func TestTokenNeverWritten(t *testing.T) {
	// A token with the look of a real one; it must not appear in any output or file.
	const token = "eyJ0eXAiOiJKV1QiLCJub25jZSI6IkNhbHRyYXlUZXN0In0.c2VjcmV0LXBheWxvYWQ.SIGNATURE-caltray-test"
	fake, env := startFake(t, true, fakegraph.Options{Token: token})
	env = slices.DeleteFunc(env, func(s string) bool { return strings.HasPrefix(s, "CALTRAY_ACCESS_TOKEN=") })
	runs := []struct {
		name string
		env  string
		args []string
		code int
	}{
		{"accepted", "CALTRAY_ACCESS_TOKEN=" + token, []string{"agenda", "--debug", "--json", "--graph-url", fake.URL()}, exitOK},
		{"accepted, table", "CALTRAY_ACCESS_TOKEN=Bearer " + token, []string{"agenda", "--debug", "--graph-url", fake.URL()}, exitOK},
		{"rejected", "CALTRAY_ACCESS_TOKEN=" + token + "-revoked", []string{"agenda", "--debug", "--graph-url", fake.URL()}, exitSignIn},
	}
	h := newHome(t, env...)
	base := h.env
	for _, r := range runs {
		h.env = append(slices.Clone(base), r.env)
		h.run(r.args...)
		if h.code != r.code {
			t.Fatalf("%s: exit %d, want %d\n%s", r.name, h.code, r.code, h.stderr)
		}
		if !strings.Contains(h.stderr, "level=DEBUG") {
			t.Fatalf("%s: no debug logging on stderr", r.name)
		}
		for stream, text := range map[string]string{"stdout": h.stdout, "stderr": h.stderr} {
			if strings.Contains(text, token[20:60]) {
				t.Errorf("%s: %s holds the token:\n%s", r.name, stream, text)
			}
		}
	}
	// Every file the runs wrote.
	var files int
	for _, dir := range []string{h.cache, h.config} {
		filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			files++
			data, err := os.ReadFile(path)
			if err != nil {
				t.Errorf("read %s: %v", path, err)
			}
			if bytes.Contains(data, []byte(token[20:60])) {
				t.Errorf("%s holds the token", path)
			}
			return nil
		})
	}
	log, err := os.ReadFile(filepath.Join(h.cache, "caltray", "caltray.log"))
	if err != nil || !bytes.Contains(log, []byte("level=DEBUG")) || files < 2 {
		t.Fatalf("expected the debug log and the cache among the %d files written (%v)", files, err)
	}
	// And the token did reach Graph: the test would prove nothing if it never left the process.
	var authorized int
	for _, r := range fake.Requests() {
		if r.Authorized {
			authorized++
		}
	}
	if authorized == 0 {
		t.Fatal("no request was authorized with the token")
	}
}

func TestAgendaServeWithHealthEndpoint(t *testing.T) {
	fake, env := startFake(t, false, fakegraph.Options{})
	h := newHome(t, env...)
	cmd := exec.Command(caltrayBinary(t), "agenda", "--serve", "--json", "--graph-url", fake.URL(), "--health-addr", "127.0.0.1:0")
	cmd.Env = h.env
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	// The endpoint's address (port 0 picks one) is in the log line that announces it.
	lines := bufio.NewScanner(stderr)
	var endpoint string
	for endpoint == "" && lines.Scan() {
		if _, after, ok := strings.Cut(lines.Text(), `msg="health endpoint listening" url=`); ok {
			endpoint = after
		}
	}
	if endpoint == "" {
		t.Fatal("the health endpoint was not announced")
	}
	go io.Copy(io.Discard, stderr)
	var health map[string]any
	deadline := time.Now().Add(10 * time.Second)
	for health["stale"] != false { // stale until the first sync has ended
		if time.Now().After(deadline) {
			t.Fatalf("health never became fresh: %v", health)
		}
		res, err := http.Get(endpoint)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("GET %s: %s %s", endpoint, res.Status, res.Header.Get("Content-Type"))
		}
		health = nil
		json.NewDecoder(res.Body).Decode(&health)
		res.Body.Close()
		time.Sleep(10 * time.Millisecond)
	}
	if health["status"] != "operational" || health["breaker"] != "closed" || health["last_success"] == nil || health["last_error_kind"] != "" || len(health) != 10 {
		t.Errorf("health = %v", health)
	}
	for _, probe := range []struct {
		method, url string
		status      int
	}{{"POST", endpoint, 405}, {"GET", strings.TrimSuffix(endpoint, "/async"), 404}} {
		req, _ := http.NewRequest(probe.method, probe.url, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != probe.status {
			t.Errorf("%s %s: %d, want %d", probe.method, probe.url, res.StatusCode, probe.status)
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("after SIGTERM: %v", err)
	}
	o := decode(t, strings.SplitN(stdout.String(), "\n", 2)[0]) // one JSON object a line
	if len(o.Events) == 0 || o.Health.Stale {
		t.Errorf("printed agenda: %d events, stale %v", len(o.Events), o.Health.Stale)
	}
	if _, err := http.Get(endpoint); err == nil {
		t.Error("the endpoint still answers after the process ended")
	}
	http.DefaultClient.CloseIdleConnections()
}

// TestSignInThenAgenda is the path a person takes, through the built binary against the
// simulated identity platform and Graph over TLS, with tokens in the real Secret Service:
// signin --device-code, whoami, agenda, signout, and agenda again (sign-in needed).
func TestSignInThenAgenda(t *testing.T) {
	if os.Getenv("CALTRAY_TEST_KEYRING") == "" || os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		t.Skip("needs a real Secret Service: run under scripts/with-desktop.sh (make test does)")
	}
	const clientID = "3f2a1b0c-1111-4a2b-9c3d-5e6f7a8b9c0d"
	id := fakegraph.NewIdentity(fakegraph.IdentityOptions{ClientID: clientID})
	fake, err := fakegraph.NewTLS(fakegraph.Options{Authorize: id.Authorize})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	id.Mount(fake)
	cert := filepath.Join(t.TempDir(), "fake.pem")
	if err := os.WriteFile(cert, fake.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	h := newHome(t, "SSL_CERT_FILE="+cert, "DBUS_SESSION_BUS_ADDRESS="+os.Getenv("DBUS_SESSION_BUS_ADDRESS"))
	settings := []string{"--graph-url", fake.URL()}

	// signin: the test plays the user, who reads the code and enters it on the page.
	signInWithCode(t, h, fake, append([]string{"--client-id", clientID, "--authority", fakegraph.IdentityAuthority(fake)}, settings...)...)

	h.run("whoami")
	if h.code != exitOK || !strings.Contains(h.stdout, fakegraph.DefaultIdentityUPN) {
		t.Fatalf("whoami: exit %d\n%s%s", h.code, h.stdout, h.stderr)
	}
	h.run(append([]string{"agenda", "--json"}, settings...)...)
	if h.code != exitOK {
		t.Fatalf("agenda after signin: exit %d\n%s", h.code, h.stderr)
	}
	var out struct {
		Events []struct{ ID string } `json:"events"`
	}
	if err := json.Unmarshal([]byte(h.stdout), &out); err != nil || len(out.Events) == 0 {
		t.Fatalf("agenda after signin printed no events (%v):\n%s", err, h.stdout)
	}

	// The tokens live in the keyring's sealed cache only: not in any file in plain form.
	tokens := id.IssuedTokens()
	if len(tokens) == 0 {
		t.Fatal("the identity platform issued no token")
	}
	for _, dir := range []string{h.cache, h.config} {
		filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, tok := range tokens {
				if bytes.Contains(data, []byte(tok)) {
					t.Errorf("%s holds an issued token in plain form", path)
				}
			}
			return nil
		})
	}

	h.run("signout")
	if h.code != exitOK || !strings.Contains(h.stdout, "Signed out") {
		t.Fatalf("signout: exit %d\n%s%s", h.code, h.stdout, h.stderr)
	}
	h.run(append([]string{"agenda"}, settings...)...)
	if h.code != exitSignIn || !strings.Contains(h.stderr, "caltray signin") {
		t.Fatalf("agenda after signout: exit %d, want %d with advice to sign in\n%s", h.code, exitSignIn, h.stderr)
	}
}

// signInWithCode runs `caltray signin --device-code` with args in h and plays the user: it reads
// the code the command prints and enters it on the simulated identity platform's page.
func signInWithCode(t *testing.T, h *home, fake *fakegraph.Server, args ...string) {
	t.Helper()
	cmd := exec.Command(caltrayBinary(t), append([]string{"signin", "--device-code"}, args...)...)
	cmd.Env = h.env
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	printed, err := fake.EnterDeviceCodes(stdout)
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("signin %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, printed, errb.String())
	}
}
