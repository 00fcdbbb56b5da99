// Package health serves caltray's health endpoint, GET /health/async on a loopback address,
// for the tray app's --health-addr and for scripts: the runner's health object with the sync
// loop's stale flag, as DESIGN.md specifies.
package health

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"caltray/runner"
)

// Path is the endpoint's path.
const Path = "/health/async"

// CheckAddr checks that addr is host:port with a loopback host (127.0.0.0/8, ::1 or
// localhost): the health endpoint is for this machine only. Port 0 picks a free port.
func CheckAddr(addr string) error {
	const hint = "; use a loopback address such as 127.0.0.1:8765"
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("health address %q is not host:port%s", addr, hint)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("health address %q: port %q is not a number from 0 to 65535", addr, port)
	}
	if !isLoopback(host) {
		if host == "" {
			return fmt.Errorf("health address %q would listen on every interface%s", addr, hint)
		}
		return fmt.Errorf("health address %q is not a loopback address%s", addr, hint)
	}
	return nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Handler serves GET /health/async with the JSON of get(); other paths get 404, other
// methods 405. Requests naming a host other than a loopback one (a DNS-rebinding web page)
// get 421, so no remote page can read the endpoint through the user's browser.
func Handler(get func() runner.Health) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		switch {
		case !isLoopback(strings.Trim(host, "[]")):
			http.Error(w, "health endpoint: only loopback host names are served", http.StatusMisdirectedRequest)
		case r.URL.Path != Path:
			http.Error(w, "not found: the health endpoint is GET "+Path, http.StatusNotFound)
		case r.Method != http.MethodGet:
			w.Header().Set("Allow", http.MethodGet)
			http.Error(w, "method not allowed: use GET", http.StatusMethodNotAllowed)
		default:
			body, err := json.Marshal(get())
			if err != nil { // runner.Health always encodes; this guards against a future field
				http.Error(w, "health endpoint: encode: "+err.Error(), http.StatusInternalServerError)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Cache-Control", "no-store")
			w.Write(append(body, '\n'))
		}
	})
}

// A Server is a running health endpoint.
type Server struct {
	srv  *http.Server
	addr string
	done chan struct{}
}

// Start checks addr (see CheckAddr), listens on it, and serves Handler(get) until Close.
// log receives serving errors; nil means slog.Default().
func Start(addr string, get func() runner.Health, log *slog.Logger) (*Server, error) {
	if err := CheckAddr(addr); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("health endpoint: %w", err)
	}
	// "localhost" resolves through the hosts file: make sure it really was loopback.
	if ta, ok := ln.Addr().(*net.TCPAddr); !ok || !ta.IP.IsLoopback() {
		ln.Close()
		return nil, fmt.Errorf("health address %q resolved to %s, which is not loopback", addr, ln.Addr())
	}
	s := &Server{
		srv: &http.Server{
			Handler:           Handler(get),
			ReadHeaderTimeout: 5 * time.Second,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		},
		addr: ln.Addr().String(),
		done: make(chan struct{}),
	}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Error("health endpoint stopped", "err", err)
		}
	}()
	log.Info("health endpoint listening", "url", "http://"+s.addr+Path)
	return s, nil
}

// Addr returns the address the server listens on (with the real port if addr had port 0).
func (s *Server) Addr() string { return s.addr }

// URL returns the endpoint's URL.
func (s *Server) URL() string { return "http://" + s.addr + Path }

// Close stops the server, ending open connections, and waits for its goroutine.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if err != nil {
		err = s.srv.Close()
	}
	<-s.done
	return err
}
