// Package inert makes untrusted text safe to show. Anyone can send the user a meeting invite,
// so a subject, a location or a server's error message may carry terminal escapes, control
// characters or bidi overrides that rewrite what the user sees. caltray passes such text
// through this package where it enters (sync/graph, the cache, the identity platform's
// errors), so everything downstream — terminal, log, tray label, notification — holds inert
// text; see docs/DESIGN.md, "Untrusted text".
package inert

import (
	"strings"
	"unicode/utf8"
)

// The replacements: control characters are shown, not obeyed, so a hostile subject is visibly
// odd rather than silently clean.
const (
	replacement = '\uFFFD' // C1 controls and invalid UTF-8
	delPicture  = '\u2421' // ␡ SYMBOL FOR DELETE
)

// String returns s with every character that could act on a terminal or a renderer made
// visible or removed; line breaks (\n) and tabs stay. Text in every script, emoji and the
// joiners they need pass unchanged.
//   - C0 controls become their control pictures (ESC → ␛, NUL → ␀); CR and CRLF become \n;
//   - DEL becomes ␡, C1 controls (U+0080–U+009F) and invalid UTF-8 become U+FFFD;
//   - bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) are removed, so
//     "Pay invoice \u202Egnp.exe" reads as it is stored; the marks LRM, RLM and ALM stay, as
//     right-to-left text uses them;
//   - the line and paragraph separators U+2028, U+2029 become \n.
func String(s string) string {
	if isInert(s) {
		return s // the common case: no allocation
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteRune(replacement)
		case r == '\r':
			b.WriteByte('\n')
			if i+1 < len(s) && s[i+1] == '\n' {
				n = 2
			}
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case r < 0x20:
			b.WriteRune(0x2400 + r) // the Control Pictures block mirrors C0
		case r == 0x7F:
			b.WriteRune(delPicture)
		case r >= 0x80 && r <= 0x9F:
			b.WriteRune(replacement)
		case isBidiControl(r):
			// removed
		case r == '\u2028' || r == '\u2029':
			b.WriteByte('\n')
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// Line is String for one-line places (a table cell, a menu label, a notification title): line
// breaks, tabs and runs of spaces fold into one space, and the ends are trimmed.
func Line(s string) string {
	return strings.Join(strings.Fields(String(s)), " ")
}

// isInert reports whether String would return s unchanged.
func isInert(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 && c != '\n' && c != '\t') || c == 0x7F {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || r <= 0x9F || isBidiControl(r) || r == '\u2028' || r == '\u2029' {
			return false
		}
		i += n
	}
	return true
}

// isBidiControl reports the explicit directional formatting characters: embeddings and
// overrides (LRE RLE PDF LRO RLO) and isolates (LRI RLI FSI PDI).
func isBidiControl(r rune) bool {
	return (r >= '\u202A' && r <= '\u202E') || (r >= '\u2066' && r <= '\u2069')
}

// needsJSONEscape reports the characters EscapeJSON writes as \uXXXX: those a terminal or a
// renderer may act on that encoding/json writes raw (DEL, C1, bidi controls, U+2028/2029).
func needsJSONEscape(r rune) bool {
	return r == 0x7F || (r >= 0x80 && r <= 0x9F) || isBidiControl(r) || r == '\u2028' || r == '\u2029'
}

// EscapeJSON returns encoded JSON with DEL, C1 controls, bidi controls and U+2028/U+2029
// written as \uXXXX escapes, so the output is safe to print to a terminal while every value
// decodes to the same string. encoding/json already escapes C0; outside strings JSON is
// ASCII, so every such character found is inside a string.
func EscapeJSON(b []byte) []byte {
	clean := true
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if needsJSONEscape(r) {
			clean = false
			break
		}
		i += n
	}
	if clean {
		return b
	}
	const hex = "0123456789abcdef"
	out := make([]byte, 0, len(b)+32)
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if needsJSONEscape(r) {
			out = append(out, '\\', 'u', hex[r>>12&0xF], hex[r>>8&0xF], hex[r>>4&0xF], hex[r&0xF])
		} else {
			out = append(out, b[i:i+n]...)
		}
		i += n
	}
	return out
}
