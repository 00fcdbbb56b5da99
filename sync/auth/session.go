package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	calsync "caltray/sync"
	"caltray/sync/inert"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	msalerrors "github.com/AzureAD/microsoft-authentication-library-for-go/apps/errors"
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
	"github.com/pkg/browser"
)

// A Session is caltray's sign-in for one run: the azcore.TokenCredential the Graph source gets
// its tokens from, and the sign-in and sign-out that change it. The tray app keeps one for its
// whole run; each CLI command opens its own. Safe for concurrent use.
type Session struct {
	cfg   Config
	set   settings // cfg's settings, checked; the client ID may be empty until sign-in
	dir   string
	store *tokenStore
	http  *http.Client

	// tokenMu serializes token requests: one refresh at a time in this process. It is held
	// across network and keyring calls; mu is not, so State and Account never wait on them.
	tokenMu sync.Mutex

	mu        sync.Mutex // guards the fields below
	account   *Account   // nil: nobody signed in
	loaded    bool       // the account record has been read once
	recordMod time.Time  // its modification time then (zero: there was none)
	client    *public.Client
	stop      error // a sign-in-needed error that no request can fix: returned without asking anyone
}

// ErrNotSignedIn is matched by SignedIn's error when nobody is signed in: there is no account
// record.
var ErrNotSignedIn = errors.New("nobody is signed in")

// ErrAccountDamaged is matched by SignedIn's (and GetToken's, and WhoAmI's) error when the
// account record exists but cannot be used: damaged, incomplete or unreadable. The message
// names the file and what to do; it is not "nobody is signed in".
var ErrAccountDamaged = errors.New("the account record is damaged")

// Open prepares a Session from cfg and the account record on disk. It makes no network call
// and does not touch the keyring; errors match ErrBadConfig. A damaged account record is no
// error here (the tray still starts, and signin and signout must work): SignedIn reports it.
//
// Open also removes the temporary files of the token store's writes that a crash or kill -9
// interrupted, if at least calsync.StaleTempAge old (another caltray may be writing now).
func Open(cfg Config) (*Session, error) {
	set, err := cfg.check(false)
	if err != nil {
		return nil, err
	}
	dir, err := cfg.dir()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadConfig, err)
	}
	removeStaleTemps(dir, cfg.log())
	s := &Session{cfg: cfg, set: set, dir: dir, store: newTokenStore(cfg, dir), http: cfg.HTTPClient}
	if s.http == nil {
		s.http = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reloadLocked()
	return s, nil
}

// reloadLocked (re)reads the account record if it changed since it was last read: a sign-in or
// sign-out by another caltray process takes effect here without a restart.
func (s *Session) reloadLocked() {
	info, err := os.Stat(filepath.Join(s.dir, accountName))
	var mod time.Time
	if err == nil {
		mod = info.ModTime()
	}
	if s.loaded && s.recordMod.Equal(mod) {
		return
	}
	s.loaded, s.recordMod = true, mod
	s.stop = nil
	s.client = nil
	a, err := loadAccount(s.dir)
	s.account = a
	switch {
	case err != nil:
		s.stop = &SignInError{Reason: err.Error(), Err: err}
	case a != nil:
		s.stop = s.mismatchLocked(a)
	}
}

// mismatchLocked reports settings given now that differ from those the account signed in with,
// and an administrator's move to a new app registration: an account whose client ID came from
// the managed configuration, which now names another one, must sign in again under the new one.
// (The record otherwise ranks above the file, so a client ID the user typed is kept.)
func (s *Session) mismatchLocked(a *Account) error {
	var what string
	m := s.cfg.Managed
	switch {
	case s.set.clientID == "" && m.Moved(a):
		return signInNeeded(fmt.Sprintf("your administrator moved caltray to another app registration: the managed configuration %s "+
			"now names client ID %s, and %s signed in under %s; run caltray signin (or choose Sign in… in the tray) to sign in under the new one",
			m.Path, m.ClientID, a.Username, a.ManagedClientID))
	case s.set.clientID != "" && !strings.EqualFold(s.set.clientID, a.ClientID):
		what = fmt.Sprintf("client ID %s, but --client-id is %s", a.ClientID, s.set.clientID)
	case s.cfg.Tenant != "" && !strings.EqualFold(s.set.tenant, a.Tenant):
		what = fmt.Sprintf("tenant %s, but --tenant is %s", a.Tenant, s.set.tenant)
	case s.cfg.Authority != "" && s.set.authority != a.AuthorityURL:
		what = fmt.Sprintf("authority %s, but --authority is %s", a.AuthorityURL, s.set.authority)
	default:
		return nil
	}
	return signInNeeded(fmt.Sprintf("%s signed in with %s; run caltray signin to sign in with the new settings", a.Username, what))
}

// Moved reports whether a signed in with the managed configuration's client ID and m now names
// another: the administrator moved caltray to a new app registration, and a must sign in again.
func (m Managed) Moved(a *Account) bool {
	return a.ManagedClientID != "" && m.ClientID != "" && !strings.EqualFold(a.ManagedClientID, m.ClientID)
}

// A SignInError says caltray needs the user to sign in (again) and why. It matches
// calsync.ErrSignInNeeded, and calsync.ErrNoKeyring when the missing keyring is the reason.
type SignInError struct {
	Reason string
	Err    error // the keyring error or the identity platform's answer behind it, if any
}

func (e *SignInError) Error() string { return "sign-in needed: " + e.Reason }

// Unwrap lets errors.Is match calsync.ErrSignInNeeded and what caused it.
func (e *SignInError) Unwrap() []error {
	if e.Err == nil {
		return []error{calsync.ErrSignInNeeded}
	}
	return []error{calsync.ErrSignInNeeded, e.Err}
}

func signInNeeded(reason string) error { return &SignInError{Reason: reason} }

// notSignedIn is the error for "nobody is signed in".
func notSignedIn() error {
	return &SignInError{Reason: "nobody is signed in; run caltray signin", Err: ErrNotSignedIn}
}

// SignedIn returns nil if an account is signed in and usable, or why not, matching
// calsync.ErrSignInNeeded: ErrNotSignedIn when nobody is; ErrAccountDamaged when the account
// record is damaged or unreadable (naming the file and what to do); or the reason a sign-in is
// needed again (settings that differ from the account's, a refresh token the identity
// platform refused). Commands check it before a sync so the user hears the real cause.
func (s *Session) SignedIn() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reloadLocked()
	if s.stop != nil {
		return s.stop
	}
	if s.account == nil {
		return notSignedIn()
	}
	return nil
}

// GetToken returns an access token for opts.Scopes (default: caltray's Graph scopes) without
// user interaction: from the token cache, or by redeeming the refresh token. When only the user
// can help (nobody signed in, the refresh token expired or was revoked) the error matches
// calsync.ErrSignInNeeded, and later calls return it at once without asking the identity
// platform again, until someone signs in.
func (s *Session) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	s.tokenMu.Lock()
	defer s.tokenMu.Unlock()
	acct, client, err := s.silentClient()
	if err != nil {
		return azcore.AccessToken{}, err
	}
	sc := opts.Scopes
	if len(sc) == 0 {
		sc = scopes(s.set.graph)
	}
	ar, err := client.AcquireTokenSilent(ctx, sc, public.WithSilentAccount(acct.msal()), public.WithClaims(opts.Claims))
	if err != nil {
		return azcore.AccessToken{}, s.silentErr(ctx, acct, err)
	}
	return azcore.AccessToken{Token: ar.AccessToken, ExpiresOn: ar.ExpiresOn.UTC(), RefreshOn: ar.Metadata.RefreshOn.UTC()}, nil
}

// silentClient returns the signed-in account and its MSAL client, or why there is none.
func (s *Session) silentClient() (*Account, *public.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reloadLocked()
	if s.stop != nil {
		return nil, nil, s.stop
	}
	if s.account == nil {
		return nil, nil, notSignedIn()
	}
	client, err := s.clientLocked()
	if err != nil {
		return nil, nil, err
	}
	return s.account, client, nil
}

// clientLocked returns the MSAL client for the signed-in account's settings.
func (s *Session) clientLocked() (*public.Client, error) {
	if s.client != nil {
		return s.client, nil
	}
	set := s.set
	set.clientID, set.authority, set.tenant = s.account.ClientID, s.account.AuthorityURL, s.account.Tenant
	c, err := s.newClient(set)
	if err != nil {
		return nil, err
	}
	s.client = c
	return c, nil
}

// newClient makes an MSAL public client whose cache is the keyring-backed store. It asks for
// CAE-capable tokens (client capability CP1), as the Graph SDK's authentication provider
// requests them; a claims challenge then bypasses the cached token.
func (s *Session) newClient(set settings) (*public.Client, error) {
	opts := []public.Option{
		public.WithAuthority(set.authority + set.tenant),
		public.WithCache(s.store),
		public.WithHTTPClient(s.http),
		public.WithClientCapabilities([]string{"CP1"}),
	}
	u, _ := url.Parse(set.authority) // checked by settings
	if !microsoftHosts[u.Hostname()] {
		opts = append(opts, public.WithInstanceDiscovery(false))
	}
	c, err := public.New(set.clientID, opts...)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadConfig, err)
	}
	return &c, nil
}

// oauthError is the identity platform's error body.
type oauthError struct {
	Code        string `json:"error"`
	Description string `json:"error_description"`
}

// oauthErrorOf extracts the identity platform's answer from an MSAL error, if it is one. MSAL
// keeps the body in the response, except where it read it itself (device code polling); the
// error text quotes the body too, so that is the fallback.
func oauthErrorOf(err error) (oauthError, bool) {
	var oe oauthError
	var ce msalerrors.CallErr
	if !errors.As(err, &ce) {
		return oe, false
	}
	var body []byte
	if ce.Resp != nil && ce.Resp.Body != nil {
		body, _ = io.ReadAll(io.LimitReader(ce.Resp.Body, 1<<20))
		ce.Resp.Body = io.NopCloser(bytes.NewReader(body)) // leave it readable for anyone after us
	}
	if json.Unmarshal(body, &oe) != nil || oe.Code == "" {
		msg := ce.Error()
		i := strings.IndexByte(msg, '{')
		if i < 0 || json.Unmarshal([]byte(msg[i:]), &oe) != nil || oe.Code == "" {
			return oauthError{}, false
		}
	}
	// Entra appends trace and correlation IDs on further lines: the first line says it all.
	// The text is the identity platform's (or whoever answers at the authority's address):
	// untrusted, made inert here, where it enters caltray, before any message quotes it.
	oe.Description, _, _ = strings.Cut(oe.Description, "\n")
	oe.Description = inert.Line(oe.Description)
	oe.Code = inert.Line(oe.Code)
	return oe, true
}

// inertError shows err's text through inert.Line and unwraps to err: MSAL's errors quote the
// identity platform's answer as received.
type inertError struct{ err error }

func (e inertError) Error() string { return inert.Line(e.err.Error()) }
func (e inertError) Unwrap() error { return e.err }

// needsUser lists the identity platform's errors that only a new interactive sign-in fixes.
var needsUser = map[string]bool{
	"invalid_grant":        true, // refresh token expired, revoked, or password changed
	"interaction_required": true, // MFA or a conditional access policy wants the user
	"consent_required":     true,
	"login_required":       true,
	"invalid_client":       true, // the app registration changed: a new sign-in will say how
	"unauthorized_client":  true,
}

// silentErr turns a failed silent request for acct into the error GetToken returns.
func (s *Session) silentErr(ctx context.Context, acct *Account, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("get a token: %w", inertError{err})
	}
	if oe, ok := oauthErrorOf(err); ok {
		if !needsUser[oe.Code] {
			return fmt.Errorf("get a token from the identity platform: %s: %s", oe.Code, oe.Description)
		}
		stop := &SignInError{Reason: fmt.Sprintf("the identity platform no longer accepts %s's saved sign-in (%s: %s); run caltray signin",
			acct.Username, oe.Code, oe.Description)}
		// Sticky: asking again with the same refresh token would get the same answer. Unless
		// someone signed in or out meanwhile: then the answer is about a sign-in that is gone.
		s.mu.Lock()
		if s.account == acct {
			s.stop = stop
		}
		s.mu.Unlock()
		return stop
	}
	if ke := s.store.memoryOnly(); ke != nil {
		return &SignInError{Reason: "no saved sign-in can be read without the OS keyring; sign in again for this run", Err: ke}
	}
	// MSAL's only word for "the cache holds no refresh token for this account" (base.go); it
	// has no sentinel error. TestGetTokenErrors pins it.
	if strings.Contains(err.Error(), "no token found") {
		// The cache is empty, unreadable or was cleared by a sign-out elsewhere. Nothing on
		// the network can fix that.
		reason := "no saved sign-in for " + acct.Username + "; run caltray signin"
		if rf := s.store.readFailure(); rf != nil {
			return &SignInError{Reason: reason, Err: rf}
		}
		return signInNeeded(reason)
	}
	return fmt.Errorf("get a token: %w", inertError{err})
}

// Account returns a copy of the signed-in account's record, nil if nobody is signed in.
func (s *Session) Account() *Account {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reloadLocked()
	if s.account == nil {
		return nil
	}
	a := *s.account
	return &a
}

// State says whether tokens come silently, for the snapshot and the tray menu, with what to do
// when they do not.
func (s *Session) State() (calsync.AuthState, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reloadLocked()
	ke := s.store.memoryOnly()
	switch {
	case s.stop != nil:
		return calsync.AuthSignInNeeded, s.stop.Error()
	case s.account == nil:
		return calsync.AuthSignedOut, "Nobody is signed in: run caltray signin, or choose Sign in from the tray menu."
	case ke != nil:
		return calsync.AuthNoKeyring, "Signed in for this run only: " + ke.Error() + " caltray will ask you to sign in again next time."
	}
	return calsync.AuthOK, ""
}

// SignIn signs the user in interactively: in the system browser (authorization code with PKCE,
// redirected to http://localhost on a free port), or with a device code printed to out. The
// settings are cfg's, falling back to the signed-in account's. Progress and the result go to out.
// Without a keyring the sign-in holds for this Session only, and out says so.
func (s *Session) SignIn(ctx context.Context, out io.Writer, deviceCode bool) error {
	return s.signIn(ctx, out, SignInOptions{DeviceCode: deviceCode}, false)
}

// SignInOptions are the choices of an interactive sign-in started from a window.
type SignInOptions struct {
	// DeviceCode signs in with a code entered on any device instead of this one's browser.
	DeviceCode bool
	// ClientID and Tenant are what the person typed in the sign-in window because no
	// configuration gave them (NeedsClientID). They rank as flags do; empty: not typed.
	ClientID, Tenant string
	// Progress is told each step (the browser's page, the device code and its address), on
	// the signing-in goroutine. Nil: nothing is told.
	Progress func(calsync.SignInProgress)
}

// SignInWith is SignIn for a window: it reports its steps to o.Progress instead of text, and
// its error is a *calsync.SignInFailure (errors.As) saying why in terms the window can word.
func (s *Session) SignInWith(ctx context.Context, o SignInOptions) error {
	err := s.signIn(ctx, io.Discard, o, false)
	if err == nil {
		return nil
	}
	var f *calsync.SignInFailure
	if errors.As(err, &f) {
		return err
	}
	kind := calsync.FailOther
	switch {
	case errors.Is(err, ErrBadConfig):
		kind = calsync.FailBadSettings
	case errors.Is(err, calsync.ErrNoKeyring):
		kind = calsync.FailKeyring
	}
	return &calsync.SignInFailure{Kind: kind, Message: err.Error(), Err: err}
}

// NeedsClientID reports whether a sign-in has no client ID to use: no flag or environment
// variable, no account record and no managed configuration gives one. The sign-in window then
// asks for it (and the tenant).
func (s *Session) NeedsClientID() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reloadLocked()
	return s.set.clientID == "" && s.account == nil && s.cfg.Managed.ClientID == ""
}

// signIn is SignIn; with needKeyring it fails before asking the user anything if the keyring
// cannot keep the sign-in.
func (s *Session) signIn(ctx context.Context, out io.Writer, o SignInOptions, needKeyring bool) error {
	set, err := s.signInSettings(o.ClientID, o.Tenant)
	if err != nil {
		return err
	}
	progress := o.Progress
	if progress == nil {
		progress = func(calsync.SignInProgress) {}
	}
	// How long the caller gives the sign-in (the tray: calsync.SignInTimeout), to say so
	// should it run out.
	var limit time.Duration
	if dl, ok := ctx.Deadline(); ok {
		limit = time.Until(dl)
	}
	failed := func(err error) error { return signInFailed(ctx, err, set, limit) }
	ctx = duringSignIn(ctx)
	if err := s.store.probe(ctx); err != nil {
		if needKeyring {
			return err
		}
		fmt.Fprintf(out, "Warning: %v\nYou will be signed in for this run only.\n", err)
	}
	client, err := s.newClient(set)
	if err != nil {
		return err
	}
	sc := scopes(set.graph)
	var ar public.AuthResult
	if o.DeviceCode {
		dc, err := client.AcquireTokenByDeviceCode(ctx, sc)
		if err != nil {
			return failed(err)
		}
		fmt.Fprintln(out, inert.String(dc.Result.Message)) // the identity platform's text
		// The address and the code are the identity platform's too: inert, and the address
		// only if it is a web address (the window offers to open it).
		p := calsync.SignInProgress{Step: calsync.SignInDeviceCode, UserCode: inert.Line(dc.Result.UserCode), Expires: dc.Result.ExpiresOn}
		if u, err := url.Parse(dc.Result.VerificationURL); err == nil && (u.Scheme == "https" || u.Scheme == "http") {
			p.URL = inert.Line(u.String())
		}
		progress(p)
		ar, err = dc.AuthenticationResult(ctx)
		if err != nil {
			return failed(err)
		}
	} else {
		openBrowser := s.cfg.OpenBrowser
		if openBrowser == nil {
			openBrowser = browser.OpenURL
		}
		ar, err = client.AcquireTokenInteractive(ctx, sc,
			public.WithRedirectURI("http://localhost"),
			public.WithOpenURL(func(u string) error {
				fmt.Fprintf(out, "Sign in with Microsoft in your browser. If it does not open, go to:\n%s\n", u)
				progress(calsync.SignInProgress{Step: calsync.SignInBrowser, URL: u})
				if err := openBrowser(u); err != nil {
					return &calsync.SignInFailure{Kind: calsync.FailNoBrowser, Err: err,
						Message: fmt.Sprintf("open the browser: %v; on a machine without a browser run caltray signin --device-code", err)}
				}
				return nil
			}))
		if err != nil {
			return failed(err)
		}
	}
	acct := accountFrom(ar, set)
	s.forgetOthers(ctx, client, acct)
	persisted := s.store.memoryOnly() == nil
	if !persisted && needKeyring {
		// The keyring answered the probe but failed the save: this process's memory is no
		// place for a sign-in the command line exits right after.
		return fmt.Errorf("signed in as %s, but the sign-in could not be saved: %w", acct.Username, s.store.memoryOnly())
	}
	if persisted {
		if err := s.store.lastSaveErr(); err != nil {
			return fmt.Errorf("signed in as %s, but the sign-in could not be saved: %w", acct.Username, err)
		}
		if err := saveAccount(s.dir, acct); err != nil {
			return fmt.Errorf("signed in as %s, but the account record could not be saved: %w", acct.Username, err)
		}
	}
	s.mu.Lock()
	s.account, s.client, s.stop = acct, client, nil
	if info, err := os.Stat(filepath.Join(s.dir, accountName)); err == nil && persisted {
		s.recordMod = info.ModTime()
	}
	s.mu.Unlock()
	fmt.Fprintf(out, "Signed in as %s.\n", describe(acct))
	if !persisted {
		fmt.Fprintln(out, "The sign-in is kept in memory for this run only: caltray will ask you to sign in again next time.")
	}
	return nil
}

// A Layer is where a sign-in setting comes from, in the order they rank.
type Layer int

// The layers.
const (
	FromConfig  Layer = iota + 1 // Config: a flag, or for the client ID CALTRAY_CLIENT_ID
	FromTyped                    // typed in the sign-in window
	FromRecord                   // the account record
	FromManaged                  // the managed configuration (Config.Managed)
	FromDefault                  // none gives it: the default (the client ID: not set)
)

// Resolved are the client ID, tenant and authority a sign-in uses, each with its layer.
type Resolved struct {
	ClientID, Tenant, Authority             string
	ClientIDFrom, TenantFrom, AuthorityFrom Layer
	// ClientIDManaged: the client ID is the managed configuration's, from the file or from a
	// record signed in under it (the new record remembers it as managedClientId).
	ClientIDManaged bool
	// Moved: the administrator moved the account's registration (Managed.Moved): the file's
	// values rank above the record's, which are the old registration's.
	Moved bool
}

// Resolve decides the sign-in settings, one by one: cfg's (flags, environment), then those
// typed in the sign-in window, then the account record a (nil: nobody signed in; the tray's
// "Sign in again" needs no flags), then the managed configuration cfg.Managed, then the
// defaults — except when the administrator moved the account's registration (Managed.Moved):
// then the file's values come before the record's. A layer that leaves a setting empty passes
// it on: a moved account whose file names no tenant keeps its record's tenant. Sign-in uses it
// (signInSettings); whoami and the Preferences window report it, so they always name what the
// next sign-in uses.
func Resolve(cfg Config, a *Account, typedClientID, typedTenant string) Resolved {
	r := Resolved{ClientID: cfg.ClientID, Tenant: cfg.Tenant, Authority: cfg.Authority}
	for _, f := range []struct {
		v    string
		from *Layer
	}{{r.ClientID, &r.ClientIDFrom}, {r.Tenant, &r.TenantFrom}, {r.Authority, &r.AuthorityFrom}} {
		if f.v != "" {
			*f.from = FromConfig
		}
	}
	// Typed in the sign-in window: the person's own, as a flag is.
	if t := strings.TrimSpace(typedClientID); r.ClientID == "" && t != "" {
		r.ClientID, r.ClientIDFrom = t, FromTyped
	}
	if t := strings.TrimSpace(typedTenant); r.Tenant == "" && t != "" {
		r.Tenant, r.TenantFrom = t, FromTyped
	}
	// A layer is one source's client ID, tenant and authority; managed says it is the file's.
	type layer struct {
		clientID, tenant, authority string
		from                        Layer
		managed                     bool
	}
	m := cfg.Managed
	fromFile := layer{m.ClientID, m.Tenant, m.Authority, FromManaged, true}
	layers := []layer{fromFile}
	if a != nil {
		// A record signed in under the file's client ID keeps counting as the file's.
		fromRecord := layer{a.ClientID, a.Tenant, a.AuthorityURL, FromRecord, a.ManagedClientID != ""}
		r.Moved = m.Moved(a)
		if r.Moved {
			layers = append(layers, fromRecord)
		} else {
			layers = []layer{fromRecord, fromFile}
		}
	}
	for _, l := range layers {
		if r.ClientID == "" && l.clientID != "" {
			r.ClientID, r.ClientIDFrom, r.ClientIDManaged = l.clientID, l.from, l.managed
		}
		if r.Tenant == "" && l.tenant != "" {
			r.Tenant, r.TenantFrom = l.tenant, l.from
		}
		if r.Authority == "" && l.authority != "" {
			r.Authority, r.AuthorityFrom = l.authority, l.from
		}
	}
	if r.ClientID == "" {
		r.ClientIDFrom = FromDefault
	}
	if r.Tenant == "" {
		r.Tenant, r.TenantFrom = DefaultTenant, FromDefault
	}
	if r.Authority == "" {
		r.Authority, r.AuthorityFrom = DefaultAuthority, FromDefault
	}
	return r
}

// signInSettings are the settings a sign-in uses, as Resolve decides them, checked.
func (s *Session) signInSettings(typedClientID, typedTenant string) (settings, error) {
	s.mu.Lock()
	a := s.account
	s.mu.Unlock()
	r := Resolve(s.cfg, a, typedClientID, typedTenant)
	cfg := s.cfg
	cfg.ClientID, cfg.Tenant, cfg.Authority = r.ClientID, r.Tenant, r.Authority
	set, err := cfg.check(true)
	if err == nil && r.ClientIDManaged {
		set.managedClientID = set.clientID
	}
	return set, err
}

// forgetOthers removes other accounts' tokens from the cache: caltray keeps one account.
func (s *Session) forgetOthers(ctx context.Context, client *public.Client, keep *Account) {
	accounts, err := client.Accounts(ctx)
	if err != nil {
		return
	}
	for _, a := range accounts {
		if a.HomeAccountID != keep.HomeAccountID {
			if err := client.RemoveAccount(ctx, a); err != nil {
				s.cfg.log().Warn("auth: could not remove another account's tokens", "account", a.PreferredUsername, "err", err)
			}
		}
	}
}

// aadstsCode finds the identity platform's error number in its description.
var aadstsCode = regexp.MustCompile(`\bAADSTS(\d+)\b`)

// failureKinds maps AADSTS numbers to what the person can do about them (README, "When
// sign-in fails").
var failureKinds = map[string]calsync.SignInFailureKind{
	"65001":   calsync.FailAdminConsent, // not consented, and users may not consent
	"90094":   calsync.FailAdminConsent, // the grant requires an administrator
	"90099":   calsync.FailAdminConsent, // the app has not been authorized in the tenant
	"700016":  calsync.FailAppNotFound,
	"7000218": calsync.FailPublicClient,
	"50011":   calsync.FailRedirectURI,
	"90002":   calsync.FailTenant,
	"900023":  calsync.FailTenant,
	"90072":   calsync.FailTenant, // the account is not in this tenant
	"50020":   calsync.FailTenant,
	"53003":   calsync.FailBlocked, // blocked by Conditional Access
	"53000":   calsync.FailBlocked, // the device is not compliant
	"65004":   calsync.FailDeclined,
	"70020":   calsync.FailExpired,
}

// signInFailed words an interactive sign-in's failure, as a *calsync.SignInFailure: the text
// the command line prints, and the kind (with, for an administrator's consent, the address to
// send to IT) a window words plainly.
//
// Only the caller's cancel (context.Canceled) is a cancellation. ctx's deadline passing is a
// failure of its own, FailTimedOut, that says how long the sign-in had (limit, when known) and
// what to do: nobody cancelled it, and the tray logs it.
func signInFailed(ctx context.Context, err error, set settings, limit time.Duration) error {
	var f *calsync.SignInFailure
	if errors.As(err, &f) {
		return f // no browser: already worded
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)) {
		took := "took too long"
		if limit >= time.Minute {
			took = fmt.Sprintf("took longer than %d minutes", int(limit.Round(time.Minute).Minutes()))
		} else if limit > 0 {
			took = fmt.Sprintf("took longer than %v", limit.Round(time.Millisecond))
		}
		return &calsync.SignInFailure{Kind: calsync.FailTimedOut, Err: err,
			Message: fmt.Sprintf("sign-in failed: the sign-in %s and was stopped; try again, or use a code instead (caltray signin --device-code)", took)}
	}
	if errors.Is(err, context.Canceled) {
		return &calsync.SignInFailure{Kind: calsync.FailCancelled, Message: fmt.Sprintf("sign-in failed: %v", inertError{err}), Err: err}
	}
	oe, ok := oauthErrorOf(err)
	if !ok && aadstsCode.MatchString(err.Error()) {
		// The browser flow's error comes back through MSAL's loopback page as the description
		// alone, HTML-escaped: no CallErr, no OAuth code.
		oe, ok = oauthError{Description: inert.Line(html.UnescapeString(err.Error()))}, true
	}
	if !ok {
		kind := calsync.FailOther
		var ne net.Error
		if errors.As(err, &ne) || errors.Is(err, syscall.ECONNREFUSED) {
			kind = calsync.FailNetwork
		}
		return &calsync.SignInFailure{Kind: kind, Message: fmt.Sprintf("sign-in failed: %v", inertError{err}), Err: inertError{err}}
	}
	f = &calsync.SignInFailure{Kind: calsync.FailOther, Code: oe.Code, Detail: oe.Description, Err: err}
	if m := aadstsCode.FindStringSubmatch(oe.Description); m != nil {
		f.Code = "AADSTS" + m[1]
		if k, ok := failureKinds[m[1]]; ok {
			f.Kind = k
		}
	}
	hint := ""
	switch oe.Code {
	case "unauthorized_client", "invalid_client":
		hint = " Check --client-id and that the app registration allows public client flows (README: \"Register caltray in Microsoft Entra ID\")."
		if f.Kind == calsync.FailOther {
			f.Kind = calsync.FailAppNotFound
		}
	case "invalid_scope", "consent_required":
		hint = " The app registration needs the delegated permissions Calendars.Read, User.Read and offline_access, with consent."
		if f.Kind == calsync.FailOther {
			f.Kind = calsync.FailAdminConsent
		}
	case "invalid_tenant":
		hint = " Check --tenant."
		f.Kind = calsync.FailTenant
	case "authorization_declined", "access_denied":
		hint = " The sign-in was declined."
		if f.Kind == calsync.FailOther {
			f.Kind = calsync.FailDeclined
		}
	case "expired_token":
		hint = " The code expired before it was entered; run caltray signin --device-code again."
		f.Kind = calsync.FailExpired
	}
	if f.Kind == calsync.FailAdminConsent {
		f.AdminConsentURL = adminConsentURL(set)
		hint = " An administrator of your organisation must grant consent; send them this address: " + f.AdminConsentURL
	}
	what := strings.TrimSuffix(oe.Description, ".")
	if oe.Code != "" {
		what = oe.Code + ": " + what
	}
	f.Message = fmt.Sprintf("sign-in failed: %s.%s", what, hint)
	return f
}

// adminConsentURL is the page where an administrator grants tenant-wide consent to the app
// registration set.clientID for the permissions it lists (the identity platform's admin
// consent endpoint). With "organizations" or "common" the administrator's own tenant is used.
func adminConsentURL(set settings) string {
	return set.authority + url.PathEscape(set.tenant) + "/adminconsent?" + url.Values{"client_id": {set.clientID}}.Encode()
}

// SignOut forgets the sign-in: the cache key in the keyring, the sealed cache and the account
// record, and the tokens this Session holds in memory.
func (s *Session) SignOut(ctx context.Context) error {
	errs := []error{removeAccount(s.dir), s.store.clear(ctx)}
	s.mu.Lock()
	s.account, s.client, s.stop, s.loaded = nil, nil, nil, false
	s.mu.Unlock()
	return errors.Join(errs...)
}

// describe names an account as whoami and sign-in print it.
func describe(a *Account) string {
	name := a.Username
	if a.Name != "" {
		name = a.Name + " <" + a.Username + ">"
	}
	return fmt.Sprintf("%s (tenant %s)", name, a.TenantID)
}
