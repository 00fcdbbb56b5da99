package fakegraph

import (
	"bufio"
	"cmp"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	gosync "sync"
	"time"
)

// The identity side of the simulated Graph: the Microsoft identity platform (v2.0) endpoints that
// MSAL's public client uses for the authorization code flow with PKCE, the device code flow and
// refresh tokens, on the same loopback server as Graph. Tokens are JWT-shaped (HS256 with a key
// only this server knows), so Graph accepts exactly the access tokens this Identity issued and
// that are still valid on its clock.
//
// Wire it up with
//
//	id := fakegraph.NewIdentity(fakegraph.IdentityOptions{ClientID: clientID, Now: now})
//	srv, err := fakegraph.NewTLS(fakegraph.Options{Authorize: id.Authorize, Now: now})
//	id.Mount(srv)
//
// and give MSAL the authority IdentityAuthority(srv) + tenant, with instance discovery disabled
// (discovery would ask login.microsoftonline.com about a loopback host).

// The defaults of IdentityOptions.
const (
	DefaultIdentityTenantID = "7a1f3f8e-2b6c-4d7e-9f10-3c4b5a6d7e8f"
	DefaultIdentityDomain   = "contoso.onmicrosoft.com"
	DefaultIdentityUser     = "Alex Wilber"
	DefaultIdentityUPN      = "AlexW@contoso.onmicrosoft.com"

	idDefaultUserOID   = "48d31887-5fad-4d73-a9f5-3c356e68a038" // the /me of the Graph side
	idDefaultLifetime  = time.Hour
	idCodeLifetime     = 10 * time.Minute // Entra's authorization codes live about that long
	idDeviceLifetime   = 15 * time.Minute // and device codes 15 minutes
	idGraphResource    = "https://graph.microsoft.com"
	idDeviceGrantType  = "urn:ietf:params:oauth:grant-type:device_code"
	idUserCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ" // no vowels: a user code never spells a word
)

// idKnownScopes are the delegated permissions the simulated app registration may request.
var idKnownScopes = []string{"Calendars.Read", "User.Read"}

// idOIDCScopes are the OpenID Connect scopes MSAL adds to every request; they grant no API access.
var idOIDCScopes = []string{"openid", "profile", "offline_access", "email"}

// IdentityOptions configure an Identity. The zero value is usable.
type IdentityOptions struct {
	// Now is the clock that stamps and checks token lifetimes. Default time.Now. MSAL decides
	// on its own, real clock whether a cached access token is still good.
	Now func() time.Time
	// ClientID is the application (client) ID of the simulated app registration. Empty accepts
	// any client ID.
	ClientID string
	// TenantID and Domain name the directory; the authority accepts either, "organizations"
	// and "common" in the tenant segment. Defaults DefaultIdentityTenantID and
	// DefaultIdentityDomain.
	TenantID, Domain string
	// UserName and UPN are the one user who signs in. Defaults DefaultIdentityUser and
	// DefaultIdentityUPN.
	UserName, UPN string
	// AccessTokenLifetime is the lifetime of the access and ID tokens issued. Default one hour.
	AccessTokenLifetime time.Duration
}

// An Identity is the simulated Microsoft identity platform. Its methods are safe for concurrent use.
type Identity struct {
	now      func() time.Time
	key      []byte // signs every token this Identity issues
	clientID string
	tenantID string
	domain   string
	oid      string
	name     string
	upn      string

	mu       gosync.Mutex
	audience string // the origin of the Server it is mounted on: Graph's own audience there
	lifetime time.Duration
	codes    map[string]*idAuthCode     // authorization code -> what it was issued for
	devices  map[string]*idDeviceGrant  // device_code -> grant
	users    map[string]*idDeviceGrant  // user_code -> the same grant
	refresh  map[string]*idRefreshGrant // refresh token -> grant
	issued   []string                   // every token issued, for tests that scan for leaks
	requests map[string]int             // token requests by grant_type, failed ones included
	fault    *SignInFault               // what every interactive sign-in fails with; nil: none
}

// A SignInFault is an error the simulated identity platform answers interactive sign-ins with:
// the browser's authorization request (as the error redirect Entra sends) and the device code's
// token request once the code is entered. Refresh tokens keep working.
type SignInFault struct {
	Code        string // the OAuth error code, such as "invalid_grant"
	AADSTS      int    // the AADSTS number, such as 65001
	Description string // the error_description, starting "AADSTS65001: "
}

// Faults of the sign-in that the README's table and the sign-in window word for the person.
var (
	// ConsentRequired is AADSTS65001: the user may not consent, an administrator must.
	ConsentRequired = SignInFault{"invalid_grant", 65001, "AADSTS65001: The user or administrator has not consented to use the application with ID '{client}' named 'caltray'. Send an interactive authorization request for this user and resource."}
	// AdminConsentRequired is AADSTS90094: the permissions need an administrator's grant.
	AdminConsentRequired = SignInFault{"access_denied", 90094, "AADSTS90094: The grant requires admin permission."}
	// AppNotFound is AADSTS700016: no such app registration in the tenant.
	AppNotFound = SignInFault{"unauthorized_client", 700016, "AADSTS700016: Application with identifier '{client}' was not found in the directory 'contoso.onmicrosoft.com'."}
	// PublicClientDisabled is AADSTS7000218: "Allow public client flows" is off.
	PublicClientDisabled = SignInFault{"invalid_client", 7000218, "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'."}
	// SignInDeclined is the person declining at the sign-in page.
	SignInDeclined = SignInFault{"access_denied", 65004, "AADSTS65004: User declined to consent to access the app."}
)

// SetSignInFault makes every interactive sign-in fail with f until it is set to nil. "{client}"
// in the description becomes the requesting client ID.
func (id *Identity) SetSignInFault(f *SignInFault) {
	id.mu.Lock()
	defer id.mu.Unlock()
	id.fault = f
}

// faultLocked returns the fault for clientID's request, or nil; id.mu is held.
func (id *Identity) faultLocked(clientID string) *SignInFault {
	if id.fault == nil {
		return nil
	}
	f := *id.fault
	f.Description = strings.ReplaceAll(f.Description, "{client}", clientID)
	return &f
}

type idAuthCode struct {
	clientID, redirectURI, challenge string
	scopes                           []string
	expires                          time.Time
}

type idDeviceGrant struct {
	clientID string
	scopes   []string
	expires  time.Time
	approved bool
	redeemed bool
}

type idRefreshGrant struct {
	clientID string
	revoked  bool
}

// NewIdentity returns an Identity; Mount serves it on a Server.
func NewIdentity(opts IdentityOptions) *Identity {
	id := &Identity{
		now:      opts.Now,
		key:      make([]byte, 32),
		clientID: opts.ClientID,
		tenantID: cmp.Or(opts.TenantID, DefaultIdentityTenantID),
		domain:   cmp.Or(opts.Domain, DefaultIdentityDomain),
		oid:      idDefaultUserOID,
		name:     cmp.Or(opts.UserName, DefaultIdentityUser),
		upn:      cmp.Or(opts.UPN, DefaultIdentityUPN),
		lifetime: opts.AccessTokenLifetime,
		codes:    map[string]*idAuthCode{},
		devices:  map[string]*idDeviceGrant{},
		users:    map[string]*idDeviceGrant{},
		refresh:  map[string]*idRefreshGrant{},
		requests: map[string]int{},
	}
	if id.now == nil {
		id.now = time.Now
	}
	if id.lifetime <= 0 {
		id.lifetime = idDefaultLifetime
	}
	rand.Read(id.key) // never fails (crypto/rand panics itself if the OS source is broken)
	return id
}

// Mount serves the identity endpoints on s, next to Graph's /v1.0/. It takes every path Graph
// does not (the tenant is the first path segment, and any name may be a tenant's).
func (id *Identity) Mount(s *Server) {
	id.mu.Lock()
	id.audience = strings.TrimSuffix(IdentityAuthority(s), "/")
	id.mu.Unlock()
	s.Handle("/", id)
}

// SetAudience makes origin (such as https://localhost:PORT) the Graph audience instead of the
// mounted Server's own origin, for clients that reach the Server under another name: under
// Wine, whose TLS policy matches no IP-address names, the Windows tests use localhost.
func (id *Identity) SetAudience(origin string) {
	id.mu.Lock()
	defer id.mu.Unlock()
	id.audience = strings.TrimSuffix(origin, "/")
}

// IdentityAuthority returns the authority host URL of an Identity mounted on s, such as
// "https://127.0.0.1:41234/"; MSAL's authority is that plus a tenant.
func IdentityAuthority(s *Server) string {
	return strings.TrimSuffix(s.URL(), "/v1.0") + "/"
}

// SetAccessTokenLifetime changes the lifetime of tokens issued from now on.
func (id *Identity) SetAccessTokenLifetime(d time.Duration) {
	id.mu.Lock()
	defer id.mu.Unlock()
	id.lifetime = d
}

// RevokeRefreshTokens revokes every refresh token issued so far, as an admin's "revoke sessions"
// does: redeeming one then fails with invalid_grant. It returns how many were revoked.
// Access tokens already issued stay valid until they expire, as in Entra without CAE.
func (id *Identity) RevokeRefreshTokens() int {
	id.mu.Lock()
	defer id.mu.Unlock()
	n := 0
	for _, g := range id.refresh {
		if !g.revoked {
			g.revoked = true
			n++
		}
	}
	return n
}

// ApproveDeviceCode plays the user who enters userCode at the verification page and consents.
func (id *Identity) ApproveDeviceCode(userCode string) error {
	id.mu.Lock()
	defer id.mu.Unlock()
	g, ok := id.users[strings.ToUpper(strings.TrimSpace(userCode))]
	if !ok || g.redeemed {
		return fmt.Errorf("fakegraph: no pending sign-in has the code %q", userCode)
	}
	if !id.now().Before(g.expires) {
		return fmt.Errorf("fakegraph: the code %q has expired", userCode)
	}
	g.approved = true
	return nil
}

// TokenRequests returns how many token requests arrived with grantType ("authorization_code",
// "refresh_token", "urn:ietf:params:oauth:grant-type:device_code"), failed ones included.
func (id *Identity) TokenRequests(grantType string) int {
	id.mu.Lock()
	defer id.mu.Unlock()
	return id.requests[grantType]
}

// IssuedTokens returns every access, refresh and ID token issued so far, oldest first, so a test
// can check that none of them was written where it must not be.
func (id *Identity) IssuedTokens() []string {
	id.mu.Lock()
	defer id.mu.Unlock()
	return slices.Clone(id.issued)
}

// TenantID returns the directory's tenant ID.
func (id *Identity) TenantID() string { return id.tenantID }

// Authorize is the Graph side's token check (Options.Authorize): it accepts only access tokens
// this Identity issued, for this Graph (audience https://graph.microsoft.com or the origin of
// the Server it is mounted on), with the calendar permission, on its clock still valid. Its
// error messages are Graph's and never quote the token.
func (id *Identity) Authorize(token string) error {
	claims, err := id.verify(token)
	if err != nil {
		return err
	}
	id.mu.Lock()
	audience := id.audience
	id.mu.Unlock()
	if claims.Typ != "at" || (claims.Aud != idGraphResource && claims.Aud != audience) {
		return errors.New("Access token validation failure. Invalid audience.")
	}
	now := id.now().Unix()
	if now >= claims.Exp {
		return errors.New("Lifetime validation failed, the token is expired.")
	}
	if now < claims.Nbf {
		return errors.New("Lifetime validation failed, the token is not yet valid.")
	}
	if !slices.Contains(strings.Fields(claims.Scp), "Calendars.Read") {
		return errors.New("Access is denied. Check credentials and try again: the token lacks the Calendars.Read permission.")
	}
	return nil
}

// idClaims are the claims of the tokens this Identity issues, a subset of Entra's.
type idClaims struct {
	Aud               string `json:"aud"`
	Iss               string `json:"iss"`
	Iat               int64  `json:"iat"`
	Nbf               int64  `json:"nbf"`
	Exp               int64  `json:"exp"`
	Name              string `json:"name"`
	Oid               string `json:"oid"`
	PreferredUsername string `json:"preferred_username"`
	Scp               string `json:"scp,omitempty"`
	Sub               string `json:"sub"`
	Tid               string `json:"tid"`
	Ver               string `json:"ver"`
	Appid             string `json:"appid,omitempty"`
	Nonce             string `json:"jti"` // unique per token, so two tokens issued in one second differ
	// Typ tells access from ID tokens apart; Entra does it with aud alone.
	Typ string `json:"caltray_fake_typ"`
}

var idJWTHeader = base64.RawURLEncoding.EncodeToString([]byte(`{"typ":"JWT","alg":"HS256","kid":"fakegraph"}`))

func (id *Identity) sign(c idClaims) string {
	payload, _ := json.Marshal(c) // a struct of strings and numbers always marshals
	unsigned := idJWTHeader + "." + base64.RawURLEncoding.EncodeToString(payload)
	mac := hmac.New(sha256.New, id.key)
	mac.Write([]byte(unsigned))
	return unsigned + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

func (id *Identity) verify(token string) (idClaims, error) {
	var c idClaims
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return c, errors.New("IDX14100: JWT is not well formed, there are no dots (.).")
	}
	mac := hmac.New(sha256.New, id.key)
	mac.Write([]byte(parts[0] + "." + parts[1]))
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || subtle.ConstantTimeCompare(sig, mac.Sum(nil)) != 1 {
		return c, errors.New("Access token validation failure. Invalid signature.")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || json.Unmarshal(payload, &c) != nil {
		return c, errors.New("IDX14102: Unable to decode the payload of the token.")
	}
	return c, nil
}

// ServeHTTP routes the identity endpoints: /{tenant}/v2.0/.well-known/openid-configuration,
// /{tenant}/oauth2/v2.0/{authorize,token,devicecode} and /devicelogin.
func (id *Identity) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) == 1 && parts[0] == "devicelogin" {
		id.deviceLogin(w, r)
		return
	}
	route := strings.Join(parts[min(1, len(parts)):], "/")
	switch route {
	case "v2.0/.well-known/openid-configuration", "oauth2/v2.0/authorize", "oauth2/v2.0/token", "oauth2/v2.0/devicecode":
	default:
		http.NotFound(w, r)
		return
	}
	tenant := parts[0]
	if !id.knownTenant(tenant) {
		idOAuthError(w, http.StatusBadRequest, "invalid_tenant", 90002,
			fmt.Sprintf("Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", tenant))
		return
	}
	switch route {
	case "v2.0/.well-known/openid-configuration":
		id.openIDConfiguration(w, r, tenant)
	case "oauth2/v2.0/authorize":
		id.authorize(w, r)
	case "oauth2/v2.0/token":
		id.token(w, r)
	case "oauth2/v2.0/devicecode":
		id.deviceCode(w, r)
	}
}

func (id *Identity) knownTenant(t string) bool {
	switch strings.ToLower(t) {
	case "organizations", "common", strings.ToLower(id.tenantID), strings.ToLower(id.domain):
		return true
	}
	return false
}

func idBase(r *http.Request) string {
	scheme := "https"
	if r.TLS == nil {
		scheme = "http"
	}
	return scheme + "://" + r.Host
}

func (id *Identity) openIDConfiguration(w http.ResponseWriter, r *http.Request, tenant string) {
	if r.Method != http.MethodGet {
		idOAuthError(w, http.StatusMethodNotAllowed, "invalid_request", 900561, "The endpoint only accepts GET requests.")
		return
	}
	base := idBase(r) + "/" + tenant
	// Like Entra, a multi-tenant authority answers with the {tenantid} placeholder in the issuer.
	issuerTenant := id.tenantID
	if t := strings.ToLower(tenant); t == "organizations" || t == "common" {
		issuerTenant = "{tenantid}"
	}
	idWriteJSON(w, http.StatusOK, map[string]any{
		"token_endpoint":                        base + "/oauth2/v2.0/token",
		"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
		"device_authorization_endpoint":         base + "/oauth2/v2.0/devicecode",
		"issuer":                                idBase(r) + "/" + issuerTenant + "/v2.0",
		"jwks_uri":                              base + "/discovery/v2.0/keys",
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"response_types_supported":              []string{"code"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"HS256"},
		"token_endpoint_auth_methods_supported": []string{"none"},
		"code_challenge_methods_supported":      []string{"S256"},
		"tenant_region_scope":                   "NA",
		"cloud_instance_name":                   "microsoftonline.com",
	})
}

// checkScopes returns the API scopes of a space-separated scope parameter (the OIDC scopes left
// out), or an AADSTS70011-style description of what is wrong.
func checkScopes(raw string) ([]string, string) {
	var api []string
	for _, s := range strings.Fields(raw) {
		if slices.Contains(idOIDCScopes, s) {
			continue
		}
		name := s
		if i := strings.LastIndex(s, "/"); i >= 0 && strings.Contains(s, "://") {
			name = s[i+1:]
		}
		if !slices.ContainsFunc(idKnownScopes, func(k string) bool { return strings.EqualFold(k, name) }) {
			return nil, fmt.Sprintf("AADSTS70011: The provided value for the input parameter 'scope' is not valid. The scope '%s' does not exist or is not configured for this application.", s)
		}
		api = append(api, s)
	}
	if len(api) == 0 {
		return nil, "AADSTS70011: The provided request must include a 'scope' input parameter that names an API permission such as Calendars.Read."
	}
	return api, ""
}

// checkClient reports whether clientID is the registered application.
func (id *Identity) checkClient(clientID string) bool {
	if clientID == "" {
		return false
	}
	return id.clientID == "" || strings.EqualFold(clientID, id.clientID)
}

func (id *Identity) unknownClient(w http.ResponseWriter, clientID string) {
	idOAuthError(w, http.StatusBadRequest, "unauthorized_client", 700016,
		fmt.Sprintf("AADSTS700016: Application with identifier '%s' was not found in the directory '%s'.", clientID, id.domain))
}

// loopbackRedirect reports whether u is a redirect URI an app registered with
// "http://localhost" may use: plain http to the loopback, any port (as Entra allows for
// public clients).
func loopbackRedirect(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.User != nil || u.Fragment != "" {
		return false
	}
	h := u.Hostname()
	return h == "localhost" || h == "127.0.0.1" || h == "::1"
}

// authorize is the browser's sign-in page. The one user is already signed in and consents, so
// it answers at once with the code: as an auto-submitting form (response_mode=form_post, what
// MSAL asks for) or a redirect with the code in the query.
func (id *Identity) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	clientID, redirect := q.Get("client_id"), q.Get("redirect_uri")
	if !id.checkClient(clientID) {
		idErrorPage(w, fmt.Sprintf("AADSTS700016: Application with identifier '%s' was not found in the directory '%s'.", clientID, id.domain))
		return
	}
	if !loopbackRedirect(redirect) {
		idErrorPage(w, fmt.Sprintf("AADSTS50011: The redirect URI '%s' specified in the request does not match the redirect URIs configured for the application. Register http://localhost.", redirect))
		return
	}
	mode := cmp.Or(q.Get("response_mode"), "query")
	state := q.Get("state")
	fail := func(code, desc string) {
		idRespond(w, redirect, mode, url.Values{"error": {code}, "error_description": {desc}, "state": {state}})
	}
	if q.Get("response_type") != "code" {
		fail("unsupported_response_type", "AADSTS700054: response_type 'code' is required.")
		return
	}
	if mode != "query" && mode != "form_post" {
		fail("invalid_request", "AADSTS900144: response_mode must be query or form_post.")
		return
	}
	if q.Get("code_challenge") == "" || q.Get("code_challenge_method") != "S256" {
		fail("invalid_request", "AADSTS9002325: Proof Key for Code Exchange is required: send code_challenge with code_challenge_method=S256.")
		return
	}
	if _, bad := checkScopes(q.Get("scope")); bad != "" {
		fail("invalid_scope", bad)
		return
	}
	id.mu.Lock()
	fault := id.faultLocked(clientID)
	id.mu.Unlock()
	if fault != nil {
		fail(fault.Code, fault.Description)
		return
	}
	code := "fakeAC." + idRandom(24)
	id.mu.Lock()
	id.codes[code] = &idAuthCode{clientID: clientID, redirectURI: redirect, challenge: q.Get("code_challenge"),
		scopes: strings.Fields(q.Get("scope")), expires: id.now().Add(idCodeLifetime)}
	id.mu.Unlock()
	idRespond(w, redirect, mode, url.Values{"code": {code}, "state": {state}})
}

// idRespond sends the authorization response to the app's redirect URI the way mode asks.
func idRespond(w http.ResponseWriter, redirect, mode string, v url.Values) {
	if mode == "query" {
		u, _ := url.Parse(redirect) // checked by loopbackRedirect
		u.RawQuery = v.Encode()
		w.Header().Set("Location", u.String())
		w.WriteHeader(http.StatusFound)
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<html><head><title>Working...</title></head><body onload=\"document.forms[0].submit()\">\n"+
		"<form method=\"POST\" name=\"hiddenform\" action=\"%s\">\n", html.EscapeString(redirect))
	for _, k := range slices.Sorted(maps.Keys(v)) {
		fmt.Fprintf(&b, "<input type=\"hidden\" name=\"%s\" value=\"%s\" />\n", html.EscapeString(k), html.EscapeString(v.Get(k)))
	}
	b.WriteString("<noscript><p>Script is disabled. Click Submit to continue.</p><input type=\"submit\" value=\"Submit\" /></noscript>\n</form></body></html>\n")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write([]byte(b.String()))
}

func idErrorPage(w http.ResponseWriter, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprintf(w, "<html><body><h1>Sorry, but we're having trouble signing you in.</h1><p>%s</p></body></html>\n", html.EscapeString(msg))
}

func (id *Identity) deviceCode(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.ParseForm() != nil {
		idOAuthError(w, http.StatusBadRequest, "invalid_request", 900144, "AADSTS900144: The request body must be a form POST.")
		return
	}
	clientID := r.PostForm.Get("client_id")
	if !id.checkClient(clientID) {
		id.unknownClient(w, clientID)
		return
	}
	if _, bad := checkScopes(r.PostForm.Get("scope")); bad != "" {
		idOAuthError(w, http.StatusBadRequest, "invalid_scope", 70011, bad)
		return
	}
	deviceCode := "fakeDC." + idRandom(24)
	userCode := idUserCode()
	verify := idBase(r) + "/devicelogin"
	id.mu.Lock()
	g := &idDeviceGrant{clientID: clientID, scopes: strings.Fields(r.PostForm.Get("scope")), expires: id.now().Add(idDeviceLifetime)}
	id.devices[deviceCode] = g
	id.users[userCode] = g
	id.mu.Unlock()
	idWriteJSON(w, http.StatusOK, map[string]any{
		"user_code":        userCode,
		"device_code":      deviceCode,
		"verification_uri": verify,
		"expires_in":       int(idDeviceLifetime.Seconds()),
		"interval":         5,
		"message":          fmt.Sprintf(deviceCodeMessage, verify, userCode),
	})
}

// deviceCodeMessage is the device-code response's message, which a program shows its user;
// deviceCodePrompt finds the page and the code in a line that carries it.
const deviceCodeMessage = "To sign in, use a web browser to open the page %s and enter the code %s to authenticate."

var deviceCodePrompt = regexp.MustCompile(`open the page (\S+) and enter the code ([A-Z]+)`)

// EnterDeviceCodes plays the user of a device-code sign-in run by another program: it reads
// the program's output, and for each line showing this identity platform's message it enters
// the code on the page named there, as a person would. It returns what it read, all of it
// once out ends, up to the failure otherwise.
func (s *Server) EnterDeviceCodes(out io.Reader) (string, error) {
	var printed strings.Builder
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		printed.WriteString(sc.Text() + "\n")
		m := deviceCodePrompt.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		resp, err := s.Client().PostForm(m[1], url.Values{"user_code": {m[2]}})
		if err != nil {
			return printed.String(), fmt.Errorf("entering the code: %w", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return printed.String(), fmt.Errorf("entering the code: %s", resp.Status)
		}
	}
	return printed.String(), sc.Err()
}

// deviceLogin is the page where the user enters the code: GET shows the form, POST with
// user_code approves that sign-in.
func (id *Identity) deviceLogin(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	switch r.Method {
	case http.MethodGet:
		fmt.Fprint(w, "<html><body><h1>Enter code</h1><form method=\"POST\"><input name=\"user_code\" /><input type=\"submit\" value=\"Next\" /></form></body></html>\n")
	case http.MethodPost:
		if err := r.ParseForm(); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, "<html><body><p>The form could not be read.</p></body></html>\n")
			return
		}
		if err := id.ApproveDeviceCode(r.PostForm.Get("user_code")); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, "<html><body><p>That code didn't work. Check the code and try again. (%s)</p></body></html>\n", html.EscapeString(err.Error()))
			return
		}
		fmt.Fprintf(w, "<html><body><h1>%s</h1><p>You have signed in to the application on your device. You may now close this window.</p></body></html>\n", html.EscapeString(id.name))
	default:
		w.WriteHeader(http.StatusMethodNotAllowed)
	}
}

func (id *Identity) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.ParseForm() != nil {
		idOAuthError(w, http.StatusBadRequest, "invalid_request", 900144, "AADSTS900144: The request body must be a form POST.")
		return
	}
	f := r.PostForm
	grant := f.Get("grant_type")
	id.mu.Lock()
	defer id.mu.Unlock()
	id.requests[grant]++
	clientID := f.Get("client_id")
	if !id.checkClient(clientID) {
		id.unknownClient(w, clientID)
		return
	}
	switch grant {
	case "authorization_code":
		code := id.codes[f.Get("code")]
		delete(id.codes, f.Get("code")) // single use, whatever happens next
		switch {
		case code == nil:
			idOAuthError(w, http.StatusBadRequest, "invalid_grant", 54005, "AADSTS54005: OAuth2 Authorization code was already redeemed or is not valid.")
		case !id.now().Before(code.expires):
			idOAuthError(w, http.StatusBadRequest, "invalid_grant", 70008, "AADSTS70008: The provided authorization code or refresh token has expired due to inactivity.")
		case !strings.EqualFold(code.clientID, clientID):
			idOAuthError(w, http.StatusBadRequest, "invalid_grant", 70000, "AADSTS70000: The provided authorization code was issued to another client.")
		case f.Get("redirect_uri") != code.redirectURI:
			idOAuthError(w, http.StatusBadRequest, "invalid_grant", 500112, "AADSTS500112: The reply address does not match the reply address provided when requesting the authorization code.")
		case !pkceMatches(f.Get("code_verifier"), code.challenge):
			idOAuthError(w, http.StatusBadRequest, "invalid_grant", 501481, "AADSTS501481: The Code_Verifier does not match the code_challenge supplied in the authorization request.")
		default:
			id.issueLocked(w, clientID, scopesOr(f.Get("scope"), code.scopes))
		}
	case idDeviceGrantType, "device_code": // Entra takes both spellings; MSAL sends the short one
		g := id.devices[f.Get("device_code")]
		switch {
		case g == nil || g.redeemed:
			idOAuthError(w, http.StatusBadRequest, "invalid_grant", 70000, "AADSTS70000: The provided value for the 'device_code' is not valid.")
		case !id.now().Before(g.expires):
			idOAuthError(w, http.StatusBadRequest, "expired_token", 70020, "AADSTS70020: The provided value for the input parameter 'device_code' is not valid. This device code has expired.")
		case !strings.EqualFold(g.clientID, clientID):
			idOAuthError(w, http.StatusBadRequest, "invalid_grant", 70000, "AADSTS70000: The device code was issued to another client.")
		case !g.approved:
			idOAuthError(w, http.StatusBadRequest, "authorization_pending", 70016, "AADSTS70016: OAuth 2.0 device flow error. Authorization is pending. Continue polling.")
		case id.fault != nil:
			f := id.faultLocked(clientID)
			g.redeemed = true
			idOAuthError(w, http.StatusBadRequest, f.Code, f.AADSTS, f.Description)
		default:
			g.redeemed = true
			id.issueLocked(w, clientID, g.scopes)
		}
	case "refresh_token":
		g := id.refresh[f.Get("refresh_token")]
		switch {
		case g == nil:
			idOAuthError(w, http.StatusBadRequest, "invalid_grant", 9002313, "AADSTS9002313: Invalid request. Request is malformed or invalid: the refresh token is not valid.")
		case g.revoked:
			idOAuthError(w, http.StatusBadRequest, "invalid_grant", 50173, "AADSTS50173: The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password.")
		case !strings.EqualFold(g.clientID, clientID):
			idOAuthError(w, http.StatusBadRequest, "invalid_grant", 70000, "AADSTS70000: The refresh token was issued to another client.")
		default:
			scopes := strings.Fields(f.Get("scope"))
			if _, bad := checkScopes(f.Get("scope")); bad != "" {
				idOAuthError(w, http.StatusBadRequest, "invalid_scope", 70011, bad)
				return
			}
			id.issueLocked(w, clientID, scopes)
		}
	default:
		idOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", 70003, fmt.Sprintf("AADSTS70003: The app requested an unsupported grant type '%s'.", grant))
	}
}

func scopesOr(raw string, def []string) []string {
	if s := strings.Fields(raw); len(s) > 0 {
		return s
	}
	return def
}

// pkceMatches checks an RFC 7636 S256 code verifier against its challenge.
func pkceMatches(verifier, challenge string) bool {
	if len(verifier) < 43 || len(verifier) > 128 {
		return false
	}
	sum := sha256.Sum256([]byte(verifier))
	return subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(challenge)) == 1
}

// issueLocked answers a token request: an access token for the requested API scopes, an ID
// token, and a refresh token when offline_access was asked for. id.mu is held.
func (id *Identity) issueLocked(w http.ResponseWriter, clientID string, scopes []string) {
	api, bad := checkScopes(strings.Join(scopes, " "))
	if bad != "" {
		idOAuthError(w, http.StatusBadRequest, "invalid_scope", 70011, bad)
		return
	}
	resource := idGraphResource
	var scp []string
	for _, s := range api {
		if i := strings.LastIndex(s, "/"); i >= 0 && strings.Contains(s, "://") {
			resource, s = s[:i], s[i+1:]
		}
		scp = append(scp, s)
	}
	now := id.now()
	exp := now.Add(id.lifetime)
	base := idClaims{
		Iat: now.Unix(), Nbf: now.Unix(), Exp: exp.Unix(),
		Name: id.name, Oid: id.oid, PreferredUsername: id.upn, Sub: id.oid, Tid: id.tenantID,
	}
	at := base
	at.Aud, at.Iss, at.Ver, at.Typ = resource, "https://sts.windows.net/"+id.tenantID+"/", "1.0", "at"
	at.Scp, at.Appid, at.Nonce = strings.Join(scp, " "), clientID, idRandom(8)
	it := base
	it.Aud, it.Iss, it.Ver, it.Typ, it.Nonce = clientID, "https://login.microsoftonline.com/"+id.tenantID+"/v2.0", "2.0", "id", idRandom(8)
	access, idToken := id.sign(at), id.sign(it)
	clientInfo, _ := json.Marshal(map[string]string{"uid": id.oid, "utid": id.tenantID})
	body := map[string]any{
		"token_type":     "Bearer",
		"scope":          strings.Join(scopes, " "),
		"expires_in":     int(id.lifetime.Seconds()),
		"ext_expires_in": int(id.lifetime.Seconds()),
		"access_token":   access,
		"id_token":       idToken,
		"client_info":    base64.RawURLEncoding.EncodeToString(clientInfo),
	}
	id.issued = append(id.issued, access, idToken)
	if slices.Contains(scopes, "offline_access") {
		rt := "fakeRT." + idRandom(32)
		id.refresh[rt] = &idRefreshGrant{clientID: clientID}
		id.issued = append(id.issued, rt)
		body["refresh_token"] = rt
	}
	idWriteJSON(w, http.StatusOK, body)
}

// idOAuthError writes an error in the identity platform's shape.
func idOAuthError(w http.ResponseWriter, status int, code string, aadsts int, desc string) {
	idWriteJSON(w, status, map[string]any{
		"error":             code,
		"error_description": desc,
		"error_codes":       []int{aadsts},
		"timestamp":         time.Now().UTC().Format("2006-01-02 15:04:05Z"),
		"trace_id":          idGUID(),
		"correlation_id":    idGUID(),
	})
}

func idWriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store, no-cache")
	w.WriteHeader(status)
	w.Write(b)
}

func idRandom(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails
	return hex.EncodeToString(b)
}

func idGUID() string {
	h := idRandom(16)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func idUserCode() string {
	b := make([]byte, 9)
	rand.Read(b) // never fails
	for i := range b {
		b[i] = idUserCodeAlphabet[int(b[i])%len(idUserCodeAlphabet)]
	}
	return string(b)
}
