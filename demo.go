package main

// The demo's account: `caltray --demo` signs in, out and in again like the real app, against
// the simulated identity platform, so the sign-in window can be tried without an account.

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"sync"
	"time"

	calsync "caltray/sync"
	"caltray/sync/auth"
	"caltray/sync/fakegraph"
	"caltray/ui/tray"
)

// demoClientID is the demo's app registration: the simulated identity platform takes any.
const demoClientID = "00000000-0000-4000-8000-00000000cafe"

// demoCodeDelay is how long the demo's simulated person takes to enter a device code.
const demoCodeDelay = 3 * time.Second

// A demoAccount is the demo's sign-in: a Session against the simulated identity platform
// (served over TLS, as the real one is, on a server of its own), with tokens in memory and its
// files in a temporary directory, and a simulated person who finishes a browser sign-in at once
// and enters a device code after demoCodeDelay.
type demoAccount struct {
	id   *fakegraph.Identity
	srv  *fakegraph.Server
	sess *auth.Session
	dir  string
	wg   sync.WaitGroup
	log  *slog.Logger
}

// newDemoIdentity returns the simulated identity platform whose tokens the demo's Graph takes
// (pass its Authorize to the Graph's Options).
func newDemoIdentity() *fakegraph.Identity { return fakegraph.NewIdentity(fakegraph.IdentityOptions{}) }

// newDemoAccount starts the identity platform's server for id, whose tokens graph accepts, and
// a Session on it. Close releases both.
func newDemoAccount(id *fakegraph.Identity, graph *fakegraph.Server, log *slog.Logger) (*demoAccount, error) {
	srv, err := fakegraph.NewTLS(fakegraph.Options{})
	if err != nil {
		return nil, fmt.Errorf("start the simulated identity platform: %w", err)
	}
	id.Mount(srv)
	g, _ := url.Parse(graph.URL())
	id.SetAudience(g.Scheme + "://" + g.Host)
	dir, err := os.MkdirTemp("", "caltray-demo-account-")
	if err != nil {
		srv.Close()
		return nil, err
	}
	d := &demoAccount{id: id, srv: srv, dir: dir, log: log}
	d.sess, err = auth.Open(auth.Config{ClientID: demoClientID, Authority: fakegraph.IdentityAuthority(srv),
		GraphURL: graph.URL(), Dir: dir, Keyring: newMemoryKeyring(), HTTPClient: srv.Client(),
		OpenBrowser: d.browse, Logger: log})
	if err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// SignIn is tray.Options.SignIn for the demo.
func (d *demoAccount) SignIn(ctx context.Context, req tray.SignInRequest) error {
	progress := req.Progress
	return d.sess.SignInWith(ctx, auth.SignInOptions{DeviceCode: req.DeviceCode, ClientID: req.ClientID, Tenant: req.Tenant,
		Progress: func(p calsync.SignInProgress) {
			if progress != nil {
				progress(p)
			}
			if p.UserCode != "" {
				code := p.UserCode
				d.wg.Go(func() {
					select {
					case <-time.After(demoCodeDelay): // the person types the code
						if err := d.id.ApproveDeviceCode(code); err != nil {
							d.log.Warn("demo: the simulated person could not enter the code", "err", err)
						}
					case <-ctx.Done():
					}
				})
			}
		}})
}

// browse is the demo's browser: the simulated person is signed in to the simulated identity
// platform already, so the sign-in page answers with a form that carries the code to caltray's
// loopback redirect, which the browser submits.
func (d *demoAccount) browse(authorizeURL string) error {
	d.wg.Go(func() {
		if err := d.submit(authorizeURL); err != nil {
			d.log.Warn("demo: the simulated browser", "err", err)
		}
	})
	return nil
}

var (
	demoFormAction = regexp.MustCompile(`action="([^"]+)"`)
	demoFormInput  = regexp.MustCompile(`name="([^"]+)" value="([^"]*)"`)
)

func (d *demoAccount) submit(authorizeURL string) error {
	client := d.srv.Client()
	defer client.CloseIdleConnections()
	resp, err := client.Get(authorizeURL)
	if err != nil {
		return err
	}
	page, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	action := demoFormAction.FindSubmatch(page)
	if action == nil {
		return fmt.Errorf("the sign-in page answered %s", resp.Status)
	}
	form := url.Values{}
	for _, m := range demoFormInput.FindAllSubmatch(page, -1) {
		form.Set(string(m[1]), string(m[2]))
	}
	local := &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 10 * time.Second}
	defer local.CloseIdleConnections()
	resp, err = local.PostForm(string(action[1]), form)
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

// Close ends the simulated person, the identity platform and the account's files.
func (d *demoAccount) Close() {
	d.srv.Close()
	d.wg.Wait()
	os.RemoveAll(d.dir)
}

// memoryKeyring is an auth.Keyring in memory: the demo's sign-in lasts one run.
type memoryKeyring struct {
	mu sync.Mutex
	m  map[string]string
}

func newMemoryKeyring() *memoryKeyring { return &memoryKeyring{m: map[string]string{}} }

func (k *memoryKeyring) Get(service, entry string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.m[service+"\x00"+entry]
	if !ok {
		return "", auth.ErrNotFound
	}
	return v, nil
}

func (k *memoryKeyring) Set(service, entry, secret string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.m[service+"\x00"+entry] = secret
	return nil
}

func (k *memoryKeyring) Delete(service, entry string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.m[service+"\x00"+entry]; !ok {
		return auth.ErrNotFound
	}
	delete(k.m, service+"\x00"+entry)
	return nil
}

// demoSignIn gives the demo tray its account (demoAccount): the loop's token comes from it,
// the tray's Sign in… and Sign out drive it, and it is signed in at start, so the demo opens on
// its agenda as before. close releases it after the tray has ended; code is the exit code of a
// failure to start it.
func demoSignIn(id *fakegraph.Identity, fake *fakegraph.Server, opts *loopOptions, uiOpts *tray.Options, log *slog.Logger, stderr io.Writer) (close func(), code int) {
	acct, err := newDemoAccount(id, fake, log)
	if err != nil {
		fmt.Fprintf(stderr, "caltray: %v\n", err)
		return nil, exitSync
	}
	p, err := auth.Provider(acct.sess, fake.URL())
	if err != nil {
		acct.Close()
		fmt.Fprintf(stderr, "caltray: %v\n", err)
		return nil, exitSync
	}
	opts.Auth, opts.AuthState = p, acct.sess.State
	uiOpts.SignIn = acct.SignIn
	uiOpts.SignOut = func() error { return acct.sess.SignOut(context.Background()) }
	uiOpts.NeedsClientID = acct.sess.NeedsClientID
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := acct.SignIn(ctx, tray.SignInRequest{}); err != nil {
		log.Warn("demo: the simulated sign-in at start failed; Sign in… tries again", "err", err)
	}
	return acct.Close, exitOK
}
