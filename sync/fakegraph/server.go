package fakegraph

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"strings"
	gosync "sync"
	"time"
)

// Options configure a Server. The zero value serves a generated calendar around the real
// current time and accepts only the random token that Token returns.
type Options struct {
	// Now is the server's clock: the generated calendar is laid out around it, requests are
	// stamped with it and Retry-After dates are computed from it. Default time.Now.
	Now func() time.Time
	// Seed makes the generated calendar (and nothing else) reproducible. Default 1.
	Seed int64
	// Events is the initial calendar. Nil means Calendar(Now(), Seed); use Spread for load
	// tests and an empty non-nil slice for an empty calendar.
	Events []Event
	// Token is the bearer token Graph accepts when Authorize is nil. Empty means a random one,
	// which Token() returns.
	Token string
	// Authorize, when set, decides alone whether a bearer token is valid (the seam for the
	// identity endpoints, which make Graph accept only tokens they issued and that are still
	// valid). Its error text becomes the message of the 401 body, so it must not quote the token.
	Authorize func(token string) error
	// UserName and UserAddress are the mailbox owner's, used as the organizer of the
	// generated events the user organizes. Default "Alex Wilber" <AlexW@contoso.onmicrosoft.com>.
	UserName, UserAddress string
}

// A Server is a loopback Microsoft Graph: see the package documentation.
type Server struct {
	now       func() time.Time
	token     string
	authorize func(string) error
	url       string
	mux       *http.ServeMux

	httpSrv   *http.Server
	serveDone chan struct{}
	done      chan struct{} // closed by Close: ends delayed responses
	life      gosync.RWMutex
	closed    bool
	handlers  gosync.WaitGroup
	closeOnce gosync.Once

	certPEM   []byte
	pool      *x509.CertPool
	transport *http.Transport

	mu       gosync.Mutex
	store    store
	faults   faults
	requests []*Request
	linkBase string
}

// New starts a Server on plain HTTP at 127.0.0.1 on a free port.
func New(opts Options) (*Server, error) { return start(opts, false) }

// NewTLS starts a Server on HTTPS at 127.0.0.1 with a certificate generated for 127.0.0.1,
// ::1 and localhost; Client and CertPool trust it.
func NewTLS(opts Options) (*Server, error) { return start(opts, true) }

func start(opts Options, useTLS bool) (*Server, error) {
	s := &Server{
		now:       opts.Now,
		token:     opts.Token,
		authorize: opts.Authorize,
		mux:       http.NewServeMux(),
		serveDone: make(chan struct{}),
		done:      make(chan struct{}),
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.token == "" {
		s.token = randomHex(32)
	}
	seed := opts.Seed
	if seed == 0 {
		seed = 1
	}
	events := opts.Events
	if events == nil {
		events = calendar(s.now(), seed, opts.UserName, opts.UserAddress)
	}
	if err := s.store.init(events, s.now()); err != nil {
		return nil, fmt.Errorf("fakegraph: initial events: %w", err)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("fakegraph: listen on loopback: %w", err)
	}
	s.httpSrv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		// Handshake failures of clients that do not trust the certificate are what tests provoke
		// on purpose, and nothing a demo user could act on.
		ErrorLog: log.New(io.Discard, "", 0),
		// HTTP/1.1 only: the dropped-connection fault hijacks the connection, which HTTP/2 forbids.
		Protocols: new(http.Protocols),
	}
	s.httpSrv.Protocols.SetHTTP1(true)
	s.transport = &http.Transport{
		Proxy:               nil, // loopback: an HTTP(S)_PROXY from the environment must not intercept
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     30 * time.Second,
	}
	scheme := "http"
	if useTLS {
		cert, certPEM, err := selfSigned()
		if err != nil {
			ln.Close()
			return nil, fmt.Errorf("fakegraph: generate TLS certificate: %w", err)
		}
		s.certPEM = certPEM
		s.pool = x509.NewCertPool()
		s.pool.AppendCertsFromPEM(certPEM)
		s.transport.TLSClientConfig = &tls.Config{RootCAs: s.pool, MinVersion: tls.VersionTLS12}
		ln = tls.NewListener(ln, &tls.Config{
			Certificates: []tls.Certificate{cert},
			MinVersion:   tls.VersionTLS12,
			NextProtos:   []string{"http/1.1"},
		})
		scheme = "https"
	}
	s.url = scheme + "://" + ln.Addr().String() + "/v1.0"
	s.linkBase = s.url
	s.mux.HandleFunc("/v1.0/", s.serveGraph)
	s.mux.HandleFunc("/v1.0", s.serveGraph) // else ServeMux would redirect it to /v1.0/
	go func() {
		defer close(s.serveDone)
		s.httpSrv.Serve(ln) // returns http.ErrServerClosed after Close; nothing to report
	}()
	return s, nil
}

// URL is the Graph base URL, e.g. "http://127.0.0.1:41234/v1.0" (no trailing slash).
func (s *Server) URL() string { return s.url }

// Token is the bearer token the server accepts when Options.Authorize is nil.
func (s *Server) Token() string { return s.token }

// Client returns an HTTP client for this server: it trusts the TLS certificate and ignores
// proxy settings. Close closes its idle connections.
func (s *Server) Client() *http.Client { return &http.Client{Transport: s.transport} }

// CertPool returns a pool holding the server's certificate; nil for a plain HTTP server.
func (s *Server) CertPool() *x509.CertPool { return s.pool }

// CertPEM returns the server's certificate in PEM (for SSL_CERT_FILE of a child process); nil
// for a plain HTTP server.
func (s *Server) CertPEM() []byte { return s.certPEM }

// SetLinkBase makes @odata.nextLink and @odata.deltaLink start with base instead of URL(), so a
// client can be tested against links that point at another host. Empty restores URL().
func (s *Server) SetLinkBase(base string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if base == "" {
		base = s.url
	}
	s.linkBase = strings.TrimSuffix(base, "/")
}

// Handle registers another endpoint on the server (the identity endpoints use it, with "/").
// Requests to it are recorded like Graph's but are not subject to Graph's token check or faults.
// Graph keeps /v1.0 and /v1.0/; as with http.ServeMux, registering a pattern twice panics.
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// Close stops the server: delayed responses end, connections close, and no goroutine of the
// server is left when it returns. It is safe to call more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.life.Lock()
		s.closed = true
		s.life.Unlock()
		close(s.done)
		s.httpSrv.Close()
		<-s.serveDone
		s.handlers.Wait()
		s.transport.CloseIdleConnections()
	})
}

// enter registers a running handler unless the server is closing; Close waits for all of them.
func (s *Server) enter() bool {
	s.life.RLock()
	defer s.life.RUnlock()
	if s.closed {
		return false
	}
	s.handlers.Add(1)
	return true
}

// A Request is what the server recorded about one request it received.
type Request struct {
	Time   time.Time // Options.Now when it arrived
	Method string
	Host   string
	Path   string
	Query  url.Values
	// Header holds the request headers; the credential in Authorization is replaced by
	// "[redacted]" so a recorded request never carries a secret.
	Header         http.Header
	Authorized     bool      // the bearer token was accepted
	Fault          FaultKind // the fault applied, None for a normal answer
	Status         int       // the status sent; 0 when none was (dropped, or still running)
	ResponseHeader http.Header
	Bytes          int64 // response body bytes written
}

// Preferences returns the request's Prefer header as name -> value with quotes removed, e.g.
// {"outlook.timezone": "UTC", "odata.maxpagesize": "100"}, merging repeated Prefer headers.
func (r Request) Preferences() map[string]string { return parsePrefer(r.Header.Values("Prefer")) }

// Requests returns a copy of every request recorded since the start or the last ResetRequests,
// in arrival order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		out[i] = *r
	}
	return out
}

// ResetRequests forgets the recorded requests.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

type recordKey struct{}

// ServeHTTP records the request and dispatches it. It is exported only because Server is an
// http.Handler; tests talk to the server over the network.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.enter() {
		http.Error(w, "fakegraph: server closed", http.StatusServiceUnavailable)
		return
	}
	defer s.handlers.Done()
	header := r.Header.Clone()
	if auth := header.Get("Authorization"); auth != "" {
		scheme, _, _ := strings.Cut(auth, " ")
		header.Set("Authorization", scheme+" [redacted]")
	}
	rec := &Request{
		Time:   s.now(),
		Method: r.Method,
		Host:   r.Host,
		Path:   r.URL.Path,
		Query:  r.URL.Query(),
		Header: header,
	}
	s.mu.Lock()
	s.requests = append(s.requests, rec)
	s.mu.Unlock()
	rw := &recorder{ResponseWriter: w, s: s, rec: rec}
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			// A bug in the fake must not look like a hang or a dropped connection to the client
			// under test: answer like Graph's own internal errors do.
			if !rw.wroteHeader {
				s.writeError(rw, r, &graphError{status: http.StatusInternalServerError, code: "generalException",
					message: fmt.Sprintf("fakegraph internal error: %v", p)})
			}
		}
	}()
	s.mux.ServeHTTP(rw, r.WithContext(context.WithValue(r.Context(), recordKey{}, rec)))
}

// recorder notes status and size in the Request as they are written, before the bytes reach
// the client, so a test that has read a response always finds it recorded.
type recorder struct {
	http.ResponseWriter
	s           *Server
	rec         *Request
	wroteHeader bool
}

func (w *recorder) WriteHeader(code int) {
	if w.wroteHeader {
		return
	}
	w.wroteHeader = true
	w.s.mu.Lock()
	w.rec.Status = code
	w.rec.ResponseHeader = w.Header().Clone()
	w.s.mu.Unlock()
	w.ResponseWriter.WriteHeader(code)
}

func (w *recorder) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	w.s.mu.Lock()
	w.rec.Bytes += int64(len(p))
	w.s.mu.Unlock()
	return w.ResponseWriter.Write(p)
}

// Hijack lets the dropped-connection fault take the connection over.
func (w *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("fakegraph: connection cannot be hijacked")
	}
	return h.Hijack()
}

func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// tokenError carries Graph's own wording of a token rejection, which is the body's message.
type tokenError string

func (e tokenError) Error() string { return string(e) }

// checkToken checks the bearer token; the error's text is the message of the 401.
func (s *Server) checkToken(r *http.Request) error {
	auth := r.Header.Get("Authorization")
	scheme, token, _ := strings.Cut(auth, " ")
	token = strings.TrimSpace(token)
	if auth == "" || token == "" {
		return tokenError("Access token is empty.")
	}
	if !strings.EqualFold(scheme, "Bearer") {
		return tokenError("Access token validation failure: the Authorization header does not carry a Bearer token.")
	}
	if s.authorize != nil {
		return s.authorize(token)
	}
	if token != s.token {
		return tokenError("Access token validation failure. Invalid audience.")
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand panics itself if the OS source is broken)
	return hex.EncodeToString(b)
}

// selfSigned makes a short-lived certificate for the loopback names.
func selfSigned() (tls.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	// Real time, not Options.Now: the client's TLS stack checks validity against the wall clock.
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{"caltray fakegraph"}, CommonName: "localhost"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(7 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, certPEM, nil
}
