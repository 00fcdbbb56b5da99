package auth

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"caltray/sync/fakegraph"
	"caltray/sync/internal/tempdir"
)

// testClientID is the app registration the fake identity platform knows.
const testClientID = "3f1c2a9e-5b7d-4e8f-9a0b-1c2d3e4f5a6b"

// memKeyring is an in-memory Keyring. fail, when set, is returned by every call, and failSet
// by every Set; block, when set, makes every call wait until it is closed.
type memKeyring struct {
	mu      sync.Mutex
	entries map[[2]string]string
	fail    error
	failSet error
	block   chan struct{}
	calls   int
}

func newMemKeyring() *memKeyring { return &memKeyring{entries: map[[2]string]string{}} }

func (k *memKeyring) enter() error {
	k.mu.Lock()
	k.calls++
	block, fail := k.block, k.fail
	k.mu.Unlock()
	if block != nil {
		<-block
	}
	return fail
}

func (k *memKeyring) Get(service, entry string) (string, error) {
	if err := k.enter(); err != nil {
		return "", err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.entries[[2]string{service, entry}]
	if !ok {
		return "", ErrNotFound
	}
	return v, nil
}

func (k *memKeyring) Set(service, entry, secret string) error {
	if err := k.enter(); err != nil {
		return err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.failSet != nil {
		return k.failSet
	}
	k.entries[[2]string{service, entry}] = secret
	return nil
}

func (k *memKeyring) Delete(service, entry string) error {
	if err := k.enter(); err != nil {
		return err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.entries[[2]string{service, entry}]; !ok {
		return ErrNotFound
	}
	delete(k.entries, [2]string{service, entry})
	return nil
}

func (k *memKeyring) callCount() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.calls
}

func (k *memKeyring) len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.entries)
}

// offsetClock is the fake identity platform's clock: real time plus an offset the test moves.
type offsetClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *offsetClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *offsetClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// world is a fake Graph with its identity platform on loopback TLS.
type world struct {
	srv   *fakegraph.Server
	id    *fakegraph.Identity
	clock *offsetClock
}

func newWorld(t *testing.T) *world {
	t.Helper()
	return newWorldWith(t, fakegraph.IdentityOptions{})
}

// newWorldWith is newWorld with its identity platform's options (the client ID and clock are
// the world's).
func newWorldWith(t *testing.T, opts fakegraph.IdentityOptions) *world {
	t.Helper()
	clock := &offsetClock{}
	opts.ClientID, opts.Now = testClientID, clock.Now
	id := fakegraph.NewIdentity(opts)
	srv, err := fakegraph.NewTLS(fakegraph.Options{Authorize: id.Authorize, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	id.Mount(srv)
	t.Cleanup(srv.Close)
	return &world{srv: srv, id: id, clock: clock}
}

// config returns a Config for w with its own directory and the given keyring.
func (w *world) config(t *testing.T, kr Keyring, log io.Writer) Config {
	t.Helper()
	if log == nil {
		log = io.Discard
	}
	client := w.srv.Client()
	t.Cleanup(client.CloseIdleConnections)
	return Config{
		ClientID:       testClientID,
		Authority:      fakegraph.IdentityAuthority(w.srv),
		GraphURL:       w.srv.URL(),
		Dir:            tempdir.New(t),
		Keyring:        kr,
		KeyringService: "caltray-test-" + strings.ReplaceAll(t.Name(), "/", "-"),
		HTTPClient:     client,
		Logger:         slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
}

// deviceCodeMessage finds the verification page and the user code in the device code message.
var deviceCodeMessage = regexp.MustCompile(`open the page (\S+) and enter the code ([A-Z]+)`)

// deviceUser is the io.Writer SignIn prints the device code message to: it plays the user who
// reads the message, once, and then does act (usually approve: enter the code on the page).
type deviceUser struct {
	act func(page, code string) error

	mu   sync.Mutex
	buf  bytes.Buffer
	done bool
	err  error // act's failure: SignIn ignores its writer's errors
}

func (u *deviceUser) Write(p []byte) (int, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.buf.Write(p)
	if m := deviceCodeMessage.FindStringSubmatch(u.buf.String()); m != nil && !u.done {
		u.done = true
		u.err = u.act(m[1], m[2])
	}
	return len(p), nil
}

func (u *deviceUser) String() string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.buf.String()
}

func (u *deviceUser) actErr() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.err
}

// approve enters the code on the verification page through client.
func approve(client *http.Client) func(page, code string) error {
	return func(page, code string) error {
		resp, err := client.PostForm(page, url.Values{"user_code": {code}})
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			body, _ := io.ReadAll(resp.Body)
			return errors.New("devicelogin: " + resp.Status + " " + string(body))
		}
		return nil
	}
}

// signInDeviceCode signs s in with the device code flow, the test playing the user.
func signInDeviceCode(t *testing.T, w *world, s *Session) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out := &deviceUser{act: approve(w.srv.Client())}
	if err := s.SignIn(ctx, out, true); err != nil {
		t.Fatalf("SignIn: %v (the user's approval: %v)\noutput: %s", err, out.actErr(), out)
	}
	return out.String()
}
