package graph

import (
	"net/url"
	"regexp"
	"strings"
)

// A provider recognises one online-meeting service's join links. To support another service,
// add a row to providers.
type provider struct {
	name  string
	hosts []string       // host names; a leading "." matches that domain and its subdomains
	path  *regexp.Regexp // must match the escaped path plus "?query" if there is one
	not   *regexp.Regexp // optional: paths on those hosts that are not meetings (downloads, help)
}

// providers are the meeting services whose links count as join links. Their path patterns are
// narrow on purpose, so a provider's dial-in, "learn more" or download page never does.
var providers = []provider{
	{"Teams", []string{"teams.microsoft.com", "teams.live.com", "gov.teams.microsoft.us", "dod.teams.microsoft.us"},
		regexp.MustCompile(`^/(l/meetup-join/|meet/|v2/\?meetingjoin=true)`), nil},
	{"Zoom", []string{".zoom.us", ".zoom.com", ".zoomgov.com"},
		regexp.MustCompile(`^/(j|w|s|my|wc/join)/[^/?#]+`), nil},
	{"Google Meet", []string{"meet.google.com"},
		regexp.MustCompile(`^/(lookup/)?[a-z0-9]{3,}-[a-z0-9]{3,}-[a-z0-9]{3,}(\?|$)`), nil},
	{"Webex", []string{".webex.com"},
		regexp.MustCompile(`^/(meet/|join/|[^/]+/j\.php\?|[^/]+/m\.php\?|wbxmjs/joinservice/|webappng/sites/[^/]+/meeting/)`), nil},
	{"GoToMeeting", []string{"global.gotomeeting.com", "app.gotomeeting.com"},
		regexp.MustCompile(`^/join/\d{9,}`), nil},
	{"GoToMeeting", []string{"meet.goto.com", "gotomeet.me"},
		regexp.MustCompile(`^/[A-Za-z0-9_-]+/?(\?|$)`), regexp.MustCompile(`^/(install|download|help|support)\b`)},
	{"Chime", []string{"chime.aws", "app.chime.aws"},
		regexp.MustCompile(`^/(meetings/)?\d{6,}`), nil},
	{"Jitsi", []string{"meet.jit.si", "8x8.vc"},
		regexp.MustCompile(`^/[^/?#]+`), regexp.MustCompile(`^/(static|libs|images|sounds)/`)},
}

// joinLinkProvider returns the name of the meeting service u joins, or "" if it is not a join link.
func joinLinkProvider(u *url.URL) string {
	if u == nil || u.Scheme != "https" {
		return ""
	}
	host := strings.ToLower(u.Hostname())
	pathQuery := u.EscapedPath()
	if u.RawQuery != "" {
		pathQuery += "?" + u.RawQuery
	}
	for _, p := range providers {
		if hostMatches(host, p.hosts) && p.path.MatchString(pathQuery) && (p.not == nil || !p.not.MatchString(pathQuery)) {
			return p.name
		}
	}
	return ""
}

func hostMatches(host string, patterns []string) bool {
	for _, p := range patterns {
		if strings.HasPrefix(p, ".") {
			if host == p[1:] || strings.HasSuffix(host, p) {
				return true
			}
		} else if host == p {
			return true
		}
	}
	return false
}

// urlInText finds http(s) URLs in free text; the delimiters are those invitations put around
// links (<…>, quotes, brackets, whitespace).
var urlInText = regexp.MustCompile(`(?i)https?://[^\s<>"'\[\]{}|\\^` + "`" + `]+`)

// firstMeetingLink returns the first join link in text, unwrapped from Safe Links, or "".
func firstMeetingLink(text string) string {
	for _, raw := range urlInText.FindAllString(text, -1) {
		raw = strings.TrimRight(raw, ".,;:!?)*")
		if u := unwrapSafeLink(raw); joinLinkProvider(u) != "" {
			return u.String()
		}
	}
	return ""
}

// unwrapSafeLink parses raw and, if it is a Microsoft Defender Safe Links wrapper
// (https://*.safelinks.protection.outlook.com/?url=…), returns the link it wraps. Nested
// wrappers are unwrapped a few levels deep; nil means raw is not a usable URL.
func unwrapSafeLink(raw string) *url.URL {
	u, err := url.Parse(raw)
	for range 4 {
		if err != nil || u == nil {
			return nil
		}
		if !strings.HasSuffix(strings.ToLower(u.Hostname()), ".safelinks.protection.outlook.com") {
			return u
		}
		inner := u.Query().Get("url")
		if inner == "" {
			return nil // a wrapper with nothing inside is no link at all
		}
		u, err = url.Parse(inner)
	}
	return nil
}

// joinURL picks the link that joins the meeting: Graph's onlineMeeting.joinUrl if it is a usable
// https link, else the first meeting-service link in the location, else in the body preview.
// A link that no provider recognises is never returned: a wrong "Join" button is worse than none.
func joinURL(onlineMeetingJoinURL, location, bodyPreview string) string {
	if j := strings.TrimSpace(onlineMeetingJoinURL); j != "" {
		if u := unwrapSafeLink(j); u != nil && u.Scheme == "https" && u.Host != "" {
			return u.String()
		}
	}
	if link := firstMeetingLink(location); link != "" {
		return link
	}
	return firstMeetingLink(bodyPreview)
}
