package health

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"caltray/runner"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestCheckAddr(t *testing.T) {
	tests := []struct {
		addr string
		want string // "" means accepted
	}{
		{"127.0.0.1:8765", ""},
		{"127.0.0.2:0", ""},
		{"[::1]:8765", ""},
		{"localhost:8765", ""},
		{"0.0.0.0:8765", "not a loopback address"},
		{":8765", "every interface"},
		{"192.168.1.10:8765", "not a loopback address"},
		{"example.com:80", "not a loopback address"},
		{"127.0.0.1", "not host:port"},
		{"127.0.0.1:http", "is not a number"},
		{"127.0.0.1:70000", "is not a number"},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			err := CheckAddr(tt.addr)
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("CheckAddr(%q) = %v, want %q", tt.addr, err, tt.want)
			}
		})
	}
}

func sample() runner.Health {
	ls := time.Date(2026, 11, 27, 8, 55, 0, 0, time.UTC)
	return runner.Health{Healthy: true, Status: runner.StatusOperational, Breaker: "closed", LastSuccess: &ls,
		Stale: true, Timestamp: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC), Throttled: true}
}

func TestServer(t *testing.T) {
	s, err := Start("127.0.0.1:0", sample, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	base := "http://" + s.Addr()
	tests := []struct {
		method, path string
		status       int
	}{
		{"GET", Path, 200},
		{"GET", "/health", 404},
		{"GET", "/health/async/x", 404},
		{"GET", "/", 404},
		{"POST", Path, 405},
		{"HEAD", Path, 405},
		{"DELETE", Path, 405},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, base+tt.path, nil)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d (%s)", res.StatusCode, tt.status, body)
			}
			if tt.status == 405 && res.Header.Get("Allow") != "GET" {
				t.Errorf("Allow = %q", res.Header.Get("Allow"))
			}
			if tt.status != 200 {
				return
			}
			if ct := res.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			var got map[string]any
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatal(err)
			}
			want := map[string]any{"healthy": true, "status": "operational", "breaker": "closed",
				"consecutive_failures": float64(0), "last_success": "2026-11-27T08:55:00Z", "last_error": "",
				"retry_at": nil, "stale": true, "timestamp": "2026-11-27T09:00:00Z"}
			if len(got) != len(want) {
				t.Errorf("fields %v, want exactly %v", got, want)
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s = %v, want %v", k, got[k], v)
				}
			}
		})
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(base + Path); err == nil {
		t.Fatal("the endpoint still answers after Close")
	}
}

func TestStartRefusesNonLoopback(t *testing.T) {
	if _, err := Start("0.0.0.0:0", sample, nil); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("Start = %v", err)
	}
}

func TestHandlerRefusesForeignHost(t *testing.T) {
	req := httptest.NewRequest("GET", "http://attacker.example"+Path, nil)
	rec := httptest.NewRecorder()
	Handler(sample).ServeHTTP(rec, req)
	if rec.Code != http.StatusMisdirectedRequest {
		t.Fatalf("status %d for a rebinding host, want 421", rec.Code)
	}
}
