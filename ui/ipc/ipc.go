// Package ipc is the protocol between caltray's two processes: the tray process, which owns
// every piece of state (sync loop, cache, token, settings file), and the window process, the
// Fyne app it starts on demand to show the agenda, the health panel and the preferences.
//
// The transport is a pair of pipes the child gets as extra file descriptors (3: tray → window,
// 4: window → tray), never its stdin and stdout: the window opens links, and xdg-open and the
// browsers it starts inherit stdio, which would write into the stream and keep the pipe open
// after the window has gone. On the pipes travel lines of JSON, one Message each, at most
// MaxLine bytes. Both ends first send a hello with their Version; an end that reads another
// version stops. Everything read is untrusted: a line that does not parse, is too long or has
// an unknown type is reported to the caller (to log) and dropped, and the stream goes on.
//
// The package imports the standard library and caltray's own sync and runner types only: no
// Fyne, so the tray process and these tests stay free of cgo and GL.
package ipc

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"caltray/runner"
	calsync "caltray/sync"
)

// Version is the protocol's version, sent in each end's hello. Both ends come from one binary,
// so a mismatch means a stale child of an upgraded binary (or a bug): the tray kills it.
const Version = 1

// MaxLine is the longest line either end accepts, newline excluded. A snapshot of 60 days of a
// busy calendar is well under 1 MB; a longer line is a bug or an attack and is dropped whole.
const MaxLine = 4 << 20

// The message types.
const (
	TypeHello    = "hello"    // both ways, first: Version
	TypeSnapshot = "snapshot" // tray → window: Snapshot
	TypeShow     = "show"     // tray → window: View
	TypeIntent   = "intent"   // window → tray: Intent
	TypeLog      = "log"      // window → tray: Text, a line for the tray's log
	TypeSignIn   = "signin"   // tray → window: SignIn, the state of the sign-in window
)

// The views the tray can ask the window to show.
const (
	ViewAgenda  = "agenda"
	ViewPrefs   = "prefs"
	ViewMeeting = "meeting" // a meeting starts: Message.Meeting, in a small window of its own
	ViewSignIn  = "signin"
)

// The intents the window sends.
const (
	IntentRefresh      = "refresh"       // sync now
	IntentSaveSettings = "save-settings" // Settings (and StartAtLogin): save, apply, set up autostart
	IntentSignIn       = "sign-in"       // open the sign-in window
	IntentSignOut      = "sign-out"
	IntentOpenURL      = "open-url" // URL: a join link or the event in Outlook on the web
	IntentPrefs        = "prefs"    // open the preferences (the window asks itself, via the tray)
	IntentSnooze       = "snooze"   // Key: show the meeting's window again in a minute
	IntentDismiss      = "dismiss"  // Key: the meeting's window is done with
	// IntentSignInStart starts a sign-in from the sign-in window: DeviceCode, and the
	// ClientID and Tenant the person typed when SignInState.NeedClientID asked for them.
	IntentSignInStart  = "sign-in-start"
	IntentSignInCancel = "sign-in-cancel" // cancel the sign-in under way
)

// A Message is one line.
type Message struct {
	Type     string       `json:"type"`
	Version  int          `json:"version,omitempty"`
	Snapshot *Snapshot    `json:"snapshot,omitempty"`
	View     string       `json:"view,omitempty"`
	Intent   *Intent      `json:"intent,omitempty"`
	Text     string       `json:"text,omitempty"`
	Meeting  *Meeting     `json:"meeting,omitempty"` // with show of ViewMeeting
	Event    string       `json:"event,omitempty"`   // with show of ViewAgenda: the event to bring into view
	SignIn   *SignInState `json:"sign_in,omitempty"`
}

// A Meeting is what the window shown when a meeting starts holds. The tray has made the text
// inert.
type Meeting struct {
	Key     string `json:"key"`   // the occurrence, for the snooze and dismiss intents
	Title   string `json:"title"` // "Standup is starting now"
	Body    string `json:"body"`  // time range and location
	JoinURL string `json:"join_url,omitempty"`
}

// SignInState is what the sign-in window shows: the tray runs the sign-in (it owns the
// token) and sends its state whenever it changes. The texts in Progress and Failure are the
// identity platform's, made inert by package auth.
type SignInState struct {
	// NeedClientID: no configuration gives a client ID, so the window asks for it and the
	// tenant.
	NeedClientID bool `json:"need_client_id,omitempty"`
	// Running: a sign-in is under way; Progress is its latest step, if any.
	Running  bool                    `json:"running,omitempty"`
	Progress *calsync.SignInProgress `json:"progress,omitempty"`
	// Failure is why the last sign-in failed; Done says it succeeded (the window closes).
	Failure *calsync.SignInFailure `json:"failure,omitempty"`
	Done    bool                   `json:"done,omitempty"`
}

// An Intent is something the user asked for in the window, for the tray to do.
type Intent struct {
	Kind         string            `json:"kind"`
	URL          string            `json:"url,omitempty"`
	Settings     *calsync.Settings `json:"settings,omitempty"`
	StartAtLogin bool              `json:"start_at_login,omitempty"`
	Key          string            `json:"key,omitempty"` // the meeting, for snooze and dismiss
	// DeviceCode, ClientID and Tenant go with IntentSignInStart.
	DeviceCode bool   `json:"device_code,omitempty"`
	ClientID   string `json:"client_id,omitempty"`
	Tenant     string `json:"tenant,omitempty"`
}

// Errors Receive returns for a line it dropped; the stream goes on after them.
var (
	ErrTooLong   = errors.New("ipc: line too long")
	ErrMalformed = errors.New("ipc: malformed line")
)

// Dropped reports whether err is a dropped line (log it and read on) rather than the end of
// the stream.
func Dropped(err error) bool { return errors.Is(err, ErrTooLong) || errors.Is(err, ErrMalformed) }

// A Conn reads and writes Messages. Send may be called from several goroutines; Receive from
// one.
type Conn struct {
	r   *bufio.Reader
	wmu sync.Mutex
	w   io.Writer
	// dl sets the write deadline where the writer supports one (an *os.File pipe on Unix), so
	// a peer that stops reading makes Send fail instead of blocking its caller for ever.
	dl      interface{ SetWriteDeadline(time.Time) error }
	timeout time.Duration
	max     int
}

// WriteTimeout bounds one Send where the writer supports deadlines.
const WriteTimeout = 5 * time.Second

// NewConn returns a Conn reading r and writing w.
func NewConn(r io.Reader, w io.Writer) *Conn {
	c := &Conn{r: bufio.NewReaderSize(r, 64<<10), w: w, timeout: WriteTimeout, max: MaxLine}
	c.dl, _ = w.(interface{ SetWriteDeadline(time.Time) error })
	return c
}

// Send writes m as one line.
func (c *Conn) Send(m Message) error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("ipc: encode %s: %w", m.Type, err)
	}
	if len(b) > c.max {
		return fmt.Errorf("ipc: %s message of %d bytes: %w", m.Type, len(b), ErrTooLong)
	}
	b = append(b, '\n')
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.dl != nil {
		// An error here means the writer has no deadlines after all (a pipe that is not
		// pollable): the write then blocks, and the caller's own watchdog applies.
		if c.dl.SetWriteDeadline(time.Now().Add(c.timeout)) == nil {
			defer c.dl.SetWriteDeadline(time.Time{})
		}
	}
	if _, err := c.w.Write(b); err != nil {
		return fmt.Errorf("ipc: send %s: %w", m.Type, err)
	}
	return nil
}

// Receive reads the next message. A line that is too long, does not parse or has no known
// type returns an error matching ErrTooLong or ErrMalformed (see Dropped): log it and call
// Receive again. Any other error (io.EOF: the peer closed its end) ends the stream.
func (c *Conn) Receive() (Message, error) {
	line, err := c.readLine()
	if err != nil {
		return Message{}, err
	}
	var m Message
	dec := json.NewDecoder(bytes.NewReader(line))
	if err := dec.Decode(&m); err != nil {
		return Message{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if dec.More() {
		return Message{}, fmt.Errorf("%w: data after the message", ErrMalformed)
	}
	if err := m.check(); err != nil {
		return Message{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return m, nil
}

// readLine returns the next line without its newline. A line longer than max is read to its
// end and dropped (ErrTooLong), never held in memory whole.
func (c *Conn) readLine() ([]byte, error) {
	var line []byte
	tooLong := false
	for {
		chunk, err := c.r.ReadSlice('\n')
		if !tooLong {
			if len(line)+len(chunk) > c.max+1 {
				tooLong, line = true, nil
			} else {
				line = append(line, chunk...)
			}
		}
		switch {
		case err == nil:
			if tooLong {
				return nil, fmt.Errorf("%w (over %d bytes)", ErrTooLong, c.max)
			}
			return line[:len(line)-1], nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(line) > 0 && !tooLong:
			// A last line without its newline: the peer died mid-write. Not a message.
			return nil, fmt.Errorf("%w: truncated line at the end of the stream", ErrMalformed)
		default:
			return nil, err
		}
	}
}

// check refuses a message whose type is unknown or whose body does not fit its type.
func (m Message) check() error {
	switch m.Type {
	case TypeHello:
		if m.Version <= 0 {
			return errors.New("hello without a version")
		}
	case TypeSnapshot:
		if m.Snapshot == nil {
			return errors.New("snapshot without a snapshot")
		}
	case TypeShow:
		switch m.View {
		case ViewAgenda, ViewPrefs, ViewSignIn:
		case ViewMeeting:
			if m.Meeting == nil || m.Meeting.Key == "" {
				return errors.New("show of a meeting without the meeting")
			}
		default:
			return fmt.Errorf("show of an unknown view %q", m.View)
		}
	case TypeIntent:
		if m.Intent == nil {
			return errors.New("intent without an intent")
		}
		switch m.Intent.Kind {
		case IntentRefresh, IntentSignIn, IntentSignOut, IntentPrefs, IntentSignInStart, IntentSignInCancel:
		case IntentOpenURL:
			if m.Intent.URL == "" {
				return errors.New("open-url without a URL")
			}
		case IntentSaveSettings:
			if m.Intent.Settings == nil {
				return errors.New("save-settings without settings")
			}
		case IntentSnooze, IntentDismiss:
			if m.Intent.Key == "" {
				return fmt.Errorf("%s without the meeting's key", m.Intent.Kind)
			}
		default:
			return fmt.Errorf("unknown intent %q", m.Intent.Kind)
		}
	case TypeSignIn:
		if m.SignIn == nil {
			return errors.New("signin without a state")
		}
	case TypeLog:
	default:
		return fmt.Errorf("unknown message type %q", m.Type)
	}
	return nil
}

// ErrVersion is a hello of another protocol version.
var ErrVersion = errors.New("ipc: protocol version mismatch")

// Hello sends this end's hello.
func (c *Conn) Hello() error { return c.Send(Message{Type: TypeHello, Version: Version}) }

// AwaitHello reads until the peer's hello, dropping (and passing to dropped, if set) what is
// malformed. The first valid message must be a hello of Version. It does not time out by
// itself: the caller closes the stream (or kills the peer) after its deadline.
func (c *Conn) AwaitHello(dropped func(error)) error {
	for {
		m, err := c.Receive()
		if Dropped(err) {
			if dropped != nil {
				dropped(err)
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("ipc: waiting for the hello: %w", err)
		}
		if m.Type != TypeHello {
			return fmt.Errorf("ipc: first message is %q, not a hello", m.Type)
		}
		if m.Version != Version {
			return fmt.Errorf("%w: peer speaks %d, this end %d", ErrVersion, m.Version, Version)
		}
		return nil
	}
}

// A Snapshot is what the window shows: the agenda and health of `caltray agenda --json` (the
// events carry the same fields; times are instants), the recent syncs for the plot, and the
// rest of the sync loop's snapshot the window's texts depend on.
type Snapshot struct {
	GeneratedAt  time.Time             `json:"generated_at"`
	Health       calsync.Health        `json:"health"`
	Events       []calsync.Appointment `json:"events"`
	Recent       []Sync                `json:"recent"`
	From         time.Time             `json:"from"`
	To           time.Time             `json:"to"`
	LastSync     time.Time             `json:"last_sync"`
	Syncing      bool                  `json:"syncing,omitempty"`
	SyncStarted  time.Time             `json:"sync_started"`
	NextSync     time.Time             `json:"next_sync"`
	Skipped      int                   `json:"skipped,omitempty"`
	StaleAt      time.Time             `json:"stale_at"`
	Auth         calsync.AuthState     `json:"auth"`
	AuthMessage  string                `json:"auth_message,omitempty"`
	Generation   uint64                `json:"generation"`
	Syncs        uint64                `json:"syncs"`
	Settings     calsync.Settings      `json:"settings"`
	NoAccount    bool                  `json:"no_account,omitempty"` // no sign-in to manage (the demo)
	NoTray       bool                  `json:"no_tray,omitempty"`    // no tray host: the window stands in for it
	HaveSnapshot bool                  `json:"have_snapshot"`        // false before the loop's first snapshot
	// Sources says where each sign-in setting comes from, for the Preferences window (as
	// `caltray whoami` says it); empty without an account to manage.
	Sources []SettingSource `json:"sources,omitempty"`
}

// A SettingSource is one sign-in setting, its value and where it comes from ("the flag
// --tenant", "the managed configuration /etc/xdg/caltray/caltray.json", "the default", …).
type SettingSource struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	From  string `json:"from"`
}

// A Sync is one finished sync of the plot.
type Sync struct {
	At         time.Time        `json:"at"`
	DurationMS float64          `json:"duration_ms"`
	Err        string           `json:"err,omitempty"`
	ErrKind    runner.Kind      `json:"err_kind,omitempty"`
	Kind       calsync.SyncKind `json:"kind,omitempty"`
}

// FromSnapshot converts the loop's snapshot, generated at now.
func FromSnapshot(s calsync.Snapshot, now time.Time) Snapshot {
	out := Snapshot{GeneratedAt: now.UTC(), Health: s.Health,
		Events: s.Appointments, From: s.From, To: s.To, LastSync: s.LastSync, Syncing: s.Syncing,
		SyncStarted: s.SyncStarted, NextSync: s.NextSync, Skipped: s.Skipped, StaleAt: s.StaleAt, Auth: s.Auth,
		AuthMessage: s.AuthMessage, Generation: s.Generation, Syncs: s.Syncs, Settings: s.Settings, HaveSnapshot: true}
	if out.Events == nil {
		out.Events = []calsync.Appointment{}
	}
	out.Recent = make([]Sync, 0, len(s.Recent))
	for _, r := range s.Recent {
		out.Recent = append(out.Recent, Sync{At: r.At, DurationMS: float64(r.Duration) / float64(time.Millisecond),
			Err: r.Err, ErrKind: r.ErrKind, Kind: r.Kind})
	}
	return out
}

// Loop converts back to the loop's snapshot, which the window's view model reads.
func (s Snapshot) Loop() calsync.Snapshot {
	out := calsync.Snapshot{Appointments: s.Events, From: s.From, To: s.To, Health: s.Health,
		LastSync: s.LastSync, Syncing: s.Syncing, SyncStarted: s.SyncStarted, NextSync: s.NextSync, Skipped: s.Skipped,
		StaleAt: s.StaleAt, Auth: s.Auth, AuthMessage: s.AuthMessage, Generation: s.Generation,
		Syncs: s.Syncs, Settings: s.Settings}
	for _, r := range s.Recent {
		out.Recent = append(out.Recent, calsync.SyncRecord{At: r.At,
			Duration: time.Duration(r.DurationMS * float64(time.Millisecond)), Err: r.Err, ErrKind: r.ErrKind, Kind: r.Kind})
	}
	return out
}

// LogWriter is an io.Writer for the window process's log handler: each Write is one log
// line, sent to the tray (which writes it, made inert, to its own log). The window's stderr is
// the null device, so this is where its lines go.
func LogWriter(c *Conn) io.Writer { return logWriter{c} }

type logWriter struct{ c *Conn }

func (w logWriter) Write(p []byte) (int, error) {
	text := string(bytes.TrimRight(p, "\n"))
	if len(text) > 4096 {
		text = text[:4096] + "…"
	}
	if err := w.c.Send(Message{Type: TypeLog, Text: text}); err != nil {
		return 0, err
	}
	return len(p), nil
}
