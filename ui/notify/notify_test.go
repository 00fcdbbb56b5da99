package notify

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/xml"
	"math"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"
)

// hostile is what a meeting invite can put in a subject, a location or a body.
var hostile = []struct {
	name, text, clean string // clean: what XML can carry, if not text
}{
	{"plain", "Weekly sync", ""},
	{"empty", "", ""},
	{"subexpression", "$(Start-Process calc)", ""},
	{"variable", "$env:USERPROFILE ${function:x} @(1)", ""},
	{"backtick", "a`b``c`$(calc)`", ""},
	{"double quote", `"; Start-Process calc; "`, ""},
	{"single quote", `'; Start-Process calc; '`, ""},
	{"smart quotes", "\u201c$(calc)\u201d \u2018$(calc)\u2019", ""}, // PowerShell treats these as quotes too
	{"markup", `<text>x</text></binding><image src="file:///C:/evil.png"/>`, ""},
	{"angle brackets", "a < b > c", ""},
	{"ampersand", "R&D &amp; &#x41; &bogus;", ""},
	{"cdata end", "]]> <![CDATA[x]]>", ""},
	{"xml declaration", `<?xml version="1.0"?><!DOCTYPE t [<!ENTITY e SYSTEM "file:///C:/x">]>&e;`, ""},
	{"newlines", "line 1\nline 2\n\nline 4\n", ""},
	{"crlf", "line 1\r\nline 2\rline 3", ""},
	{"tab", "a\tb", ""},
	{"nul", "a\x00b", "a\uFFFDb"},
	{"controls", "\x01\x07\x08\x0b\x0c\x1b[2J\x1b]0;title\x07\x7f\u0085\u009b",
		"\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD[2J\uFFFD]0;title\uFFFD\x7f\u0085\u009b"},
	{"invalid utf-8", "a\xffb\xc3(c", "a\uFFFDb\uFFFD(c"},
	{"nonchars", "\ufffe\uffff\ufffd", "\uFFFD\uFFFD\uFFFD"},
	{"bidi override", "Pay invoice \u202egnp.exe\u202c", ""},
	{"emoji", "🎉 Launch 👩‍👩‍👧‍👦 🇫🇷", ""},
	{"arabic", "اجتماع الفريق الأسبوعي", ""},
	{"hindi", "साप्ताहिक टीम बैठक", ""},
	{"cjk", "週次チームミーティング 每周团队会议 주간 회의", ""},
	{"long", strings.Repeat("$(Start-Process calc)<&>\"'`\n", 400), ""},
	{"long emoji", strings.Repeat("👩‍👩‍👧‍👦", 2000), ""},
}

// want is the text node hostile[i] must come back as: the text itself, or what the table says
// for text XML 1.0 cannot carry (Clean's replacements, spelt out independently here). Text
// over the limits is checked against Clean, whose truncation has its own test.
func want(text, clean string, max int) string {
	if utf8.RuneCountInString(text) > max {
		return Clean(text, max)
	}
	if clean != "" {
		return clean
	}
	return text
}

func TestCleanReplacesOnlyWhatXMLCannotCarry(t *testing.T) {
	tests := []struct {
		in, want string
		max      int
	}{
		{"plain", "plain", 10},
		{"a\x00b", "a\uFFFDb", 10},
		{"\x01\x1b\x7f\u0085", "\uFFFD\uFFFD\x7f\u0085", 10}, // DEL and C1 are valid XML 1.0
		{"\t\n\r", "\t\n\r", 10},
		{"a\xffb", "a\uFFFDb", 10},
		{"\ufffe\uffff\ufffd", "\uFFFD\uFFFD\uFFFD", 10},
		{"\u202e🎉", "\u202e🎉", 10},
		{"abcde", "abcde", 5},
		{"abcdef", "abcd…", 5},
		{"ééééé", "ééééé", 5},
		{"éééééé", "éééé…", 5},
	}
	for _, tt := range tests {
		if got := Clean(tt.in, tt.max); got != tt.want {
			t.Errorf("Clean(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}

// TestScriptAndArgvNeverChange is the evidence for bug 0: whatever the text, PowerShell gets
// the same program and the same command line, and the text reaches it only as data.
func TestScriptAndArgvNeverChange(t *testing.T) {
	want := Argv(`C:\Windows`)
	for _, tt := range hostile {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Payload(tt.text, tt.text); err != nil {
				t.Fatal(err)
			}
			got := Argv(`C:\Windows`)
			if !slices.Equal(got, want) {
				t.Fatalf("argv changed: %q", got)
			}
			if got := decodeCommand(t, got); got != Script {
				t.Fatalf("-EncodedCommand decodes to\n%s\nwant Script", got)
			}
			if len(tt.text) < 2 {
				return // "" and one character are in any command line
			}
			for _, a := range got {
				if strings.Contains(a, tt.text) {
					t.Errorf("argument %q contains the text", a)
				}
			}
			if strings.Contains(Script, tt.text) {
				t.Error("the script contains the text")
			}
		})
	}
}

func TestArgv(t *testing.T) {
	got := Argv(`D:\Win\`)
	if got[0] != `D:\Win\System32\WindowsPowerShell\v1.0\powershell.exe` {
		t.Errorf("program %q", got[0])
	}
	if got := Argv("")[0]; got != `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe` {
		t.Errorf("program %q without SystemRoot", got)
	}
	for _, flag := range []string{"-NoProfile", "-NonInteractive", "-EncodedCommand"} {
		if !slices.Contains(got, flag) {
			t.Errorf("argv lacks %s: %q", flag, got)
		}
	}
	if i := slices.Index(got, "-ExecutionPolicy"); i < 0 || got[i+1] != "Bypass" {
		t.Errorf("argv lacks -ExecutionPolicy Bypass: %q", got)
	}
	if got[len(got)-2] != "-EncodedCommand" {
		t.Errorf("-EncodedCommand must be last, with its value: %q", got)
	}
}

// TestScriptTakesTextOnlyFromTheEnvironment pins the shape of the script: it must not grow a
// way to run text (Invoke-Expression, a format verb filled from Go, an argument).
func TestScriptTakesTextOnlyFromTheEnvironment(t *testing.T) {
	lower := strings.ToLower(Script)
	for _, bad := range []string{"invoke-expression", "iex ", "$args", "%s", "%v", "-command", "scriptblock", "add-type"} {
		if strings.Contains(lower, bad) {
			t.Errorf("script contains %q", bad)
		}
	}
	if !strings.Contains(Script, "GetEnvironmentVariable('"+EnvVar+"')") {
		t.Error("script does not read " + EnvVar)
	}
	if !strings.Contains(Script, "$doc.LoadXml($text)") {
		t.Error("script does not hand the text to XmlDocument.LoadXml")
	}
	if len(EncodedScript()) > 8000 {
		t.Errorf("encoded script is %d bytes; the command line holds 32,767 characters", len(EncodedScript()))
	}
}

// TestPayloadRoundTrips decodes the environment value the way the script does and checks the
// XML parses and carries exactly the (cleaned) text as character data.
func TestPayloadRoundTrips(t *testing.T) {
	for _, tt := range hostile {
		t.Run(tt.name, func(t *testing.T) {
			title, body := tt.text, "at "+tt.text+" in "+tt.text
			p, err := Payload(title, body)
			if err != nil {
				t.Fatal(err)
			}
			full := want(tt.text, tt.clean, math.MaxInt)
			body = "at " + full + " in " + full
			checkPayload(t, p, want(tt.text, tt.clean, MaxTitle), want(body, "", MaxBody))
		})
	}
}

// FuzzPayload: any title and body give a payload that parses to exactly the cleaned text.
func FuzzPayload(f *testing.F) {
	for _, tt := range hostile {
		f.Add(tt.text, tt.text)
	}
	f.Fuzz(func(t *testing.T, title, body string) {
		p, err := Payload(title, body)
		if err != nil {
			t.Fatal(err)
		}
		checkPayload(t, p, Clean(title, MaxTitle), Clean(body, MaxBody))
	})
}

func checkPayload(t *testing.T, p, wantTitle, wantBody string) {
	t.Helper()
	// The environment value: base64 only, and short enough for a Windows variable.
	if len(p) > 32767 {
		t.Fatalf("payload is %d characters; a Windows environment variable holds 32,767", len(p))
	}
	if strings.Trim(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") != "" {
		t.Fatalf("payload is not plain base64: %q", p)
	}
	raw, err := base64.StdEncoding.DecodeString(p)
	if err != nil {
		t.Fatal(err)
	}
	if !utf8.Valid(raw) {
		t.Fatal("XML is not UTF-8")
	}
	if strings.Contains(string(raw), "<!") || strings.Contains(string(raw), "<?") {
		t.Fatalf("XML has a declaration, DOCTYPE or CDATA of its own making: %s", raw)
	}
	// Strict parse, and the element structure is exactly ours: the text added no markup.
	var got toast
	d := xml.NewDecoder(strings.NewReader(string(raw)))
	d.Strict = true
	if err := d.Decode(&got); err != nil {
		t.Fatalf("XML does not parse: %v\n%s", err, raw)
	}
	if n := countElements(t, raw); n != 5 {
		t.Errorf("XML has %d elements, want 5 (toast, visual, binding, 2×text):\n%s", n, raw)
	}
	b := got.Visual.Binding
	if b.Template != "ToastGeneric" || len(b.Text) != 2 {
		t.Fatalf("toast is %+v", got)
	}
	if b.Text[0] != wantTitle {
		t.Errorf("title = %q, want %q", b.Text[0], wantTitle)
	}
	if b.Text[1] != wantBody {
		t.Errorf("body = %q, want %q", b.Text[1], wantBody)
	}
}

func countElements(t *testing.T, raw []byte) int {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(string(raw)))
	n := 0
	for {
		tok, err := d.Token()
		if err != nil {
			return n
		}
		if _, ok := tok.(xml.StartElement); ok {
			n++
		}
	}
}

// TestCleanKeepsValidText: text XML can carry is delivered unchanged, not "sanitised" away.
func TestCleanKeepsValidText(t *testing.T) {
	for _, tt := range hostile {
		if got, want := Clean(tt.text, MaxTitle), want(tt.text, tt.clean, MaxTitle); got != want {
			t.Errorf("%s: Clean(%q) = %q, want %q", tt.name, tt.text, got, want)
		}
	}
}

func TestCleanTruncatesLongText(t *testing.T) {
	long := strings.Repeat("👩‍👩‍👧‍👦", 2000)
	got := Clean(long, MaxBody)
	if n := utf8.RuneCountInString(got); n != MaxBody {
		t.Errorf("%d runes, want %d", n, MaxBody)
	}
	if !strings.HasSuffix(got, "…") || !strings.HasPrefix(long, strings.TrimSuffix(got, "…")) {
		t.Errorf("not a prefix and an ellipsis: %q…", got[:40])
	}
}

func TestPrintable(t *testing.T) {
	got := printable("System.Exception 0x80004005\r\n\x1b[2J\u202e", 200)
	if got != "System.Exception 0x80004005   [2J" { // controls become spaces
		t.Errorf("printable = %q", got)
	}
	if got := printable(strings.Repeat("x", 300), 200); len(got) != 200 {
		t.Errorf("printable kept %d bytes", len(got))
	}
}

// decodeCommand undoes -EncodedCommand: base64 of UTF-16LE.
func decodeCommand(t *testing.T, argv []string) string {
	t.Helper()
	i := slices.Index(argv, "-EncodedCommand")
	if i < 0 || i+1 >= len(argv) {
		t.Fatalf("no -EncodedCommand in %q", argv)
	}
	b, err := base64.StdEncoding.DecodeString(argv[i+1])
	if err != nil || len(b)%2 != 0 {
		t.Fatalf("-EncodedCommand is not base64 of UTF-16: %v", err)
	}
	u := make([]uint16, len(b)/2)
	for j := range u {
		u[j] = binary.LittleEndian.Uint16(b[2*j:])
	}
	return string(utf16.Decode(u))
}
