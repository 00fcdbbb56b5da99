package origin

import (
	"net/url"
	"strings"
	"testing"
)

func TestParseGraph(t *testing.T) {
	tests := []struct {
		raw, want, inErr string
	}{
		{DefaultGraph, DefaultGraph, ""},
		{"https://graph.microsoft.us/v1.0/", "https://graph.microsoft.us/v1.0", ""},
		{"http://127.0.0.1:8080/v1.0", "http://127.0.0.1:8080/v1.0", ""},
		{"http://[::1]:8080/v1.0", "http://[::1]:8080/v1.0", ""},
		{"http://localhost/v1.0", "http://localhost/v1.0", ""},
		{"", "", "is empty"},
		{"  ", "", "is empty"},
		{"graph.microsoft.com", "", "must start with https://"},
		{"https:///v1.0", "", "has no host"},
		{"http://graph.example.com/v1.0", "", "plain http to a non-loopback host"},
		{"https://user:hunter2@graph.example.com/v1.0", "", "user name or password"},
		{"https://graph.example.com/v1.0?access_token=secret", "", "query or fragment"},
		{"ftp://graph.example.com", "", "must start with https://"},
	}
	for _, tt := range tests {
		u, err := ParseGraph(tt.raw)
		if tt.inErr == "" {
			if err != nil || u.String() != tt.want {
				t.Errorf("ParseGraph(%q) = %v, %v; want %s", tt.raw, u, err, tt.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.inErr) {
			t.Errorf("ParseGraph(%q) error = %v, want one containing %q", tt.raw, err, tt.inErr)
			continue
		}
		for _, secret := range []string{"hunter2", "secret"} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("ParseGraph(%q) echoes a secret: %v", tt.raw, err)
			}
		}
	}
}

func TestRedact(t *testing.T) {
	for raw, want := range map[string]string{
		"https://graph.microsoft.com/v1.0":         "https://graph.microsoft.com/v1.0",
		"https://u:p@host/x":                       "https://[redacted]@host/x",
		"https://host/x?token=abc":                 "https://host/x?[redacted]",
		"https://host/x#frag":                      "https://host/x#[redacted]",
		"u:p@host":                                 "[redacted]@host",
		"https://host/p@th":                        "https://host/p@th",
		"https://a@b@host:8080/x?access_token=abc": "https://[redacted]@host:8080/x?[redacted]",
	} {
		if got := Redact(raw); got != want {
			t.Errorf("Redact(%q) = %q, want %q", raw, got, want)
		}
	}
}

func TestIsLoopbackAndSame(t *testing.T) {
	for host, want := range map[string]bool{"localhost": true, "LOCALHOST": true, "127.0.0.1": true, "127.8.9.10": true,
		"::1": true, "0.0.0.0": false, "192.0.2.1": false, "graph.microsoft.com": false, "": false} {
		if got := IsLoopback(host); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", host, got, want)
		}
	}
	base, _ := url.Parse("https://graph.microsoft.com/v1.0")
	for raw, want := range map[string]bool{"https://GRAPH.microsoft.com/x": true, "http://graph.microsoft.com/x": false,
		"https://graph.microsoft.com:8443/x": false, "https://evil.example/x": false} {
		u, _ := url.Parse(raw)
		if got := Same(u, base); got != want {
			t.Errorf("Same(%s) = %v, want %v", raw, got, want)
		}
	}
	if Same(nil, base) {
		t.Error("Same(nil) = true")
	}
}
