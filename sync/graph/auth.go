package graph

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/microsoft/kiota-abstractions-go/authentication"
)

// DefaultBaseURL is Microsoft Graph's v1.0 endpoint in the global cloud.
const DefaultBaseURL = "https://graph.microsoft.com/v1.0"

// ValidateBaseURL parses a Graph base URL such as DefaultBaseURL and checks that tokens may be
// sent to it: https anywhere, plain http only to a loopback host (the simulated Graph in tests and
// --demo). A trailing slash is dropped.
func ValidateBaseURL(raw string) (*url.URL, error) {
	const hint = `; expected an absolute URL such as "https://graph.microsoft.com/v1.0"`
	if strings.TrimSpace(raw) == "" {
		return nil, errors.New("graph: the Graph URL is empty" + hint)
	}
	shown := redactURL(raw) // a URL someone got wrong may still carry a password or a token
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("graph: the Graph URL %q is not a URL%s", shown, hint)
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return nil, fmt.Errorf("graph: the Graph URL %q must start with https://%s", shown, hint)
	case u.Host == "" || u.Hostname() == "":
		return nil, fmt.Errorf("graph: the Graph URL %q has no host%s", shown, hint)
	case u.User != nil:
		return nil, errors.New("graph: the Graph URL must not contain a user name or password" + hint)
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return nil, fmt.Errorf("graph: the Graph URL %q must not have a query or fragment%s", shown, hint)
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		return nil, fmt.Errorf("graph: the Graph URL %q uses plain http to a non-loopback host; use https (plain http is allowed only for localhost, 127.0.0.1 or ::1)", shown)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// redactURL is raw for an error message, with what may be secret cut out: a user-info part
// ("user:password@") and a query or fragment (where access tokens travel).
func redactURL(raw string) string {
	s := raw
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i] + s[i:i+1] + "[redacted]"
	}
	start := 0
	if i := strings.Index(s, "://"); i >= 0 {
		start = i + len("://")
	}
	end := len(s)
	if i := strings.IndexAny(s[start:], "/?#"); i >= 0 {
		end = start + i
	}
	if at := strings.LastIndexByte(s[start:end], '@'); at >= 0 {
		s = s[:start] + "[redacted]@" + s[start+at+1:]
	}
	return s
}

// isLoopback reports whether host (without port) names this machine.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// sameOrigin reports whether u has the scheme and host (with port) of base.
func sameOrigin(u, base *url.URL) bool {
	return u != nil && strings.EqualFold(u.Scheme, base.Scheme) && strings.EqualFold(u.Host, base.Host)
}

// StaticToken returns an authentication provider that sends token as a bearer token to the origin
// (scheme, host and port) of baseURL and to nothing else, as kiota's Azure provider does with its
// allowed hosts: a nextLink, deltaLink or redirect that points elsewhere goes out without it.
// It serves CALTRAY_ACCESS_TOKEN; a pasted "Bearer " prefix is accepted.
func StaticToken(token, baseURL string) (authentication.AuthenticationProvider, error) {
	base, err := ValidateBaseURL(baseURL)
	if err != nil {
		return nil, err
	}
	token = strings.TrimSpace(token)
	if len(token) >= 6 && strings.EqualFold(token[:6], "bearer") && (len(token) == 6 || token[6] == ' ') {
		token = strings.TrimSpace(token[6:])
	}
	if token == "" {
		return nil, errors.New("graph: the access token is empty; set CALTRAY_ACCESS_TOKEN to a Microsoft Graph access token or sign in with caltray signin")
	}
	// A token is one header value: control characters or spaces would let it inject headers
	// or be mangled. Say so without echoing it.
	for _, r := range token {
		if r <= ' ' || r == 0x7f {
			return nil, errors.New("graph: the access token contains spaces or control characters; copy it again without line breaks")
		}
	}
	hosts, err := authentication.NewAllowedHostsValidatorErrorCheck([]string{base.Hostname()})
	if err != nil {
		return nil, fmt.Errorf("graph: allowed host for the access token: %w", err)
	}
	return authentication.NewBaseBearerTokenAuthenticationProvider(&staticToken{
		token: func() string { return token }, base: base, hosts: hosts,
	}), nil
}

// staticToken is a kiota AccessTokenProvider with one fixed token for one origin.
type staticToken struct {
	// token is a closure, not a string, because fmt prints unexported fields through
	// reflection (%v of the kiota provider would show a string), but only the address of a func.
	token func() string
	base  *url.URL
	hosts *authentication.AllowedHostsValidator
}

// GetAuthorizationToken returns the token for a URL on the configured origin, "" otherwise
// (kiota then sends the request without an Authorization header).
func (p *staticToken) GetAuthorizationToken(_ context.Context, u *url.URL, _ map[string]any) (string, error) {
	if !sameOrigin(u, p.base) {
		return "", nil
	}
	return p.token(), nil
}

// GetAllowedHostsValidator returns the host of the configured origin.
func (p *staticToken) GetAllowedHostsValidator() *authentication.AllowedHostsValidator {
	return p.hosts
}

// String keeps the token out of logs that print the provider.
func (p *staticToken) String() string { return "graph.StaticToken(" + p.base.Host + ", [redacted])" }
