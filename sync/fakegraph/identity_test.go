package fakegraph

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

const idTestClient = "3f1c2a9e-5b7d-4e8f-9a0b-1c2d3e4f5a6b"

type idTestEnv struct {
	srv    *Server
	id     *Identity
	clock  *clock
	client *http.Client
	base   string // the authority with the organizations tenant, e.g. https://127.0.0.1:1/organizations
}

func newIDTestEnv(t *testing.T) *idTestEnv {
	t.Helper()
	clock := newClock(time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC))
	id := NewIdentity(IdentityOptions{ClientID: idTestClient, Now: clock.Now})
	srv, err := NewTLS(Options{Authorize: id.Authorize, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	id.Mount(srv)
	t.Cleanup(srv.Close)
	client := srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &idTestEnv{srv: srv, id: id, clock: clock, client: client, base: IdentityAuthority(srv) + "organizations"}
}

// post sends a form and decodes the JSON answer.
func (e *idTestEnv) post(t *testing.T, path string, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := e.client.PostForm(e.base+path, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("POST %s: %s: %v", path, resp.Status, err)
	}
	return resp.StatusCode, body
}

const idScopes = "https://graph.microsoft.com/Calendars.Read https://graph.microsoft.com/User.Read openid profile offline_access"

// deviceToken runs the device code flow to the end and returns the token response.
func (e *idTestEnv) deviceToken(t *testing.T) map[string]any {
	t.Helper()
	_, dc := e.post(t, "/oauth2/v2.0/devicecode", url.Values{"client_id": {idTestClient}, "scope": {idScopes}})
	if err := e.id.ApproveDeviceCode(dc["user_code"].(string)); err != nil {
		t.Fatal(err)
	}
	status, tok := e.post(t, "/oauth2/v2.0/token", url.Values{"client_id": {idTestClient}, "grant_type": {"device_code"}, "device_code": {dc["device_code"].(string)}})
	if status != http.StatusOK {
		t.Fatalf("device code redemption: %d %v", status, tok)
	}
	return tok
}

func TestIdentityOpenIDConfiguration(t *testing.T) {
	e := newIDTestEnv(t)
	tests := []struct {
		tenant     string
		wantStatus int
		wantIssuer string
	}{
		{"organizations", 200, "/{tenantid}/v2.0"},
		{"common", 200, "/{tenantid}/v2.0"},
		{DefaultIdentityTenantID, 200, "/" + DefaultIdentityTenantID + "/v2.0"},
		{DefaultIdentityDomain, 200, "/" + DefaultIdentityTenantID + "/v2.0"},
		{"fabrikam.onmicrosoft.com", 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.tenant, func(t *testing.T) {
			resp, err := e.client.Get(IdentityAuthority(e.srv) + tt.tenant + "/v2.0/.well-known/openid-configuration")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var cfg map[string]any
			json.NewDecoder(resp.Body).Decode(&cfg)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d (%v)", resp.StatusCode, tt.wantStatus, cfg)
			}
			if tt.wantStatus != 200 {
				if cfg["error"] != "invalid_tenant" {
					t.Errorf("error = %v, want invalid_tenant", cfg["error"])
				}
				return
			}
			authority := IdentityAuthority(e.srv) + tt.tenant
			if cfg["token_endpoint"] != authority+"/oauth2/v2.0/token" || cfg["authorization_endpoint"] != authority+"/oauth2/v2.0/authorize" ||
				cfg["device_authorization_endpoint"] != authority+"/oauth2/v2.0/devicecode" {
				t.Errorf("endpoints: %v", cfg)
			}
			if iss, _ := cfg["issuer"].(string); !strings.HasSuffix(iss, tt.wantIssuer) {
				t.Errorf("issuer = %s, want it to end with %s", iss, tt.wantIssuer)
			}
		})
	}
}

func TestIdentityDeviceCode(t *testing.T) {
	e := newIDTestEnv(t)
	form := func(dc string) url.Values {
		return url.Values{"client_id": {idTestClient}, "grant_type": {idDeviceGrantType}, "device_code": {dc}}
	}
	status, dc := e.post(t, "/oauth2/v2.0/devicecode", url.Values{"client_id": {idTestClient}, "scope": {idScopes}})
	if status != 200 || !strings.Contains(dc["message"].(string), dc["user_code"].(string)) {
		t.Fatalf("devicecode: %d %v", status, dc)
	}
	code := dc["device_code"].(string)
	if status, body := e.post(t, "/oauth2/v2.0/token", form(code)); status != 400 || body["error"] != "authorization_pending" {
		t.Errorf("before approval: %d %v", status, body)
	}
	// The user enters the code on the verification page.
	resp, err := e.client.PostForm(dc["verification_uri"].(string), url.Values{"user_code": {strings.ToLower(dc["user_code"].(string))}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("devicelogin: %s", resp.Status)
	}
	status, tok := e.post(t, "/oauth2/v2.0/token", form(code))
	if status != 200 || tok["access_token"] == nil || tok["refresh_token"] == nil || tok["id_token"] == nil || tok["client_info"] == nil {
		t.Fatalf("after approval: %d %v", status, tok)
	}
	if status, body := e.post(t, "/oauth2/v2.0/token", form(code)); status != 400 || body["error"] != "invalid_grant" {
		t.Errorf("second redemption: %d %v", status, body)
	}
	// A code nobody enters expires.
	_, dc2 := e.post(t, "/oauth2/v2.0/devicecode", url.Values{"client_id": {idTestClient}, "scope": {idScopes}})
	e.clock.Advance(16 * time.Minute)
	if status, body := e.post(t, "/oauth2/v2.0/token", form(dc2["device_code"].(string))); status != 400 || body["error"] != "expired_token" {
		t.Errorf("expired: %d %v", status, body)
	}
	if e.id.TokenRequests(idDeviceGrantType) != 4 {
		t.Errorf("TokenRequests = %d, want 4", e.id.TokenRequests(idDeviceGrantType))
	}
	if status, body := e.post(t, "/oauth2/v2.0/devicecode", url.Values{"client_id": {"00000000-0000-0000-0000-000000000009"}, "scope": {idScopes}}); status != 400 || body["error"] != "unauthorized_client" {
		t.Errorf("unknown client: %d %v", status, body)
	}
	if status, body := e.post(t, "/oauth2/v2.0/devicecode", url.Values{"client_id": {idTestClient}, "scope": {"Mail.Send offline_access"}}); status != 400 || body["error"] != "invalid_scope" {
		t.Errorf("unknown scope: %d %v", status, body)
	}
}

var idFormField = regexp.MustCompile(`name="([^"]+)" value="([^"]*)"`)

func TestIdentityAuthorizationCode(t *testing.T) {
	e := newIDTestEnv(t)
	verifier := strings.Repeat("v", 43)
	sum := sha256.Sum256([]byte(verifier))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])
	authorize := func(q url.Values) (int, map[string]string) {
		t.Helper()
		resp, err := e.client.Get(e.base + "/oauth2/v2.0/authorize?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		page, _ := io.ReadAll(resp.Body)
		fields := map[string]string{}
		for _, m := range idFormField.FindAllStringSubmatch(string(page), -1) {
			fields[m[1]] = m[2]
		}
		if loc := resp.Header.Get("Location"); loc != "" {
			u, _ := url.Parse(loc)
			for k := range u.Query() {
				fields[k] = u.Query().Get(k)
			}
		}
		return resp.StatusCode, fields
	}
	query := func(edit func(url.Values)) url.Values {
		q := url.Values{"client_id": {idTestClient}, "response_type": {"code"}, "redirect_uri": {"http://localhost:43123"},
			"scope": {idScopes}, "state": {"st4te"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}, "response_mode": {"form_post"}}
		if edit != nil {
			edit(q)
		}
		return q
	}
	tests := []struct {
		name      string
		edit      func(url.Values)
		wantError string // in the form posted back; "" for a code
		wantPage  int    // an error page instead of a redirect
	}{
		{"form post", nil, "", 200},
		{"query mode", func(q url.Values) { q.Set("response_mode", "query") }, "", 302},
		{"no PKCE", func(q url.Values) { q.Del("code_challenge") }, "invalid_request", 200},
		{"plain PKCE", func(q url.Values) { q.Set("code_challenge_method", "plain") }, "invalid_request", 200},
		{"unknown scope", func(q url.Values) { q.Set("scope", "Mail.Send") }, "invalid_scope", 200},
		{"https redirect elsewhere", func(q url.Values) { q.Set("redirect_uri", "https://evil.example/cb") }, "", 400},
		{"unknown client", func(q url.Values) { q.Set("client_id", "00000000-0000-0000-0000-000000000009") }, "", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, fields := authorize(query(tt.edit))
			if status != tt.wantPage {
				t.Fatalf("status %d, want %d", status, tt.wantPage)
			}
			if status == 400 {
				return
			}
			if fields["state"] != "st4te" || fields["error"] != tt.wantError || (tt.wantError == "") != (fields["code"] != "") {
				t.Errorf("posted back %v; want error %q", fields, tt.wantError)
			}
		})
	}

	redeem := func(code, verifier, redirect string) (int, map[string]any) {
		return e.post(t, "/oauth2/v2.0/token", url.Values{"client_id": {idTestClient}, "grant_type": {"authorization_code"},
			"code": {code}, "code_verifier": {verifier}, "redirect_uri": {redirect}, "scope": {idScopes}})
	}
	_, f := authorize(query(nil))
	if status, body := redeem(f["code"], strings.Repeat("w", 43), "http://localhost:43123"); status != 400 || !strings.Contains(body["error_description"].(string), "AADSTS501481") {
		t.Errorf("wrong verifier: %d %v", status, body)
	}
	if status, body := redeem(f["code"], verifier, "http://localhost:43123"); status != 400 || body["error"] != "invalid_grant" {
		t.Errorf("a code is single use, even after a failed redemption: %d %v", status, body)
	}
	_, f = authorize(query(nil))
	if status, body := redeem(f["code"], verifier, "http://localhost:9"); status != 400 || !strings.Contains(body["error_description"].(string), "AADSTS500112") {
		t.Errorf("other redirect: %d %v", status, body)
	}
	_, f = authorize(query(nil))
	if status, body := redeem(f["code"], verifier, "http://localhost:43123"); status != 200 || body["access_token"] == nil {
		t.Errorf("right verifier: %d %v", status, body)
	}
	_, f = authorize(query(nil))
	e.clock.Advance(11 * time.Minute)
	if status, body := redeem(f["code"], verifier, "http://localhost:43123"); status != 400 || !strings.Contains(body["error_description"].(string), "AADSTS70008") {
		t.Errorf("expired code: %d %v", status, body)
	}
}

func TestIdentityRefreshAndRevoke(t *testing.T) {
	e := newIDTestEnv(t)
	tok := e.deviceToken(t)
	refresh := func(rt string) (int, map[string]any) {
		return e.post(t, "/oauth2/v2.0/token", url.Values{"client_id": {idTestClient}, "grant_type": {"refresh_token"}, "refresh_token": {rt}, "scope": {idScopes}})
	}
	status, next := refresh(tok["refresh_token"].(string))
	if status != 200 || next["access_token"] == tok["access_token"] || next["refresh_token"] == tok["refresh_token"] {
		t.Fatalf("refresh: %d %v", status, next)
	}
	if status, _ := refresh(tok["refresh_token"].(string)); status != 200 {
		t.Errorf("the old refresh token stopped working after use (Entra keeps it valid): %d", status)
	}
	if n := e.id.RevokeRefreshTokens(); n != 3 {
		t.Errorf("revoked %d refresh tokens, want 3", n)
	}
	status, body := refresh(next["refresh_token"].(string))
	if status != 400 || body["error"] != "invalid_grant" || !strings.Contains(body["error_description"].(string), "AADSTS50173") {
		t.Errorf("revoked: %d %v", status, body)
	}
	if status, body := refresh("fakeRT.unknown"); status != 400 || body["error"] != "invalid_grant" {
		t.Errorf("unknown: %d %v", status, body)
	}
	// Access tokens issued before the revocation stay valid until they expire.
	if err := e.id.Authorize(next["access_token"].(string)); err != nil {
		t.Errorf("access token after revocation: %v", err)
	}
}

// TestIdentityAuthorize: Graph accepts only this Identity's unexpired access tokens for the calendar.
func TestIdentityAuthorize(t *testing.T) {
	e := newIDTestEnv(t)
	tok := e.deviceToken(t)
	at, idt := tok["access_token"].(string), tok["id_token"].(string)
	other := NewIdentity(IdentityOptions{ClientID: idTestClient, Now: e.clock.Now})
	forged := at[:strings.LastIndex(at, ".")+1] + base64.RawURLEncoding.EncodeToString(make([]byte, 32))
	parts := strings.Split(at, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	widened := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(payload), "Calendars.Read", "Mail.Send", 1))) + "." + parts[2]

	e.id.SetAccessTokenLifetime(10 * time.Minute)
	_, short := e.post(t, "/oauth2/v2.0/token", url.Values{"client_id": {idTestClient}, "grant_type": {"refresh_token"},
		"refresh_token": {tok["refresh_token"].(string)}, "scope": {"https://graph.microsoft.com/User.Read offline_access"}})
	if short["expires_in"].(float64) != 600 {
		t.Errorf("expires_in = %v after SetAccessTokenLifetime(10m)", short["expires_in"])
	}
	userOnly := short["access_token"].(string)
	_, sovereign := e.post(t, "/oauth2/v2.0/token", url.Values{"client_id": {idTestClient}, "grant_type": {"refresh_token"},
		"refresh_token": {tok["refresh_token"].(string)}, "scope": {"https://graph.microsoft.us/Calendars.Read offline_access"}})
	forOtherGraph, _ := sovereign["access_token"].(string)
	_, local := e.post(t, "/oauth2/v2.0/token", url.Values{"client_id": {idTestClient}, "grant_type": {"refresh_token"},
		"refresh_token": {tok["refresh_token"].(string)}, "scope": {strings.TrimSuffix(IdentityAuthority(e.srv), "/") + "/Calendars.Read offline_access"}})
	forThisServer, _ := local["access_token"].(string)

	tests := []struct {
		name, token, wantErr string
	}{
		{"issued", at, ""},
		{"for this server's origin", forThisServer, ""},
		{"for another cloud's Graph", forOtherGraph, "Invalid audience"},
		{"id token", idt, "Invalid audience"},
		{"another identity's", other.sign(idClaims{Typ: "at", Exp: e.clock.Now().Add(time.Hour).Unix(), Scp: "Calendars.Read"}), "Invalid signature"},
		{"forged signature", forged, "Invalid signature"},
		{"edited claims", widened, "Invalid signature"},
		{"not a JWT", "opaque", "not well formed"},
		{"without Calendars.Read", userOnly, "Calendars.Read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := e.id.Authorize(tt.token)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Authorize = %v; want %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), tt.token) {
				t.Error("the error quotes the token")
			}
		})
	}

	// Through Graph: 200 while valid, 401 once expired on the server's clock.
	get := func() int {
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL()+"/me/calendarView?startDateTime=2026-11-27T00:00:00Z&endDateTime=2026-11-28T00:00:00Z", nil)
		req.Header.Set("Authorization", "Bearer "+at)
		resp, err := e.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := get(); s != 200 {
		t.Errorf("calendarView with a valid token: %d", s)
	}
	e.clock.Advance(61 * time.Minute)
	if s := get(); s != 401 {
		t.Errorf("calendarView with an expired token: %d", s)
	}
	if err := e.id.Authorize(at); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Errorf("Authorize after expiry = %v", err)
	}
}
