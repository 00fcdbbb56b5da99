package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"caltray/runner"
	calsync "caltray/sync"
)

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
			err := checkEndpointAddr(tt.addr)
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("checkEndpointAddr(%q) = %v, want %q", tt.addr, err, tt.want)
			}
		})
	}
}

func sampleHealth() calsync.Health {
	ls := time.Date(2026, 11, 27, 8, 55, 0, 0, time.UTC)
	return calsync.Health{Healthy: true, Status: runner.StatusOperational, Breaker: "closed", LastSuccess: &ls,
		Stale: true, Timestamp: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC), LastErrorKind: runner.KindThrottled}
}

func TestEndpoint(t *testing.T) {
	s, err := startEndpoint("127.0.0.1:0", sampleHealth, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	base := "http://" + s.Addr()
	tests := []struct {
		method, path string
		status       int
	}{
		{"GET", endpointPath, 200},
		{"GET", "/health", 404},
		{"GET", "/health/async/x", 404},
		{"GET", "/", 404},
		{"POST", endpointPath, 405},
		{"DELETE", endpointPath, 405},
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
			if tt.status == 405 && res.Header.Get("Allow") != "GET, HEAD" {
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
				"last_error_kind": "throttled", "retry_at": nil, "stale": true, "timestamp": "2026-11-27T09:00:00Z"}
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
	if _, err := http.Get(base + endpointPath); err == nil {
		t.Fatal("the endpoint still answers after Close")
	}
}

func TestStartRefusesNonLoopback(t *testing.T) {
	if _, err := startEndpoint("0.0.0.0:0", sampleHealth, nil); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("startEndpoint = %v", err)
	}
}

func TestHandlerRefusesForeignHost(t *testing.T) {
	req := httptest.NewRequest("GET", "http://attacker.example"+endpointPath, nil)
	rec := httptest.NewRecorder()
	endpointHandler(sampleHealth).ServeHTTP(rec, req)
	if rec.Code != http.StatusMisdirectedRequest {
		t.Fatalf("status %d for a rebinding host, want 421", rec.Code)
	}
}

// HEAD answers like GET without the body: same status, same headers, Content-Length included.
func TestHeadAnswersLikeGet(t *testing.T) {
	s, err := startEndpoint("127.0.0.1:0", sampleHealth, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, path := range []string{endpointPath, "/other"} {
		res := map[string]*http.Response{}
		bodies := map[string][]byte{}
		for _, m := range []string{"GET", "HEAD"} {
			req, _ := http.NewRequest(m, "http://"+s.Addr()+path, nil)
			r, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			bodies[m], _ = io.ReadAll(r.Body)
			r.Body.Close()
			res[m] = r
		}
		endpointGet, head := res["GET"], res["HEAD"]
		if head.StatusCode != endpointGet.StatusCode {
			t.Errorf("%s: HEAD status %d, GET %d", path, head.StatusCode, endpointGet.StatusCode)
		}
		if len(bodies["HEAD"]) != 0 {
			t.Errorf("%s: HEAD has a body: %q", path, bodies["HEAD"])
		}
		endpointGet.Header.Del("Date")
		head.Header.Del("Date")
		if fmt.Sprint(head.Header) != fmt.Sprint(endpointGet.Header) {
			t.Errorf("%s: headers differ:\nHEAD %v\nGET  %v", path, head.Header, endpointGet.Header)
		}
		if path == endpointPath && (head.ContentLength != int64(len(bodies["GET"])) || endpointGet.Header.Get("Content-Length") == "") {
			t.Errorf("HEAD Content-Length %d, GET body %d bytes (header %q)", head.ContentLength, len(bodies["GET"]), endpointGet.Header.Get("Content-Length"))
		}
	}
}

// testEndpointOptions are short timeouts, so the tests see the server close connections in
// milliseconds instead of seconds.
func testEndpointOptions(maxConns int) endpointOptions {
	return endpointOptions{ReadHeaderTimeout: 100 * time.Millisecond, ReadTimeout: 200 * time.Millisecond,
		WriteTimeout: 200 * time.Millisecond, IdleTimeout: 100 * time.Millisecond, MaxConns: maxConns}
}

// endpointGet sends one keep-alive request on c and reads the whole answer.
func endpointGet(c net.Conn, br *bufio.Reader) error {
	if _, err := io.WriteString(c, "GET "+endpointPath+" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"); err != nil {
		return err
	}
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if _, err := io.Copy(io.Discard, res.Body); err != nil {
		return err
	}
	if res.StatusCode != 200 || res.Close {
		return fmt.Errorf("status %d, close %v", res.StatusCode, res.Close)
	}
	return nil
}

// Idle connections (keep-alive after a request, or silent from the start) are closed by the
// server within its timeouts, so no client can hold the endpoint's connections for good.
func TestIdleConnectionsAreClosed(t *testing.T) {
	s, err := startEndpointWith("127.0.0.1:0", sampleHealth, nil, testEndpointOptions(8))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const conns = 40 // five times the limit: the later ones are served as earlier ones close
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	for i := range conns {
		wg.Go(func() {
			c, err := net.Dial("tcp", s.Addr())
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			// A safety net only: the server must close long before it.
			c.SetDeadline(time.Now().Add(5 * time.Second))
			br := bufio.NewReader(c)
			if i%2 == 0 { // a keep-alive client that goes idle after one request
				if err := endpointGet(c, br); err != nil {
					errs <- fmt.Errorf("conn %d: %v", i, err)
					return
				}
			} // else a client that never sends anything
			if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
				errs <- fmt.Errorf("conn %d: read %v, want EOF (closed by the server)", i, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("closing %d idle connections took %v", conns, d)
	}
}

// No more than MaxConns connections are served at once; one more waits until a slot frees.
func TestConnectionLimit(t *testing.T) {
	o := testEndpointOptions(2)
	o.IdleTimeout = time.Minute // the held connections stay until the test closes them
	s, err := startEndpointWith("127.0.0.1:0", sampleHealth, nil, o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := endpointGet(c, bufio.NewReader(c)); err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	c, err := net.Dial("tcp", s.Addr()) // the kernel accepts it; the server does not yet
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	done := make(chan error, 1)
	go func() { done <- endpointGet(c, bufio.NewReader(c)) }()
	select {
	case err := <-done:
		t.Fatalf("a third connection was served while two are held (err %v)", err)
	case <-time.After(100 * time.Millisecond):
	}
	held[0].Close() // frees a slot
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the waiting connection was not served after a slot freed")
	}
}
