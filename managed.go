package main

// The managed configuration as the commands apply it: read at every start (package preset),
// then placed under what the flags, the environment and the user's own files give
// (docs/DESIGN.md, "Managed configuration").

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"caltray/sync/auth"
	"caltray/sync/origin"
	"caltray/sync/preset"
)

// loadManaged reads this machine's managed configuration and checks its sign-in values. Each
// warning (an unknown key) goes to stderr, prefixed with the command, and is returned too (the
// tray app, started from a desktop, logs them: its stderr may go nowhere). The error names the
// file and the key: the command exits with its usage code, since running on without the
// administrator's values would sign people in to the wrong place or not at all.
func loadManaged(cmd string, stderr io.Writer) (preset.File, []string, error) {
	f, warns, err := preset.Load()
	for _, w := range warns {
		fmt.Fprintf(stderr, "%s: warning: %s\n", cmd, w)
	}
	if err != nil {
		return preset.File{}, warns, err
	}
	if err := managedAuth(f).Check(); err != nil {
		return preset.File{}, warns, err
	}
	return f, warns, nil
}

// managedAuth is the sign-in part of f, for auth.Config.Managed.
func managedAuth(f preset.File) auth.Managed {
	return auth.Managed{Path: f.Path, ClientID: f.ClientID, Tenant: f.Tenant, Authority: f.Authority}
}

// applyManaged places f under the flags of fs: cfg.Managed (package auth ranks it below the
// flags, the environment and the account record), and f's Graph URL in *graphURL when
// --graph-url was not given (the account record keeps no Graph URL, so the file is next).
func applyManaged(fs *flag.FlagSet, f preset.File, cfg *auth.Config, graphURL *string) {
	cfg.Managed = managedAuth(f)
	if f.GraphURL != "" && !flagSet(fs, "graph-url") {
		*graphURL = f.GraphURL
	}
}

// flagSet reports whether the flag name was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// A settingSource is one line of whoami's "where each setting comes from".
type settingSource struct {
	name, value, from string
}

// settingSources says where each sign-in setting a command with flags fs uses comes from, in
// the order they rank: flag, environment, the account record (nil: nobody signed in), the
// managed configuration f, the default. It follows package auth's rules, including an account
// that an administrator's new client ID sends to sign in again (the file's value is the one
// the next sign-in uses).
func settingSources(fs *flag.FlagSet, graphURL string, acct *auth.Account, f preset.File) []settingSource {
	m := managedAuth(f)
	moved := acct != nil && m.Moved(acct)
	fromFile := "the managed configuration " + f.Path
	pick := func(name, flagName, env string, record func(*auth.Account) string, managed, def string) settingSource {
		switch {
		case flagSet(fs, flagName):
			return settingSource{name, fs.Lookup(flagName).Value.String(), "the flag --" + flagName}
		case env != "" && os.Getenv(env) != "":
			return settingSource{name, os.Getenv(env), "the environment variable " + env}
		case acct != nil && record != nil && !moved:
			from := "the account record"
			if name == "client ID" && acct.ManagedClientID != "" {
				from += " (signed in under the managed configuration's client ID)"
			}
			return settingSource{name, record(acct), from}
		case managed != "":
			from := fromFile
			if moved && name == "client ID" {
				from += " (a new one: sign in again)"
			}
			return settingSource{name, managed, from}
		case def == "":
			return settingSource{name, "(none)", "not set: needed to sign in"}
		}
		return settingSource{name, def, "the default"}
	}
	graph := settingSource{"Graph URL", graphURL, "the default"}
	switch {
	case flagSet(fs, "graph-url"):
		graph.from = "the flag --graph-url"
	case f.GraphURL != "":
		graph.from = fromFile
	case graphURL != origin.DefaultGraph:
		graph.from = "unknown" // cannot happen: said rather than guessed
	}
	return []settingSource{
		pick("client ID", "client-id", auth.ClientIDEnv, func(a *auth.Account) string { return a.ClientID }, m.ClientID, ""),
		pick("tenant", "tenant", "", func(a *auth.Account) string { return a.Tenant }, m.Tenant, auth.DefaultTenant),
		pick("authority", "authority", "", func(a *auth.Account) string { return a.AuthorityURL }, m.Authority, auth.DefaultAuthority),
		graph,
	}
}

// writeSources prints the sources as whoami shows them.
func writeSources(w io.Writer, sources []settingSource) {
	fmt.Fprintln(w, "\nWhere each setting comes from:")
	width := 0
	for _, s := range sources {
		width = max(width, len(s.name))
	}
	for _, s := range sources {
		fmt.Fprintf(w, "  %s%s  %s  (%s)\n", s.name, strings.Repeat(" ", width-len(s.name)), s.value, s.from)
	}
}
