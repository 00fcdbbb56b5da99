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

// settingSources says where each sign-in setting a command with flags fs uses comes from: the
// flag, the environment, the account record (acct; nil: nobody signed in), the managed
// configuration f or the default. Package auth decides (auth.Resolve, what the next sign-in
// uses); this only words it, so whoami and the Preferences window can never name another
// tenant or authority than the sign-in takes, including for an account whose registration the
// administrator moved (its file's values first, then its record's).
func settingSources(fs *flag.FlagSet, graphURL string, acct *auth.Account, f preset.File) []settingSource {
	flagValue := func(name string) string {
		if fl := fs.Lookup(name); fl != nil {
			return fl.Value.String()
		}
		return ""
	}
	// The --client-id flag's default is CALTRAY_CLIENT_ID: cfg holds what the flags and the
	// environment give, as the sign-in's Config does.
	cfg := auth.Config{ClientID: flagValue("client-id"), Tenant: flagValue("tenant"), Authority: flagValue("authority"), Managed: managedAuth(f)}
	r := auth.Resolve(cfg, acct, "", "")
	fromFile := "the managed configuration " + f.Path
	word := func(name, flagName, env, value string, from auth.Layer) settingSource {
		switch from {
		case auth.FromConfig:
			if env != "" && !flagSet(fs, flagName) && os.Getenv(env) != "" {
				return settingSource{name, value, "the environment variable " + env}
			}
			return settingSource{name, value, "the flag --" + flagName}
		case auth.FromTyped:
			return settingSource{name, value, "typed in the sign-in window"}
		case auth.FromRecord:
			from := "the account record"
			if name == "client ID" && acct.ManagedClientID != "" {
				from += " (signed in under the managed configuration's client ID)"
			}
			return settingSource{name, value, from}
		case auth.FromManaged:
			from := fromFile
			if r.Moved && name == "client ID" {
				from += " (a new one: sign in again)"
			}
			return settingSource{name, value, from}
		}
		if value == "" {
			return settingSource{name, "(none)", "not set: needed to sign in"}
		}
		return settingSource{name, value, "the default"}
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
		word("client ID", "client-id", auth.ClientIDEnv, r.ClientID, r.ClientIDFrom),
		word("tenant", "tenant", "", r.Tenant, r.TenantFrom),
		word("authority", "authority", "", r.Authority, r.AuthorityFrom),
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
