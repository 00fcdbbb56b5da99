package fakegraph

import (
	"testing"
	"time"

	"caltray/sync/inert"
)

// Every text of the demo calendar — Latin with diacritics, Cyrillic, Greek, Arabic, Devanagari,
// Japanese, Korean, emoji with joiners, flags and variation selectors — passes through the
// untrusted-text filter unchanged: making text inert must never damage a real meeting's title.
func TestDemoTextSurvivesInert(t *testing.T) {
	events := Calendar(time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC), 1)
	texts := append([]string{}, adHocSubjects...)
	for _, p := range colleagues {
		texts = append(texts, p.name)
	}
	for _, e := range events {
		texts = append(texts, e.Subject, e.Location, e.OrganizerName)
	}
	for _, s := range texts {
		if got := inert.Line(s); got != s {
			t.Errorf("inert.Line(%q) = %q, want it unchanged", s, got)
		}
	}
	if len(texts) < 50 {
		t.Fatalf("only %d texts checked", len(texts))
	}
}
