// Package auth signs caltray in to Microsoft 365 and keeps it signed in: an azcore.TokenCredential
// built on MSAL for Go's public client, whose token cache lives in the OS keyring, and the
// sign-in, sign-out and who-am-I commands.
//
// Where things live:
//   - the token cache (refresh and access tokens) is sealed with AES-256-GCM into
//     <Dir>/tokencache.sealed (mode 0600); its key is the only secret in the OS keyring
//     (service "caltray", entry "token-cache-key"). MSAL's cache outgrows what some keyrings
//     take in one secret (2,560 bytes on Windows, about 3 KB on macOS); one 44-byte key fits
//     everywhere, and a sealed file replaced by rename is never half-written, so an interrupted
//     write leaves the previous cache readable. Without the key the file is noise;
//   - the account record (which account to use silently: no secret) is <Dir>/account.json;
//   - Dir defaults to os.UserConfigDir()/caltray.
//
// Without a keyring (no Secret Service, or a locked keyring the user declines to unlock) a
// Session keeps tokens in memory for that run only and says so; it never writes tokens to a
// file it cannot seal.
package auth

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"caltray/sync/origin"
)

// Defaults of the sign-in settings (docs/DESIGN.md, "Sign-in").
const (
	DefaultTenant    = "organizations"
	DefaultAuthority = "https://login.microsoftonline.com/"

	// DefaultKeyringTimeout bounds every keyring call outside an interactive sign-in. A Secret
	// Service unlock prompt blocks its caller until answered; the sync loop must not wait on it.
	DefaultKeyringTimeout = 10 * time.Second
	// SignInKeyringTimeout bounds keyring calls while the user is signing in, at the keyboard
	// and perhaps answering an unlock prompt.
	SignInKeyringTimeout = 2 * time.Minute

	// ClientIDEnv names the environment variable that supplies --client-id's default.
	ClientIDEnv = "CALTRAY_CLIENT_ID"

	keyringService = "caltray"
)

// ErrBadConfig is matched (errors.Is) by errors about the settings themselves: the command line
// should exit with its usage code.
var ErrBadConfig = errors.New("bad sign-in settings")

// Config is what caltray needs to sign in. The first four fields are the user's settings; the
// rest let tests and the tray app replace the real environment, and are zero in production.
type Config struct {
	// ClientID is the application (client) ID of caltray's app registration in Microsoft Entra
	// ID. Needed to sign in; later runs read it from the account record.
	ClientID string
	// Tenant is "organizations" (work or school accounts, the default), "common", a tenant ID
	// or a verified domain such as contoso.onmicrosoft.com.
	Tenant string
	// Authority is the identity platform's host URL, default DefaultAuthority. Sovereign clouds
	// such as https://login.microsoftonline.us/ pair with their Graph URL.
	Authority string
	// GraphURL is the Graph base URL the tokens are for; its host names the token audience
	// and is the only host tokens are sent to. Default origin.DefaultGraph.
	GraphURL string

	// Managed is the administrator's managed configuration (package preset): the values a
	// sign-in uses where neither the fields above nor the account record give one.
	Managed Managed

	// Dir holds the account record and the sealed token cache. Default os.UserConfigDir()/caltray.
	Dir string
	// Keyring stores the cache key. Default the OS keyring (go-keyring).
	Keyring Keyring
	// KeyringService is the keyring service name. Default "caltray"; tests use their own.
	KeyringService string
	// KeyringTimeout bounds each keyring call. Default DefaultKeyringTimeout.
	KeyringTimeout time.Duration
	// HTTPClient talks to the identity platform. Default a client with the system's roots
	// (SSL_CERT_FILE honoured) and the environment's proxy.
	HTTPClient *http.Client
	// OpenBrowser opens the sign-in page. Default the system browser.
	OpenBrowser func(url string) error
	// Logger receives what the package has to say; never a token. Default slog.Default().
	Logger *slog.Logger
}

// tenantPattern accepts tenant IDs (GUIDs), the tenant aliases and domain names: letters,
// digits, dots and hyphens, so a tenant can never add path segments to the authority URL.
var tenantPattern = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,253}[A-Za-z0-9])?$`)

// clientIDPattern is an application ID as Entra shows it: a GUID.
var clientIDPattern = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`)

// settings are a Config's checked, normalized user settings.
type settings struct {
	clientID  string
	tenant    string
	authority string // https://host[:port]/[path/], always with a trailing slash
	graph     *url.URL
	// managedClientID is the managed configuration's client ID when clientID came from it
	// (the account record keeps it: see Account.ManagedClientID).
	managedClientID string
}

// Managed is the sign-in part of the managed configuration an administrator deploys (read by
// package preset; docs/DESIGN.md, "Managed configuration"). Empty fields are values the file
// does not set. Its values rank last: flags, the environment and the account record come first;
// an account signed in under an earlier ClientID of the file is asked to sign in again.
type Managed struct {
	Path      string // the file, named in messages and by whoami
	ClientID  string
	Tenant    string
	Authority string
}

// Check reports the first value of m that caltray cannot use, naming the file and the key, as
// the flags' values are checked. The error matches ErrBadConfig.
func (m Managed) Check() error {
	// Each value is checked alone, by the rule its flag follows, so the message names the key.
	for _, v := range []struct {
		key, value string
		c          Config
	}{
		{"client_id", m.ClientID, Config{ClientID: m.ClientID}},
		{"tenant", m.Tenant, Config{Tenant: m.Tenant}},
		{"authority", m.Authority, Config{Authority: m.Authority}},
	} {
		if v.value == "" {
			continue
		}
		if _, err := v.c.check(false); err != nil {
			msg := strings.TrimPrefix(err.Error(), ErrBadConfig.Error()+": ")
			return configErr("the managed configuration %s, key %q: %s; ask your administrator to correct it", m.Path, v.key, msg)
		}
	}
	return nil
}

func configErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadConfig, fmt.Sprintf(format, args...))
}

// check validates and normalizes the user settings. needClientID is false for commands that
// read the client ID from the account record.
func (c Config) check(needClientID bool) (settings, error) {
	var s settings
	s.clientID = strings.TrimSpace(c.ClientID)
	switch {
	case s.clientID == "" && needClientID:
		return s, configErr("no client ID: pass --client-id (or set %s) with the Application (client) ID of caltray's app registration in Microsoft Entra ID (README: \"Register caltray in Microsoft Entra ID\"), or ask your administrator to preset it in caltray's managed configuration (README: \"For administrators\")", ClientIDEnv)
	case s.clientID != "" && !clientIDPattern.MatchString(s.clientID):
		return s, configErr("the client ID %q is not an application ID; copy the \"Application (client) ID\" (a GUID such as 00000000-0000-0000-0000-000000000000) from the app registration's Overview page", s.clientID)
	}
	if err := c.Managed.Check(); err != nil {
		return s, err
	}
	s.tenant = strings.TrimSpace(c.Tenant)
	if s.tenant == "" {
		s.tenant = DefaultTenant
	}
	if !tenantPattern.MatchString(s.tenant) {
		return s, configErr("the tenant %q is not valid; use organizations, common, a tenant ID (a GUID) or a domain such as contoso.onmicrosoft.com", s.tenant)
	}
	if strings.EqualFold(s.tenant, "consumers") {
		return s, configErr("the tenant \"consumers\" signs in personal Microsoft accounts only; caltray reads Microsoft 365 calendars: use organizations, common or your tenant")
	}
	a, err := checkAuthority(c.Authority)
	if err != nil {
		return s, err
	}
	s.authority = a
	s.graph, err = checkGraphURL(c.GraphURL)
	if err != nil {
		return s, err
	}
	return s, nil
}

// checkAuthority accepts an https URL of an identity platform host, such as DefaultAuthority.
func checkAuthority(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return DefaultAuthority, nil
	}
	shown := origin.Redact(raw) // a URL someone got wrong may still carry a password or a token
	const hint = `; expected the identity platform's https URL, such as "https://login.microsoftonline.com/"`
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return "", configErr("the authority %q is not a URL%s", shown, hint)
	case u.Scheme != "https":
		return "", configErr("the authority %q must use https: tokens and sign-in codes travel through it%s", shown, hint)
	case u.Host == "" || u.Hostname() == "":
		return "", configErr("the authority %q has no host%s", shown, hint)
	case u.User != nil:
		return "", configErr("the authority must not contain a user name or password%s", hint)
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return "", configErr("the authority %q must not have a query or fragment%s", shown, hint)
	}
	path := strings.Trim(u.EscapedPath(), "/")
	if path != "" {
		// A tenant in the authority is a common slip: say where it goes instead.
		return "", configErr("the authority %q has a path; give the host only (such as https://login.microsoftonline.com/) and the tenant with --tenant", shown)
	}
	return "https://" + strings.ToLower(u.Host) + "/", nil
}

// checkGraphURL accepts the Graph base URL as `--graph-url` does (origin.ParseGraph); empty
// means origin.DefaultGraph, as in an account record from before the URL was kept.
func checkGraphURL(raw string) (*url.URL, error) {
	if strings.TrimSpace(raw) == "" {
		raw = origin.DefaultGraph
	}
	u, err := origin.ParseGraph(raw)
	if err != nil {
		return nil, configErr("%v", err)
	}
	return u, nil
}

// scopes returns the delegated permissions caltray asks for, for the Graph at g: Calendars.Read
// and User.Read on that resource. MSAL adds openid, profile and offline_access itself (the last
// one is what yields a refresh token).
func scopes(g *url.URL) []string {
	resource := g.Scheme + "://" + g.Host
	return []string{resource + "/Calendars.Read", resource + "/User.Read"}
}

// dir returns the directory of the account record and the sealed cache.
func (c Config) dir() (string, error) {
	if c.Dir != "" {
		return c.Dir, nil
	}
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find the configuration directory for caltray's account record: %w (set XDG_CONFIG_HOME or HOME)", err)
	}
	return filepath.Join(base, "caltray"), nil
}

func (c Config) log() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.Default()
}

func (c Config) keyringService() string {
	if c.KeyringService != "" {
		return c.KeyringService
	}
	return keyringService
}

func (c Config) keyringTimeout() time.Duration {
	if c.KeyringTimeout > 0 {
		return c.KeyringTimeout
	}
	return DefaultKeyringTimeout
}

func (c Config) keyring() Keyring {
	if c.Keyring != nil {
		return c.Keyring
	}
	return SystemKeyring{}
}

// microsoftHosts are the identity platform hosts of Microsoft's clouds (MSAL's own list of
// trusted authorities). For them MSAL's instance discovery stays on; any other authority is
// trusted as configured, because discovery would ask login.microsoftonline.com about it and fail.
var microsoftHosts = map[string]bool{
	"login.microsoftonline.com":        true,
	"login.microsoft.com":              true,
	"login.windows.net":                true,
	"sts.windows.net":                  true,
	"login.microsoftonline.us":         true,
	"login-us.microsoftonline.com":     true,
	"login.usgovcloudapi.net":          true,
	"login.partner.microsoftonline.cn": true,
	"login.chinacloudapi.cn":           true,
	"login.microsoftonline.de":         true,
	"login.sovcloud-identity.fr":       true,
	"login.sovcloud-identity.de":       true,
	"login.sovcloud-identity.sg":       true,
}
