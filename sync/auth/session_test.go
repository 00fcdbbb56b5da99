package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	calsync "caltray/sync"
	"caltray/sync/fakegraph"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	abstractions "github.com/microsoft/kiota-abstractions-go"
)

func TestConfigCheck(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string // "" for valid
		want    settings
	}{
		{"defaults", Config{ClientID: testClientID}, "", settings{clientID: testClientID, tenant: "organizations", authority: DefaultAuthority}},
		{"tenant id and sovereign cloud", Config{ClientID: testClientID, Tenant: "7a1f3f8e-2b6c-4d7e-9f10-3c4b5a6d7e8f", Authority: "https://LOGIN.microsoftonline.us"},
			"", settings{clientID: testClientID, tenant: "7a1f3f8e-2b6c-4d7e-9f10-3c4b5a6d7e8f", authority: "https://login.microsoftonline.us/"}},
		{"domain tenant", Config{ClientID: testClientID, Tenant: "contoso.onmicrosoft.com"}, "", settings{clientID: testClientID, tenant: "contoso.onmicrosoft.com", authority: DefaultAuthority}},
		{"common", Config{ClientID: testClientID, Tenant: "common"}, "", settings{clientID: testClientID, tenant: "common", authority: DefaultAuthority}},
		{"no client id", Config{}, "no client ID: pass --client-id (or set CALTRAY_CLIENT_ID)", settings{}},
		{"client id not a guid", Config{ClientID: "caltray"}, `the client ID "caltray" is not an application ID`, settings{}},
		{"tenant with a slash", Config{ClientID: testClientID, Tenant: "contoso/evil"}, "the tenant \"contoso/evil\" is not valid", settings{}},
		{"consumers", Config{ClientID: testClientID, Tenant: "consumers"}, "personal Microsoft accounts only", settings{}},
		{"http authority", Config{ClientID: testClientID, Authority: "http://login.microsoftonline.com/"}, "must use https", settings{}},
		{"authority with tenant", Config{ClientID: testClientID, Authority: "https://login.microsoftonline.com/contoso"}, "give the host only", settings{}},
		{"authority with query", Config{ClientID: testClientID, Authority: "https://login.microsoftonline.com/?x=1"}, "must not have a query", settings{}},
		{"authority with password", Config{ClientID: testClientID, Authority: "https://u:secret@login.example/"}, "must not contain a user name or password", settings{}},
		{"graph over http elsewhere", Config{ClientID: testClientID, GraphURL: "http://graph.microsoft.com/v1.0"}, "plain http to a non-loopback host", settings{}},
		{"graph not a url", Config{ClientID: testClientID, GraphURL: "graph.microsoft.com"}, "must start with https://", settings{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.cfg.check(true)
			if tt.wantErr != "" {
				if !errors.Is(err, ErrBadConfig) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("check error = %v; want ErrBadConfig saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.clientID != tt.want.clientID || got.tenant != tt.want.tenant || got.authority != tt.want.authority {
				t.Errorf("check = %+v; want %+v", got, tt.want)
			}
		})
	}
}

func TestScopes(t *testing.T) {
	tests := []struct{ graph, want string }{
		{"https://graph.microsoft.com/v1.0", "https://graph.microsoft.com/Calendars.Read https://graph.microsoft.com/User.Read"},
		{"https://graph.microsoft.us/v1.0", "https://graph.microsoft.us/Calendars.Read https://graph.microsoft.us/User.Read"},
	}
	for _, tt := range tests {
		g, err := checkGraphURL(tt.graph)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(scopes(g), " "); got != tt.want {
			t.Errorf("scopes(%s) = %s; want %s", tt.graph, got, tt.want)
		}
	}
}

var formInput = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)" />`)
var formAction = regexp.MustCompile(`<form method="POST" name="hiddenform" action="([^"]+)">`)

// playBrowser is the system browser: it opens the authorize URL on the fake, where the user is
// signed in already, and submits the form that carries the code back to caltray's loopback
// redirect.
func playBrowser(w *world, authorizeURL string) error {
	resp, err := w.srv.Client().Get(authorizeURL)
	if err != nil {
		return err
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	action := formAction.FindStringSubmatch(string(page))
	if resp.StatusCode != http.StatusOK || action == nil {
		return fmt.Errorf("authorize: %s: %s", resp.Status, page)
	}
	form := url.Values{}
	for _, m := range formInput.FindAllStringSubmatch(string(page), -1) {
		form.Set(m[1], m[2])
	}
	client := &http.Client{Transport: &http.Transport{Proxy: nil}}
	defer client.CloseIdleConnections()
	resp, err = client.PostForm(action[1], form)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("redirect: %s: %s", resp.Status, body)
	}
	return nil
}

// TestBrowserSignIn signs in with the authorization code flow: a test plays the browser.
func TestBrowserSignIn(t *testing.T) {
	w := newWorld(t)
	cfg := w.config(t, newMemKeyring(), nil)
	browserErr := make(chan error, 1)
	var opened string
	cfg.OpenBrowser = func(u string) error {
		opened = u
		go func() { browserErr <- playBrowser(w, u) }()
		return nil
	}
	s, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out strings.Builder
	if err := s.SignIn(ctx, &out, false); err != nil {
		t.Fatalf("SignIn: %v\n%s", err, out.String())
	}
	if err := <-browserErr; err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(opened)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	redirect, _ := url.Parse(q.Get("redirect_uri"))
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || redirect.Hostname() != "localhost" || redirect.Scheme != "http" {
		t.Errorf("authorize URL %s: want PKCE S256 and an http://localhost redirect", opened)
	}
	if !strings.Contains(out.String(), opened) || !strings.Contains(out.String(), "Signed in as Alex Wilber <AlexW@contoso.onmicrosoft.com> (tenant "+fakegraph.DefaultIdentityTenantID+")") {
		t.Errorf("output: %q", out.String())
	}
	if n := w.id.TokenRequests("authorization_code"); n != 1 {
		t.Errorf("authorization_code requests = %d, want 1", n)
	}
	tok, err := s.GetToken(ctx, policy.TokenRequestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.id.Authorize(tok.Token); err != nil {
		t.Errorf("the fake Graph rejects the token: %v", err)
	}
}

// TestSignInWithoutKeyring: the tray's sign-in works for the run with tokens in memory, says
// so, and writes nothing; a new Session finds nobody signed in.
func TestSignInWithoutKeyring(t *testing.T) {
	w := newWorld(t)
	kr := newMemKeyring()
	kr.fail = errors.New("dbus: couldn't determine address of session bus")
	cfg := w.config(t, kr, nil)
	s, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	out := signInDeviceCode(t, w, s)
	for _, want := range []string{"OS keyring is not available", "gnome-keyring", "this run only"} {
		if !strings.Contains(out, want) {
			t.Errorf("sign-in output does not say %q:\n%s", want, out)
		}
	}
	tok, err := s.GetToken(context.Background(), policy.TokenRequestOptions{})
	if err != nil || w.id.Authorize(tok.Token) != nil {
		t.Fatalf("GetToken after an in-memory sign-in: %v", err)
	}
	if st, msg := s.State(); st != calsync.AuthNoKeyring || !strings.Contains(msg, "next time") {
		t.Errorf("State = %s, %q", st, msg)
	}
	if entries, _ := os.ReadDir(cfg.Dir); len(entries) != 0 {
		t.Errorf("%d files written without a keyring", len(entries))
	}
	s2, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s2.GetToken(context.Background(), policy.TokenRequestOptions{})
	if !errors.Is(err, calsync.ErrSignInNeeded) {
		t.Errorf("a new Session: %v; want ErrSignInNeeded", err)
	}
	if err := SignIn(context.Background(), cfg, io.Discard, true); !errors.Is(err, calsync.ErrNoKeyring) {
		t.Errorf("caltray signin without a keyring: %v; want ErrNoKeyring", err)
	}
}

// TestGetTokenErrors: what GetToken answers when it cannot get a token silently.
func TestGetTokenErrors(t *testing.T) {
	ctx := context.Background()
	t.Run("nobody signed in", func(t *testing.T) {
		w := newWorld(t)
		s, err := Open(w.config(t, newMemKeyring(), nil))
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.GetToken(ctx, policy.TokenRequestOptions{})
		if !errors.Is(err, calsync.ErrSignInNeeded) || !strings.Contains(err.Error(), "run caltray signin") {
			t.Errorf("err = %v", err)
		}
		if st, _ := s.State(); st != calsync.AuthSignedOut {
			t.Errorf("State = %s", st)
		}
		if n := len(w.srv.Requests()); n != 0 {
			t.Errorf("%d requests to the identity platform", n)
		}
	})
	t.Run("other client id given", func(t *testing.T) {
		w := newWorld(t)
		cfg := w.config(t, newMemKeyring(), nil)
		s, _ := Open(cfg)
		signInDeviceCode(t, w, s)
		cfg.ClientID = "00000000-0000-0000-0000-000000000001"
		s2, err := Open(cfg)
		if err != nil {
			t.Fatal(err)
		}
		_, err = s2.GetToken(ctx, policy.TokenRequestOptions{})
		if !errors.Is(err, calsync.ErrSignInNeeded) || !strings.Contains(err.Error(), "but --client-id is 00000000-0000-0000-0000-000000000001") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("signed out by another process", func(t *testing.T) {
		w := newWorld(t)
		cfg := w.config(t, newMemKeyring(), nil)
		s, _ := Open(cfg)
		signInDeviceCode(t, w, s)
		if _, err := s.GetToken(ctx, policy.TokenRequestOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := SignOut(ctx, cfg, io.Discard); err != nil {
			t.Fatal(err)
		}
		_, err := s.GetToken(ctx, policy.TokenRequestOptions{})
		if !errors.Is(err, calsync.ErrSignInNeeded) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("identity platform unreachable is not sign-in needed", func(t *testing.T) {
		w := newWorld(t)
		cfg := w.config(t, newMemKeyring(), nil)
		s, _ := Open(cfg)
		signInDeviceCode(t, w, s)
		ageCache(t, cfg, 2*time.Hour)
		w.srv.Close()
		for range 2 { // not sticky: each call tries again
			_, err := s.GetToken(ctx, policy.TokenRequestOptions{})
			if err == nil || errors.Is(err, calsync.ErrSignInNeeded) {
				t.Errorf("err = %v; want a plain, retryable error", err)
			}
		}
		if st, _ := s.State(); st != calsync.AuthOK {
			t.Errorf("State = %s; want ok (the sign-in is fine, the network is not)", st)
		}
	})
	// The account record is there but the tokens are not: sign-in needed at once, without
	// asking the identity platform, however often the sync loop asks.
	for _, lose := range []struct {
		name       string
		lose       func(kr *memKeyring, cfg Config)
		unreadable bool
	}{
		{"cache key gone", func(kr *memKeyring, cfg Config) { kr.Delete(cfg.KeyringService, keyEntry) }, false},
		{"sealed cache gone", func(kr *memKeyring, cfg Config) { os.Remove(filepath.Join(cfg.Dir, sealedName)) }, false},
		{"cache key replaced", func(kr *memKeyring, cfg Config) {
			kr.Set(cfg.KeyringService, keyEntry, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
		}, true},
	} {
		t.Run(lose.name, func(t *testing.T) {
			w := newWorld(t)
			kr := newMemKeyring()
			cfg := w.config(t, kr, nil)
			s, _ := Open(cfg)
			signInDeviceCode(t, w, s)
			lose.lose(kr, cfg)
			s2, err := Open(cfg)
			if err != nil {
				t.Fatal(err)
			}
			before := len(w.srv.Requests())
			for range 3 {
				_, err = s2.GetToken(ctx, policy.TokenRequestOptions{})
				if !errors.Is(err, calsync.ErrSignInNeeded) || !strings.Contains(err.Error(), "no saved sign-in for AlexW@contoso.onmicrosoft.com") {
					t.Fatalf("err = %v; want sign-in needed, no saved sign-in", err)
				}
			}
			if errors.Is(err, errUnreadable) != lose.unreadable {
				t.Errorf("err = %v; matches errUnreadable: %v, want %v", err, !lose.unreadable, lose.unreadable)
			}
			if n := len(w.srv.Requests()) - before; n != 0 {
				t.Errorf("%d requests to the identity platform", n)
			}
		})
	}
	t.Run("damaged account record", func(t *testing.T) {
		w := newWorld(t)
		cfg := w.config(t, newMemKeyring(), nil)
		os.WriteFile(filepath.Join(cfg.Dir, accountName), []byte("{not json"), 0o600)
		s, _ := Open(cfg)
		_, err := s.GetToken(ctx, policy.TokenRequestOptions{})
		if !errors.Is(err, calsync.ErrSignInNeeded) || !errors.Is(err, ErrAccountDamaged) || !strings.Contains(err.Error(), "is damaged") {
			t.Errorf("err = %v", err)
		}
		if err := WhoAmI(cfg, io.Discard); err == nil || !strings.Contains(err.Error(), "caltray signin") {
			t.Errorf("whoami with a damaged record: %v", err)
		}
	})
}

// TestWhoAmI prints the account, in whatever script its name is written.
func TestWhoAmI(t *testing.T) {
	tests := []struct{ name, upn string }{
		{"Alex Wilber", "AlexW@contoso.onmicrosoft.com"},
		{"Zoë Ångström-Müller", "zoe.angstrom@contoso.onmicrosoft.com"},
		{"李雷 🗓", "li.lei@例え.jp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorldWith(t, fakegraph.IdentityOptions{UserName: tt.name, UPN: tt.upn})
			kr := newMemKeyring()
			cfg := w.config(t, kr, nil)
			var out strings.Builder
			if err := WhoAmI(cfg, &out); err != nil || out.String() != "Nobody is signed in. Run caltray signin.\n" {
				t.Fatalf("whoami before sign-in: %q, %v", out.String(), err)
			}
			s, _ := Open(cfg)
			signInDeviceCode(t, w, s)
			out.Reset()
			if err := WhoAmI(cfg, &out); err != nil {
				t.Fatal(err)
			}
			want := fmt.Sprintf("name:      %s\nuser:      %s\ntenant:    %s\n", tt.name, tt.upn, fakegraph.DefaultIdentityTenantID)
			if !strings.HasPrefix(out.String(), want) {
				t.Errorf("whoami:\n%s\nwant it to start with:\n%s", out.String(), want)
			}
			out.Reset()
			if err := SignOut(context.Background(), cfg, &out); err != nil || !strings.Contains(out.String(), "Signed out "+tt.upn) {
				t.Errorf("signout: %q, %v", out.String(), err)
			}
			if got := listFiles(t, cfg.Dir); kr.len() != 0 || len(got) != 0 {
				t.Errorf("after signout: %d keyring entries, files %v; want none", kr.len(), got)
			}
		})
	}
}

// TestProvider: the token goes to the Graph host and nowhere else.
func TestProvider(t *testing.T) {
	w := newWorld(t)
	cfg := w.config(t, newMemKeyring(), nil)
	s, _ := Open(cfg)
	signInDeviceCode(t, w, s)
	p, err := Provider(s, w.srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	graph, _ := url.Parse(w.srv.URL())
	tests := []struct {
		url       string
		wantToken bool
	}{
		{w.srv.URL() + "/me/calendarView", true},
		{"https://" + graph.Hostname() + ":1/v1.0/me", true}, // kiota matches hosts, not ports
		{"https://evil.example/v1.0/me/calendarView", false},
		{"https://graph.microsoft.com/v1.0/me", false},
	}
	for _, tt := range tests {
		ri := abstractions.NewRequestInformation()
		u, _ := url.Parse(tt.url)
		ri.SetUri(*u)
		if err := p.AuthenticateRequest(context.Background(), ri, nil); err != nil {
			t.Fatalf("%s: %v", tt.url, err)
		}
		auth := ri.Headers.Get("Authorization")
		if got := len(auth) == 1 && strings.HasPrefix(auth[0], "Bearer ey"); got != tt.wantToken {
			t.Errorf("%s: Authorization %v; want a token: %v", tt.url, auth != nil, tt.wantToken)
		}
	}
	for _, bad := range []string{"http://graph.example/v1.0", "ftp://x"} {
		if _, err := Provider(s, bad); !errors.Is(err, ErrBadConfig) {
			t.Errorf("Provider(%q) = %v; want ErrBadConfig", bad, err)
		}
	}
	if _, err := Provider(nil, w.srv.URL()); err == nil {
		t.Error("Provider(nil) succeeded")
	}
}

// TestRestart: a new Session (caltray restarted) gets the saved token silently, refreshes it
// silently once it expires, and after the refresh token is revoked says sign-in needed,
// asking the identity platform once and not again. Like TestEndToEnd, without the Secret
// Service and in one process, so it runs everywhere.
func TestRestart(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	kr := newMemKeyring()
	cfg := w.config(t, kr, nil)
	s, _ := Open(cfg)
	signInDeviceCode(t, w, s)
	signInAT := w.id.IssuedTokens()[0]

	s2, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s2.GetToken(ctx, policy.TokenRequestOptions{})
	if err != nil || tok.Token != signInAT {
		t.Fatalf("after a restart: %v; want the sign-in's access token from the saved cache", err)
	}
	if n := w.id.TokenRequests("refresh_token"); n != 0 {
		t.Errorf("the saved token cost %d refresh requests", n)
	}

	w.clock.Advance(2 * time.Hour)
	ageCache(t, cfg, 2*time.Hour)
	tok, err = s2.GetToken(ctx, policy.TokenRequestOptions{})
	if err != nil || tok.Token == signInAT || w.id.Authorize(tok.Token) != nil {
		t.Fatalf("after expiry: %v; want a new access token Graph accepts", err)
	}
	if n := w.id.TokenRequests("refresh_token"); n != 1 {
		t.Errorf("refresh requests = %d, want 1", n)
	}
	if tok.ExpiresOn.Before(time.Now()) {
		t.Errorf("ExpiresOn = %v; want the new token's expiry, in the future", tok.ExpiresOn)
	}

	w.id.RevokeRefreshTokens()
	w.clock.Advance(2 * time.Hour)
	ageCache(t, cfg, 2*time.Hour)
	for i := range 5 {
		_, err := s2.GetToken(ctx, policy.TokenRequestOptions{})
		if !errors.Is(err, calsync.ErrSignInNeeded) || !strings.Contains(err.Error(), "invalid_grant") {
			t.Fatalf("GetToken %d after revocation: %v; want sign-in needed saying invalid_grant", i, err)
		}
	}
	if n := w.id.TokenRequests("refresh_token"); n != 2 {
		t.Errorf("5 token requests after revocation made %d refresh requests in all, want 2 (one before, one after)", n)
	}
	if st, _ := s2.State(); st != calsync.AuthSignInNeeded {
		t.Errorf("State = %s", st)
	}
	// A new sign-in (here in the first Session, as by caltray signin) lifts it.
	signInDeviceCode(t, w, s)
	if _, err := s2.GetToken(ctx, policy.TokenRequestOptions{}); err != nil {
		t.Errorf("after signing in again: %v", err)
	}
}

// TestStateWhileKeyringHangs: the tray asks State and Account while a token request waits on
// an unanswered keyring; they answer at once.
func TestStateWhileKeyringHangs(t *testing.T) {
	w := newWorld(t)
	kr := newMemKeyring()
	cfg := w.config(t, kr, nil)
	s, _ := Open(cfg)
	signInDeviceCode(t, w, s)
	s2, _ := Open(cfg)
	release := make(chan struct{})
	kr.mu.Lock()
	kr.block = release
	kr.mu.Unlock()
	calls := kr.callCount()
	done := make(chan error, 1)
	go func() {
		_, err := s2.GetToken(context.Background(), policy.TokenRequestOptions{})
		done <- err
	}()
	for kr.callCount() == calls { // until the token request waits in the keyring
		time.Sleep(time.Millisecond)
	}
	answered := make(chan calsync.AuthState, 1)
	go func() {
		st, _ := s2.State()
		s2.Account()
		answered <- st
	}()
	select {
	case st := <-answered:
		if st != calsync.AuthOK {
			t.Errorf("State = %s, want ok", st)
		}
	case <-time.After(5 * time.Second):
		t.Error("State waits for the keyring")
		defer func() { <-answered }() // let it finish before goleak looks
	}
	close(release)
	if err := <-done; err != nil {
		t.Errorf("GetToken once the keyring answered: %v", err)
	}
}

// TestBrowserSignInEnds: a browser sign-in that ends without a code (cancelled, no browser)
// returns promptly, says what to do, and closes its loopback redirect server.
func TestBrowserSignInEnds(t *testing.T) {
	tests := []struct {
		name    string
		open    func(cancel context.CancelFunc) error
		wantErr string
		wantIs  error
	}{
		{"cancelled while waiting for the browser", func(cancel context.CancelFunc) error { cancel(); return nil }, "sign-in failed", context.Canceled},
		{"no browser", func(context.CancelFunc) error { return errors.New("xdg-open: not found") }, "run caltray signin --device-code", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			cfg := w.config(t, newMemKeyring(), nil)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var redirect string
			cfg.OpenBrowser = func(u string) error {
				pu, err := url.Parse(u)
				if err != nil {
					return err
				}
				redirect = pu.Query().Get("redirect_uri")
				return tt.open(cancel)
			}
			s, _ := Open(cfg)
			start := time.Now()
			err := s.SignIn(ctx, io.Discard, false)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || (tt.wantIs != nil && !errors.Is(err, tt.wantIs)) {
				t.Fatalf("SignIn = %v; want an error saying %q", err, tt.wantErr)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("SignIn took %v to give up", d)
			}
			ru, err := url.Parse(redirect)
			if err != nil || ru.Port() == "" {
				t.Fatalf("redirect URI %q", redirect)
			}
			if c, err := net.DialTimeout("tcp", net.JoinHostPort("localhost", ru.Port()), time.Second); err == nil {
				c.Close()
				t.Errorf("the loopback redirect server on %s still accepts connections", ru.Host)
			}
			if st, _ := s.State(); st != calsync.AuthSignedOut {
				t.Errorf("State = %s after a failed sign-in", st)
			}
		})
	}
}

// TestDeviceCodeEnds: a device code sign-in the user never completes ends with the code's
// expiry (saying to start again) or when cancelled, promptly.
func TestDeviceCodeEnds(t *testing.T) {
	tests := []struct {
		name     string
		act      func(w *world, cancel context.CancelFunc) error
		wantErr  string
		wantIs   error
		minPolls int // the expiry is learnt by polling; a cancel may come before the first poll
	}{
		{"code expires", func(w *world, _ context.CancelFunc) error { w.clock.Advance(16 * time.Minute); return nil },
			"expired_token", nil, 1},
		{"cancelled", func(_ *world, cancel context.CancelFunc) error { cancel(); return nil }, "sign-in failed", context.Canceled, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			cfg := w.config(t, newMemKeyring(), nil)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s, _ := Open(cfg)
			out := &deviceUser{act: func(string, string) error { return tt.act(w, cancel) }}
			start := time.Now()
			err := s.SignIn(ctx, out, true)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || (tt.wantIs != nil && !errors.Is(err, tt.wantIs)) {
				t.Fatalf("SignIn = %v; want an error saying %q", err, tt.wantErr)
			}
			if tt.wantIs == nil && !strings.Contains(err.Error(), "run caltray signin --device-code again") {
				t.Errorf("SignIn = %v; want it to say what to do", err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("SignIn took %v to give up", d)
			}
			if n := w.id.TokenRequests("device_code"); n < tt.minPolls || n > 3 {
				t.Errorf("%d device code polls; want %d to 3", n, tt.minPolls)
			}
		})
	}
}

// TestSignInCannotSave: caltray signin whose keyring answers but refuses to store the key
// fails, rather than reporting a sign-in that ends with the process.
func TestSignInCannotSave(t *testing.T) {
	w := newWorld(t)
	kr := newMemKeyring()
	kr.failSet = errors.New("org.freedesktop.Secret.Error.IsLocked")
	cfg := w.config(t, kr, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out := &deviceUser{act: approve(w.srv.Client())}
	err := SignIn(ctx, cfg, out, true)
	if !errors.Is(err, calsync.ErrNoKeyring) || !strings.Contains(err.Error(), "could not be saved") {
		t.Fatalf("SignIn = %v; want an error matching ErrNoKeyring saying the sign-in could not be saved", err)
	}
	if strings.Contains(out.String(), "Signed in as") {
		t.Errorf("output claims success: %q", out.String())
	}
	if got := listFiles(t, cfg.Dir); len(got) != 0 {
		t.Errorf("files written: %v", got)
	}
}

// TestSignInFailures: a wrong client ID and a refused scope say what to fix.
func TestSignInFailures(t *testing.T) {
	w := newWorld(t)
	cfg := w.config(t, newMemKeyring(), nil)
	cfg.ClientID = "00000000-0000-0000-0000-000000000002"
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := SignIn(ctx, cfg, io.Discard, true)
	if err == nil || !strings.Contains(err.Error(), "AADSTS700016") || !strings.Contains(err.Error(), "Check --client-id") {
		t.Errorf("wrong client ID: %v", err)
	}
	cfg.ClientID = ""
	if err := SignIn(ctx, cfg, io.Discard, true); !errors.Is(err, ErrBadConfig) {
		t.Errorf("no client ID: %v; want ErrBadConfig", err)
	}
}
