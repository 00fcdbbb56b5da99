package sync

import "time"

// The interactive sign-in as the UI sees it: what it shows while the person signs in
// (SignInProgress) and why it failed (SignInFailure). Package auth produces both; the tray
// carries them to the sign-in window (package ipc) as plain data, so the window, which holds no
// token and imports no auth, can say what is happening and what to do. They live here, with
// AuthState, because every one of those packages already imports sync.

// SignInTimeout bounds one interactive sign-in the tray runs: a browser left open, a code never
// entered (the device code itself expires after 15 minutes). Past it the sign-in fails as
// FailTimedOut.
const SignInTimeout = 16 * time.Minute

// The steps of an interactive sign-in.
const (
	SignInBrowser    = "browser"     // the sign-in page is open in the browser; URL is it
	SignInDeviceCode = "device-code" // the person enters UserCode at URL, on any device
)

// SignInProgress is one step of an interactive sign-in. The URL and code come from the
// identity platform: package auth makes them inert and checks that URL is a web address.
type SignInProgress struct {
	Step     string    `json:"step"`
	URL      string    `json:"url,omitempty"`
	UserCode string    `json:"user_code,omitempty"`
	Expires  time.Time `json:"expires,omitzero"` // when the device code stops working
}

// SignInFailureKind says why a sign-in failed, in the terms of what the person can do about it
// (README, "When sign-in fails"). The UI chooses its words by kind, never by the text.
type SignInFailureKind string

// The kinds of sign-in failure.
const (
	FailCancelled    SignInFailureKind = "cancelled"     // the person cancelled it here
	FailDeclined     SignInFailureKind = "declined"      // the person declined at the sign-in page
	FailExpired      SignInFailureKind = "expired"       // the device code expired before it was entered
	FailTimedOut     SignInFailureKind = "timed-out"     // not finished within SignInTimeout
	FailAdminConsent SignInFailureKind = "admin-consent" // AADSTS65001, AADSTS90094: an administrator must consent
	FailAppNotFound  SignInFailureKind = "app-not-found" // AADSTS700016: wrong client ID or tenant
	FailPublicClient SignInFailureKind = "public-client" // AADSTS7000218: "Allow public client flows" is off
	FailRedirectURI  SignInFailureKind = "redirect-uri"  // AADSTS50011: http://localhost is not registered
	FailTenant       SignInFailureKind = "tenant"        // the tenant does not exist
	FailBlocked      SignInFailureKind = "blocked"       // AADSTS53003 and kin: a policy of the organisation
	FailNetwork      SignInFailureKind = "network"       // the identity platform could not be reached
	FailNoBrowser    SignInFailureKind = "no-browser"    // no browser could be opened
	FailBadSettings  SignInFailureKind = "bad-settings"  // the client ID or tenant is not valid
	FailKeyring      SignInFailureKind = "keyring"       // signed in, but the sign-in cannot be kept
	FailOther        SignInFailureKind = "other"         // anything else: Detail says what
)

// A SignInFailure is a failed interactive sign-in: an error whose text is what the command line
// prints, with the kind and details a window needs to say it in plain words.
type SignInFailure struct {
	Kind SignInFailureKind `json:"kind"`
	// Code is the identity platform's code, such as "AADSTS65001", or its OAuth error code.
	Code string `json:"code,omitempty"`
	// Detail is the identity platform's own words (inert, one line), for the curious and for IT.
	Detail string `json:"detail,omitempty"`
	// AdminConsentURL, with FailAdminConsent, is the page where an administrator of the tenant
	// grants consent for this client ID: the person copies it and sends it to IT.
	AdminConsentURL string `json:"admin_consent_url,omitempty"`
	// Message is the whole error text, as `caltray signin` prints it.
	Message string `json:"message"`

	Err error `json:"-"` // what caused it, for errors.Is and errors.As
}

func (f *SignInFailure) Error() string { return f.Message }
func (f *SignInFailure) Unwrap() error { return f.Err }
