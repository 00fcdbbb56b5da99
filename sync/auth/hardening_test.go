package auth

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	msalerrors "github.com/AzureAD/microsoft-authentication-library-for-go/apps/errors"

	calsync "caltray/sync"
)

// hostile is identity platform error text that would act on a terminal: a hidden link, a
// title change, a screen clear and a bidi override.
const hostile = "AADSTS70008: expired \x1b]8;;https://evil.example\x07click\x1b]8;;\x07 \x1b]0;pwned\x07\x1b[2J Pay \u202egnp.exe\u202c"

func callErr(body string) error {
	return msalerrors.CallErr{
		Resp: &http.Response{StatusCode: 400, Body: io.NopCloser(strings.NewReader(body))},
		Err:  errors.New("http call(https://login.example/token)(POST) error: reply status code was 400:\n" + body),
	}
}

// The identity platform's error text (error, error_description, or MSAL's message quoting the
// body) reaches error messages and the terminal only through inert.Line.
func TestIdentityErrorTextIsInert(t *testing.T) {
	bodies := map[string]string{
		"description": `{"error":"invalid_grant","error_description":"` + jsonEscape(hostile) + `"}`,
		"code":        `{"error":"bad_\u001b[2J_code\u202e","error_description":"AADSTS1: x"}`,
		"not JSON":    hostile,
	}
	s := &Session{store: &tokenStore{}}
	acct := &Account{}
	acct.Username = "AlexW@contoso.onmicrosoft.com"
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			for _, err := range []error{signInFailed(context.Background(), callErr(body), settings{}, 0), s.silentErr(context.Background(), acct, callErr(body))} {
				msg := err.Error()
				if strings.ContainsAny(msg, "\x1b\x07\u202e\u202c\n") {
					t.Errorf("raw control or bidi characters in %q", msg)
				}
				if name == "description" && !strings.Contains(msg, "AADSTS70008: expired ␛]8;;https://evil.example␇click") {
					t.Errorf("the description is not shown (made visible): %q", msg)
				}
			}
		})
	}
}

func jsonEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x20 || r > 0x7e {
			b.WriteString(`\u`)
			const hex = "0123456789abcdef"
			b.WriteByte(hex[r>>12&0xF])
			b.WriteByte(hex[r>>8&0xF])
			b.WriteByte(hex[r>>4&0xF])
			b.WriteByte(hex[r&0xF])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// A damaged or unreadable account record is the cause every command gives, not "nobody is
// signed in": SignedIn says so, naming the file and what to do.
func TestDamagedAccountRecord(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    string
	}{
		{"not JSON", "{not json", "is damaged"},
		{"incomplete", `{"version": "1.0", "username": "x"}`, "is incomplete"},
		{"hostile", "{\x1b[2J\u202e", "is damaged"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			cfg := w.config(t, newMemKeyring(), nil)
			path := filepath.Join(cfg.Dir, accountName)
			os.WriteFile(path, []byte(tt.content), 0o600)
			s, err := Open(cfg)
			if err != nil {
				t.Fatalf("Open = %v; the tray must still start and offer a sign-in", err)
			}
			err = s.SignedIn()
			if !errors.Is(err, ErrAccountDamaged) || !errors.Is(err, calsync.ErrSignInNeeded) {
				t.Fatalf("SignedIn = %v, want ErrAccountDamaged and ErrSignInNeeded", err)
			}
			for _, want := range []string{path, tt.want, "caltray signin", "remove"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			if strings.ContainsAny(err.Error(), "\x1b\u202e") {
				t.Errorf("raw control characters in %q", err)
			}
			// SignOut is one way out: it removes the record.
			var out bytes.Buffer
			if err := SignOut(context.Background(), cfg, &out); err != nil {
				t.Fatalf("signout = %v", err)
			}
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Errorf("the damaged record survived signout")
			}
			if err := s.SignedIn(); !errors.Is(err, ErrNotSignedIn) || errors.Is(err, ErrAccountDamaged) {
				t.Errorf("after signout SignedIn = %v, want ErrNotSignedIn", err)
			}
		})
	}
}

// signout without a keyring removes what it can, says once what was and was not removed,
// and succeeds: without the sealed file a key left in the keyring opens nothing.
func TestSignOutWithoutKeyring(t *testing.T) {
	w := newWorld(t)
	kr := newMemKeyring()
	cfg := w.config(t, kr, nil)
	s, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	signInDeviceCode(t, w, s)
	kr.mu.Lock()
	kr.fail = errors.New("org.freedesktop.DBus.Error.ServiceUnknown")
	kr.mu.Unlock()
	var out bytes.Buffer
	err = SignOut(context.Background(), cfg, &out)
	if err != nil {
		t.Fatalf("signout = %v; the sign-in is gone from the disk", err)
	}
	msg := out.String()
	for _, want := range []string{"Signed out AlexW", "account record", "saved sign-in", "could not reach the OS keyring", "opens nothing"} {
		if !strings.Contains(msg, want) {
			t.Errorf("output %q does not say %q", msg, want)
		}
	}
	if strings.Contains(msg, "caltray signout:") || strings.Count(msg, "OS keyring") > 2 {
		t.Errorf("output says it twice: %q", msg)
	}
	if got := listFiles(t, cfg.Dir); len(got) != 0 {
		t.Errorf("left behind: %v", got)
	}
}

// Open removes the token store's leftover temporary files, if old enough that no live
// process can still be writing them.
func TestOpenRemovesStaleTempFiles(t *testing.T) {
	w := newWorld(t)
	cfg := w.config(t, newMemKeyring(), nil)
	old := time.Now().Add(-calsync.StaleTempAge - time.Minute)
	for _, name := range []string{tempPrefixes[0] + "111", tempPrefixes[0] + "222", "notes" + tempPrefixes[0] + "333"} {
		p := filepath.Join(cfg.Dir, name)
		os.WriteFile(p, []byte("x"), 0o600)
		if name != tempPrefixes[0]+"222" {
			os.Chtimes(p, old, old)
		}
	}
	if _, err := Open(cfg); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(listFiles(t, cfg.Dir), " "); got != tempPrefixes[0]+"222 notes"+tempPrefixes[0]+"333" {
		t.Errorf("files left: %s", got)
	}
}
