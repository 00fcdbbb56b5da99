package graph

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"2", 2 * time.Second},
		{" 120 ", 2 * time.Minute},
		{"0", 0},
		{"-5", 0},
		{"soon", 0},
		{"1.5", 0},
		{"99999999", 24 * time.Hour},
		{"Fri, 27 Nov 2026 09:00:07 GMT", 7 * time.Second},
		{"Friday, 27-Nov-26 09:01:00 GMT", time.Minute}, // RFC 850
		{"Fri Nov 27 09:00:30 2026", 30 * time.Second},  // asctime
		{"Fri, 27 Nov 2026 08:59:00 GMT", 0},            // in the past
		{"Sat, 05 Dec 2026 09:00:00 GMT", 24 * time.Hour},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
	// A date between whole seconds of our clock is rounded up, never early.
	if got := parseRetryAfter("Fri, 27 Nov 2026 09:00:02 GMT", now.Add(300*time.Millisecond)); got != 2*time.Second {
		t.Errorf("fractional: got %v, want 2s", got)
	}
}

func TestErrorMessages(t *testing.T) {
	tests := []struct {
		err  *Error
		want []string
	}{
		{&Error{Op: "calendarView page 1", Status: 429, Code: "TooManyRequests", Message: "Please retry again later.", Wait: 2 * time.Second, RequestID: "r-1"},
			[]string{"calendarView page 1", "HTTP 429 Too Many Requests", "TooManyRequests: Please retry again later.", "throttling", "retry after 2s", "request-id r-1"}},
		{&Error{Status: 401, Code: "InvalidAuthenticationToken", Message: "Access token has expired."},
			[]string{"HTTP 401 Unauthorized", "InvalidAuthenticationToken", "sign in again", "CALTRAY_ACCESS_TOKEN"}},
		{&Error{Status: 403, Code: "ErrorAccessDenied"}, []string{"Calendars.Read"}},
		{&Error{Status: 410, Code: "syncStateNotFound"}, []string{"HTTP 410 Gone", "full sync"}},
		{&Error{Status: 503}, []string{"HTTP 503 Service Unavailable", "unavailable", "retry later"}},
		{&Error{Status: 408}, []string{"HTTP 408 Request Timeout", "unavailable", "retry later"}},
		// The runner does not retry a 501; the message must not ask the user to.
		{&Error{Status: 501, Code: "notImplemented"}, []string{"HTTP 501 Not Implemented", "retrying will not help"}},
		{&Error{Status: 400, Code: "BadRequest", Message: "x"}, []string{"bug in caltray"}},
	}
	for _, tt := range tests {
		msg := tt.err.Error()
		for _, w := range tt.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%q lacks %q", msg, w)
			}
		}
		if tt.err.HTTPStatus() != tt.err.Status || tt.err.RetryAfter() != tt.err.Wait {
			t.Errorf("accessors disagree with fields: %+v", tt.err)
		}
	}
}

func TestRunnerInterfacesThroughWrapping(t *testing.T) {
	var err error = &Error{Status: 429, Wait: 3 * time.Second}
	err = errors.Join(errors.New("sync"), err)
	var hs interface{ HTTPStatus() int }
	var ra interface{ RetryAfter() time.Duration }
	if !errors.As(err, &hs) || hs.HTTPStatus() != http.StatusTooManyRequests || !errors.As(err, &ra) || ra.RetryAfter() != 3*time.Second {
		t.Fatal("wrapped *Error does not expose HTTPStatus/RetryAfter")
	}
	var pe error = &PayloadError{Status: 200, Reason: "x"}
	if errors.As(pe, &hs) {
		t.Fatal("PayloadError must not claim an HTTP error status")
	}
}

func TestExpiredDelta(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{&Error{Status: 410}, true},
		{&Error{Status: 400, Code: "SyncStateNotFound"}, true},
		{&Error{Status: 400, Code: "resyncRequired"}, true},
		{&Error{Status: 400, Code: "BadRequest"}, false},
		{&Error{Status: 503}, false},
		{errors.New("410"), false},
	}
	for _, tt := range tests {
		if got := expiredDelta(tt.err); got != tt.want {
			t.Errorf("expiredDelta(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
