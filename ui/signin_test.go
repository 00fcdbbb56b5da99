package ui

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	calsync "caltray/sync"
	"caltray/sync/auth"
	"caltray/sync/fakegraph"
	"caltray/ui/ipc"
	"caltray/ui/model"
)

// signer stands in for the tray process in these tests: it runs the real sign-in
// (auth.Session against the simulated identity platform) for the window and hands its states
// to the controller as the tray's messages would.
type signer struct {
	c    *controller
	sess *auth.Session

	mu     sync.Mutex
	cancel context.CancelFunc
	wg     sync.WaitGroup
	need   bool
}

func (s *signer) set(st ipc.SignInState) {
	st.NeedClientID = s.need
	locked(func() { s.c.setSignIn(st) })
}

// fyneMu serializes what these tests do to the widgets: Fyne's test driver runs fyne.Do on the
// calling goroutine, so the signer's goroutine and the test's would otherwise race.
var fyneMu sync.Mutex

func locked(f func()) {
	fyneMu.Lock()
	defer fyneMu.Unlock()
	f()
}

func (s *signer) start(deviceCode bool, clientID, tenant string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancel != nil {
		return errors.New("a sign-in is running")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	s.cancel = cancel
	s.wg.Go(func() {
		s.set(ipc.SignInState{Running: true}) // here: the tap that started it holds fyneMu
		err := s.sess.SignInWith(ctx, auth.SignInOptions{DeviceCode: deviceCode, ClientID: clientID, Tenant: tenant,
			Progress: func(p calsync.SignInProgress) { s.set(ipc.SignInState{Running: true, Progress: &p}) }})
		s.mu.Lock()
		s.cancel = nil
		s.mu.Unlock()
		cancel()
		var f *calsync.SignInFailure
		switch {
		case err == nil:
			s.set(ipc.SignInState{Done: true})
		case errors.As(err, &f):
			s.set(ipc.SignInState{Failure: f})
		default:
			s.set(ipc.SignInState{Failure: &calsync.SignInFailure{Kind: calsync.FailOther, Message: err.Error()}})
		}
	})
	return nil
}

func (s *signer) stop() error {
	s.mu.Lock()
	cancel := s.cancel
	s.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	return nil
}

// signInWorld is the simulated identity platform with a Session for it, and the window's
// controller wired to it. browser plays the system browser; nil leaves the page unanswered.
type signInWorld struct {
	h       *harness
	srv     *fakegraph.Server
	id      *fakegraph.Identity
	sess    *auth.Session
	s       *signer
	browser chan string // the authorize URLs the "browser" was asked to open
}

const testClientID = "3f1c2a9e-5b7d-4e8f-9a0b-1c2d3e4f5a6b"

func newSignInWorld(t *testing.T, clientID string) *signInWorld {
	t.Helper()
	w := &signInWorld{id: fakegraph.NewIdentity(fakegraph.IdentityOptions{ClientID: testClientID}), browser: make(chan string, 1)}
	srv, err := fakegraph.NewTLS(fakegraph.Options{Authorize: w.id.Authorize})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	w.id.Mount(srv)
	w.srv = srv
	client := srv.Client()
	t.Cleanup(client.CloseIdleConnections)
	w.sess, err = auth.Open(auth.Config{ClientID: clientID, Authority: fakegraph.IdentityAuthority(srv), GraphURL: srv.URL(),
		Dir: t.TempDir(), Keyring: memKeyring{m: map[string]string{}, mu: &sync.Mutex{}}, HTTPClient: client,
		OpenBrowser: func(u string) error { w.browser <- u; return nil }})
	if err != nil {
		t.Fatal(err)
	}
	w.h = newHarness(t, at(10, 0), func(o *Options) {
		o.Child = true
	})
	w.s = &signer{c: w.h.c, sess: w.sess, need: w.sess.NeedsClientID()}
	w.h.c.o.StartSignIn, w.h.c.o.CancelSignIn = w.s.start, w.s.stop
	t.Cleanup(func() { w.s.stop(); w.s.wg.Wait() })
	w.h.c.signinState = ipc.SignInState{NeedClientID: w.s.need}
	locked(w.h.c.showSignIn)
	return w
}

// memKeyring is an in-memory auth.Keyring.
type memKeyring struct {
	m  map[string]string
	mu *sync.Mutex
}

func (k memKeyring) Get(service, entry string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.m[service+"/"+entry]
	if !ok {
		return "", auth.ErrNotFound
	}
	return v, nil
}
func (k memKeyring) Set(service, entry, secret string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.m[service+"/"+entry] = secret
	return nil
}
func (k memKeyring) Delete(service, entry string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.m, service+"/"+entry)
	return nil
}

// read runs f on the Fyne goroutine and returns its result.
func read[T any](f func() T) T {
	var v T
	locked(func() { v = f() })
	return v
}

func (w *signInWorld) win() *signInWindow { return read(func() *signInWindow { return w.h.c.signin }) }

func (w *signInWorld) tap(b func(*signInWindow) fyne.Tappable) {
	locked(func() { test.Tap(b(w.h.c.signin)) })
}

// playBrowser is the system browser on the simulated identity platform: the person is signed
// in there already, so the page answers with a form that carries the code to caltray's
// loopback redirect, which the browser submits.
var (
	formAction = regexp.MustCompile(`action="([^"]+)"`)
	formInput  = regexp.MustCompile(`name="([^"]+)" value="([^"]*)"`)
)

func (w *signInWorld) playBrowser(t *testing.T, authorizeURL string) {
	t.Helper()
	resp, err := w.srv.Client().Get(authorizeURL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	action := formAction.FindStringSubmatch(string(page))
	if action == nil {
		t.Fatalf("authorize page: %s: %s", resp.Status, page)
	}
	form := url.Values{}
	for _, m := range formInput.FindAllStringSubmatch(string(page), -1) {
		form.Set(m[1], m[2])
	}
	client := &http.Client{Transport: &http.Transport{Proxy: nil}}
	defer client.CloseIdleConnections()
	resp, err = client.PostForm(strings.ReplaceAll(action[1], "&amp;", "&"), form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

func (w *signInWorld) closed() bool { return w.win() == nil }

func TestSignInWindowAsksForTheClientID(t *testing.T) {
	w := newSignInWorld(t, "")
	s := w.win()
	visible := func() (bool, bool, bool) {
		return read(func() bool { return s.settings.Visible() }), read(func() bool { return s.browser.Disabled() }), read(func() bool { return s.code.Disabled() })
	}
	if shown, b, c := visible(); !shown || !b || !c {
		t.Fatalf("no client ID configured: settings shown %v, buttons disabled %v %v; want the settings and both disabled", shown, b, c)
	}
	tests := []struct {
		id, tenant string
		ok         bool
	}{
		{"3f1c2a9e", "", false},
		{"not-a-guid-at-all-0000-000000000000", "", false},
		{testClientID, "", true},
		{" " + testClientID + " ", "contoso.onmicrosoft.com", true},
		{testClientID, "contoso/evil", false},
	}
	for _, tt := range tests {
		locked(func() {
			s.clientID.SetText("")
			test.Type(s.clientID, tt.id)
			s.tenant.SetText("")
			test.Type(s.tenant, tt.tenant)
		})
		if _, b, c := visible(); b == tt.ok || c == tt.ok {
			t.Errorf("client ID %q, tenant %q: buttons disabled %v %v; want enabled %v", tt.id, tt.tenant, b, c, tt.ok)
		}
	}
	// The typed values are the ones signed in with.
	locked(func() { s.clientID.SetText(testClientID); s.tenant.SetText("contoso.onmicrosoft.com") })
	w.tap(func(s *signInWindow) fyne.Tappable { return s.code })
	eventually(t, "the device code", func() bool { return read(func() string { return s.userCode.Text }) != "" })
	code, page := read(func() string { return s.userCode.Text }), read(func() string { return s.verify.Text })
	if err := w.id.ApproveDeviceCode(code); err != nil {
		t.Fatalf("the code %q shown (at %q) is not the identity platform's: %v", code, page, err)
	}
	eventually(t, "the window to close", w.closed)
	if a := w.sess.Account(); a == nil || a.ClientID != testClientID || a.Tenant != "contoso.onmicrosoft.com" {
		t.Errorf("account %+v; want the typed client ID and tenant", a)
	}
}

func TestSignInWindowDeviceCode(t *testing.T) {
	w := newSignInWorld(t, testClientID)
	s := w.win()
	if read(func() bool { return s.settings.Visible() }) {
		t.Error("the client ID is configured, yet the window asks for it")
	}
	w.tap(func(s *signInWindow) fyne.Tappable { return s.code })
	eventually(t, "the device code", func() bool { return read(func() string { return s.userCode.Text }) != "" })
	code, page := read(func() string { return s.userCode.Text }), read(func() string { return s.verify.Text })
	if !strings.HasPrefix(page, fakegraph.IdentityAuthority(w.srv)) || !strings.HasSuffix(page, "/devicelogin") {
		t.Errorf("verification address %q", page)
	}
	if !read(func() bool { return s.userCode.Selectable && s.codeBox.Visible() && s.cancel.Visible() }) {
		t.Error("the code is not shown selectable, with Cancel")
	}
	w.tap(func(s *signInWindow) fyne.Tappable { return s.copyCode })
	if got := read(func() string { return w.h.c.app.Clipboard().Content() }); got != code {
		t.Errorf("Copy put %q on the clipboard, want %q", got, code)
	}
	w.tap(func(s *signInWindow) fyne.Tappable { return s.openVerify })
	// The person enters the code on the page; the window finishes by itself.
	resp, err := w.srv.Client().PostForm(page, url.Values{"user_code": {code}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	eventually(t, "the window to close", w.closed)
	if a := w.sess.Account(); a == nil || a.Username != fakegraph.DefaultIdentityUPN {
		t.Errorf("account after the sign-in: %+v", a)
	}
}

func TestSignInWindowBrowser(t *testing.T) {
	w := newSignInWorld(t, testClientID)
	s := w.win()
	w.tap(func(s *signInWindow) fyne.Tappable { return s.browser })
	u := <-w.browser
	eventually(t, "waiting for the browser", func() bool {
		return read(func() bool {
			return strings.HasPrefix(s.waitText.Text, "Waiting for the browser…") && s.cancel.Visible() && !s.choose.Visible()
		})
	})
	w.playBrowser(t, u)
	eventually(t, "the window to close", w.closed)
	if w.sess.Account() == nil {
		t.Error("nobody signed in after the browser finished")
	}
}

func TestSignInWindowCancel(t *testing.T) {
	for _, deviceCode := range []bool{false, true} {
		w := newSignInWorld(t, testClientID)
		s := w.win()
		w.tap(func(s *signInWindow) fyne.Tappable {
			if deviceCode {
				return s.code
			}
			return s.browser
		})
		if !deviceCode {
			<-w.browser // opened, never finished
		}
		eventually(t, "the sign-in to run", func() bool {
			return read(func() bool {
				return s.cancel.Visible() && (s.codeBox.Visible() || strings.HasPrefix(s.waitText.Text, "Waiting"))
			})
		})
		w.tap(func(s *signInWindow) fyne.Tappable { return s.cancel })
		eventually(t, "the cancelled state", func() bool {
			return read(func() bool { return s.failure.Visible() && s.what.Text == "Sign-in cancelled." && s.choose.Visible() })
		})
		if w.sess.Account() != nil {
			t.Error("signed in after Cancel")
		}
	}
}

// TestSignInWindowErrors: each error of the identity platform in plain words with its fix,
// and for an administrator's consent the address to send to IT, ready to copy.
func TestSignInWindowErrors(t *testing.T) {
	tests := []struct {
		name    string
		fault   *fakegraph.SignInFault
		kind    calsync.SignInFailureKind
		consent bool
	}{
		{"AADSTS65001", &fakegraph.ConsentRequired, calsync.FailAdminConsent, true},
		{"AADSTS90094", &fakegraph.AdminConsentRequired, calsync.FailAdminConsent, true},
		{"AADSTS700016", &fakegraph.AppNotFound, calsync.FailAppNotFound, false},
		{"AADSTS7000218", &fakegraph.PublicClientDisabled, calsync.FailPublicClient, false},
		{"declined", &fakegraph.SignInDeclined, calsync.FailDeclined, false},
	}
	for _, deviceCode := range []bool{false, true} {
		flow := "browser/"
		if deviceCode {
			flow = "device code/"
		}
		for _, tt := range tests {
			t.Run(flow+tt.name, func(t *testing.T) {
				w := newSignInWorld(t, testClientID)
				w.id.SetSignInFault(tt.fault)
				s := w.win()
				if deviceCode {
					w.tap(func(s *signInWindow) fyne.Tappable { return s.code })
					eventually(t, "the device code", func() bool { return read(func() string { return s.userCode.Text }) != "" })
					w.id.ApproveDeviceCode(read(func() string { return s.userCode.Text }))
				} else {
					w.tap(func(s *signInWindow) fyne.Tappable { return s.browser })
					w.playBrowser(t, <-w.browser)
				}
				words := model.SignInFailureWords(calsync.SignInFailure{Kind: tt.kind})
				eventually(t, "the failure", func() bool { return read(func() bool { return s.failure.Visible() }) })
				got := read(func() [3]string { return [3]string{s.what.Text, s.fix.Text, s.detail.Text} })
				if got[0] != words.What || got[1] != words.Fix || !strings.Contains(got[2], tt.name[:min(len(tt.name), 11)]) && tt.name != "declined" {
					t.Errorf("shows %q; want %q, %q and the identity platform's words", got, words.What, words.Fix)
				}
				if !read(func() bool { return s.choose.Visible() }) {
					t.Error("no way to try again")
				}
				consent := read(func() string { return s.consentURL.Text })
				shown := read(func() bool { return s.consentBox.Visible() && s.consentURL.Selectable })
				if !tt.consent {
					if shown {
						t.Errorf("admin-consent address %q shown for %s", consent, tt.name)
					}
					return
				}
				u, err := url.Parse(consent)
				if !shown || err != nil || !strings.HasSuffix(u.Path, "/organizations/adminconsent") || u.Query().Get("client_id") != testClientID {
					t.Fatalf("admin-consent address %q (shown %v); want the tenant's adminconsent page for %s", consent, shown, testClientID)
				}
				w.tap(func(s *signInWindow) fyne.Tappable { return s.copyConsent })
				if got := read(func() string { return w.h.c.app.Clipboard().Content() }); got != consent {
					t.Errorf("Copy put %q on the clipboard", got)
				}
			})
		}
	}
}

// TestPrefsShowSources: the Preferences window lists each sign-in setting with where it comes
// from, as the tray sent it; with none sent it shows no such section.
func TestPrefsShowSources(t *testing.T) {
	h := newHarness(t, at(10, 0), nil)
	empty := read(func() fyne.CanvasObject { return h.c.sourcesView() }).(*fyne.Container)
	if len(empty.Objects) != 0 {
		t.Errorf("a sources section without sources: %d objects", len(empty.Objects))
	}
	h.c.sources = []ipc.SettingSource{
		{Name: "client ID", Value: testClientID, From: "the managed configuration /etc/xdg/caltray/caltray.json"},
		{Name: "tenant", Value: "organizations", From: "the default"},
	}
	view := read(func() fyne.CanvasObject { return h.c.sourcesView() }).(*fyne.Container)
	var form *widget.Form
	for _, o := range view.Objects {
		if f, ok := o.(*widget.Form); ok {
			form = f
		}
	}
	if form == nil || len(form.Items) != 2 {
		t.Fatalf("no form of two settings in %v", view.Objects)
	}
	for i, want := range h.c.sources {
		l, _ := form.Items[i].Widget.(*widget.Label)
		if form.Items[i].Text != want.Name || l == nil || !strings.Contains(l.Text, want.Value) || !strings.Contains(l.Text, want.From) {
			t.Errorf("item %d: %q %v; want %+v", i, form.Items[i].Text, l, want)
		}
	}
	locked(h.c.showPrefs)
	if read(func() bool { return h.c.prefs == nil }) {
		t.Fatal("no preferences window")
	}
}
