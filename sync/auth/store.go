package auth

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"

	calsync "caltray/sync"
)

const (
	keyEntry     = "token-cache-key"     // the keyring entry holding the cache key
	sealedName   = "tokencache.sealed"   // the sealed cache, next to the account record
	sealedMagic  = "CTK1"                // file format version
	emptyCache   = "{}"                  // what MSAL's cache unmarshals to "no tokens"
	keySize      = 32                    // AES-256
	maxCacheSize = 16 << 20              // a sealed cache larger than this is not ours
	sealedAAD    = "caltray token cache" // binds a sealed file to its purpose and service
)

// tempPrefixes name the temporary files of unfinished writes in the sign-in's directory: those
// of calsync.WriteFileAtomic for the sealed cache and the account record, and the name
// caltray 0.1 used for both.
var tempPrefixes = []string{calsync.TempPrefix(sealedName), calsync.TempPrefix(accountName), ".tokencache-"}

// errNoKey says no cache key is in the keyring: nobody signed in, or someone signed out.
var errNoKey = errors.New("no token cache key in the keyring")

// errUnreadable says the sealed cache exists but cannot be opened with the keyring's key.
var errUnreadable = errors.New("the saved sign-in cannot be read")

// tokenStore is MSAL's cache.ExportReplace for caltray: MSAL's serialized cache sealed with
// AES-256-GCM in a 0600 file, the key in the OS keyring. Writes go to a temporary file that
// replaces the old one by rename, so readers (this process or another caltray) always see a
// whole cache, and an interrupted write leaves the previous one in place.
//
// When the keyring fails, the store turns memory-only for the rest of the run: Replace and
// Export do nothing and MSAL keeps its tokens in memory. Nothing unsealed ever reaches the disk.
//
// Whether a call belongs to an interactive sign-in travels in its context (duringSignIn), not
// in the store: a token request of the sync loop running meanwhile keeps the short deadline and
// never creates a key.
type tokenStore struct {
	kr      Keyring
	service string
	dir     string
	timeout time.Duration
	log     *slog.Logger

	// signInTimeout replaces timeout while the user signs in (and may answer an unlock prompt).
	signInTimeout time.Duration

	// memOnly is the KeyringError that turned the store memory-only; nil while it persists.
	// Atomic, so State can read it while a keyring call holds mu.
	memOnly atomic.Pointer[KeyringError]

	mu       sync.Mutex // serializes loads and saves; held across keyring calls
	saveErr  error      // the last Export's failure, nil after a success
	readFail error      // the last Replace found a cache it could not open
}

func newTokenStore(c Config, dir string) *tokenStore {
	s := &tokenStore{
		kr: c.keyring(), service: c.keyringService(), dir: dir,
		timeout: c.keyringTimeout(), signInTimeout: SignInKeyringTimeout, log: c.log(),
	}
	if c.KeyringTimeout > 0 {
		s.signInTimeout = c.KeyringTimeout // a caller that chose a deadline keeps it
	}
	return s
}

type signInKey struct{}

// duringSignIn marks ctx as an interactive sign-in's: only then may a save create the cache
// key, and keyring calls wait longer (the user is at the keyboard, perhaps answering an unlock
// prompt). MSAL hands the context on to Replace and Export.
func duringSignIn(ctx context.Context) context.Context {
	return context.WithValue(ctx, signInKey{}, true)
}

func isSignIn(ctx context.Context) bool { return ctx.Value(signInKey{}) != nil }

// deadline is the keyring deadline for a call made with ctx.
func (s *tokenStore) deadline(ctx context.Context) time.Duration {
	if isSignIn(ctx) {
		return s.signInTimeout
	}
	return s.timeout
}

func (s *tokenStore) path() string { return filepath.Join(s.dir, sealedName) }

// Replace loads the stored cache into MSAL's (an empty one if nothing usable is stored, so a
// sign-out in another process takes effect here too).
func (s *tokenStore) Replace(ctx context.Context, u cache.Unmarshaler, _ cache.ReplaceHints) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.memoryOnly() != nil {
		return nil
	}
	blob, err := s.loadLocked(ctx)
	s.readFail = nil
	switch {
	case s.toMemory(err):
		return nil
	case errors.Is(err, errUnreadable):
		// Not fatal: the user signs in again and the next write replaces the file.
		s.readFail = err
		s.log.Warn("auth: ignoring the saved sign-in", "reason", err)
		blob = nil
	case err != nil:
		return err
	}
	if blob == nil {
		blob = []byte(emptyCache)
	}
	if err := u.Unmarshal(blob); err != nil {
		// The blob decrypted, so it is ours but from an MSAL that wrote another format.
		s.log.Warn("auth: ignoring a saved token cache MSAL cannot read", "err", err)
		return u.Unmarshal([]byte(emptyCache))
	}
	return nil
}

// Export seals MSAL's cache to disk. A failure to write is logged and kept for SignIn to report
// rather than returned: MSAL would otherwise throw away the token it just got.
func (s *tokenStore) Export(ctx context.Context, m cache.Marshaler, _ cache.ExportHints) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.memoryOnly() != nil {
		return nil
	}
	blob, err := m.Marshal()
	if err != nil {
		return fmt.Errorf("serialize the token cache: %w", err)
	}
	err = s.saveLocked(ctx, blob)
	s.saveErr = nil
	switch {
	case s.toMemory(err):
	case errors.Is(err, errNoKey):
		// Signed out (in another caltray) since this process loaded the cache: the sign-out wins.
		s.log.Info("auth: not saving tokens: the sign-in was removed in the meantime")
		s.saveErr = err
	case err != nil:
		s.log.Warn("auth: could not save the sign-in", "err", err)
		s.saveErr = err
	}
	return nil
}

// toMemory switches the store to memory-only if err is a keyring failure, and reports whether.
func (s *tokenStore) toMemory(err error) bool {
	var ke *KeyringError
	if !errors.As(err, &ke) {
		return false
	}
	s.memOnly.CompareAndSwap(nil, ke)
	s.log.Warn("auth: keeping tokens in memory for this run only; caltray will ask you to sign in again next time", "reason", ke.Error())
	return true
}

// memoryOnly returns the keyring error that made the store memory-only, or nil. It never
// waits for a keyring call in progress.
func (s *tokenStore) memoryOnly() error {
	if ke := s.memOnly.Load(); ke != nil {
		return ke
	}
	return nil
}

// readFailure returns why the last Replace could not read the saved cache, or nil.
func (s *tokenStore) readFailure() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.readFail
}

// lastSaveErr returns why the last Export could not save the cache, or nil.
func (s *tokenStore) lastSaveErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.saveErr
}

// probe checks that the keyring answers, and turns the store memory-only if it does not.
func (s *tokenStore) probe(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ke := s.memoryOnly(); ke != nil {
		return ke
	}
	_, err := s.keyLocked(ctx)
	if s.toMemory(err) {
		return s.memoryOnly()
	}
	return nil
}

// keyLocked reads the cache key; errNoKey if there is none (or only a damaged one).
func (s *tokenStore) keyLocked(ctx context.Context) ([]byte, error) {
	enc, err := keyringCall(ctx, s.deadline(ctx), "read", func() (string, error) { return s.kr.Get(s.service, keyEntry) })
	if errors.Is(err, ErrNotFound) {
		return nil, errNoKey
	}
	if err != nil {
		return nil, err
	}
	key, err := base64.StdEncoding.DecodeString(enc)
	if err != nil || len(key) != keySize {
		s.log.Warn("auth: the token cache key in the keyring is damaged; sign in again to replace it")
		return nil, errNoKey
	}
	return key, nil
}

// loadLocked returns the stored cache, nil if none is stored.
func (s *tokenStore) loadLocked(ctx context.Context) ([]byte, error) {
	key, err := s.keyLocked(ctx)
	if errors.Is(err, errNoKey) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	sealed, err := readLimited(s.path(), maxCacheSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the saved sign-in: %w", err)
	}
	blob, err := open(key, sealed, s.service)
	if err != nil {
		return nil, fmt.Errorf("%w: %s is %v (it was written with another key, or damaged)", errUnreadable, s.path(), err)
	}
	return blob, nil
}

// readLimited reads a file of at most max bytes; a larger one is read only up to max+1 bytes,
// which open rejects as too large.
func readLimited(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, max+1))
}

// saveLocked seals blob under the keyring's key, creating the key only during a sign-in.
func (s *tokenStore) saveLocked(ctx context.Context, blob []byte) error {
	key, err := s.keyLocked(ctx)
	if errors.Is(err, errNoKey) && isSignIn(ctx) {
		key = make([]byte, keySize)
		rand.Read(key) // never fails
		enc := base64.StdEncoding.EncodeToString(key)
		_, err = keyringCall(ctx, s.deadline(ctx), "write", func() (struct{}, error) {
			return struct{}{}, s.kr.Set(s.service, keyEntry, enc)
		})
	}
	if err != nil {
		return err
	}
	sealed, err := seal(key, blob, s.service)
	if err != nil {
		return err
	}
	// The tray runs for weeks: a leftover of a CLI run killed meanwhile goes with its next save.
	removeStaleTemps(s.dir, s.log)
	return saveFile(s.dir, sealedName, sealed)
}

// clear removes the sealed cache from the disk and the cache key from the keyring. It asks the
// keyring even when the store went memory-only during this run: an earlier run may have saved
// a key there, and a sign-out must not leave it behind unreported.
func (s *tokenStore) clear(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	// The file first: without it the key opens nothing, even if the keyring does not answer.
	if err := os.Remove(s.path()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		errs = append(errs, fmt.Errorf("remove the saved sign-in: %w", err))
	}
	removeTemps(s.dir, 0)
	_, err := keyringCall(ctx, s.deadline(ctx), "delete", func() (struct{}, error) {
		return struct{}{}, s.kr.Delete(s.service, keyEntry)
	})
	if err != nil && !errors.Is(err, ErrNotFound) {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// seal encrypts blob: magic, a random 96-bit nonce, then the AES-256-GCM ciphertext. The
// authenticated extra data binds the format version (the magic), the purpose and the keyring
// service, so a file cannot be relabelled as another format or passed off as another
// service's cache. Random nonces are safe here: one key seals a few writes an hour, far below
// the 2^32 messages a random 96-bit nonce allows.
func seal(key, blob []byte, service string) ([]byte, error) {
	gcm, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	out := make([]byte, len(sealedMagic)+gcm.NonceSize(), len(sealedMagic)+gcm.NonceSize()+len(blob)+gcm.Overhead())
	copy(out, sealedMagic)
	rand.Read(out[len(sealedMagic):]) // never fails
	nonce := out[len(sealedMagic):]
	return gcm.Seal(out, nonce, blob, sealedAD(service)), nil
}

// sealedAD is the authenticated extra data of a sealed cache.
func sealedAD(service string) []byte { return []byte(sealedMagic + "|" + sealedAAD + "|" + service) }

// open reverses seal.
func open(key, sealed []byte, service string) ([]byte, error) {
	gcm, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	head := len(sealedMagic) + gcm.NonceSize()
	switch {
	case len(sealed) > maxCacheSize:
		return nil, errors.New("too large")
	case len(sealed) < head+gcm.Overhead() || string(sealed[:len(sealedMagic)]) != sealedMagic:
		return nil, errors.New("not a sealed token cache")
	}
	blob, err := gcm.Open(nil, sealed[len(sealedMagic):head], sealed[head:], sealedAD(service))
	if err != nil {
		return nil, errors.New("not sealed with the keyring's key")
	}
	return blob, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("token cache key: %w", err)
	}
	return cipher.NewGCM(block)
}

// saveFile replaces dir/name with data (calsync.WriteFileAtomic: 0600, never a partial file),
// creating dir (0700) if needed.
func saveFile(dir, name string, data []byte) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s for the saved sign-in: %w", dir, err)
	}
	if err := calsync.WriteFileAtomic(filepath.Join(dir, name), data); err != nil {
		return fmt.Errorf("save the sign-in: %w", err)
	}
	return nil
}

// removeStaleTemps removes the leftovers of interrupted writes (of the sealed cache and of the
// account record) that are old enough that no live process can still be writing them;
// calsync.StaleTempAge says why that age. It logs what it did.
func removeStaleTemps(dir string, log *slog.Logger) {
	removed, err := calsync.RemoveStaleTemps(dir, tempPrefixes, time.Now())
	if len(removed) > 0 {
		log.Info("auth: removed leftover temporary files of an interrupted write", "dir", dir, "files", removed)
	}
	if err != nil {
		log.Warn("auth: could not remove leftover temporary files", "err", err)
	}
}

// removeTemps deletes temporary files that interrupted writes left behind, if older than age.
// Sign-out uses it with age 0: whatever is being written then must go too.
func removeTemps(dir string, age time.Duration) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !slices.ContainsFunc(tempPrefixes, func(p string) bool { return strings.HasPrefix(e.Name(), p) }) {
			continue
		}
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) >= age {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}
