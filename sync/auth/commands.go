package auth

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/microsoft/kiota-abstractions-go/authentication"
	kiotaazure "github.com/microsoft/kiota-authentication-azure-go"
)

// RegisterFlags adds the sign-in settings to fs: --client-id (default $CALTRAY_CLIENT_ID),
// --tenant and --authority. The Graph URL is main's --graph-url; copy it into cfg.GraphURL.
func RegisterFlags(fs *flag.FlagSet, cfg *Config) {
	fs.StringVar(&cfg.ClientID, "client-id", os.Getenv(ClientIDEnv),
		"Application (client) ID of caltray's app registration in Microsoft Entra ID (needed by signin; later commands read it from the account record)")
	fs.StringVar(&cfg.Tenant, "tenant", "",
		`tenant to sign in to: "organizations" (default, any work or school account), "common", a tenant ID or a domain`)
	fs.StringVar(&cfg.Authority, "authority", "",
		"identity platform URL, default "+DefaultAuthority+" (sovereign clouds: e.g. https://login.microsoftonline.us/ with --graph-url https://graph.microsoft.us/v1.0)")
}

// SignIn is `caltray signin [--device-code]`: it signs in and saves the sign-in in the OS keyring.
// Without a keyring it stops before asking the user anything, with an error that names the
// cause and the fix and matches calsync.ErrNoKeyring: a sign-in this process cannot keep would
// be lost when it exits. Errors about the settings match ErrBadConfig.
func SignIn(ctx context.Context, cfg Config, out io.Writer, deviceCode bool) error {
	early := cfg
	if early.ClientID == "" {
		early.ClientID = cfg.Managed.ClientID // the administrator's, if there is one
	}
	if _, err := early.check(true); err != nil {
		return err // before Open: signin needs a client ID, the other commands do not
	}
	s, err := Open(cfg)
	if err != nil {
		return err
	}
	return s.signIn(ctx, out, SignInOptions{DeviceCode: deviceCode}, true)
}

// SignOut is `caltray signout`: it removes every token and the account record, and says once
// what it removed and what not. Errors carry no "caltray signout:" prefix: the caller adds it.
//
// Without a keyring it still succeeds once the account record and the sealed token cache are
// gone from the disk: the cache key that may remain in the keyring opens nothing without the
// file (and the next sign-in replaces it), so the user is signed out; the output says so.
func SignOut(ctx context.Context, cfg Config, out io.Writer) error {
	s, err := Open(cfg)
	if err != nil {
		return err
	}
	a := s.Account()
	who := "Nobody was signed in; no sign-in is saved now"
	if a != nil {
		who = fmt.Sprintf("Signed out %s: the account record and the saved sign-in are removed", a.Username)
	}
	err = s.SignOut(ctx)
	var ke *KeyringError
	switch {
	case err == nil:
		if a != nil {
			who += ", and the token cache key is gone from the OS keyring"
		}
		fmt.Fprintln(out, who+".")
		return nil
	case errors.As(err, &ke) && s.filesGone():
		why := fmt.Sprint(ke.Cause)
		if errors.Is(ke.Cause, context.DeadlineExceeded) {
			why = "it did not answer in time"
		}
		fmt.Fprintf(out, "%s. caltray could not reach the OS keyring (%s), so its token cache key may still be there: "+
			"without the saved sign-in it opens nothing, and the next caltray signin replaces it.\n", who, why)
		return nil
	}
	return fmt.Errorf("the sign-in is not completely removed: %w", err)
}

// filesGone reports whether neither the account record nor the sealed token cache is on disk.
func (s *Session) filesGone() bool {
	for _, name := range []string{accountName, sealedName} {
		if _, err := os.Lstat(filepath.Join(s.dir, name)); !errors.Is(err, fs.ErrNotExist) {
			return false
		}
	}
	return true
}

// WhoAmI is `caltray whoami`: it prints the signed-in account (name, UPN, tenant) or says that
// nobody is signed in. It reads only the account record: no network, no keyring. When the
// account must sign in again whatever its tokens (settings that differ from its own, an
// administrator's move to another registration) it prints the account and returns why, which
// matches calsync.ErrSignInNeeded.
func WhoAmI(cfg Config, out io.Writer) error {
	s, err := Open(cfg)
	if err != nil {
		return err
	}
	a := s.Account()
	if a == nil {
		s.mu.Lock()
		stop := s.stop
		s.mu.Unlock()
		if stop != nil {
			return stop // a damaged record: say so rather than "nobody"
		}
		fmt.Fprintln(out, "Nobody is signed in. Run caltray signin.")
		return nil
	}
	name := a.Name
	if name == "" {
		name = "(no display name)"
	}
	fmt.Fprintf(out, "name:      %s\nuser:      %s\ntenant:    %s\nclient ID: %s\nauthority: %s (tenant setting %s)\n",
		name, a.Username, a.TenantID, a.ClientID, a.AuthorityURL, a.Tenant)
	s.mu.Lock()
	stop := s.stop
	s.mu.Unlock()
	return stop
}

// Provider returns the kiota authentication provider the Graph source sends its requests
// through: tokens from cred for caltray's scopes on graphURL, attached only to requests for the
// host of graphURL (kiota's Azure provider sends none to any other host, silently).
func Provider(cred azcore.TokenCredential, graphURL string) (authentication.AuthenticationProvider, error) {
	if cred == nil {
		return nil, errors.New("auth: Provider needs a credential")
	}
	g, err := checkGraphURL(graphURL)
	if err != nil {
		return nil, err
	}
	p, err := kiotaazure.NewAzureIdentityAuthenticationProviderWithScopesAndValidHosts(cred, scopes(g), []string{g.Hostname()})
	if err != nil {
		return nil, fmt.Errorf("auth: Graph authentication provider: %w", err)
	}
	return p, nil
}
