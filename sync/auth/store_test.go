package auth

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	calsync "caltray/sync"
	"caltray/sync/internal/tempdir"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"
)

func TestSealOpen(t *testing.T) {
	key := bytes.Repeat([]byte{7}, keySize)
	other := bytes.Repeat([]byte{8}, keySize)
	blob := []byte(`{"RefreshToken":{"k":{"secret":"s3cr3t"}}}`)
	sealed, err := seal(key, blob, "caltray")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("s3cr3t")) {
		t.Fatal("the sealed cache contains the plaintext")
	}
	// Every seal draws a fresh nonce: two seals of one blob share no nonce and no ciphertext.
	again, err := seal(key, blob, "caltray")
	if err != nil {
		t.Fatal(err)
	}
	head := len(sealedMagic) + 12
	if bytes.Equal(sealed[len(sealedMagic):head], again[len(sealedMagic):head]) || bytes.Equal(sealed[head:], again[head:]) {
		t.Fatal("two seals of the same blob reuse the nonce")
	}
	flipped := bytes.Clone(sealed)
	flipped[len(flipped)-1] ^= 1
	tests := []struct {
		name    string
		key     []byte
		sealed  []byte
		service string
		wantErr string
	}{
		{"round trip", key, sealed, "caltray", ""},
		{"another key", other, sealed, "caltray", "not sealed with the keyring's key"},
		{"another service", key, sealed, "caltray-other", "not sealed with the keyring's key"},
		{"tampered", key, flipped, "caltray", "not sealed with the keyring's key"},
		{"truncated", key, sealed[:20], "caltray", "not a sealed token cache"},
		{"empty", key, nil, "caltray", "not a sealed token cache"},
		{"another format", key, append([]byte("CTK9"), sealed[4:]...), "caltray", "not a sealed token cache"},
		{"too large", key, make([]byte, maxCacheSize+1), "caltray", "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := open(tt.key, tt.sealed, tt.service)
			if tt.wantErr == "" {
				if err != nil || !bytes.Equal(got, blob) {
					t.Fatalf("open = %q, %v; want the blob", got, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("open error = %v; want %q", err, tt.wantErr)
			}
		})
	}
}

// blobCache stands for MSAL's cache in Replace and Export.
type blobCache struct{ data []byte }

func (c *blobCache) Marshal() ([]byte, error) { return c.data, nil }
func (c *blobCache) Unmarshal(b []byte) error {
	c.data = bytes.Clone(b)
	return nil
}

// keyrings are the keyrings a store test runs against: an in-memory one, and the real Secret
// Service, whose subtest skips (saying why) unless scripts/with-desktop.sh provides one.
var keyrings = []struct {
	name   string
	kr     func() Keyring
	secret bool // needs the real Secret Service
}{
	{"memory", func() Keyring { return newMemKeyring() }, false},
	{"secret-service", func() Keyring { return SystemKeyring{} }, true},
}

// testStore returns a store whose directory does not exist yet, as on a first sign-in.
func testStore(t *testing.T, kr Keyring) *tokenStore {
	t.Helper()
	cfg := Config{Keyring: kr, KeyringService: "caltray-test-" + strings.ReplaceAll(t.Name(), "/", "-"),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	st := newTokenStore(cfg, filepath.Join(tempdir.New(t), "caltray"))
	t.Cleanup(func() { kr.Delete(st.service, keyEntry) })
	return st
}

func randomBlob(t *testing.T, n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// TestStoreLifecycle stores, loads, replaces and deletes a cache, 20 KB among them.
func TestStoreLifecycle(t *testing.T) {
	for _, k := range keyrings {
		t.Run(k.name, func(t *testing.T) {
			if k.secret {
				requireSecretService(t)
			}
			kr := k.kr()
			ctx := context.Background()
			signIn := duringSignIn(ctx)
			st := testStore(t, kr)
			mem := &blobCache{data: []byte("stale")}
			if err := st.Replace(ctx, mem, cache.ReplaceHints{}); err != nil || string(mem.data) != emptyCache {
				t.Fatalf("Replace with nothing stored: %q, %v; want an empty cache", mem.data, err)
			}
			for _, size := range []int{100, 20 << 10, 3000} { // store, then replace twice
				blob := randomBlob(t, size)
				if err := st.Export(signIn, &blobCache{data: blob}, cache.ExportHints{}); err != nil || st.lastSaveErr() != nil {
					t.Fatalf("Export %d bytes: %v, %v", size, err, st.lastSaveErr())
				}
				mem := &blobCache{}
				if err := st.Replace(ctx, mem, cache.ReplaceHints{}); err != nil || !bytes.Equal(mem.data, blob) {
					t.Fatalf("Replace after Export of %d bytes: got %d bytes, %v", size, len(mem.data), err)
				}
			}
			info, err := os.Stat(st.path())
			if err != nil || info.Mode().Perm() != 0o600 {
				t.Fatalf("sealed file: %v, %v; want mode 0600", info, err)
			}
			if info, err := os.Stat(st.dir); err != nil || info.Mode().Perm() != 0o700 {
				t.Fatalf("directory: %v, %v; want mode 0700", info, err)
			}
			secret, err := kr.Get(st.service, keyEntry)
			if err != nil || len(secret) > 64 {
				t.Fatalf("keyring entry: %d bytes, %v; want a key that fits every keyring", len(secret), err)
			}
			if err := st.clear(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := kr.Get(st.service, keyEntry); !errors.Is(err, ErrNotFound) {
				t.Errorf("after clear the keyring entry remains (%v)", err)
			}
			if _, err := os.Stat(st.path()); !os.IsNotExist(err) {
				t.Errorf("after clear the sealed file remains (%v)", err)
			}
			mem = &blobCache{data: []byte("stale")}
			if err := st.Replace(ctx, mem, cache.ReplaceHints{}); err != nil || string(mem.data) != emptyCache {
				t.Errorf("Replace after clear: %q, %v; want an empty cache", mem.data, err)
			}
		})
	}
}

// TestStoreInterruptedWrite: the leftover of a write that stopped before its rename is ignored
// by readers and removed once it is stale.
func TestStoreInterruptedWrite(t *testing.T) {
	ctx := duringSignIn(context.Background())
	st := testStore(t, newMemKeyring())
	old := randomBlob(t, 20<<10)
	if err := st.Export(ctx, &blobCache{data: old}, cache.ExportHints{}); err != nil {
		t.Fatal(err)
	}
	// A write that stopped before its rename (calsync.WriteFileAtomic's own test covers that it
	// leaves the target alone) leaves a temporary file of its naming next to the sealed cache.
	leftover := filepath.Join(st.dir, calsync.TempPrefix(sealedName)+"4711")
	if err := os.WriteFile(leftover, randomBlob(t, 20<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	mem := &blobCache{}
	if err := st.Replace(ctx, mem, cache.ReplaceHints{}); err != nil || !bytes.Equal(mem.data, old) {
		t.Fatalf("after the interrupted write Replace got %d bytes, %v; want the previous cache", len(mem.data), err)
	}
	// Leftovers older than calsync.StaleTempAge go with the next write; a sign-out removes any.
	past := time.Now().Add(-calsync.StaleTempAge - time.Minute)
	os.Chtimes(leftover, past, past)
	if err := st.Export(ctx, &blobCache{data: old}, cache.ExportHints{}); err != nil || st.lastSaveErr() != nil {
		t.Fatal(err, st.lastSaveErr())
	}
	if _, err := os.Stat(leftover); !os.IsNotExist(err) {
		t.Errorf("the stale leftover was not removed (%v)", err)
	}
}

// TestStoreDamage: a cache that cannot be opened is reported and treated as no sign-in.
func TestStoreDamage(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, st *tokenStore, kr *memKeyring)
	}{
		{"file overwritten", func(t *testing.T, st *tokenStore, _ *memKeyring) {
			os.WriteFile(st.path(), []byte("garbage"), 0o600)
		}},
		{"key replaced", func(t *testing.T, st *tokenStore, kr *memKeyring) {
			kr.Set(st.service, keyEntry, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			kr := newMemKeyring()
			st := testStore(t, kr)
			st.Export(duringSignIn(ctx), &blobCache{data: []byte(`{"x":1}`)}, cache.ExportHints{})
			if st.lastSaveErr() != nil {
				t.Fatal(st.lastSaveErr())
			}
			tt.damage(t, st, kr)
			mem := &blobCache{data: []byte("stale")}
			if err := st.Replace(ctx, mem, cache.ReplaceHints{}); err != nil || string(mem.data) != emptyCache {
				t.Fatalf("Replace of a damaged cache: %q, %v; want an empty cache", mem.data, err)
			}
			if !errors.Is(st.readFailure(), errUnreadable) {
				t.Errorf("readFailure = %v; want errUnreadable", st.readFailure())
			}
		})
	}
}

// TestStoreKeyOnlyAtSignIn: outside a sign-in, a write without a key (signed out by another
// process since) writes nothing.
func TestStoreKeyOnlyAtSignIn(t *testing.T) {
	ctx := context.Background()
	kr := newMemKeyring()
	st := testStore(t, kr)
	if err := st.Export(ctx, &blobCache{data: []byte(`{"x":1}`)}, cache.ExportHints{}); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(st.lastSaveErr(), errNoKey) || kr.len() != 0 {
		t.Fatalf("lastSaveErr = %v, keyring entries %d; want errNoKey and none", st.lastSaveErr(), kr.len())
	}
	if _, err := os.Stat(st.path()); !os.IsNotExist(err) {
		t.Fatalf("a cache was written without a key (%v)", err)
	}
}

// TestStoreWithoutKeyring: a keyring that fails or does not answer turns the store
// memory-only: MSAL keeps its cache, nothing is written, and the error says what to do.
func TestStoreWithoutKeyring(t *testing.T) {
	tests := []struct {
		name    string
		kr      func() *memKeyring
		wantMsg string
	}{
		{"no secret service", func() *memKeyring {
			k := newMemKeyring()
			k.fail = errors.New("The name org.freedesktop.secrets was not provided by any .service files")
			return k
		}, "OS keyring is not available (The name org.freedesktop.secrets"},
		{"locked, prompt unanswered", func() *memKeyring {
			k := newMemKeyring()
			k.block = make(chan struct{})
			return k
		}, "did not answer in time (is it waiting for you to unlock it?)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			kr := tt.kr()
			st := testStore(t, kr)
			if kr.block != nil {
				// Registered after testStore's cleanup, so it runs first: it lets the abandoned
				// call finish and the keyring answer the cleanup.
				t.Cleanup(func() { close(kr.block) })
			}
			st.timeout, st.signInTimeout = 20*time.Millisecond, 20*time.Millisecond
			mem := &blobCache{data: []byte("in memory")}
			start := time.Now()
			if err := st.Replace(ctx, mem, cache.ReplaceHints{}); err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("Replace took %v with a 20ms keyring deadline", d)
			}
			if string(mem.data) != "in memory" {
				t.Errorf("Replace changed MSAL's in-memory cache to %q", mem.data)
			}
			ke := st.memoryOnly()
			if !errors.Is(ke, calsync.ErrNoKeyring) || !strings.Contains(ke.Error(), tt.wantMsg) || !strings.Contains(ke.Error(), "gnome-keyring") {
				t.Errorf("memoryOnly = %v; want ErrNoKeyring saying %q and how to fix it", ke, tt.wantMsg)
			}
			calls := kr.callCount()
			if err := st.Export(duringSignIn(ctx), &blobCache{data: []byte(`{"x":1}`)}, cache.ExportHints{}); err != nil {
				t.Fatal(err)
			}
			st.Replace(ctx, mem, cache.ReplaceHints{})
			if kr.callCount() != calls {
				t.Errorf("a memory-only store still calls the keyring")
			}
			if _, err := os.Stat(st.dir); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("a memory-only store created %s or wrote in it (%v)", st.dir, err)
			}
		})
	}
}

// TestStoreDeadline: only a sign-in's calls get the long keyring deadline; a token request
// running meanwhile keeps the short one.
func TestStoreDeadline(t *testing.T) {
	st := testStore(t, newMemKeyring())
	tests := []struct {
		name string
		ctx  context.Context
		want time.Duration
	}{
		{"token request", context.Background(), DefaultKeyringTimeout},
		{"sign-in", duringSignIn(context.Background()), SignInKeyringTimeout},
		{"derived from a sign-in's", func() context.Context {
			ctx, cancel := context.WithTimeout(duringSignIn(context.Background()), time.Hour)
			t.Cleanup(cancel)
			return ctx
		}(), SignInKeyringTimeout},
	}
	for _, tt := range tests {
		if got := st.deadline(tt.ctx); got != tt.want {
			t.Errorf("%s: deadline %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestStoreClearAfterKeyringFailure: a store that went memory-only still removes a key an
// earlier run saved, once the keyring answers again.
func TestStoreClearAfterKeyringFailure(t *testing.T) {
	ctx := context.Background()
	kr := newMemKeyring()
	st := testStore(t, kr)
	st.Export(duringSignIn(ctx), &blobCache{data: []byte(`{"x":1}`)}, cache.ExportHints{})
	if st.lastSaveErr() != nil || kr.len() != 1 {
		t.Fatalf("save: %v, %d keyring entries", st.lastSaveErr(), kr.len())
	}
	kr.mu.Lock()
	kr.fail = errors.New("the keyring is locked")
	kr.mu.Unlock()
	st.Replace(ctx, &blobCache{}, cache.ReplaceHints{})
	if st.memoryOnly() == nil {
		t.Fatal("the store did not go memory-only")
	}
	if err := st.clear(ctx); !errors.Is(err, calsync.ErrNoKeyring) {
		t.Errorf("clear with the keyring failing: %v; want the keyring error reported", err)
	}
	if _, err := os.Stat(st.path()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the sealed file survived a clear whose keyring call failed (%v)", err)
	}
	kr.mu.Lock()
	kr.fail = nil
	kr.mu.Unlock()
	if err := st.clear(ctx); err != nil || kr.len() != 0 {
		t.Errorf("clear: %v, %d keyring entries left; want none", err, kr.len())
	}
}

func TestKeyringCall(t *testing.T) {
	t.Run("parent cancelled is not a keyring failure", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		release := make(chan struct{})
		defer close(release)
		_, err := keyringCall(ctx, time.Minute, "read", func() (string, error) { <-release; return "", nil })
		var ke *KeyringError
		if !errors.Is(err, context.Canceled) || errors.As(err, &ke) {
			t.Fatalf("err = %v; want context.Canceled, not a KeyringError", err)
		}
	})
	t.Run("not found passes through", func(t *testing.T) {
		_, err := keyringCall(context.Background(), time.Minute, "read", func() (string, error) { return "", ErrNotFound })
		if err != ErrNotFound {
			t.Fatalf("err = %v; want ErrNotFound itself", err)
		}
	})
	t.Run("other errors name the keyring", func(t *testing.T) {
		cause := errors.New("dbus: connection refused")
		_, err := keyringCall(context.Background(), time.Minute, "write", func() (string, error) { return "", cause })
		if !errors.Is(err, cause) || !errors.Is(err, calsync.ErrNoKeyring) || !strings.HasPrefix(err.Error(), "cannot write the sign-in in the OS keyring") {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestSystemKeyring stores, reads, replaces and deletes entries in the real Secret Service,
// with names and secrets in several scripts.
func TestSystemKeyring(t *testing.T) {
	requireSecretService(t)
	kr := SystemKeyring{}
	service := "caltray-test-system-keyring"
	tests := []struct{ entry, secret string }{
		{"alex@contoso.com", "plain"},
		{"jürgen.müller@beispiel.de", "Grüße, ß und Ä"},
		{"李雷@例子.公司", "秘密の値"},
		{"Ölçü Şahin 📅", "emoji 🔑 secret"},
		{`O'Brien "quoted" \ name`, `{"json": "in a secret"}`},
	}
	for _, tt := range tests {
		t.Run(tt.entry, func(t *testing.T) {
			t.Cleanup(func() { kr.Delete(service, tt.entry) })
			if err := kr.Set(service, tt.entry, tt.secret); err != nil {
				t.Fatal(err)
			}
			if got, err := kr.Get(service, tt.entry); err != nil || got != tt.secret {
				t.Fatalf("Get = %q, %v; want %q", got, err, tt.secret)
			}
			if err := kr.Set(service, tt.entry, tt.secret+" v2"); err != nil {
				t.Fatal(err)
			}
			if got, err := kr.Get(service, tt.entry); err != nil || got != tt.secret+" v2" {
				t.Fatalf("Get after replace = %q, %v", got, err)
			}
			if err := kr.Delete(service, tt.entry); err != nil {
				t.Fatal(err)
			}
			if _, err := kr.Get(service, tt.entry); !errors.Is(err, ErrNotFound) {
				t.Fatalf("Get after Delete: %v; want ErrNotFound", err)
			}
		})
	}
	// The entries are separate: other names never see each other's secrets.
	for _, tt := range tests {
		kr.Set(service, tt.entry, tt.secret)
		defer kr.Delete(service, tt.entry)
	}
	for _, tt := range tests {
		if got, err := kr.Get(service, tt.entry); err != nil || got != tt.secret {
			t.Errorf("%s: Get = %q, %v; want %q", tt.entry, got, err, tt.secret)
		}
	}
}
