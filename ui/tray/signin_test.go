package tray

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	calsync "caltray/sync"
	"caltray/ui/ipc"
)

// nextSignIn returns the next sign-in state the tray sent, skipping snapshots.
func (c *fakeChild) nextSignIn(t *testing.T) ipc.SignInState {
	t.Helper()
	for {
		m := c.next(t)
		switch m.Type {
		case ipc.TypeSnapshot:
			continue
		case ipc.TypeSignIn:
			return *m.SignIn
		}
		t.Fatalf("got %s %s, want a sign-in state", m.Type, m.View)
	}
}

// TestSignInWindowFlow is the tray's side of the sign-in window: "Sign in…" opens it with
// what it must ask, a start runs the account's sign-in with the typed values and reports its
// steps, Cancel ends it, a failure arrives with its kind and the admin-consent address, and a
// success syncs at once and tells the window it is done.
func TestSignInWindowFlow(t *testing.T) {
	type call struct {
		req SignInRequest
		end chan error // the test ends the sign-in; nil: it waits for ctx
	}
	calls := make(chan call)
	h := newHarness(t, func(o *Options) {
		o.SignIn = func(ctx context.Context, req SignInRequest) error {
			c := call{req: req, end: make(chan error, 1)}
			calls <- c
			req.Progress(calsync.SignInProgress{Step: calsync.SignInDeviceCode, URL: "https://login.example/devicelogin", UserCode: "ABCD1234"})
			select {
			case err := <-c.end:
				return err
			case <-ctx.Done():
				return &calsync.SignInFailure{Kind: calsync.FailCancelled, Message: "sign-in failed: context canceled", Err: ctx.Err()}
			}
		}
		o.SignOut = func() error { return nil }
		o.NeedsClientID = func() bool { return true }
	})
	s := snapshot(h.clock.Now())
	s.Auth = calsync.AuthSignedOut
	h.loop.ch <- s
	h.host.press(t, "Sign in…")
	c := h.child()
	c.hello(t, ipc.Version)
	if m := c.next(t); m.Type != ipc.TypeHello {
		t.Fatalf("first message %s", m.Type)
	}
	if st := c.nextSignIn(t); !st.NeedClientID || st.Running || st.Failure != nil {
		t.Fatalf("opening state %+v; want it to ask for the client ID", st)
	}
	if m := c.next(t); m.Type != ipc.TypeShow || m.View != ipc.ViewSignIn {
		t.Fatalf("got %s %s, want show signin", m.Type, m.View)
	}

	// A start with the typed values; its device code reaches the window; Cancel ends it.
	c.intent(t, ipc.Intent{Kind: ipc.IntentSignInStart, DeviceCode: true, ClientID: "typed-id", Tenant: "contoso.onmicrosoft.com"})
	got := <-calls
	if !got.req.DeviceCode || got.req.ClientID != "typed-id" || got.req.Tenant != "contoso.onmicrosoft.com" {
		t.Errorf("request %+v; want the typed values and the device code", got.req)
	}
	if st := c.nextSignIn(t); !st.Running {
		t.Fatalf("state %+v; want running", st)
	}
	if st := c.nextSignIn(t); !st.Running || st.Progress == nil || st.Progress.UserCode != "ABCD1234" {
		t.Fatalf("state %+v; want the device code", st)
	}
	c.intent(t, ipc.Intent{Kind: ipc.IntentSignInStart}) // a second start while one runs: ignored
	c.intent(t, ipc.Intent{Kind: ipc.IntentSignInCancel})
	if st := c.nextSignIn(t); st.Running || st.Failure == nil || st.Failure.Kind != calsync.FailCancelled {
		t.Fatalf("after Cancel: %+v; want a cancelled failure", st)
	}

	// A failure that needs an administrator.
	c.intent(t, ipc.Intent{Kind: ipc.IntentSignInStart})
	got = <-calls
	c.nextSignIn(t) // running
	c.nextSignIn(t) // its step
	got.end <- &calsync.SignInFailure{Kind: calsync.FailAdminConsent, Code: "AADSTS65001",
		AdminConsentURL: "https://login.example/contoso/adminconsent?client_id=x", Message: "sign-in failed: AADSTS65001"}
	if st := c.nextSignIn(t); st.Failure == nil || st.Failure.Kind != calsync.FailAdminConsent || st.Failure.AdminConsentURL == "" {
		t.Fatalf("state %+v; want the admin-consent failure with its address", st)
	}
	// Any other error is shown as such.
	c.intent(t, ipc.Intent{Kind: ipc.IntentSignInStart})
	got = <-calls
	c.nextSignIn(t)
	c.nextSignIn(t)
	got.end <- errors.New("keyring \x1b[2J locked")
	if st := c.nextSignIn(t); st.Failure == nil || st.Failure.Kind != calsync.FailOther || st.Failure.Message != "keyring ␛[2J locked" {
		t.Fatalf("state %+v; want an inert other failure", st.Failure)
	}

	// Success: the loop syncs at once, the window hears it is done.
	before := h.loop.refreshes.Load()
	c.intent(t, ipc.Intent{Kind: ipc.IntentSignInStart})
	got = <-calls
	c.nextSignIn(t)
	c.nextSignIn(t)
	got.end <- nil
	if st := c.nextSignIn(t); !st.Done || st.Failure != nil {
		t.Fatalf("state %+v; want done", st)
	}
	if h.loop.refreshes.Load() <= before {
		t.Error("no sync after the sign-in")
	}
}

// TestSnapshotCarriesSources: the Preferences window hears where each sign-in setting comes
// from, asked afresh for each snapshot (a sign-in changes it).
func TestSnapshotCarriesSources(t *testing.T) {
	var calls atomic.Int32
	h := newHarness(t, func(o *Options) {
		o.SignIn = func(context.Context, SignInRequest) error { return nil }
		o.SignOut = func() error { return nil }
		o.SettingSources = func() []ipc.SettingSource {
			calls.Add(1)
			return []ipc.SettingSource{{Name: "client ID", Value: "x", From: "the managed configuration /etc/xdg/caltray/caltray.json"}}
		}
	})
	h.loop.ch <- snapshot(h.clock.Now())
	h.host.press(t, "Preferences…")
	c := h.child()
	c.hello(t, ipc.Version)
	c.next(t) // hello
	m := c.next(t)
	if m.Type != ipc.TypeSnapshot || len(m.Snapshot.Sources) != 1 || m.Snapshot.Sources[0].From != "the managed configuration /etc/xdg/caltray/caltray.json" {
		t.Fatalf("first message %s with sources %+v; want the snapshot with the sources", m.Type, m.Snapshot)
	}
	if calls.Load() == 0 {
		t.Error("SettingSources never asked")
	}
}

// nextSignInWhere returns the first sign-in state the tray sends that ok accepts, skipping
// every other message.
func (c *fakeChild) nextSignInWhere(t *testing.T, ok func(ipc.SignInState) bool) ipc.SignInState {
	t.Helper()
	for {
		if m := c.next(t); m.Type == ipc.TypeSignIn && ok(*m.SignIn) {
			return *m.SignIn
		}
	}
}

// TestSignOutDuringSignIn: Sign out while the sign-in window's sign-in runs cancels that
// sign-in and signs out only once it has ended, never beside it. However the sign-in ends
// (it may have finished as the cancel came and saved its account), the user ends signed out.
func TestSignOutDuringSignIn(t *testing.T) {
	tests := []struct {
		name string
		end  error // what the sign-in returns once cancelled
		save bool  // it saves an account record before returning
	}{
		{"it honours the cancel", &calsync.SignInFailure{Kind: calsync.FailCancelled, Message: "Sign-in cancelled."}, false},
		{"it finished as the cancel came", nil, true},
		{"it failed otherwise", &calsync.SignInFailure{Kind: calsync.FailNetwork, Message: "sign-in failed: no network"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var (
				mu       sync.Mutex
				record   = true // signed in already: Sign out is in the menu
				running  bool
				overlaps int
			)
			started := make(chan struct{}, 1)
			signedOut := make(chan struct{}, 1)
			h := newHarness(t, func(o *Options) {
				o.SignIn = func(ctx context.Context, req SignInRequest) error {
					mu.Lock()
					running = true
					mu.Unlock()
					started <- struct{}{}
					<-ctx.Done()
					mu.Lock()
					defer mu.Unlock()
					running = false
					if tt.save {
						record = true
					}
					return tt.end
				}
				o.SignOut = func() error {
					mu.Lock()
					if running {
						overlaps++
					}
					record = false
					mu.Unlock()
					signedOut <- struct{}{}
					return nil
				}
			})
			h.loop.ch <- snapshot(h.clock.Now())
			h.host.press(t, "Preferences…")
			c := h.child()
			c.hello(t, ipc.Version)
			c.intent(t, ipc.Intent{Kind: ipc.IntentSignIn})
			c.intent(t, ipc.Intent{Kind: ipc.IntentSignInStart})
			select {
			case <-started:
			case <-time.After(10 * time.Second):
				t.Fatal("the sign-in never started")
			}
			c.nextSignInWhere(t, func(st ipc.SignInState) bool { return st.Running })

			h.host.press(t, "Sign out")
			select {
			case <-signedOut:
			case <-time.After(10 * time.Second):
				t.Fatal("Sign out never signed out")
			}
			mu.Lock()
			overlapped := overlaps != 0
			mu.Unlock()
			if overlapped {
				t.Fatal("the sign-out ran while the sign-in still ran")
			}
			st := c.nextSignInWhere(t, func(st ipc.SignInState) bool { return !st.Running })
			if st.Done || st.Failure == nil || st.Failure.Kind != calsync.FailCancelled {
				t.Errorf("the window was told %+v; want the sign-in cancelled", st)
			}
			mu.Lock()
			defer mu.Unlock()
			if record {
				t.Error("an account record is left after Sign out")
			}
		})
	}
}
