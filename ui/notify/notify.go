// Package notify shows a desktop notification on Windows with its text passed strictly as
// data, never as code.
//
// Why our own and not Fyne's or a library: Fyne v2.7.1 pastes the title and body into a
// PowerShell script and runs it with Invoke-Expression, so a meeting subject such as
// `$(Start-Process calc)` runs as the user, and anyone can send an invite. The Go toast
// libraries were no better fit: github.com/go-toast/toast also fills a PowerShell template
// with the text, and git.sr.ht/~jackmordaunt/go-toast/v2 could not be fetched from the module
// proxy here, so its source could not be audited; a security fix should not rest on code we
// have not read, nor add a COM/WinRT dependency tree for one call. So: the toast XML is built
// with encoding/xml (all escaping is the encoder's), the PowerShell script is a constant
// handed over with -EncodedCommand, and the XML reaches it as base64 in an environment
// variable of the child process that the script decodes and gives to WinRT's XmlDocument.
// The text never touches a command line, a script or a file, and every piece but the Windows
// process start is pure Go that is built and tested on every platform.
//
// AppUserModelID: toasts are shown under Windows PowerShell's own AUMID (see AppID), which its
// Start-menu shortcut registers on every Windows 10 and 11. Toasts under an unregistered ID
// such as "app.caltray" may be dropped silently; the price is that Windows shows "Windows
// PowerShell" as the sender, and the user's notification settings for PowerShell apply. To
// show "caltray" instead, an installer must register that AUMID (a Start-menu shortcut with
// System.AppUserModel.ID) and AppID must change with it.
package notify

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/xml"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// AppID is the AppUserModelID the toasts are shown under: Windows PowerShell's. It is a
// constant of the script, not data.
const AppID = `{1AC14E77-02E7-4E5D-B744-2EB1AE5198B7}\WindowsPowerShell\v1.0\powershell.exe`

// EnvVar is the environment variable of the PowerShell child that carries the toast XML, as
// standard base64 of its UTF-8 bytes.
const EnvVar = "CALTRAY_TOAST_XML"

// Timeout bounds one notification: PowerShell's cold start takes a second or two, so a child
// still running after this is stuck and is killed.
const Timeout = 20 * time.Second

// Limits on the text, in runes. A toast shows a line of title and a few lines of body, and a
// Windows environment variable holds at most 32,767 characters: with every rune escaped as
// "&#xD;" or similar and then base64'd, these stay well under it.
const (
	MaxTitle = 256
	MaxBody  = 1024
)

// Script is the whole PowerShell program, the same for every notification: it reads the XML
// from EnvVar, so nothing in it depends on the text. On failure it writes only the exception's
// type and HRESULT, never a message that could quote the text, and exits 1.
const Script = `$ErrorActionPreference = 'Stop'
trap {
	[Console]::Error.WriteLine(('{0} 0x{1:X8}' -f $_.Exception.GetType().FullName, $_.Exception.HResult))
	exit 1
}
$bytes = [Convert]::FromBase64String([Environment]::GetEnvironmentVariable('` + EnvVar + `'))
$text = [Text.Encoding]::UTF8.GetString($bytes)
$null = [Windows.UI.Notifications.ToastNotificationManager, Windows.UI.Notifications, ContentType = WindowsRuntime]
$null = [Windows.Data.Xml.Dom.XmlDocument, Windows.Data.Xml.Dom.XmlDocument, ContentType = WindowsRuntime]
$doc = [Windows.Data.Xml.Dom.XmlDocument]::new()
$doc.LoadXml($text)
$toast = [Windows.UI.Notifications.ToastNotification]::new($doc)
[Windows.UI.Notifications.ToastNotificationManager]::CreateToastNotifier('` + AppID + `').Show($toast)
exit 0
`

// EncodedScript is Script as -EncodedCommand wants it: base64 of its UTF-16LE bytes.
func EncodedScript() string {
	u := utf16.Encode([]rune(Script))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// Args is the PowerShell command line after the program name. It is the same for every
// notification. -NoProfile keeps the user's profile scripts out, -NonInteractive makes any
// prompt an error instead of a hang, and -ExecutionPolicy Bypass keeps a machine's policy from
// blocking the constant script (policy is meant for script files; this one is ours and fixed).
func Args() []string {
	return []string{"-NoLogo", "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass",
		"-EncodedCommand", EncodedScript()}
}

// Argv is the whole command line: Windows PowerShell by its full path under systemRoot
// (%SystemRoot%, C:\Windows if empty), so that no powershell.exe found earlier on PATH runs
// instead, then Args. Like Args, it never depends on the notification.
func Argv(systemRoot string) []string {
	if systemRoot == "" {
		systemRoot = `C:\Windows`
	}
	ps := strings.TrimRight(systemRoot, `\`) + `\System32\WindowsPowerShell\v1.0\powershell.exe`
	return append([]string{ps}, Args()...)
}

// toast is the toast XML: a generic toast with a title and a body line.
// https://learn.microsoft.com/windows/apps/design/shell/tiles-and-notifications/adaptive-interactive-toasts
type toast struct {
	XMLName xml.Name `xml:"toast"`
	Visual  struct {
		Binding struct {
			Template string   `xml:"template,attr"`
			Text     []string `xml:"text"`
		} `xml:"binding"`
	} `xml:"visual"`
}

// ToastXML is the toast for title and body. The text goes through Clean, then encoding/xml
// escapes it, so it is only ever character data; the result always parses.
func ToastXML(title, body string) ([]byte, error) {
	var t toast
	t.Visual.Binding.Template = "ToastGeneric"
	t.Visual.Binding.Text = []string{Clean(title, MaxTitle), Clean(body, MaxBody)}
	return xml.Marshal(t)
}

// Payload is the value of EnvVar for a notification: standard base64 of ToastXML, which can
// hold no character that an environment block treats specially ('=' only pads the end, and a
// Windows environment value may contain it).
func Payload(title, body string) (string, error) {
	x, err := ToastXML(title, body)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(x), nil
}

// Clean makes s something XML 1.0 can carry, and at most max runes long. Characters XML 1.0
// forbids (C0 controls other than tab, LF and CR, NUL included; lone surrogates; U+FFFE and
// U+FFFF) and invalid UTF-8 bytes become U+FFFD, so the reader sees that something was there;
// text longer than max is cut to max-1 runes and "…". Everything else, CR, bidi controls and
// emoji included, stays as it is: encoding/xml escapes what needs it, and neutralising bidi
// controls for display is the caller's business, as for any other output.
func Clean(s string, max int) string {
	var b strings.Builder
	n := 0
	for i, r := range s {
		if n == max-1 && utf8.RuneCountInString(s[i:]) > 1 {
			b.WriteRune('…')
			break
		}
		if r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD") || !xmlChar(r) {
			r = '\uFFFD'
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// xmlChar reports whether XML 1.0 allows r: the Char production of the specification.
func xmlChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}

// printable keeps the printable ASCII of s, at most n bytes, for an error message.
func printable(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if len(s) > n {
		s = s[:n]
	}
	return s
}
