package auth

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	calsync "caltray/sync"
	"caltray/sync/fakegraph"
	"caltray/sync/internal/tempdir"
)

func TestManagedCheck(t *testing.T) {
	const path = "/etc/xdg/caltray/caltray.json"
	tests := []struct {
		name    string
		m       Managed
		wantErr []string // nil: valid
	}{
		{"empty", Managed{Path: path}, nil},
		{"all valid", Managed{Path: path, ClientID: testClientID, Tenant: "contoso.onmicrosoft.com", Authority: "https://login.microsoftonline.us/"}, nil},
		{"client id not a GUID", Managed{Path: path, ClientID: "caltray"}, []string{path, `key "client_id"`, "not an application ID", "administrator"}},
		{"tenant with a slash", Managed{Path: path, Tenant: "contoso/x"}, []string{path, `key "tenant"`}},
		{"authority over http", Managed{Path: path, Authority: "http://login.example/"}, []string{path, `key "authority"`, "https"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.m.Check()
			if tt.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrBadConfig) {
				t.Fatalf("Check = %v; want ErrBadConfig", err)
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("%q does not say %q", err, s)
				}
			}
			// Every session refuses it as it refuses a bad flag.
			if _, err := Open(Config{Managed: tt.m, Dir: tempdir.New(t)}); !errors.Is(err, ErrBadConfig) {
				t.Errorf("Open with it = %v; want ErrBadConfig", err)
			}
		})
	}
}

// TestManagedRegistration is the reconciliation of docs/DESIGN.md ("Managed configuration"):
// the account record ranks above the managed file, except that an account signed in under
// the file's client ID follows the administrator to a new one. Real MSAL against the simulated
// identity platform, which accepts any client ID here.
func TestManagedRegistration(t *testing.T) {
	const (
		path  = "/etc/xdg/caltray/caltray.json"
		oldID = "11111111-1111-4111-8111-111111111111"
		newID = "22222222-2222-4222-8222-222222222222"
		typed = "33333333-3333-4333-8333-333333333333"
	)
	id := fakegraph.NewIdentity(fakegraph.IdentityOptions{})
	srv, err := fakegraph.NewTLS(fakegraph.Options{Authorize: id.Authorize})
	if err != nil {
		t.Fatal(err)
	}
	id.Mount(srv)
	t.Cleanup(srv.Close)
	w := &world{srv: srv, id: id}
	base := w.config(t, newMemKeyring(), nil)
	base.ClientID, base.Authority = "", "" // the flags give nothing: the file does
	managed := func(clientID string) Managed {
		return Managed{Path: path, ClientID: clientID, Authority: fakegraph.IdentityAuthority(srv)}
	}
	open := func(cfg Config) *Session {
		t.Helper()
		s, err := Open(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	// Signed in with no flags: the file's client ID, remembered as the file's.
	cfg := base
	cfg.Managed = managed(oldID)
	if err := SignIn(t.Context(), cfg, &deviceUser{act: approve(srv.Client())}, true); err != nil {
		t.Fatal(err)
	}
	a := open(cfg).Account()
	if a == nil || a.ClientID != oldID || a.ManagedClientID != oldID {
		t.Fatalf("account after a sign-in under the file: %+v; want client ID %s, managed %s", a, oldID, oldID)
	}

	tests := []struct {
		name      string
		flag      string // --client-id
		managed   Managed
		wantMoved bool
	}{
		{"same file", "", managed(oldID), false},
		{"file removed: the record goes on", "", Managed{}, false},
		{"file without a client ID", "", Managed{Path: path, Tenant: "organizations"}, false},
		{"file names a new registration", "", managed(newID), true},
		{"the same ID in another case", "", managed(strings.ToUpper(oldID)), false},
		{"a flag naming the old ID ranks above the file", oldID, managed(newID), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base
			c.ClientID, c.Managed = tt.flag, tt.managed
			s := open(c)
			err := s.SignedIn()
			var out bytes.Buffer
			werr := WhoAmI(c, &out)
			state, _ := s.State()
			if !tt.wantMoved {
				if err != nil || werr != nil || state != calsync.AuthOK {
					t.Fatalf("SignedIn = %v, WhoAmI = %v, State = %v; want signed in", err, werr, state)
				}
				return
			}
			if !errors.Is(err, calsync.ErrSignInNeeded) {
				t.Fatalf("SignedIn = %v; want a sign-in needed", err)
			}
			for _, want := range []string{path, newID, oldID, "caltray signin"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("%q does not say %q", err, want)
				}
			}
			if !errors.Is(werr, calsync.ErrSignInNeeded) || !strings.Contains(out.String(), fakegraph.DefaultIdentityUPN) {
				t.Errorf("whoami: %v, printed %q; want the account and a sign-in needed", werr, out.String())
			}
			if state != calsync.AuthSignInNeeded {
				t.Errorf("State = %v; want sign-in needed", state)
			}
		})
	}

	// Signing in again with no flags takes the file's new client ID, not the record's old one.
	cfg.Managed = managed(newID)
	s := open(cfg)
	if err := s.SignIn(t.Context(), &deviceUser{act: approve(srv.Client())}, true); err != nil {
		t.Fatal(err)
	}
	if a := open(cfg).Account(); a.ClientID != newID || a.ManagedClientID != newID {
		t.Fatalf("after the move: client ID %s (managed %s); want %s", a.ClientID, a.ManagedClientID, newID)
	}
	if err := open(cfg).SignedIn(); err != nil {
		t.Fatalf("after signing in again: %v", err)
	}

	// A client ID the user typed is the user's: a file naming another never overrides it.
	cfg.ClientID = typed
	if err := SignIn(t.Context(), cfg, &deviceUser{act: approve(srv.Client())}, true); err != nil {
		t.Fatal(err)
	}
	cfg.ClientID, cfg.Managed = "", managed(oldID)
	s = open(cfg)
	if a := s.Account(); a.ClientID != typed || a.ManagedClientID != "" {
		t.Fatalf("typed sign-in recorded client ID %s, managed %q; want %s and none", a.ClientID, a.ManagedClientID, typed)
	}
	if err := s.SignedIn(); err != nil {
		t.Errorf("a typed client ID under a file naming another: %v; want signed in (the record ranks above the file)", err)
	}
	// And "Sign in again" keeps the user's client ID.
	set, err := s.signInSettings("", "")
	if err != nil || set.clientID != typed || set.managedClientID != "" {
		t.Errorf("sign-in settings %+v, %v; want the typed client ID", set, err)
	}
}

// TestResolveIsWhatSignInUses: whoami and the Preferences window report Resolve; the sign-in
// signs in with what Resolve decides, so the two name the same client ID, tenant and
// authority, notably for an account whose registration the administrator moved.
func TestResolveIsWhatSignInUses(t *testing.T) {
	const (
		oldID = "11111111-1111-4111-8111-111111111111"
		newID = "22222222-2222-4222-8222-222222222222"
		path  = "/etc/xdg/caltray/caltray.json"
	)
	record := &Account{Tenant: "fabrikam.onmicrosoft.com", AuthorityURL: "https://login.microsoftonline.us/", ManagedClientID: oldID}
	record.ClientID = oldID
	tests := []struct {
		name        string
		cfg         Config
		acct        *Account
		want        [3]string // client ID, tenant, authority
		wantFrom    [3]Layer
		wantManaged bool
	}{
		{"moved, the file silent on tenant and authority", Config{Managed: Managed{Path: path, ClientID: newID}}, record,
			[3]string{newID, "fabrikam.onmicrosoft.com", "https://login.microsoftonline.us/"}, [3]Layer{FromManaged, FromRecord, FromRecord}, true},
		{"moved, the file with all three", Config{Managed: Managed{Path: path, ClientID: newID, Tenant: "contoso.onmicrosoft.com", Authority: "https://login.microsoftonline.com/"}}, record,
			[3]string{newID, "contoso.onmicrosoft.com", "https://login.microsoftonline.com/"}, [3]Layer{FromManaged, FromManaged, FromManaged}, true},
		{"not moved: the record first", Config{Managed: Managed{Path: path, ClientID: oldID, Tenant: "contoso.onmicrosoft.com"}}, record,
			[3]string{oldID, "fabrikam.onmicrosoft.com", "https://login.microsoftonline.us/"}, [3]Layer{FromRecord, FromRecord, FromRecord}, true},
		{"a flag above a moved record", Config{Tenant: "common", Managed: Managed{Path: path, ClientID: newID}}, record,
			[3]string{newID, "common", "https://login.microsoftonline.us/"}, [3]Layer{FromManaged, FromConfig, FromRecord}, true},
		{"nobody signed in, no file", Config{ClientID: newID}, nil,
			[3]string{newID, DefaultTenant, DefaultAuthority}, [3]Layer{FromConfig, FromDefault, FromDefault}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Resolve(tt.cfg, tt.acct, "", "")
			if got := [3]string{r.ClientID, r.Tenant, r.Authority}; got != tt.want {
				t.Errorf("Resolve = %v; want %v", got, tt.want)
			}
			if got := [3]Layer{r.ClientIDFrom, r.TenantFrom, r.AuthorityFrom}; got != tt.wantFrom {
				t.Errorf("Resolve's layers = %v; want %v", got, tt.wantFrom)
			}
			s := &Session{cfg: tt.cfg, account: tt.acct}
			set, err := s.signInSettings("", "")
			if err != nil {
				t.Fatal(err)
			}
			if got := [3]string{set.clientID, set.tenant, set.authority}; got != tt.want {
				t.Errorf("the sign-in uses %v; Resolve says %v", got, tt.want)
			}
			if (set.managedClientID != "") != tt.wantManaged {
				t.Errorf("the sign-in's managed client ID %q; want it set: %v", set.managedClientID, tt.wantManaged)
			}
		})
	}
}
