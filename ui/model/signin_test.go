package model

import (
	"testing"

	calsync "caltray/sync"
)

func TestValidateClientIDAndTenant(t *testing.T) {
	tests := []struct {
		id, tenant string
		idOK, tOK  bool
	}{
		{"3f1c2a9e-5b7d-4e8f-9a0b-1c2d3e4f5a6b", "", true, true},
		{" 3F1C2A9E-5B7D-4E8F-9A0B-1C2D3E4F5A6B ", "contoso.onmicrosoft.com", true, true},
		{"", "organizations", false, true},
		{"3f1c2a9e5b7d4e8f9a0b1c2d3e4f5a6b", "7a1f3f8e-2b6c-4d7e-9f10-3c4b5a6d7e8f", false, true},
		{"3f1c2a9e-5b7d-4e8f-9a0b-1c2d3e4f5a6g", "contoso/evil", false, false},
		{"caltray", "-contoso", false, false},
	}
	for _, tt := range tests {
		if err := ValidateClientID(tt.id); (err == nil) != tt.idOK {
			t.Errorf("ValidateClientID(%q) = %v; want ok %v", tt.id, err, tt.idOK)
		}
		if err := ValidateTenant(tt.tenant); (err == nil) != tt.tOK {
			t.Errorf("ValidateTenant(%q) = %v; want ok %v", tt.tenant, err, tt.tOK)
		}
	}
}

// TestSignInFailureWords: every kind has its own plain words; those an administrator or IT
// acts on keep the identity platform's words below; an unknown kind still says something.
func TestSignInFailureWords(t *testing.T) {
	kinds := []calsync.SignInFailureKind{calsync.FailCancelled, calsync.FailDeclined, calsync.FailExpired, calsync.FailTimedOut,
		calsync.FailAdminConsent, calsync.FailAppNotFound, calsync.FailPublicClient, calsync.FailRedirectURI,
		calsync.FailTenant, calsync.FailBlocked, calsync.FailNetwork, calsync.FailNoBrowser, calsync.FailBadSettings,
		calsync.FailKeyring}
	seen := map[string]calsync.SignInFailureKind{}
	for _, k := range kinds {
		w := SignInFailureWords(calsync.SignInFailure{Kind: k})
		if w.What == "" || w.What == "Sign-in failed." {
			t.Errorf("%s: no words of its own (%q)", k, w.What)
		}
		if other, ok := seen[w.What]; ok {
			t.Errorf("%s and %s say the same: %q", k, other, w.What)
		}
		seen[w.What] = k
	}
	for _, k := range []calsync.SignInFailureKind{calsync.FailAdminConsent, calsync.FailAppNotFound, calsync.FailPublicClient, calsync.FailBlocked} {
		if w := SignInFailureWords(calsync.SignInFailure{Kind: k}); !w.ShowDetail || w.Fix == "" {
			t.Errorf("%s: %+v; want a fix and the identity platform's words", k, w)
		}
	}
	if w := SignInFailureWords(calsync.SignInFailure{Kind: "from-the-future"}); w.What != "Sign-in failed." || !w.ShowDetail {
		t.Errorf("unknown kind: %+v", w)
	}
}
