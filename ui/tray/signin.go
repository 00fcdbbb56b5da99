package tray

import (
	"context"
	"errors"

	calsync "caltray/sync"
	"caltray/sync/inert"
	"caltray/ui/ipc"
)

// SignInRequest is a sign-in the sign-in window asked for.
type SignInRequest struct {
	DeviceCode bool
	// ClientID and Tenant are what the person typed because no configuration gave them.
	ClientID, Tenant string
	// Progress is told each step; it may be called on any goroutine.
	Progress func(calsync.SignInProgress)
}

// signInTimeout bounds one interactive sign-in: a browser left open, a code never entered.
const signInTimeout = calsync.SignInTimeout

// signInState is the sign-in the owner goroutine runs for the window.
type signInState struct {
	state  ipc.SignInState
	cancel context.CancelFunc // non-nil while one runs
	// signOut: the user asked to sign out while the sign-in ran. It was cancelled, and
	// signInDone signs out once it has ended, so its account record is never saved after
	// the sign-out removed it.
	signOut bool
}

// openSignIn shows the sign-in window ("Sign in…" in the menu or the agenda window, or the
// first start), with the state of the sign-in under way, if any.
func (t *Tray) openSignIn() {
	if t.o.SignIn == nil {
		return
	}
	if t.signin.cancel == nil {
		// A new visit: forget how the last one ended.
		t.signin.state = ipc.SignInState{}
	}
	t.signin.state.NeedClientID = t.o.NeedsClientID != nil && t.o.NeedsClientID()
	t.show(ipc.ViewSignIn, t.signInMessage())
}

func (t *Tray) signInMessage() ipc.Message {
	st := t.signin.state
	return ipc.Message{Type: ipc.TypeSignIn, SignIn: &st}
}

// pushSignIn sends the sign-in's state to the window, if one runs.
func (t *Tray) pushSignIn() {
	if t.win == nil {
		return
	}
	select {
	case <-t.win.done:
	default:
		t.win.push(t.signInMessage())
	}
}

// startSignIn runs a sign-in off the owner goroutine; its steps and its end come back to the
// owner, which sends them on to the window. One at a time: a second start while one runs is
// ignored (the window shows the running one).
func (t *Tray) startSignIn(req SignInRequest) {
	if t.o.SignIn == nil || t.signin.cancel != nil || t.accountBusy {
		return
	}
	ctx, cancel := context.WithTimeout(t.ctx, signInTimeout)
	t.signin.cancel = cancel
	t.signin.state = ipc.SignInState{NeedClientID: t.signin.state.NeedClientID, Running: true}
	t.pushSignIn()
	req.Progress = func(p calsync.SignInProgress) {
		t.Post(func() {
			if t.signin.cancel == nil {
				return // it ended meanwhile
			}
			t.signin.state.Progress = &p
			t.pushSignIn()
		})
	}
	t.wg.Go(func() {
		defer cancel()
		err := t.o.SignIn(ctx, req)
		t.Post(func() { t.signInDone(err) })
	})
}

// cancelSignIn ends the sign-in under way (the window's Cancel); signInDone reports it.
func (t *Tray) cancelSignIn() {
	if t.signin.cancel != nil {
		t.signin.cancel()
	}
}

// signInDone ends a sign-in: on success the loop syncs at once and the window is told to close;
// on failure the window says why.
func (t *Tray) signInDone(err error) {
	t.signin.cancel = nil
	st := ipc.SignInState{NeedClientID: t.signin.state.NeedClientID}
	if t.signin.signOut {
		// Sign out was asked for while this sign-in ran: whatever its end (it may have
		// finished as the cancel came, and saved its account), the sign-out comes after it.
		t.signin.signOut = false
		var f *calsync.SignInFailure
		if err != nil && (!errors.As(err, &f) || f.Kind != calsync.FailCancelled) {
			t.o.Logger.Error("sign-in failed", "err", inert.Line(err.Error()))
		}
		st.Failure = &calsync.SignInFailure{Kind: calsync.FailCancelled, Message: "Sign-in cancelled: you signed out."}
		t.signin.state = st
		t.pushSignIn()
		t.signOut()
		return
	}
	if err == nil {
		st.Done = true
		st.NeedClientID = false
		t.o.Loop.Refresh()
	} else {
		var f *calsync.SignInFailure
		if !errors.As(err, &f) {
			f = &calsync.SignInFailure{Kind: calsync.FailOther, Message: inert.Line(err.Error())}
		}
		if f.Kind != calsync.FailCancelled {
			t.o.Logger.Error("sign-in failed", "kind", f.Kind, "err", inert.Line(f.Message))
		}
		st.Failure = f
		if t.win == nil && f.Kind != calsync.FailCancelled {
			t.notify("Sign-in failed", f.Message) // the window was closed meanwhile
		}
	}
	t.signin.state = st
	t.pushSignIn()
}
