package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"caltray/sync/inert"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
)

const accountName = "account.json"

// An Account is the record of who signed in and how: what whoami prints and what silent token
// requests use. It holds no secret. Its JSON is azidentity's AuthenticationRecord (so the
// record stays readable by azidentity's credentials) plus caltray's own fields.
type Account struct {
	azidentity.AuthenticationRecord
	// Name is the user's display name, from the ID token.
	Name string `json:"name,omitempty"`
	// AuthorityURL and Tenant are the settings signed in with; silent requests use the same
	// authority, since MSAL files tokens under it.
	AuthorityURL string `json:"authorityUrl"`
	Tenant       string `json:"tenantSetting"`
	// ManagedClientID is the managed configuration's client ID when the sign-in took its
	// client ID from that file, empty when the user gave it (flag or environment). It is how
	// an administrator's move to a new app registration reaches an account whose record
	// otherwise ranks above the file: see Session.mismatchLocked.
	ManagedClientID string `json:"managedClientId,omitempty"`
}

// UnmarshalJSON reads both parts: the embedded record's own UnmarshalJSON (which checks its
// version) would otherwise be the only one to run and drop caltray's fields.
func (a *Account) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &a.AuthenticationRecord); err != nil {
		return err
	}
	var own struct {
		Name            string `json:"name"`
		AuthorityURL    string `json:"authorityUrl"`
		Tenant          string `json:"tenantSetting"`
		ManagedClientID string `json:"managedClientId"`
	}
	if err := json.Unmarshal(b, &own); err != nil {
		return err
	}
	a.Name, a.AuthorityURL, a.Tenant, a.ManagedClientID = own.Name, own.AuthorityURL, own.Tenant, own.ManagedClientID
	return nil
}

// msal returns the account as MSAL's silent requests want it.
func (a *Account) msal() public.Account {
	return public.Account{
		HomeAccountID:     a.HomeAccountID,
		Environment:       a.Authority,
		Realm:             a.TenantID,
		PreferredUsername: a.Username,
	}
}

// accountFrom makes the record of a sign-in.
func accountFrom(ar public.AuthResult, s settings) *Account {
	// The realm is the authority's tenant ("organizations" by default); the ID token names the
	// directory the user really signed in to.
	tenant := ar.IDToken.TenantID
	if tenant == "" {
		tenant = ar.Account.Realm
	}
	return &Account{
		AuthenticationRecord: azidentity.AuthenticationRecord{
			Authority:     ar.Account.Environment,
			ClientID:      s.clientID,
			HomeAccountID: ar.Account.HomeAccountID,
			TenantID:      tenant,
			Username:      ar.Account.PreferredUsername,
			Version:       "1.0", // azidentity's current record version
		},
		Name:            ar.IDToken.Name,
		AuthorityURL:    s.authority,
		Tenant:          s.tenant,
		ManagedClientID: s.managedClientID,
	}
}

// loadAccount reads the record in dir; nil, nil if nobody signed in.
func loadAccount(dir string) (*Account, error) {
	path := filepath.Join(dir, accountName)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	const fix = "run caltray signin to sign in again (it replaces the record), or remove the file"
	if err != nil {
		return nil, &accountError{fmt.Sprintf("cannot read the account record %s (%v); make it readable by you, or %s", path, err, fix), err}
	}
	var a Account
	if err := json.Unmarshal(b, &a); err != nil {
		// The decoder's message may quote the file's bytes: a local file is untrusted text.
		return nil, &accountError{fmt.Sprintf("the account record %s is damaged (%s); %s", path, inert.Line(err.Error()), fix), err}
	}
	if a.HomeAccountID == "" || a.ClientID == "" || a.AuthorityURL == "" || a.Tenant == "" {
		return nil, &accountError{fmt.Sprintf("the account record %s is incomplete; %s", path, fix), nil}
	}
	return &a, nil
}

// accountError is an account record that cannot be used; it matches ErrAccountDamaged.
type accountError struct {
	msg string
	err error // the read or decode error, if any
}

func (e *accountError) Error() string   { return e.msg }
func (e *accountError) Unwrap() []error { return []error{ErrAccountDamaged, e.err} }

// saveAccount writes the record to dir (0600: it names the user).
func saveAccount(dir string, a *Account) error {
	b, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		return fmt.Errorf("encode the account record: %w", err)
	}
	return saveFile(dir, accountName, append(b, '\n'))
}

// removeAccount deletes the record in dir, if any.
func removeAccount(dir string) error {
	err := os.Remove(filepath.Join(dir, accountName))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove the account record: %w", err)
	}
	return nil
}
