// The status endpoint: GET /health/async on a loopback address, for --health-addr and for
// scripts. It serves the health object of docs/DESIGN.md; the path's "health" is the contract's
// word, the HTTP server is called the endpoint here so that "health" means one thing.

package main

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
	gosync "sync"
	"time"

	calsync "caltray/sync"
	"caltray/sync/origin"
)

// endpointPath is the endpoint's path.
const endpointPath = "/health/async"

// checkEndpointAddr checks that addr is host:port with a loopback host (127.0.0.0/8, ::1 or
// localhost): the health endpoint is for this machine only. Port 0 picks a free port.
func checkEndpointAddr(addr string) error {
	const hint = "; use a loopback address such as 127.0.0.1:8765"
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("health address %q is not host:port%s", addr, hint)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("health address %q: port %q is not a number from 0 to 65535", addr, port)
	}
	if !origin.IsLoopback(host) {
		if host == "" {
			return fmt.Errorf("health address %q would listen on every interface%s", addr, hint)
		}
		return fmt.Errorf("health address %q is not a loopback address%s", addr, hint)
	}
	return nil
}

// endpointHandler serves GET /health/async with the JSON of get(), and HEAD with the same status and
// headers (Content-Length included) and no body; other paths get 404, other methods 405. Requests naming a host other than a loopback one (a DNS-rebinding web page)
// get 421, so no remote page can read the endpoint through the user's browser.
func endpointHandler(get func() calsync.Health) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		switch {
		case !origin.IsLoopback(strings.Trim(host, "[]")):
			http.Error(w, "health endpoint: only loopback host names are served", http.StatusMisdirectedRequest)
		case r.URL.Path != endpointPath:
			http.Error(w, "not found: the health endpoint is GET "+endpointPath, http.StatusNotFound)
		case r.Method != http.MethodGet && r.Method != http.MethodHead:
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed: use GET", http.StatusMethodNotAllowed)
		default:
			body, err := json.Marshal(get())
			if err != nil { // runner.Health always encodes; this guards against a future field
				http.Error(w, "health endpoint: encode: "+err.Error(), http.StatusInternalServerError)
				return
			}
			body = append(body, '\n')
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Cache-Control", "no-store")
			// Set explicitly so HEAD carries the length GET's body has (net/http computes it
			// only from a body actually written).
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			if r.Method == http.MethodHead {
				return
			}
			w.Write(body)
		}
	})
}

// A endpoint is a running health endpoint.
type endpoint struct {
	srv  *http.Server
	addr string
	done chan struct{}
}

// endpointOptions bound what a client can hold of the endpoint. Zero fields take defaultEndpointOptions'.
type endpointOptions struct {
	// ReadHeaderTimeout bounds the wait for a request's headers, from the connection's start
	// or from the end of the idle wait: a client that connects and says nothing is dropped.
	ReadHeaderTimeout time.Duration
	// ReadTimeout and WriteTimeout bound reading a whole request and writing the answer.
	ReadTimeout, WriteTimeout time.Duration
	// IdleTimeout is how long a keep-alive connection may wait for its next request.
	IdleTimeout time.Duration
	// MaxConns is how many connections are served at once; more wait, unaccepted, in the
	// kernel's queue until one closes.
	MaxConns int
}

// defaultEndpointOptions are the endpoint's limits. It answers a small JSON object from memory, to a
// few local scripts or monitors polling every few seconds: a second or two is plenty for any
// request, 30 s of idle keep-alive covers a poller's interval (it reconnects otherwise, which
// costs nothing on loopback), and 16 connections serve every real client while a runaway or
// hostile local one cannot pin file descriptors and goroutines (300 idle connections were
// held for good before these limits).
func defaultEndpointOptions() endpointOptions {
	return endpointOptions{ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second,
		IdleTimeout: 30 * time.Second, MaxConns: 16}
}

func (o endpointOptions) withDefaults() endpointOptions {
	d := defaultEndpointOptions()
	for _, f := range []struct{ v, def *time.Duration }{{&o.ReadHeaderTimeout, &d.ReadHeaderTimeout},
		{&o.ReadTimeout, &d.ReadTimeout}, {&o.WriteTimeout, &d.WriteTimeout}, {&o.IdleTimeout, &d.IdleTimeout}} {
		if *f.v <= 0 {
			*f.v = *f.def
		}
	}
	if o.MaxConns <= 0 {
		o.MaxConns = d.MaxConns
	}
	return o
}

// startEndpoint is startEndpointWith with defaultEndpointOptions.
func startEndpoint(addr string, get func() calsync.Health, log *slog.Logger) (*endpoint, error) {
	return startEndpointWith(addr, get, log, defaultEndpointOptions())
}

// startEndpointWith checks addr (see checkEndpointAddr), listens on it, and serves endpointHandler(get) until Close,
// within the limits of o. log receives serving errors; nil means slog.Default().
func startEndpointWith(addr string, get func() calsync.Health, log *slog.Logger, o endpointOptions) (*endpoint, error) {
	o = o.withDefaults()
	if err := checkEndpointAddr(addr); err != nil {
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
	s := &endpoint{
		srv: &http.Server{
			Handler:           endpointHandler(get),
			ReadHeaderTimeout: o.ReadHeaderTimeout,
			ReadTimeout:       o.ReadTimeout,
			WriteTimeout:      o.WriteTimeout,
			IdleTimeout:       o.IdleTimeout,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		},
		addr: ln.Addr().String(),
		done: make(chan struct{}),
	}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(limitListener(ln, o.MaxConns)); !errors.Is(err, http.ErrServerClosed) {
			log.Error("health endpoint stopped", "err", err)
		}
	}()
	log.Info("health endpoint listening", "url", "http://"+s.addr+endpointPath)
	return s, nil
}

// Addr returns the address the server listens on (with the real port if addr had port 0).
func (s *endpoint) Addr() string { return s.addr }

// URL returns the endpoint's URL.
func (s *endpoint) URL() string { return "http://" + s.addr + endpointPath }

// Close stops the server, ending open connections, and waits for its goroutine.
func (s *endpoint) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if err != nil {
		err = s.srv.Close()
	}
	<-s.done
	return err
}

// limitListener returns ln accepting at most n connections at once: Accept waits for one of
// them to close before it takes the next from the kernel's queue. (golang.org/x/net/netutil's
// LimitListener does the same; this keeps x/net out of caltray's direct dependencies.)
func limitListener(ln net.Listener, n int) net.Listener {
	return &limited{Listener: ln, slots: make(chan struct{}, n), done: make(chan struct{})}
}

type limited struct {
	net.Listener
	slots     chan struct{} // one token per connection being served
	done      chan struct{} // closed by Close: a waiting Accept returns
	closeOnce gosync.Once
}

func (l *limited) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &limitedConn{Conn: c, release: func() { <-l.slots }}, nil
}

func (l *limited) Close() error {
	err := l.Listener.Close()
	l.closeOnce.Do(func() { close(l.done) })
	return err
}

// limitedConn gives its slot back when closed, once however often Close is called.
type limitedConn struct {
	net.Conn
	release func()
	once    gosync.Once
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
