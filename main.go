// Command caltray shows your Microsoft 365 meetings, and the health of their sync, in the
// system tray. See README.md; the contracts (sub-commands, exit codes, JSON) are in DESIGN.md.
package main

import (
	"fmt"
	"io"
	"os"
)

// version is the release; the build may override it with -ldflags "-X main.version=...".
var version = "0.1.0"

// Exit codes, a contract with scripts (DESIGN.md).
const (
	exitOK     = 0
	exitUsage  = 2 // bad flags, arguments or configuration
	exitSignIn = 3 // a sign-in is needed
	exitSync   = 4 // the sync failed; the cached agenda was printed, marked stale
)

// commands maps a sub-command to its implementation. Each returns the exit code.
var commands = map[string]func(args []string, stdout, stderr io.Writer) int{
	"version": runVersion,
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "caltray: unknown command %q\n", args[0])
		usage(stderr)
		return exitUsage
	}
	return cmd(args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage: caltray <command> [flags]

commands:
  version   print caltray's version
`)
}

func runVersion(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintf(stderr, "caltray version: takes no arguments\n")
		return exitUsage
	}
	fmt.Fprintf(stdout, "caltray %s\n", version)
	return exitOK
}
