// Command caltray shows your Microsoft 365 meetings, and the health of their sync, in the
// system tray. See README.md; the contracts (sub-commands, exit codes, JSON) are in docs/DESIGN.md.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"caltray/ui/locale"
)

// Exit codes, a contract with scripts (docs/DESIGN.md).
const (
	exitOK     = 0
	exitUsage  = 2 // bad flags, arguments or configuration
	exitSignIn = 3 // a sign-in is needed
	exitSync   = 4 // the sync failed; the cached agenda was printed, marked stale
)

// commands maps a sub-command to its implementation. Each returns the exit code.
var commands = map[string]func(args []string, stdout, stderr io.Writer) int{
	"version": runVersion,
	"agenda":  runAgenda,
	"signin":  runSignIn,
	"signout": runSignOut,
	"whoami":  runWhoAmI,
}

func main() {
	locale.Restore()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
			usage(stdout)
			return exitOK
		}
		return runTray(args, stdout, stderr)
	}
	if args[0] == windowCommand {
		return runWindow(args[1:], stdout, stderr)
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
	fmt.Fprint(w, `usage: caltray [--demo] [--debug] [--graph-url URL] [--health-addr ADDR]
       caltray <command> [flags]

Without a command, caltray runs in the system tray (--demo: on a simulated Microsoft Graph,
with a "Simulate outage" menu entry). --health-addr serves GET /health/async on loopback.

commands:
  agenda    sync once and print the upcoming meetings (caltray agenda -h for its flags)
  signin    sign in with your Microsoft 365 account (--device-code without a browser)
  signout   remove every token and the account record
  whoami    print the signed-in account and where each sign-in setting comes from
  version   print caltray's version
`)
}

func runVersion(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintf(stderr, "caltray version: takes no arguments\n")
		return exitUsage
	}
	fmt.Fprintln(stdout, versionLine())
	return exitOK
}
