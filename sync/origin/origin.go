// Package origin decides where caltray may send what: the Microsoft Graph base URL (its
// default, and the rule that tokens travel only over https, or plain http to this machine for
// the simulated Graph), which hosts are this machine, and how a URL is shown in a message
// without the secrets it may carry. sync/graph, sync/auth and main's status endpoint share it,
// so the rule exists once.
package origin

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// DefaultGraph is Microsoft Graph's v1.0 endpoint in the global cloud.
const DefaultGraph = "https://graph.microsoft.com/v1.0"

// ParseGraph parses a Graph base URL such as DefaultGraph and checks that tokens may be sent to
// it: https anywhere, plain http only to a loopback host. A trailing slash is dropped. Its
// errors show the URL redacted (see Redact) and say what is expected.
func ParseGraph(raw string) (*url.URL, error) {
	const hint = `; expected an absolute URL such as "https://graph.microsoft.com/v1.0"`
	bad := fmt.Errorf
	if strings.TrimSpace(raw) == "" {
		return nil, bad("the Graph URL is empty%s", hint)
	}
	shown := Redact(raw)
	u, err := url.Parse(raw)
	if err != nil {
		return nil, bad("the Graph URL %q is not a URL%s", shown, hint)
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return nil, bad("the Graph URL %q must start with https://%s", shown, hint)
	case u.Host == "" || u.Hostname() == "":
		return nil, bad("the Graph URL %q has no host%s", shown, hint)
	case u.User != nil:
		return nil, bad("the Graph URL must not contain a user name or password%s", hint)
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return nil, bad("the Graph URL %q must not have a query or fragment%s", shown, hint)
	case u.Scheme == "http" && !IsLoopback(u.Hostname()):
		return nil, bad("the Graph URL %q uses plain http to a non-loopback host; use https (plain http is allowed only for localhost, 127.0.0.1 or ::1)", shown)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// IsLoopback reports whether host (without port) names this machine: localhost, 127.0.0.0/8
// or ::1.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Same reports whether u has the scheme and host (with port) of base.
func Same(u, base *url.URL) bool {
	return u != nil && base != nil && strings.EqualFold(u.Scheme, base.Scheme) && strings.EqualFold(u.Host, base.Host)
}

// Redact is raw for an error message, with what may be secret cut out: a user-info part
// ("user:password@") and a query or fragment (where access tokens travel).
func Redact(raw string) string {
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
