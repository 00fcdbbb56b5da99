package auth

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	calsync "caltray/sync"
	"caltray/sync/fakegraph"
	"caltray/sync/internal/tempdir"
)

// TestSignInWith is the sign-in a window starts: both flows against the simulated identity
// platform, each fault it can inject worded as a kind (with the admin-consent address where an
// administrator must consent), and the steps reported on the way.
func TestSignInWith(t *testing.T) {
	tests := []struct {
		name        string
		fault       *fakegraph.SignInFault
		wantKind    calsync.SignInFailureKind // "": success
		wantCode    string
		wantConsent bool
	}{
		{"success", nil, "", "", false},
		{"AADSTS65001", &fakegraph.ConsentRequired, calsync.FailAdminConsent, "AADSTS65001", true},
		{"AADSTS90094", &fakegraph.AdminConsentRequired, calsync.FailAdminConsent, "AADSTS90094", true},
		{"AADSTS700016", &fakegraph.AppNotFound, calsync.FailAppNotFound, "AADSTS700016", false},
		{"AADSTS7000218", &fakegraph.PublicClientDisabled, calsync.FailPublicClient, "AADSTS7000218", false},
		{"declined", &fakegraph.SignInDeclined, calsync.FailDeclined, "AADSTS65004", false},
	}
	for _, deviceCode := range []bool{false, true} {
		flow := "browser"
		if deviceCode {
			flow = "device code"
		}
		for _, tt := range tests {
			t.Run(flow+"/"+tt.name, func(t *testing.T) {
				w := newWorld(t)
				w.id.SetSignInFault(tt.fault)
				cfg := w.config(t, newMemKeyring(), nil)
				cfg.Tenant = "contoso.onmicrosoft.com"
				browserErr := make(chan error, 1)
				cfg.OpenBrowser = func(u string) error {
					go func() { browserErr <- playBrowser(w, u) }()
					return nil
				}
				s, err := Open(cfg)
				if err != nil {
					t.Fatal(err)
				}
				var mu sync.Mutex
				var steps []calsync.SignInProgress
				progress := func(p calsync.SignInProgress) {
					mu.Lock()
					steps = append(steps, p)
					mu.Unlock()
					if p.Step == calsync.SignInDeviceCode {
						if err := approve(w.srv.Client())(p.URL, p.UserCode); err != nil {
							t.Errorf("entering the code: %v", err)
						}
					}
				}
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				err = s.SignInWith(ctx, SignInOptions{DeviceCode: deviceCode, Progress: progress})

				mu.Lock()
				defer mu.Unlock()
				if len(steps) != 1 {
					t.Fatalf("steps %+v; want one", steps)
				}
				want := calsync.SignInBrowser
				if deviceCode {
					want = calsync.SignInDeviceCode
				}
				if st := steps[0]; st.Step != want || !strings.HasPrefix(st.URL, "https://127.0.0.1:") || deviceCode != (st.UserCode != "") {
					t.Errorf("step %+v; want %s with the address (and the code)", st, want)
				}
				if tt.wantKind == "" {
					if err != nil {
						t.Fatal(err)
					}
					if a := s.Account(); a == nil || a.Username != fakegraph.DefaultIdentityUPN {
						t.Errorf("account after the sign-in: %+v", a)
					}
					return
				}
				var f *calsync.SignInFailure
				if !errors.As(err, &f) {
					t.Fatalf("SignInWith = %v; want a *SignInFailure", err)
				}
				if f.Kind != tt.wantKind || f.Code != tt.wantCode || !strings.Contains(f.Detail, tt.wantCode) {
					t.Errorf("failure %+v; want kind %s, code %s", f, tt.wantKind, tt.wantCode)
				}
				if !tt.wantConsent {
					if f.AdminConsentURL != "" {
						t.Errorf("admin consent address %q for %s", f.AdminConsentURL, tt.name)
					}
					return
				}
				u, err := url.Parse(f.AdminConsentURL)
				if err != nil || u.Scheme != "https" || u.Path != "/contoso.onmicrosoft.com/adminconsent" || u.Query().Get("client_id") != testClientID {
					t.Errorf("admin consent address %q; want https://<authority>/contoso.onmicrosoft.com/adminconsent?client_id=%s", f.AdminConsentURL, testClientID)
				}
				if !strings.Contains(f.Error(), f.AdminConsentURL) {
					t.Errorf("the command line's text %q does not carry the address", f.Error())
				}
			})
		}
	}
}

// TestSignInWithCancel: a window's Cancel while the browser or the code is awaited ends the
// sign-in at once as FailCancelled.
func TestSignInWithCancel(t *testing.T) {
	for _, deviceCode := range []bool{false, true} {
		w := newWorld(t)
		cfg := w.config(t, newMemKeyring(), nil)
		cfg.OpenBrowser = func(string) error { return nil } // the person never finishes
		s, err := Open(cfg)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		start := time.Now()
		err = s.SignInWith(ctx, SignInOptions{DeviceCode: deviceCode, Progress: func(calsync.SignInProgress) { cancel() }})
		var f *calsync.SignInFailure
		if !errors.As(err, &f) || f.Kind != calsync.FailCancelled {
			t.Errorf("device code %v: SignInWith = %v; want FailCancelled", deviceCode, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("cancel took %v", d)
		}
		cancel()
	}
}

// deadlineCtx is a context whose deadline the test passes by hand (expire), as a real one
// passes after calsync.SignInTimeout, without waiting for it: Err says DeadlineExceeded, and
// so do the contexts made from it (Value hides the inner cancel context, so they learn its end
// through Err, as they would a timer's).
type deadlineCtx struct {
	context.Context // ended by expire
	deadline        time.Time
}

func newDeadlineCtx(limit time.Duration) (ctx deadlineCtx, expire func()) {
	inner, cancel := context.WithCancel(context.Background())
	return deadlineCtx{Context: inner, deadline: time.Now().Add(limit)}, cancel
}

func (c deadlineCtx) Deadline() (time.Time, bool) { return c.deadline, true }
func (c deadlineCtx) Value(any) any               { return nil }
func (c deadlineCtx) Err() error {
	if c.Context.Err() != nil {
		return context.DeadlineExceeded
	}
	return nil
}

// TestSignInWithTimeout: a sign-in that runs out of its caller's time (the tray's
// calsync.SignInTimeout: a browser left open) fails as timed out, saying how long it had and
// what to do; only the caller's own cancel is a cancellation.
func TestSignInWithTimeout(t *testing.T) {
	tests := []struct {
		name     string
		timeout  bool // the deadline passes; otherwise the caller cancels
		wantKind calsync.SignInFailureKind
		wantText []string
	}{
		{"the deadline passes", true, calsync.FailTimedOut,
			[]string{"took longer than 16 minutes", "try again, or use a code instead"}},
		{"the caller cancels", false, calsync.FailCancelled, nil},
	}
	for _, deviceCode := range []bool{false, true} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("device code %v/%s", deviceCode, tt.name), func(t *testing.T) {
				w := newWorld(t)
				cfg := w.config(t, newMemKeyring(), nil)
				cfg.OpenBrowser = func(string) error { return nil } // the person never finishes
				s, err := Open(cfg)
				if err != nil {
					t.Fatal(err)
				}
				dctx, expire := newDeadlineCtx(calsync.SignInTimeout)
				defer expire()
				var ctx context.Context = dctx
				end := expire
				if !tt.timeout {
					var cancel context.CancelFunc
					ctx, cancel = context.WithCancel(dctx)
					defer cancel()
					end = cancel
				}
				err = s.SignInWith(ctx, SignInOptions{DeviceCode: deviceCode, Progress: func(calsync.SignInProgress) { end() }})
				var f *calsync.SignInFailure
				if !errors.As(err, &f) || f.Kind != tt.wantKind {
					t.Fatalf("SignInWith = %v; want %s", err, tt.wantKind)
				}
				for _, want := range tt.wantText {
					if !strings.Contains(f.Message, want) {
						t.Errorf("message %q; want it to say %q", f.Message, want)
					}
				}
			})
		}
	}
}

// TestSignInWithTypedClientID: without any configuration the window asks for the client ID;
// what the person types is used, and remembered as theirs (not the managed file's).
func TestSignInWithTypedClientID(t *testing.T) {
	w := newWorld(t)
	cfg := w.config(t, newMemKeyring(), nil)
	cfg.ClientID = ""
	s, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !s.NeedsClientID() {
		t.Fatal("NeedsClientID = false with no client ID anywhere")
	}
	var f *calsync.SignInFailure
	if err := s.SignInWith(t.Context(), SignInOptions{DeviceCode: true, ClientID: "caltray"}); !errors.As(err, &f) || f.Kind != calsync.FailBadSettings {
		t.Errorf("a typed client ID that is no GUID: %v; want FailBadSettings", err)
	}
	err = s.SignInWith(t.Context(), SignInOptions{DeviceCode: true, ClientID: " " + testClientID + " ", Tenant: "contoso.onmicrosoft.com",
		Progress: func(p calsync.SignInProgress) { approve(w.srv.Client())(p.URL, p.UserCode) }})
	if err != nil {
		t.Fatal(err)
	}
	a := s.Account()
	if a.ClientID != testClientID || a.Tenant != "contoso.onmicrosoft.com" || a.ManagedClientID != "" {
		t.Errorf("account %+v; want the typed client ID and tenant, not the managed file's", a)
	}
	if s.NeedsClientID() {
		t.Error("NeedsClientID = true after a sign-in")
	}
	cfg.Managed = Managed{Path: "/etc/xdg/caltray/caltray.json", ClientID: testClientID}
	cfg.Dir = tempdir.New(t)
	if s, _ := Open(cfg); s.NeedsClientID() {
		t.Error("NeedsClientID = true with a managed client ID")
	}
}
