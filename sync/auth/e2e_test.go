package auth

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	calsync "caltray/sync"
	"caltray/sync/fakegraph"
	"caltray/sync/internal/tempdir"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// syncBuffer is a log destination shared by goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// ageCache makes d pass for the cached access tokens, as it passes on the fake's clock: MSAL
// judges expiry by the real clock and the cache's timestamps, which no test may wait out.
func ageCache(t *testing.T, cfg Config, d time.Duration) {
	t.Helper()
	dir, err := cfg.dir()
	if err != nil {
		t.Fatal(err)
	}
	st := newTokenStore(cfg, dir)
	ctx := context.Background()
	st.mu.Lock()
	defer st.mu.Unlock()
	blob, err := st.loadLocked(ctx)
	if err != nil || blob == nil {
		t.Fatalf("load the cache to age it: %v (blob %d bytes)", err, len(blob))
	}
	var c map[string]json.RawMessage
	if err := json.Unmarshal(blob, &c); err != nil {
		t.Fatal(err)
	}
	var ats map[string]map[string]any
	if err := json.Unmarshal(c["AccessToken"], &ats); err != nil || len(ats) == 0 {
		t.Fatalf("no access tokens in the cache (%v)", err)
	}
	for _, at := range ats {
		for _, k := range []string{"cached_at", "expires_on", "extended_expires_on", "refresh_on"} {
			s, ok := at[k].(string)
			if !ok {
				continue
			}
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				t.Fatalf("%s = %q: %v", k, s, err)
			}
			at[k] = strconv.FormatInt(n-int64(d/time.Second), 10)
		}
	}
	if c["AccessToken"], err = json.Marshal(ats); err != nil {
		t.Fatal(err)
	}
	if blob, err = json.Marshal(c); err != nil {
		t.Fatal(err)
	}
	if err := st.saveLocked(ctx, blob); err != nil {
		t.Fatal(err)
	}
}

// scanForSecrets fails the test if any of secrets appears in a file under root or in a log.
func scanForSecrets(t *testing.T, secrets []string, root string, logs map[string]string) {
	t.Helper()
	if len(secrets) == 0 {
		t.Fatal("no tokens to look for")
	}
	check := func(where, content string) {
		for _, s := range secrets {
			if strings.Contains(content, s) {
				kind := "an access or ID token, or the cache key"
				if strings.HasPrefix(s, "fakeRT.") {
					kind = "a refresh token"
				}
				t.Errorf("%s holds %s", where, kind)
			}
		}
	}
	files := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		check(path, string(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, l := range logs {
		check(name, l)
	}
	t.Logf("scanned %d files and %d logs for %d tokens", files, len(logs), len(secrets))
}

// listFiles returns the files under dir, relative, sorted.
func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, path)
			out = append(out, rel)
		}
		return nil
	})
	return out
}

// TestEndToEnd walks a sign-in's life against the fake identity platform and the real Secret
// Service, in several processes: device-code sign-in -> tokens only in the keyring -> a new
// process gets a token silently and reads the agenda -> the access token expires and is
// refreshed silently -> two processes race to refresh -> the refresh token is revoked -> sign-in
// needed, without a retry storm -> signout leaves no keyring entry.
func TestEndToEnd(t *testing.T) {
	requireSecretService(t)
	w := newWorld(t)
	root, env := processHome(t, w)
	logs := &syncBuffer{}
	cfg := w.config(t, SystemKeyring{}, logs)
	cfg.Dir = filepath.Join(root, "config", "caltray") // what os.UserConfigDir gives the helpers
	t.Cleanup(func() { SystemKeyring{}.Delete(cfg.KeyringService, keyEntry) })
	helperLogs := map[string]string{}
	spec := helperSpec{Action: "token", Service: cfg.KeyringService, Authority: cfg.Authority, GraphURL: cfg.GraphURL}
	helper := func(name string) helperResult {
		cmd, out, errb := runHelper(t, spec, env)
		res := finishHelper(t, cmd, out, errb)
		helperLogs[name+" stdout"], helperLogs[name+" stderr"] = out.String(), errb.String()
		return res
	}
	ctx := context.Background()

	// Sign in with the device code, as `caltray signin --device-code` does.
	s, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	signInDeviceCode(t, w, s)
	issued := w.id.IssuedTokens()
	if len(issued) != 3 {
		t.Fatalf("sign-in issued %d tokens, want access, ID and refresh token", len(issued))
	}
	signInAT := issued[0]
	if got := listFiles(t, root); strings.Join(got, ",") != "config/caltray/account.json,config/caltray/tokencache.sealed,fake-ca.pem" {
		t.Errorf("files after sign-in: %v", got)
	}
	for _, f := range []string{"account.json", "tokencache.sealed"} {
		if info, err := os.Stat(filepath.Join(cfg.Dir, f)); err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, err %v; want 0600", f, info.Mode().Perm(), err)
		}
	}
	if _, err := (SystemKeyring{}).Get(cfg.KeyringService, keyEntry); err != nil {
		t.Fatalf("the cache key is not in the Secret Service: %v", err)
	}

	// A new process: the cached access token, without asking the identity platform.
	res := helper("silent")
	if res.Err != "" || res.TokenSHA256 != sha(signInAT) || !res.AgendaOK || res.AgendaEvents == 0 {
		t.Fatalf("silent token in a new process: %+v", res)
	}
	if n := w.id.TokenRequests("refresh_token"); n != 0 {
		t.Errorf("the cached token cost %d refresh requests", n)
	}

	// Two hours pass: the access token is expired for Graph and for the cache; the next process
	// redeems the refresh token, silently.
	w.clock.Advance(2 * time.Hour)
	ageCache(t, cfg, 2*time.Hour)
	if err := w.id.Authorize(signInAT); err == nil {
		t.Fatal("the fake Graph still accepts the expired access token")
	}
	res = helper("refresh")
	if res.Err != "" || res.TokenSHA256 == sha(signInAT) || !res.AgendaOK {
		t.Fatalf("refresh in a new process: %+v", res)
	}
	if n := w.id.TokenRequests("refresh_token"); n != 1 {
		t.Errorf("refresh requests = %d, want 1", n)
	}

	// Two processes race to refresh: both get a working token, and the cache stays readable with
	// one valid token that a third reader uses without refreshing again.
	w.clock.Advance(2 * time.Hour)
	ageCache(t, cfg, 2*time.Hour)
	spec.StartAt = time.Now().Add(300 * time.Millisecond)
	c1, o1, e1 := runHelper(t, spec, env)
	c2, o2, e2 := runHelper(t, spec, env)
	r1, r2 := finishHelper(t, c1, o1, e1), finishHelper(t, c2, o2, e2)
	helperLogs["race 1 stderr"], helperLogs["race 2 stderr"] = e1.String(), e2.String()
	spec.StartAt = time.Time{}
	for i, r := range []helperResult{r1, r2} {
		if r.Err != "" || !r.AgendaOK {
			t.Errorf("racing process %d: %+v", i+1, r)
		}
	}
	refreshes := w.id.TokenRequests("refresh_token")
	res = helper("after race")
	if res.Err != "" || !res.AgendaOK || (res.TokenSHA256 != r1.TokenSHA256 && res.TokenSHA256 != r2.TokenSHA256) {
		t.Errorf("after the race: %+v; want one of the racers' tokens (%s, %s)", res, r1.TokenSHA256, r2.TokenSHA256)
	}
	if n := w.id.TokenRequests("refresh_token"); n != refreshes {
		t.Errorf("reading after the race refreshed again (%d -> %d)", refreshes, n)
	}

	// While the sign-in is saved, no token is anywhere but in the sealed cache, and the cache
	// key nowhere but in the keyring.
	helperLogs["this process"] = logs.String()
	encKey, err := (SystemKeyring{}).Get(cfg.KeyringService, keyEntry)
	if err != nil {
		t.Fatal(err)
	}
	rawKey, err := base64.StdEncoding.DecodeString(encKey)
	if err != nil {
		t.Fatal(err)
	}
	scanForSecrets(t, append(w.id.IssuedTokens(), encKey, string(rawKey)), root, helperLogs)

	// The refresh token is revoked: sign-in needed, in a new process and in this one, and asking
	// again does not ask the identity platform again.
	w.id.RevokeRefreshTokens()
	w.clock.Advance(2 * time.Hour)
	ageCache(t, cfg, 2*time.Hour)
	res = helper("revoked")
	if !res.SignInNeeded || res.State != string(calsync.AuthSignInNeeded) || res.AgendaOK {
		t.Errorf("after revocation: %+v; want sign-in needed", res)
	}
	before := w.id.TokenRequests("refresh_token")
	for i := range 3 {
		_, err := s.GetToken(ctx, policy.TokenRequestOptions{})
		if !errors.Is(err, calsync.ErrSignInNeeded) {
			t.Fatalf("GetToken %d after revocation: %v; want ErrSignInNeeded", i, err)
		}
		if !strings.Contains(err.Error(), "invalid_grant") {
			t.Errorf("the error does not say why: %v", err)
		}
	}
	if n := w.id.TokenRequests("refresh_token") - before; n != 1 {
		t.Errorf("3 token requests after revocation cost %d refresh requests, want 1", n)
	}
	if st, msg := s.State(); st != calsync.AuthSignInNeeded || !strings.Contains(msg, "caltray signin") {
		t.Errorf("State = %s, %q", st, msg)
	}

	// Sign out: nothing left in the keyring or on disk.
	var out strings.Builder
	if err := SignOut(ctx, cfg, &out); err != nil {
		t.Fatal(err)
	}
	if _, err := (SystemKeyring{}).Get(cfg.KeyringService, keyEntry); !errors.Is(err, ErrNotFound) {
		t.Errorf("after signout the keyring entry is still there (err %v)", err)
	}
	if got := listFiles(t, cfg.Dir); len(got) != 0 {
		t.Errorf("after signout %s holds %v", cfg.Dir, got)
	}
	res = helper("signed out")
	if !res.SignInNeeded || res.State != string(calsync.AuthSignedOut) {
		t.Errorf("after signout: %+v", res)
	}

	helperLogs["this process"] = logs.String()
	scanForSecrets(t, w.id.IssuedTokens(), root, helperLogs)
}

// TestNoSecretService runs caltray where the session bus does not exist: `caltray signin` says
// what is wrong and how to fix it before asking anything, the in-process sign-in works with
// tokens in memory, and nothing is written.
func TestNoSecretService(t *testing.T) {
	w := newWorld(t)
	root, env := processHome(t, w)
	env = append(env, "DBUS_SESSION_BUS_ADDRESS=unix:path="+filepath.Join(root, "no-such-bus"))
	spec := helperSpec{Action: "nokeyring", Service: "caltray-test-nokeyring", ClientID: testClientID,
		Authority: fakegraph.IdentityAuthority(w.srv), GraphURL: w.srv.URL()}
	cmd, out, errb := runHelper(t, spec, env)
	res := finishHelper(t, cmd, out, errb)
	if res.Err != "" {
		t.Fatalf("helper: %s\nstderr: %s", res.Err, errb)
	}
	if !res.RefusalIsNK {
		t.Errorf("caltray signin's error does not match calsync.ErrNoKeyring: %q", res.Refusal)
	}
	for _, want := range []string{"OS keyring is not available", "gnome-keyring", "KeePassXC"} {
		if !strings.Contains(res.Refusal, want) {
			t.Errorf("caltray signin's error %q does not mention %q", res.Refusal, want)
		}
	}
	if res.State != string(calsync.AuthNoKeyring) || !strings.Contains(res.StateMessage, "this run only") {
		t.Errorf("State = %s, %q; want no-keyring, for this run only", res.State, res.StateMessage)
	}
	if !strings.Contains(res.SignInOutput, "this run only") || !strings.Contains(res.SignInOutput, "gnome-keyring") {
		t.Errorf("the in-memory sign-in does not say it holds for this run only and how to fix it: %q", res.SignInOutput)
	}
	if !res.AgendaOK || res.AgendaEvents == 0 {
		t.Errorf("agenda with the in-memory token: %+v", res)
	}
	if got := listFiles(t, root); strings.Join(got, ",") != "fake-ca.pem" {
		t.Errorf("files written without a keyring: %v", got)
	}
	scanForSecrets(t, w.id.IssuedTokens(), root, map[string]string{"stdout": out.String(), "stderr": errb.String()})
}

// processHome makes a user's home for a child process in a new directory: config, cache and
// home dirs of its own, and the fake's certificate (fake-ca.pem) as the trusted root. It
// returns the directory and the environment that points there.
func processHome(t *testing.T, w *world) (root string, env []string) {
	t.Helper()
	root = tempdir.New(t)
	pem := filepath.Join(root, "fake-ca.pem")
	if err := os.WriteFile(pem, w.srv.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	return root, []string{
		"XDG_CONFIG_HOME=" + filepath.Join(root, "config"),
		"XDG_CACHE_HOME=" + filepath.Join(root, "cache"),
		"HOME=" + filepath.Join(root, "home"),
		"SSL_CERT_FILE=" + pem,
	}
}
