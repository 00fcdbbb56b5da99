package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"caltray/sync/auth"
	"caltray/sync/fakegraph"
	"caltray/sync/origin"
	"caltray/sync/preset"
)

// writeManaged writes a managed configuration into a fresh XDG_CONFIG_DIRS entry (after one
// that has none, so the search is exercised) and returns the environment entry and the file.
func writeManaged(t *testing.T, content string) (env, path string) {
	t.Helper()
	dir := t.TempDir()
	empty, xdg := filepath.Join(dir, "empty"), filepath.Join(dir, "xdg")
	path = filepath.Join(xdg, "caltray", "caltray.json")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return "XDG_CONFIG_DIRS=" + empty + ":" + xdg, path
}

// TestSettingSources is whoami's "where each setting comes from", in the order they rank.
func TestSettingSources(t *testing.T) {
	const (
		fileID  = "11111111-1111-4111-8111-111111111111"
		newID   = "22222222-2222-4222-8222-222222222222"
		typedID = "33333333-3333-4333-8333-333333333333"
		file    = "/etc/xdg/caltray/caltray.json"
	)
	full := preset.File{Path: file, ClientID: fileID, Tenant: "contoso.onmicrosoft.com",
		Authority: "https://login.microsoftonline.us/", GraphURL: "https://graph.microsoft.us/v1.0"}
	moved := full
	moved.ClientID = newID
	record := func(clientID, managed string) *auth.Account {
		a := &auth.Account{AuthorityURL: "https://login.microsoftonline.com/", Tenant: "organizations", ManagedClientID: managed}
		a.ClientID = clientID
		return a
	}
	recordIn := func(clientID, managed, tenant, authority string) *auth.Account {
		a := &auth.Account{AuthorityURL: authority, Tenant: tenant, ManagedClientID: managed}
		a.ClientID = clientID
		return a
	}
	fromFile := "the managed configuration " + file
	tests := []struct {
		name string
		args []string
		env  string // CALTRAY_CLIENT_ID
		acct *auth.Account
		file preset.File
		want [4][2]string // value and where from: client ID, tenant, authority, Graph URL
	}{
		{"nothing", nil, "", nil, preset.File{}, [4][2]string{
			{"(none)", "not set"}, {"organizations", "the default"}, {auth.DefaultAuthority, "the default"}, {origin.DefaultGraph, "the default"}}},
		{"the file alone", nil, "", nil, full, [4][2]string{
			{fileID, fromFile}, {"contoso.onmicrosoft.com", fromFile}, {"https://login.microsoftonline.us/", fromFile}, {full.GraphURL, fromFile}}},
		{"the account record ranks above the file", nil, "", record(typedID, ""), full, [4][2]string{
			{typedID, "the account record"}, {"organizations", "the account record"}, {"https://login.microsoftonline.com/", "the account record"}, {full.GraphURL, fromFile}}},
		{"signed in under the file", nil, "", record(fileID, fileID), full, [4][2]string{
			{fileID, "the account record (signed in under the managed configuration's client ID)"}, {"organizations", "the account record"}, {"https://login.microsoftonline.com/", "the account record"}, {full.GraphURL, fromFile}}},
		{"the file moved to a new registration", nil, "", record(fileID, fileID), moved, [4][2]string{
			{newID, fromFile + " (a new one: sign in again)"}, {"contoso.onmicrosoft.com", fromFile}, {"https://login.microsoftonline.us/", fromFile}, {full.GraphURL, fromFile}}},
		// The file moved the account but names no tenant or authority: the next sign-in keeps
		// the record's (auth.Resolve), so whoami and Preferences must name them, not the default.
		{"moved by a file silent on tenant and authority", nil, "", recordIn(fileID, fileID, "fabrikam.onmicrosoft.com", "https://login.microsoftonline.us/"),
			preset.File{Path: file, ClientID: newID}, [4][2]string{
				{newID, fromFile + " (a new one: sign in again)"}, {"fabrikam.onmicrosoft.com", "the account record"},
				{"https://login.microsoftonline.us/", "the account record"}, {origin.DefaultGraph, "the default"}}},
		{"moved by a file with a tenant only", nil, "", recordIn(fileID, fileID, "fabrikam.onmicrosoft.com", "https://login.microsoftonline.us/"),
			preset.File{Path: file, ClientID: newID, Tenant: "contoso.onmicrosoft.com"}, [4][2]string{
				{newID, fromFile + " (a new one: sign in again)"}, {"contoso.onmicrosoft.com", fromFile},
				{"https://login.microsoftonline.us/", "the account record"}, {origin.DefaultGraph, "the default"}}},
		{"a record without a tenant passes it on", nil, "", recordIn(typedID, "", "", ""), full, [4][2]string{
			{typedID, "the account record"}, {"contoso.onmicrosoft.com", fromFile}, {"https://login.microsoftonline.us/", fromFile}, {full.GraphURL, fromFile}}},
		{"environment above record and file", nil, typedID, record(fileID, fileID), full, [4][2]string{
			{typedID, "the environment variable CALTRAY_CLIENT_ID"}, {"organizations", "the account record"}, {"https://login.microsoftonline.com/", "the account record"}, {full.GraphURL, fromFile}}},
		{"flags above everything", []string{"--client-id", newID, "--tenant", "common", "--authority", "https://login.partner.microsoftonline.cn/", "--graph-url", "https://microsoftgraph.chinacloudapi.cn/v1.0"},
			typedID, record(fileID, fileID), full, [4][2]string{
				{newID, "the flag --client-id"}, {"common", "the flag --tenant"}, {"https://login.partner.microsoftonline.cn/", "the flag --authority"}, {"https://microsoftgraph.chinacloudapi.cn/v1.0", "the flag --graph-url"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(auth.ClientIDEnv, tt.env)
			var stderr bytes.Buffer
			fs, cfg := authFlags("whoami", &stderr)
			if !parseAuthFlags(fs, tt.args, &stderr) {
				t.Fatal(stderr.String())
			}
			applyManaged(fs, tt.file, cfg, &cfg.GraphURL)
			got := settingSources(fs, cfg.GraphURL, tt.acct, tt.file)
			for i, s := range got {
				if s.value != tt.want[i][0] || !strings.HasPrefix(s.from, tt.want[i][1]) {
					t.Errorf("%s = %q from %q; want %q from %q", s.name, s.value, s.from, tt.want[i][0], tt.want[i][1])
				}
			}
		})
	}
}

// TestManagedFileErrors: a damaged or invalid file stops every command with an error naming
// the file and the key (exit 2); an unknown key is a warning naming it, and the command runs.
func TestManagedFileErrors(t *testing.T) {
	tests := []struct {
		name     string
		content  string
		args     []string
		code     int
		inStderr []string
	}{
		{"syntax error", "{\n \"client_id\": \"x\",\n}", []string{"agenda", "--demo"}, exitUsage, []string{"is not valid JSON at line 3, column 1"}},
		{"client_id not a GUID", `{"client_id": "caltray"}`, []string{"whoami"}, exitUsage, []string{`key "client_id"`, "not an application ID"}},
		{"authority over http", `{"authority": "http://login.example/"}`, []string{"signin"}, exitUsage, []string{`key "authority"`, "https"}},
		{"graph_url not a URL", `{"graph_url": "graph.microsoft.com"}`, []string{"agenda", "--demo"}, exitUsage, []string{`key "graph_url"`}},
		{"settings out of range", `{"settings": {"window_days": 99}}`, []string{"agenda", "--demo"}, exitUsage, []string{`key "settings"`, "window_days"}},
		{"unknown key warns and runs", `{"clientid": "x"}`, []string{"agenda", "--demo", "--json"}, exitOK, []string{`warning:`, `unknown key "clientid"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, path := writeManaged(t, tt.content)
			h := newHome(t, env)
			h.run(tt.args...)
			if h.code != tt.code {
				t.Fatalf("exit %d, want %d\n%s", h.code, tt.code, h.stderr)
			}
			for _, want := range append([]string{path}, tt.inStderr...) {
				if !strings.Contains(h.stderr, want) {
					t.Errorf("stderr does not say %q:\n%s", want, h.stderr)
				}
			}
		})
	}
}

// TestManagedFileStopsTheTrayVisibly: a damaged managed configuration stops the tray (exit 2)
// with the error, naming the file and the key, in the log file too: a tray started at login
// has no terminal, so stderr alone would leave the user with no caltray and no word why.
func TestManagedFileStopsTheTrayVisibly(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    []string
	}{
		{"syntax error", "{\n \"client_id\": \"x\",\n}", []string{"is not valid JSON at line 3, column 1"}},
		{"client_id not a GUID", `{"client_id": "caltray"}`, []string{`client_id`, "not an application ID"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, path := writeManaged(t, tt.content)
			// No session bus: the notification is tried and fails, and nothing autolaunches one.
			h := newHome(t, env, "DBUS_SESSION_BUS_ADDRESS=unix:path="+filepath.Join(t.TempDir(), "no-bus"))
			h.run()
			if h.code != exitUsage {
				t.Fatalf("exit %d, want %d\n%s", h.code, exitUsage, h.stderr)
			}
			data, err := os.ReadFile(filepath.Join(h.cache, "caltray", logFileName))
			if err != nil {
				t.Fatalf("no log file: %v (stderr: %s)", err, h.stderr)
			}
			for _, want := range append([]string{path, "caltray cannot start", "level=ERROR"}, tt.want...) {
				if !strings.Contains(string(data), want) {
					t.Errorf("the log does not say %q:\n%s", want, data)
				}
				if want != "level=ERROR" && want != "caltray cannot start" && !strings.Contains(h.stderr, want) {
					t.Errorf("stderr does not say %q:\n%s", want, h.stderr)
				}
			}
		})
	}
}

// TestManagedFileFailureNotifies: the damaged file's error also goes to a desktop
// notification naming the file and the key and saying whom to ask.
func TestManagedFileFailureNotifies(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	_, path := writeManaged(t, `{"client_id": "caltray"}`)
	f, _, err := preset.Read(path)
	if err == nil {
		err = managedAuth(f).Check()
	}
	if err == nil {
		t.Fatal("the damaged file was accepted")
	}
	var stderr bytes.Buffer
	var title, body string
	trayCannotStart(&stderr, false, "", err, func(_ *slog.Logger, ti, b string) { title, body = ti, b })
	if title != "caltray cannot start" || !strings.Contains(body, path) || !strings.Contains(body, "client_id") || !strings.Contains(body, "IT department") {
		t.Errorf("notification %q: %q; want it to name %s, the key and whom to ask", title, body, path)
	}
	if !strings.Contains(stderr.String(), path) {
		t.Errorf("stderr %q does not name the file", stderr.String())
	}
}

// TestManagedGraphURLPrecedence: the file's graph_url is used when no flag gives one, and the
// flag ranks above it. The token is CALTRAY_ACCESS_TOKEN's, so no keyring is needed.
func TestManagedGraphURLPrecedence(t *testing.T) {
	fake, env := startFake(t, false, fakegraph.Options{})
	managedEnv, _ := writeManaged(t, `{"graph_url": "`+fake.URL()+`", "settings": {"window_days": 0}}`)
	h := newHome(t, append(env, managedEnv)...)
	h.run("agenda", "--json")
	if h.code != exitOK {
		t.Fatalf("agenda with the file's graph_url: exit %d\n%s", h.code, h.stderr)
	}
	if len(fake.Requests()) == 0 {
		t.Fatal("the simulated Graph named by the file got no request")
	}
	// --graph-url ranks above the file: a loopback port nobody listens on fails the sync.
	h.run("agenda", "--json", "--graph-url", "http://127.0.0.1:1/v1.0")
	if h.code != exitSync {
		t.Fatalf("agenda with --graph-url elsewhere: exit %d, want %d (the flag must win)\n%s", h.code, exitSync, h.stderr)
	}
}

// TestManagedSignInRoundTrip is the administrator's promise on Linux: with only a file in
// $XDG_CONFIG_DIRS, `signin --device-code`, `whoami` and `agenda --json` work with no flag at
// all, against the simulated identity platform and Graph over TLS, the key in the real Secret
// Service. Then the administrator moves to a new registration: whoami and agenda ask for a
// sign-in (exit 3) and say why.
func TestManagedSignInRoundTrip(t *testing.T) {
	if os.Getenv("CALTRAY_TEST_KEYRING") == "" || os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		t.Skip("needs a real Secret Service: run under scripts/with-desktop.sh (make test does)")
	}
	const clientID = "5d3c2b1a-2222-4b3c-8d4e-6f7a8b9c0d1e"
	const newClientID = "6e4d3c2b-3333-4c4d-9e5f-7a8b9c0d1e2f"
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
	managedFile := func(clientID string) string {
		b, _ := json.Marshal(map[string]string{"client_id": clientID, "authority": fakegraph.IdentityAuthority(fake), "graph_url": fake.URL()})
		return string(b)
	}
	managedEnv, path := writeManaged(t, managedFile(clientID))
	h := newHome(t, "SSL_CERT_FILE="+cert, "DBUS_SESSION_BUS_ADDRESS="+os.Getenv("DBUS_SESSION_BUS_ADDRESS"), managedEnv)

	signInWithCode(t, h, fake) // no flags: the managed configuration gives everything

	h.run("whoami")
	for _, want := range []string{fakegraph.DefaultIdentityUPN, clientID, "signed in under the managed configuration's client ID", "Graph URL  " + fake.URL() + "  (the managed configuration " + path} {
		if !strings.Contains(h.stdout, want) {
			t.Errorf("whoami does not say %q:\n%s", want, h.stdout)
		}
	}
	if h.code != exitOK {
		t.Fatalf("whoami: exit %d\n%s", h.code, h.stderr)
	}
	h.run("agenda", "--json")
	if h.code != exitOK {
		t.Fatalf("agenda after signin: exit %d\n%s", h.code, h.stderr)
	}
	var out struct {
		Events []struct{ ID string } `json:"events"`
	}
	if err := json.Unmarshal([]byte(h.stdout), &out); err != nil || len(out.Events) == 0 {
		t.Fatalf("agenda printed no events (%v):\n%s", err, h.stdout)
	}

	// The administrator moves everyone to a new registration.
	if err := os.WriteFile(path, []byte(managedFile(newClientID)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"whoami"}, {"agenda", "--json"}} {
		h.run(args...)
		if h.code != exitSignIn {
			t.Errorf("%s after the move: exit %d, want %d\n%s%s", args[0], h.code, exitSignIn, h.stdout, h.stderr)
		}
		for _, want := range []string{"moved caltray to another app registration", newClientID, path, "caltray signin"} {
			if !strings.Contains(h.stderr, want) {
				t.Errorf("%s after the move does not say %q:\n%s", args[0], want, h.stderr)
			}
		}
	}
	h.run("signout")
	if h.code != exitOK {
		t.Fatalf("signout: exit %d\n%s", h.code, h.stderr)
	}
}
