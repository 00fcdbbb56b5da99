package model

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	calsync "caltray/sync"
)

// RegistrationHelpURL is Microsoft's guide to registering an application, the page the sign-in
// window links to next to the README's own steps ("Register caltray in Microsoft Entra ID"),
// which ship with caltray but have no web address of their own.
const RegistrationHelpURL = "https://learn.microsoft.com/entra/identity-platform/quickstart-register-app"

// clientIDPattern is an application ID as Entra shows it: a GUID (package auth checks the same).
var clientIDPattern = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`)

// tenantPattern is a tenant ID, alias or domain: letters, digits, dots and hyphens.
var tenantPattern = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,253}[A-Za-z0-9])?$`)

// ValidateClientID checks the sign-in window's client ID as it is typed.
func ValidateClientID(s string) error {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return errors.New("paste the Application (client) ID of caltray's app registration")
	case !clientIDPattern.MatchString(s):
		return errors.New("an Application (client) ID looks like 3f1c2a9e-5b7d-4e8f-9a0b-1c2d3e4f5a6b")
	}
	return nil
}

// ValidateTenant checks the sign-in window's tenant: empty (any work or school account), an
// alias, a tenant ID or a domain.
func ValidateTenant(s string) error {
	s = strings.TrimSpace(s)
	if s != "" && !tenantPattern.MatchString(s) {
		return errors.New("a tenant is a domain such as contoso.onmicrosoft.com or a Directory (tenant) ID; leave it empty for any work or school account")
	}
	return nil
}

// SignInWords is what the sign-in window says about a failed sign-in: what happened and what
// to do, in plain words (the README's table, "When sign-in fails"), chosen by kind.
type SignInWords struct {
	What, Fix string
	// ShowDetail: the identity platform's own words help here (for IT, or as the only clue).
	ShowDetail bool
}

// SignInFailureWords words f for the sign-in window.
func SignInFailureWords(f calsync.SignInFailure) SignInWords {
	switch f.Kind {
	case calsync.FailCancelled:
		return SignInWords{What: "Sign-in cancelled."}
	case calsync.FailDeclined:
		return SignInWords{What: "The sign-in was declined.", Fix: "Sign in again and accept the permissions caltray asks for (read your calendar and your name)."}
	case calsync.FailExpired:
		return SignInWords{What: "The code expired before it was entered.", Fix: "Get a new code and enter it within 15 minutes."}
	case calsync.FailTimedOut:
		return SignInWords{What: fmt.Sprintf("The sign-in took longer than %d minutes and was stopped.", int(calsync.SignInTimeout.Minutes())),
			Fix: "Try again, or use a code instead: you can enter it on any device."}
	case calsync.FailAdminConsent:
		return SignInWords{What: "An administrator of your organisation must approve caltray first.",
			Fix: "Send the address below to your IT department: an administrator who opens it can grant consent for everyone. Then sign in again.", ShowDetail: true}
	case calsync.FailAppNotFound:
		return SignInWords{What: "The Application (client) ID or the tenant is wrong.",
			Fix: "Copy both again from the app registration's Overview page in the Microsoft Entra admin center, or ask your IT department for them.", ShowDetail: true}
	case calsync.FailPublicClient:
		return SignInWords{What: "The app registration does not allow sign-in from desktop apps.",
			Fix: "In the registration's Authentication page, set \"Allow public client flows\" to Yes (README step 4), or ask your IT department.", ShowDetail: true}
	case calsync.FailRedirectURI:
		return SignInWords{What: "The app registration does not list http://localhost as a redirect address.",
			Fix: "Under Authentication → Mobile and desktop applications, add http://localhost (README step 2), or use a code instead.", ShowDetail: true}
	case calsync.FailTenant:
		return SignInWords{What: "That tenant does not exist, or your account is not in it.",
			Fix: "Check the tenant, or leave it empty to sign in with any work or school account.", ShowDetail: true}
	case calsync.FailBlocked:
		return SignInWords{What: "A policy of your organisation blocked this sign-in.",
			Fix: "Ask your IT department; the details below tell them which policy.", ShowDetail: true}
	case calsync.FailNetwork:
		return SignInWords{What: "The Microsoft sign-in service could not be reached.", Fix: "Check the network connection and try again.", ShowDetail: true}
	case calsync.FailNoBrowser:
		return SignInWords{What: "No web browser could be opened.", Fix: "Use a code instead: you can enter it on any device."}
	case calsync.FailBadSettings:
		return SignInWords{What: "The sign-in settings are not valid.", ShowDetail: true}
	case calsync.FailKeyring:
		return SignInWords{What: "You signed in, but the sign-in cannot be kept.",
			Fix: "Start a Secret Service (gnome-keyring, or KeePassXC's Secret Service integration) and unlock it, then sign in again.", ShowDetail: true}
	}
	return SignInWords{What: "Sign-in failed.", ShowDetail: true}
}
