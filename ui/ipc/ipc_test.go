package ipc

import (
	"bytes"
	"errors"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"caltray/runner"
	calsync "caltray/sync"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestReceive(t *testing.T) {
	long := `{"type":"log","text":"` + strings.Repeat("x", 300) + `"}`
	tests := []struct {
		name  string
		line  string
		max   int
		want  Message
		isErr error
	}{
		{name: "hello", line: `{"type":"hello","version":1}`, want: Message{Type: TypeHello, Version: 1}},
		{name: "show", line: `{"type":"show","view":"prefs"}`, want: Message{Type: TypeShow, View: ViewPrefs}},
		{name: "intent", line: `{"type":"intent","intent":{"kind":"open-url","url":"https://x"}}`,
			want: Message{Type: TypeIntent, Intent: &Intent{Kind: IntentOpenURL, URL: "https://x"}}},
		{name: "show a meeting", line: `{"type":"show","view":"meeting","meeting":{"key":"a@t","title":"Standup is starting now","join_url":"https://j"}}`,
			want: Message{Type: TypeShow, View: ViewMeeting, Meeting: &Meeting{Key: "a@t", Title: "Standup is starting now", JoinURL: "https://j"}}},
		{name: "snooze", line: `{"type":"intent","intent":{"kind":"snooze","key":"a@t"}}`,
			want: Message{Type: TypeIntent, Intent: &Intent{Kind: IntentSnooze, Key: "a@t"}}},
		{name: "show a meeting without it", line: `{"type":"show","view":"meeting"}`, isErr: ErrMalformed},
		{name: "show a meeting without its key", line: `{"type":"show","view":"meeting","meeting":{"title":"x"}}`, isErr: ErrMalformed},
		{name: "dismiss without a key", line: `{"type":"intent","intent":{"kind":"dismiss"}}`, isErr: ErrMalformed},
		{name: "show the sign-in window", line: `{"type":"show","view":"signin"}`, want: Message{Type: TypeShow, View: ViewSignIn}},
		{name: "sign-in start", line: `{"type":"intent","intent":{"kind":"sign-in-start","device_code":true,"client_id":"x","tenant":"t"}}`,
			want: Message{Type: TypeIntent, Intent: &Intent{Kind: IntentSignInStart, DeviceCode: true, ClientID: "x", Tenant: "t"}}},
		{name: "sign-in cancel", line: `{"type":"intent","intent":{"kind":"sign-in-cancel"}}`,
			want: Message{Type: TypeIntent, Intent: &Intent{Kind: IntentSignInCancel}}},
		{name: "sign-in state", line: `{"type":"signin","sign_in":{"running":true,"progress":{"step":"device-code","url":"https://x/devicelogin","user_code":"ABC"}}}`,
			want: Message{Type: TypeSignIn, SignIn: &SignInState{Running: true, Progress: &calsync.SignInProgress{Step: calsync.SignInDeviceCode, URL: "https://x/devicelogin", UserCode: "ABC"}}}},
		{name: "sign-in failure", line: `{"type":"signin","sign_in":{"failure":{"kind":"admin-consent","code":"AADSTS65001","admin_consent_url":"https://l/t/adminconsent?client_id=c","message":"m"}}}`,
			want: Message{Type: TypeSignIn, SignIn: &SignInState{Failure: &calsync.SignInFailure{Kind: calsync.FailAdminConsent, Code: "AADSTS65001", AdminConsentURL: "https://l/t/adminconsent?client_id=c", Message: "m"}}}},
		{name: "sign-in state without a state", line: `{"type":"signin"}`, isErr: ErrMalformed},
		{name: "garbage", line: "\x1b[31mnot json", isErr: ErrMalformed},
		{name: "two values", line: `{"type":"log"} {"type":"log"}`, isErr: ErrMalformed},
		{name: "unknown type", line: `{"type":"exec","text":"rm -rf"}`, isErr: ErrMalformed},
		{name: "hello without version", line: `{"type":"hello"}`, isErr: ErrMalformed},
		{name: "show of an unknown view", line: `{"type":"show","view":"../etc"}`, isErr: ErrMalformed},
		{name: "unknown intent", line: `{"type":"intent","intent":{"kind":"delete-cache"}}`, isErr: ErrMalformed},
		{name: "open-url without url", line: `{"type":"intent","intent":{"kind":"open-url"}}`, isErr: ErrMalformed},
		{name: "save without settings", line: `{"type":"intent","intent":{"kind":"save-settings"}}`, isErr: ErrMalformed},
		{name: "snapshot without body", line: `{"type":"snapshot"}`, isErr: ErrMalformed},
		{name: "oversized", line: long, max: 100, isErr: ErrTooLong},
		{name: "just at the limit", line: `{"type":"log","text":"` + strings.Repeat("y", 76) + `"}`, max: 100,
			want: Message{Type: TypeLog, Text: strings.Repeat("y", 76)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Each bad line is followed by a good one: the stream goes on after a drop.
			in := tt.line + "\n" + `{"type":"log","text":"next"}` + "\n"
			c := NewConn(strings.NewReader(in), io.Discard)
			if tt.max > 0 {
				c.max = tt.max
			}
			m, err := c.Receive()
			if tt.isErr != nil {
				if !errors.Is(err, tt.isErr) || !Dropped(err) {
					t.Fatalf("Receive = %+v, %v; want %v", m, err, tt.isErr)
				}
			} else if err != nil || !reflect.DeepEqual(m, tt.want) {
				t.Fatalf("Receive = %+v, %v; want %+v", m, err, tt.want)
			}
			next, err := c.Receive()
			if err != nil || next.Text != "next" {
				t.Fatalf("the line after: %+v, %v", next, err)
			}
			if _, err := c.Receive(); err != io.EOF {
				t.Fatalf("at the end: %v, want io.EOF", err)
			}
		})
	}
}

// A line far longer than the reader's buffer is skipped without being held whole.
func TestReceiveHugeLine(t *testing.T) {
	huge := strings.Repeat("a", MaxLine+1<<20)
	c := NewConn(strings.NewReader(huge+"\n"+`{"type":"hello","version":1}`+"\n"), io.Discard)
	if _, err := c.Receive(); !errors.Is(err, ErrTooLong) {
		t.Fatalf("huge line: %v, want ErrTooLong", err)
	}
	if m, err := c.Receive(); err != nil || m.Type != TypeHello {
		t.Fatalf("after the huge line: %+v, %v", m, err)
	}
}

func TestReceiveTruncatedLastLine(t *testing.T) {
	c := NewConn(strings.NewReader(`{"type":"hello","vers`), io.Discard)
	if _, err := c.Receive(); !errors.Is(err, ErrMalformed) {
		t.Fatalf("truncated: %v, want ErrMalformed", err)
	}
	if _, err := c.Receive(); err != io.EOF {
		t.Fatalf("then: %v, want io.EOF", err)
	}
}

func TestAwaitHello(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr error // nil: success
		drops   int
	}{
		{name: "hello", in: `{"type":"hello","version":1}` + "\n"},
		{name: "garbage first", in: "garbage\n" + `{"type":"nope"}` + "\n" + `{"type":"hello","version":1}` + "\n", drops: 2},
		{name: "unknown version", in: `{"type":"hello","version":99}` + "\n", wantErr: ErrVersion},
		{name: "no hello first", in: `{"type":"show","view":"agenda"}` + "\n", wantErr: errors.New("")},
		{name: "peer gone", in: "", wantErr: io.EOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			drops := 0
			err := NewConn(strings.NewReader(tt.in), io.Discard).AwaitHello(func(error) { drops++ })
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("AwaitHello: %v", err)
			case tt.wantErr != nil && err == nil:
				t.Fatalf("AwaitHello succeeded, want %v", tt.wantErr)
			case tt.wantErr != nil && tt.wantErr.Error() != "" && !errors.Is(err, tt.wantErr):
				t.Fatalf("AwaitHello: %v, want %v", err, tt.wantErr)
			}
			if drops != tt.drops {
				t.Errorf("dropped %d lines, want %d", drops, tt.drops)
			}
		})
	}
}

func TestSendRefusesOversized(t *testing.T) {
	var buf bytes.Buffer
	c := NewConn(strings.NewReader(""), &buf)
	c.max = 50
	if err := c.Send(Message{Type: TypeLog, Text: strings.Repeat("z", 100)}); !errors.Is(err, ErrTooLong) {
		t.Fatalf("Send: %v, want ErrTooLong", err)
	}
	if buf.Len() != 0 {
		t.Errorf("wrote %d bytes of a refused message", buf.Len())
	}
}

// A peer that never reads: Send fails after its deadline instead of blocking for ever (the
// pipe's buffer is 64 KiB on Linux; the message is larger).
func TestSendToAPeerThatNeverReads(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	c := NewConn(strings.NewReader(""), w)
	c.timeout = 50 * time.Millisecond
	done := make(chan error, 1)
	go func() { done <- c.Send(Message{Type: TypeLog, Text: strings.Repeat("q", 1<<20)}) }()
	select {
	case err := <-done:
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("Send: %v, want a deadline error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Send blocked on a peer that never reads")
	}
}

func TestSnapshotRoundTrip(t *testing.T) {
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	retry := at.Add(time.Minute)
	s := calsync.Snapshot{
		Appointments: []calsync.Appointment{{ID: "1", Subject: "Standup \u202egnp.exe", Start: at, End: at.Add(30 * time.Minute),
			JoinURL: "https://teams.example/l/1", Response: calsync.ResponseAccepted}},
		From: at.Truncate(24 * time.Hour), To: at.Add(48 * time.Hour),
		Health: calsync.Health{Status: runner.StatusDegraded, Breaker: "open", ConsecutiveFailures: 3, LastError: "503",
			LastErrorKind: runner.KindThrottled, RetryAt: &retry, Stale: true, Timestamp: at},
		LastSync: at.Add(-time.Hour), Syncing: true, SyncStarted: at.Add(-10 * time.Second), NextSync: at.Add(15 * time.Second),
		Skipped: 2, StaleAt: at.Add(time.Hour),
		Auth: calsync.AuthNoKeyring, AuthMessage: "unlock", Generation: 7, Syncs: 9,
		Recent:   []calsync.SyncRecord{{At: at, Duration: 1234 * time.Millisecond, Kind: calsync.SyncKind("delta")}, {At: at, Err: "boom", ErrKind: runner.KindServer}},
		Settings: calsync.DefaultSettings(),
	}
	var buf bytes.Buffer
	snap := FromSnapshot(s, at)
	if err := NewConn(nil, &buf).Send(Message{Type: TypeSnapshot, Snapshot: &snap}); err != nil {
		t.Fatal(err)
	}
	m, err := NewConn(&buf, io.Discard).Receive()
	if err != nil {
		t.Fatal(err)
	}
	got := m.Snapshot.Loop()
	if !reflect.DeepEqual(got, s) {
		t.Errorf("round trip changed the snapshot:\n got %+v\nwant %+v", got, s)
	}
	// The events carry agenda --json's field names.
	for _, key := range []string{`"subject"`, `"join_url"`, `"all_day"`, `"response"`, `"health"`, `"consecutive_failures"`, `"last_error_kind"`} {
		if !strings.Contains(buf.String(), key) && !bytes.Contains(mustLine(t, snap), []byte(key)) {
			t.Errorf("the snapshot line has no %s", key)
		}
	}
}

func mustLine(t *testing.T, s Snapshot) []byte {
	var buf bytes.Buffer
	if err := NewConn(nil, &buf).Send(Message{Type: TypeSnapshot, Snapshot: &s}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestLogWriter(t *testing.T) {
	var buf bytes.Buffer
	w := LogWriter(NewConn(nil, &buf))
	if _, err := w.Write([]byte("level=INFO msg=hi\n")); err != nil {
		t.Fatal(err)
	}
	m, err := NewConn(&buf, io.Discard).Receive()
	if err != nil || m.Type != TypeLog || m.Text != "level=INFO msg=hi" {
		t.Fatalf("got %+v, %v", m, err)
	}
}
