package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/microsoft/kiota-abstractions-go/authentication"

	calsync "caltray/sync"
	"caltray/sync/auth"
	"caltray/sync/origin"
	"caltray/sync/preset"
)

// signedIn opens the sign-in session cfg describes (the account signed in with caltray signin)
// and the Graph authentication provider over it, or says what is wrong and returns the exit code.
func signedIn(cfg auth.Config, stderr io.Writer) (*auth.Session, authentication.AuthenticationProvider, int) {
	sess, err := auth.Open(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "caltray: %v\n", err)
		return nil, nil, exitUsage
	}
	p, err := auth.Provider(sess, cfg.GraphURL)
	if err != nil {
		fmt.Fprintf(stderr, "caltray: %v\n", err)
		return nil, nil, exitUsage
	}
	return sess, p, exitOK
}

// authFlags is the flag set of signin, signout and whoami: the sign-in settings and --graph-url.
func authFlags(name string, stderr io.Writer) (*flag.FlagSet, *auth.Config) {
	fs := flag.NewFlagSet("caltray "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := &auth.Config{}
	auth.RegisterFlags(fs, cfg)
	urlVar(fs, &cfg.GraphURL, "graph-url", origin.DefaultGraph, "Microsoft Graph base `URL` the tokens are for")
	return fs, cfg
}

// parseAuthFlags parses args into fs; it returns false (after saying why) if they are wrong.
// It does not read the managed configuration: see authSetup.
func parseAuthFlags(fs *flag.FlagSet, args []string, stderr io.Writer) bool {
	if err := fs.Parse(args); err != nil {
		return false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return false
	}
	if err := checkURLFlags(fs); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", fs.Name(), err)
		return false
	}
	return true
}

// authSetup is parseAuthFlags, then the managed configuration placed under the flags (cfg's
// Managed, and its Graph URL when --graph-url was not given). It returns the file for whoami,
// and false (after saying why) if the flags or the file are wrong.
func authSetup(fs *flag.FlagSet, cfg *auth.Config, args []string, stderr io.Writer) (preset.File, bool) {
	if !parseAuthFlags(fs, args, stderr) {
		return preset.File{}, false
	}
	f, _, err := loadManaged(fs.Name(), stderr)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", fs.Name(), err)
		return preset.File{}, false
	}
	applyManaged(fs, f, cfg, &cfg.GraphURL)
	return f, true
}

// authExit maps a sign-in command's error to the exit code.
func authExit(stderr io.Writer, cmd string, err error) int {
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(stderr, "caltray %s: %v\n", cmd, err)
	if errors.Is(err, auth.ErrBadConfig) || errors.Is(err, calsync.ErrNoKeyring) {
		return exitUsage
	}
	return exitSignIn // still not signed in: declined, expired code, network
}

func runSignIn(args []string, stdout, stderr io.Writer) int {
	fs, cfg := authFlags("signin", stderr)
	deviceCode := fs.Bool("device-code", false, "sign in with a code entered on another device (no browser here, e.g. over SSH)")
	if _, ok := authSetup(fs, cfg, args, stderr); !ok {
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return authExit(stderr, "signin", auth.SignIn(ctx, *cfg, stdout, *deviceCode))
}

func runSignOut(args []string, stdout, stderr io.Writer) int {
	fs, cfg := authFlags("signout", stderr)
	if _, ok := authSetup(fs, cfg, args, stderr); !ok {
		return exitUsage
	}
	return authExit(stderr, "signout", auth.SignOut(context.Background(), *cfg, stdout))
}

func runWhoAmI(args []string, stdout, stderr io.Writer) int {
	fs, cfg := authFlags("whoami", stderr)
	f, ok := authSetup(fs, cfg, args, stderr)
	if !ok {
		return exitUsage
	}
	err := auth.WhoAmI(*cfg, stdout)
	if errors.Is(err, auth.ErrBadConfig) {
		return authExit(stderr, "whoami", err)
	}
	var acct *auth.Account
	if s, oerr := auth.Open(*cfg); oerr == nil {
		acct = s.Account()
	}
	writeSources(stdout, settingSources(fs, cfg.GraphURL, acct, f))
	return authExit(stderr, "whoami", err)
}
