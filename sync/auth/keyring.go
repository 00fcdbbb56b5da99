package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	calsync "caltray/sync"

	"github.com/zalando/go-keyring"
)

// A Keyring keeps small secrets under a service and an entry name. SystemKeyring is the OS
// keyring; tests substitute their own. Implementations return ErrNotFound for a missing entry.
type Keyring interface {
	Get(service, entry string) (string, error)
	Set(service, entry, secret string) error
	Delete(service, entry string) error
}

// ErrNotFound is returned by a Keyring for an entry it does not hold.
var ErrNotFound = keyring.ErrNotFound

// SystemKeyring is the OS keyring through go-keyring: the Secret Service on Linux and the BSDs,
// the Keychain on macOS, the Credential Manager on Windows.
type SystemKeyring struct{}

// Get returns the secret of an entry.
func (SystemKeyring) Get(service, entry string) (string, error) { return keyring.Get(service, entry) }

// Set creates or replaces an entry.
func (SystemKeyring) Set(service, entry, secret string) error {
	return keyring.Set(service, entry, secret)
}

// Delete removes an entry.
func (SystemKeyring) Delete(service, entry string) error { return keyring.Delete(service, entry) }

// noKeyringFix is the advice every "no keyring" message ends with.
const noKeyringFix = "To stay signed in, run a Secret Service: install and start gnome-keyring (or enable KeePassXC's Secret Service integration) in your desktop session and unlock it; on macOS and Windows the system keyring is always there."

// A KeyringError says the OS keyring could not be used, why, and what to do. It matches
// calsync.ErrNoKeyring.
type KeyringError struct {
	Op    string // what caltray was doing: "read", "write" or "delete"
	Cause error  // what the keyring said, or context.DeadlineExceeded if it did not answer
}

func (e *KeyringError) Error() string {
	var why string
	if errors.Is(e.Cause, context.DeadlineExceeded) {
		why = "the OS keyring did not answer in time (is it waiting for you to unlock it?)"
	} else {
		why = fmt.Sprintf("the OS keyring is not available (%v)", e.Cause)
	}
	return fmt.Sprintf("cannot %s the sign-in in the OS keyring: %s. %s", e.Op, why, noKeyringFix)
}

// Unwrap lets errors.Is match both the cause and calsync.ErrNoKeyring.
func (e *KeyringError) Unwrap() []error { return []error{calsync.ErrNoKeyring, e.Cause} }

// keyringCall runs one keyring operation with a deadline: the earlier of ctx's and timeout.
// go-keyring calls cannot be cancelled (a Secret Service unlock prompt blocks until answered),
// so on timeout the call is abandoned: its goroutine ends when the keyring finally answers.
// The token store then stops using the keyring for the rest of the run (only an explicit
// sign-out asks it again), so such goroutines do not pile up. ErrNotFound passes through;
// every other failure becomes a *KeyringError.
func keyringCall[T any](parent context.Context, timeout time.Duration, op string, f func() (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(parent, timeout)
	defer cancel()
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1) // buffered: an abandoned call can still finish and exit
	go func() {
		v, err := f()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		if r.err != nil && !errors.Is(r.err, ErrNotFound) {
			r.err = &KeyringError{Op: op, Cause: r.err}
		}
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		if err := parent.Err(); err != nil {
			// The caller gave up (the app is quitting): not the keyring's fault.
			return zero, fmt.Errorf("keyring %s: %w", op, err)
		}
		return zero, &KeyringError{Op: op, Cause: context.DeadlineExceeded}
	}
}
