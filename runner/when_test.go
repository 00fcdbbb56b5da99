package runner

import (
	"errors"
	"testing"
	"time"
)

func TestClockTime(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 2, 0, 51, 39, 0, time.UTC)
	tests := []struct {
		name   string
		t, now time.Time
		want   string
	}{
		{"same day", now.Add(time.Hour), now, "01:51:39"},
		{"a day later", now.Add(24 * time.Hour), now, "Thu 3 Dec 00:51:39"},
		{"just before midnight, now", time.Date(2026, 12, 2, 23, 59, 59, 0, time.UTC), now, "23:59:59"},
		{"just after midnight, tomorrow", time.Date(2026, 12, 3, 0, 0, 1, 0, time.UTC), time.Date(2026, 12, 2, 23, 59, 59, 0, time.UTC), "Thu 3 Dec 00:00:01"},
		{"yesterday", now.Add(-time.Hour), now, "Tue 1 Dec 23:51:39"},
		{"next year", time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC), "Fri 1 Jan 2027 00:00:00"},
		{"far away", time.Date(9998, 6, 1, 12, 0, 0, 0, time.UTC), now, "Mon 1 Jun 9998 12:00:00"},
		{"unknown now", now, time.Time{}, "Wed 2 Dec 2026 00:51:39"},
		// Days are the viewer's: 23:30 UTC on the 2nd is 00:30 on the 3rd in Paris.
		{"in the viewer's zone", time.Date(2026, 12, 2, 23, 30, 0, 0, time.UTC).In(paris), time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC), "Thu 3 Dec 00:30:00"},
		{"same local day, other UTC day", time.Date(2026, 12, 2, 23, 30, 0, 0, time.UTC).In(paris), time.Date(2026, 12, 3, 0, 10, 0, 0, time.UTC), "00:30:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ClockTime(tt.t, tt.now, time.TimeOnly); got != tt.want {
				t.Errorf("ClockTime = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestErrorRetryTimeCarriesItsDate: "retry after 24h0m0s; retry at 00:51:39" read as today.
func TestErrorRetryTimeCarriesItsDate(t *testing.T) {
	now := time.Date(2026, 12, 2, 0, 51, 39, 0, time.UTC)
	tests := []struct {
		name string
		e    *Error
		want string
	}{
		{"retry tomorrow", &Error{Op: "sync", Err: errors.New("throttled"), Now: now, RetryAt: now.Add(24 * time.Hour)},
			"sync: throttled; retry at Thu 3 Dec 00:51:39"},
		{"retry today", &Error{Op: "sync", Err: errors.New("throttled"), Now: now, RetryAt: now.Add(time.Minute)},
			"sync: throttled; retry at 00:52:39"},
		{"breaker open past midnight", &Error{Op: "sync", Err: ErrOpen, Now: time.Date(2026, 12, 2, 23, 59, 0, 0, time.UTC), RetryAt: time.Date(2026, 12, 3, 0, 1, 0, 0, time.UTC)},
			"sync: " + ErrOpen.Error() + " until Thu 3 Dec 00:01:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.e.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}
