package graph

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	abs "github.com/microsoft/kiota-abstractions-go"

	"caltray/sync/origin"
)

func TestValidateBaseURL(t *testing.T) {
	tests := []struct {
		in, want, wantErr string
	}{
		{in: origin.DefaultGraph, want: origin.DefaultGraph},
		{in: "https://graph.microsoft.us/v1.0/", want: "https://graph.microsoft.us/v1.0"},
		{in: "http://127.0.0.1:8080/v1.0", want: "http://127.0.0.1:8080/v1.0"},
		{in: "http://localhost:1234/v1.0", want: "http://localhost:1234/v1.0"},
		{in: "http://[::1]:1234/v1.0", want: "http://[::1]:1234/v1.0"},
		{in: "", wantErr: "empty"},
		{in: "graph.microsoft.com/v1.0", wantErr: "must start with https://"},
		{in: "ftp://graph.microsoft.com", wantErr: "must start with https://"},
		{in: "http://graph.microsoft.com/v1.0", wantErr: "plain http to a non-loopback host"},
		{in: "http://10.0.0.1/v1.0", wantErr: "plain http to a non-loopback host"},
		{in: "http://localhost.evil.example/v1.0", wantErr: "plain http to a non-loopback host"},
		{in: "https:///v1.0", wantErr: "no host"},
		{in: "https://user:hunter2@graph.microsoft.com/v1.0", wantErr: "user name or password"},
		{in: "https://graph.microsoft.com/v1.0?x=1", wantErr: "query or fragment"},
		{in: "https://graph.microsoft.com/v1.0 bad\x7f", wantErr: "not a URL"},
		// A wrong URL is echoed in the error, but never what may be secret in it.
		{in: "https://graph.microsoft.com/v1.0?access_token=hunter2", wantErr: `"https://graph.microsoft.com/v1.0?[redacted]" must not have a query`},
		{in: "https://graph.microsoft.com/v1.0#hunter2", wantErr: "query or fragment"},
		{in: "https://user:hunter2@graph.microsoft.com:port/v1.0", wantErr: `"https://[redacted]@graph.microsoft.com:port/v1.0" is not a URL`},
		{in: "user:hunter2@graph.microsoft.com/v1.0", wantErr: "must start with https://"},
		{in: "http://user:hunter2@graph.microsoft.com/v1.0", wantErr: "user name or password"},
	}
	for _, tt := range tests {
		u, err := ValidateBaseURL(tt.in)
		switch {
		case tt.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ValidateBaseURL(%q) err = %v, want %q", tt.in, err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error leaks the password: %v", err)
			}
		case err != nil:
			t.Errorf("ValidateBaseURL(%q): %v", tt.in, err)
		case u.String() != tt.want:
			t.Errorf("ValidateBaseURL(%q) = %s, want %s", tt.in, u, tt.want)
		}
	}
}

const testToken = "eyJ0eXAiOiJKV1QiLCJub25jZSI6InNlY3JldCJ9.c2VjcmV0.c2ln"

func TestStaticTokenOnlyToConfiguredOrigin(t *testing.T) {
	p, err := StaticToken("Bearer "+testToken, "https://graph.microsoft.com/v1.0")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		url      string
		wantAuth bool
	}{
		{"https://graph.microsoft.com/v1.0/me/calendarView?startDateTime=x", true},
		{"https://GRAPH.microsoft.com/v1.0/me/calendarView/delta?$deltatoken=x", true},
		{"http://graph.microsoft.com/v1.0/me/calendarView", false},       // scheme downgrade
		{"https://graph.microsoft.com:8443/v1.0/me/calendarView", false}, // other port
		{"https://evil.example/v1.0/me/calendarView", false},
		{"https://graph.microsoft.com.evil.example/v1.0/me", false},
	}
	for _, tt := range tests {
		ri := abs.NewRequestInformation()
		u, _ := url.Parse(tt.url)
		ri.SetUri(*u)
		if err := p.AuthenticateRequest(context.Background(), ri, nil); err != nil {
			t.Fatal(err)
		}
		got := ri.Headers.Get("Authorization")
		if tt.wantAuth && (len(got) != 1 || got[0] != "Bearer "+testToken) {
			t.Errorf("%s: Authorization = %q, want the token", tt.url, got)
		}
		if !tt.wantAuth && len(got) != 0 {
			t.Errorf("%s: token sent to a foreign origin", tt.url)
		}
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		if s := fmt.Sprintf(verb, p); strings.Contains(s, "c2VjcmV0") {
			t.Errorf("Sprintf(%s) shows the token: %s", verb, s)
		}
	}
}

func TestStaticTokenErrors(t *testing.T) {
	tests := []struct{ token, base, want string }{
		{"", origin.DefaultGraph, "CALTRAY_ACCESS_TOKEN"},
		{"Bearer   ", origin.DefaultGraph, "empty"},
		{"abc\r\nX-Evil: 1" + testToken, origin.DefaultGraph, "control characters"},
		{"abc def", origin.DefaultGraph, "spaces"},
		{testToken, "http://graph.microsoft.com/v1.0", "plain http"},
	}
	for _, tt := range tests {
		_, err := StaticToken(tt.token, tt.base)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("StaticToken(%q) err = %v, want %q", tt.token, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "c2VjcmV0") {
			t.Errorf("error shows the token: %v", err)
		}
	}
}
