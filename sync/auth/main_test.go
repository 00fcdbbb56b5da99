package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	calsync "caltray/sync"
	"caltray/sync/graph"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"go.uber.org/goleak"
)

// helperEnv, when set in the environment, makes the test binary act as another caltray process
// (see helperMain) instead of running tests.
const helperEnv = "CALTRAY_AUTH_TEST_HELPER"

func TestMain(m *testing.M) {
	if spec := os.Getenv(helperEnv); spec != "" {
		os.Exit(helperMain(spec))
	}
	goleak.VerifyTestMain(m,
		// godbus keeps the shared session bus connection (go-keyring's) open for the process.
		goleak.IgnoreAnyFunction("github.com/godbus/dbus/v5.(*Conn).inWorker"),
		goleak.IgnoreAnyFunction("github.com/godbus/dbus/v5.(*Conn).outWorker"),
		goleak.IgnoreAnyFunction("github.com/godbus/dbus/v5.newConn.func1"),
	)
}

// requireSecretService skips a test that needs the real Secret Service unless `make test`
// (scripts/with-desktop.sh) runs it with one.
func requireSecretService(t *testing.T) {
	t.Helper()
	if os.Getenv("CALTRAY_TEST_KEYRING") == "" {
		t.Skip("needs a real Secret Service: run under scripts/with-desktop.sh (make test sets CALTRAY_TEST_KEYRING)")
	}
}

// helperSpec tells a helper process what to do.
type helperSpec struct {
	Action    string    `json:"action"` // "token" or "nokeyring"
	Service   string    `json:"service"`
	Authority string    `json:"authority"`
	GraphURL  string    `json:"graph_url"`
	ClientID  string    `json:"client_id"`
	StartAt   time.Time `json:"start_at"` // wait until then, so racing helpers start together
}

// helperResult is what a helper process prints on stdout. It never holds a token: only a hash.
type helperResult struct {
	TokenSHA256  string `json:"token_sha256,omitempty"`
	AgendaOK     bool   `json:"agenda_ok,omitempty"`
	AgendaEvents int    `json:"agenda_events,omitempty"`
	Err          string `json:"err,omitempty"`
	SignInNeeded bool   `json:"sign_in_needed,omitempty"`
	NoKeyring    bool   `json:"no_keyring,omitempty"`
	State        string `json:"state,omitempty"`
	StateMessage string `json:"state_message,omitempty"`
	SignInOutput string `json:"signin_output,omitempty"`
	Refusal      string `json:"refusal,omitempty"`       // caltray signin's error without a keyring
	RefusalIsNK  bool   `json:"refusal_is_nk,omitempty"` // it matches calsync.ErrNoKeyring
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// helperMain is a caltray process of its own: default configuration directory and HTTP client
// (the fake's certificate comes through SSL_CERT_FILE), the OS keyring, debug logs on stderr.
func helperMain(raw string) int {
	var spec helperSpec
	if err := json.Unmarshal([]byte(raw), &spec); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 2
	}
	time.Sleep(time.Until(spec.StartAt))
	cfg := Config{
		ClientID: spec.ClientID, Authority: spec.Authority, GraphURL: spec.GraphURL, KeyringService: spec.Service,
		Logger: slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var res helperResult
	var err error
	switch spec.Action {
	case "token":
		res, err = helperToken(ctx, cfg)
	case "nokeyring":
		res, err = helperNoKeyring(ctx, cfg)
	default:
		err = fmt.Errorf("unknown action %q", spec.Action)
	}
	if err != nil {
		res.Err = err.Error()
		res.SignInNeeded = errors.Is(err, calsync.ErrSignInNeeded)
		res.NoKeyring = errors.Is(err, calsync.ErrNoKeyring)
	}
	json.NewEncoder(os.Stdout).Encode(res)
	return 0
}

// helperToken gets a token silently and fetches the agenda with it through Provider.
func helperToken(ctx context.Context, cfg Config) (helperResult, error) {
	var res helperResult
	s, err := Open(cfg)
	if err != nil {
		return res, err
	}
	tok, err := s.GetToken(ctx, policy.TokenRequestOptions{})
	st, msg := s.State()
	res.State, res.StateMessage = string(st), msg
	if err != nil {
		return res, err
	}
	res.TokenSHA256 = sha(tok.Token)
	res.AgendaEvents, err = fetchAgenda(ctx, s, cfg.GraphURL)
	res.AgendaOK = err == nil
	return res, err
}

// fetchAgenda reads the coming week through the Graph source, with Provider's tokens.
func fetchAgenda(ctx context.Context, s *Session, graphURL string) (int, error) {
	p, err := Provider(s, graphURL)
	if err != nil {
		return 0, err
	}
	src, err := graph.New(graph.Options{BaseURL: graphURL, Auth: p})
	if err != nil {
		return 0, err
	}
	now := time.Now()
	apps, err := src.List(ctx, now, now.Add(7*24*time.Hour))
	return len(apps), err
}

// helperNoKeyring runs where no Secret Service is reachable: caltray signin must refuse with the
// clear error, and the tray's in-process sign-in must work with tokens in memory only.
func helperNoKeyring(ctx context.Context, cfg Config) (helperResult, error) {
	var res helperResult
	var cliOut strings.Builder
	err := SignIn(ctx, cfg, &cliOut, true)
	if err == nil {
		return res, errors.New("caltray signin succeeded without a keyring")
	}
	res.Refusal = err.Error()
	res.RefusalIsNK = errors.Is(err, calsync.ErrNoKeyring)
	if cliOut.Len() > 0 {
		return res, fmt.Errorf("caltray signin asked the user to sign in before finding out it had no keyring: %q", cliOut.String())
	}
	s, err := Open(cfg)
	if err != nil {
		return res, err
	}
	out := &deviceUser{act: approve(http.DefaultClient)} // trusts the fake through SSL_CERT_FILE
	if err := s.SignIn(ctx, out, true); err != nil {
		return res, fmt.Errorf("in-memory sign-in: %w (the user's approval: %v, output %q)", err, out.actErr(), out.String())
	}
	res.SignInOutput = out.String()
	tok, err := s.GetToken(ctx, policy.TokenRequestOptions{})
	if err != nil {
		return res, fmt.Errorf("token after in-memory sign-in: %w", err)
	}
	res.TokenSHA256 = sha(tok.Token)
	st, msg := s.State()
	res.State, res.StateMessage = string(st), msg
	res.AgendaEvents, err = fetchAgenda(ctx, s, cfg.GraphURL)
	res.AgendaOK = err == nil
	if err != nil {
		return res, err
	}
	// What a fresh process finds: nobody signed in.
	s2, err := Open(cfg)
	if err != nil {
		return res, err
	}
	if a := s2.Account(); a != nil {
		return res, fmt.Errorf("a new process finds %s signed in without a keyring", a.Username)
	}
	return res, nil
}

// runHelper starts the test binary as a helper process and returns it; wait for it with
// finishHelper.
func runHelper(t *testing.T, spec helperSpec, env []string) (*exec.Cmd, *strings.Builder, *strings.Builder) {
	t.Helper()
	b, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+string(b), "NO_PROXY=*", "no_proxy=*")
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &stdout, &stderr
}

func finishHelper(t *testing.T, cmd *exec.Cmd, stdout, stderr *strings.Builder) helperResult {
	t.Helper()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper: %v\nstderr: %s", err, stderr)
	}
	var res helperResult
	if err := json.Unmarshal([]byte(stdout.String()), &res); err != nil {
		t.Fatalf("helper output %q: %v\nstderr: %s", stdout, err, stderr)
	}
	return res
}
