package auth

import (
	"context"
	"errors"
	"testing"
	"time"

	calsync "caltray/sync"
	"caltray/sync/graph"
)

// TestGraphSource reads the agenda through the real Graph source with a Session's tokens, and
// checks that "sign-in needed" reaches the source's caller intact, so the sync loop can stop
// and the CLI exit 3.
func TestGraphSource(t *testing.T) {
	w := newWorld(t)
	cfg := w.config(t, newMemKeyring(), nil)
	s, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	signInDeviceCode(t, w, s)
	p, err := Provider(s, w.srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	transport := w.srv.Client().Transport
	src, err := graph.New(graph.Options{BaseURL: w.srv.URL(), Auth: p, Transport: transport})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	now := time.Now()
	apps, err := src.List(ctx, now, now.Add(7*24*time.Hour))
	if err != nil || len(apps) == 0 {
		t.Fatalf("List: %d appointments, %v", len(apps), err)
	}

	w.id.RevokeRefreshTokens()
	w.clock.Advance(2 * time.Hour)
	ageCache(t, cfg, 2*time.Hour)
	_, err = src.List(ctx, now, now.Add(7*24*time.Hour))
	if !errors.Is(err, calsync.ErrSignInNeeded) {
		t.Fatalf("List after revocation: %v; want an error matching calsync.ErrSignInNeeded", err)
	}
	var sie *SignInError
	if !errors.As(err, &sie) {
		t.Errorf("the source's error does not carry the *SignInError: %v", err)
	}
}
