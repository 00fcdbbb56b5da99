package graph

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/microsoft/kiota-abstractions-go/authentication"

	"caltray/sync/origin"
)

// ValidateBaseURL parses a Graph base URL and checks that tokens may be sent to it: the rule of
// package origin (https, or plain http to this machine), with errors prefixed "graph:".
func ValidateBaseURL(raw string) (*url.URL, error) {
	u, err := origin.ParseGraph(raw)
	if err != nil {
		return nil, fmt.Errorf("graph: %w", err)
	}
	return u, nil
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
	if !origin.Same(u, p.base) {
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
