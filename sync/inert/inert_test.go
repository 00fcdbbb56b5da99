package inert

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestStringControls(t *testing.T) {
	type tc struct {
		name, in, want string
	}
	var tests []tc
	// Every C0 control but tab and line feed becomes its control picture; CR a line break.
	for r := rune(0); r < 0x20; r++ {
		want := string(0x2400 + r)
		switch r {
		case '\t', '\n':
			want = string(r)
		case '\r':
			want = "\n"
		}
		tests = append(tests, tc{fmt.Sprintf("C0 %#x", r), "a" + string(r) + "b", "a" + want + "b"})
	}
	tests = append(tests, tc{"DEL", "a\x7fb", "a␡b"})
	for r := rune(0x80); r <= 0x9F; r++ {
		tests = append(tests, tc{fmt.Sprintf("C1 %#x", r), "a" + string(r) + "b", "a\uFFFDb"})
	}
	for _, r := range []rune{0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069} {
		tests = append(tests, tc{fmt.Sprintf("bidi %U", r), "a" + string(r) + "b", "ab"})
	}
	tests = append(tests,
		tc{"CRLF", "one\r\ntwo", "one\ntwo"},
		tc{"line separator", "one\u2028two\u2029three", "one\ntwo\nthree"},
		tc{"invalid UTF-8", "a\xffb\xc3", "a\uFFFDb\uFFFD"},
		tc{"clear screen", "\x1b[2JHello", "␛[2JHello"},
		tc{"title", "\x1b]0;pwned\x07x", "␛]0;pwned␇x"},
		tc{"hidden link", "\x1b]8;;https://evil\x1b\\click\x1b]8;;\x1b\\", "␛]8;;https://evil␛\\click␛]8;;␛\\"},
		tc{"CSI in C1", "\u009b2J", "\uFFFD2J"},
		tc{"reversed extension", "Pay invoice \u202Egnp.exe\u202C", "Pay invoice gnp.exe"},
		tc{"marks stay", "a\u200Eb\u200Fc\u061Cd", "a\u200Eb\u200Fc\u061Cd"},
	)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := String(tt.in); got != tt.want {
				t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// The scripts of the demo calendar and more pass unchanged, emoji with their joiners and
// variation selectors included.
func TestStringKeepsText(t *testing.T) {
	for _, s := range []string{
		"Weekly sync", "Café crème · Zürich", "Ежедневная планёрка", "Συνάντηση ομάδας",
		"اجتماع الفريق", "ישיבת צוות", "टीम की बैठक", "チーム会議", "团队会议", "팀 회의", "การประชุมทีม",
		"ሰላም", "Ꭰ Ꭱ", "👩‍💻 Pairing 🏳️‍🌈 👍🏽", "Ünïcödé — “quotes” ‘and’ «guillemets»",
		"tab\tand\nnewline", "",
	} {
		if got := String(s); got != s {
			t.Errorf("String(%q) = %q, want it unchanged", s, got)
		}
	}
}

func TestLine(t *testing.T) {
	tests := []struct{ in, want string }{
		{"  Standup\n\tdaily  ", "Standup daily"},
		{"a\r\nb", "a b"},
		{"a\u2028b", "a b"},
		{"\x1b[31mred", "␛[31mred"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Line(tt.in); got != tt.want {
			t.Errorf("Line(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEscapeJSON(t *testing.T) {
	in := map[string]string{
		"subject": "Pay \u202Egnp.exe\u202C \u009b2J \x7f \u2066x\u2069 \u2028 ok 👍 اجتماع",
		"plain":   "nothing to do",
	}
	raw, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	out := EscapeJSON(raw)
	for _, r := range string(out) {
		if needsJSONEscape(r) || (r < 0x20) {
			t.Errorf("EscapeJSON left %U raw in %s", r, out)
		}
	}
	var back map[string]string
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatalf("EscapeJSON output does not parse: %v\n%s", err, out)
	}
	for k, v := range in {
		if back[k] != v {
			t.Errorf("%s: decoded %q, want %q", k, back[k], v)
		}
	}
	if !strings.Contains(string(out), `\u202e`) || !strings.Contains(string(out), `\u009b`) {
		t.Errorf("want \\u202e and \\u009b escapes in %s", out)
	}
	clean := []byte(`{"a":"b"}`)
	if got := EscapeJSON(clean); &got[0] != &clean[0] {
		t.Error("EscapeJSON copied a clean document")
	}
}

func FuzzString(f *testing.F) {
	for _, s := range []string{"Standup", "\x1b[2J", "a\u202Eb", "\u009b", "a\r\nb", "\xff", "टीम 👩‍💻"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := String(s)
		if !utf8.ValidString(got) {
			t.Fatalf("String(%q) = %q: not UTF-8", s, got)
		}
		if !isInert(got) {
			t.Fatalf("String(%q) = %q: not inert", s, got)
		}
		if again := String(got); again != got {
			t.Fatalf("String is not idempotent: %q → %q → %q", s, got, again)
		}
		if l := Line(s); strings.ContainsAny(l, "\n\t") || !isInert(l) {
			t.Fatalf("Line(%q) = %q", s, l)
		}
		raw, _ := json.Marshal(s)
		var want, back string
		_ = json.Unmarshal(raw, &want) // encoding/json's own reading of invalid UTF-8
		if err := json.Unmarshal(EscapeJSON(raw), &back); err != nil || back != want {
			t.Fatalf("EscapeJSON round trip of %q: %q, %v", s, back, err)
		}
	})
}
