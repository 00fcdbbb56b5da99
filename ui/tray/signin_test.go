package tray

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

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
