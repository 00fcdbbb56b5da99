package graph

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// decodeCases are pages, good and bad, that decodePage must read as decodePageRef did.
func decodeCases() []string {
	good := page(jsonEvent("a", t0), jsonEvent("b", t0))
	cases := []string{
		good, good[:len(good)/2], good[:len(good)-1], good + " \n", good + "x", good + " {}",
		"", "  \n", "<html>", "\n<html>", `[1,2]`, `"abc"`, `12`, `null`, `{}`, `{ }`, `{"value":[]}`, `{"value":[ ]}`,
		`{"value":null}`, `{"value":null,"value":[]}`, `{"value":{"id":"a"}}`, `{"value":"x"}`, `{"value":12}`,
		`{"value":[],"@odata.nextLink":5}`, `{"value":[],"@odata.nextLink":{}}`, `{"value":[],"@odata.nextLink":null}`,
		`{"value":[],"@odata.deltaLink":"d","@odata.nextLink":"n"}`, `{"\u0076alue":[],"@odata.next\u004cink":"n"}`,
		`{"value":[{"id":"a",,}]}`, `{"value":[1,]}`, `{"value":[1 2]}`, `{"value":[tru]}`, `{"value":[12x]}`, `{"value":[12<]}`,
		`{"value":[null,1,"x",[],{},{"a":[}]}`, `{"value":[{"a":"\q"}]}`, `{"value":[{"a":"` + "\x01" + `"}]}`,
		`{"value":[{"a":"\\"},{"b":"\\\""}]}`, `{"value":[{"big":1e400}]}`, `{"value":[],}`, `{"value":[]`, `{"value"`,
		`{"value":`, `{"value" 1}`, `{"value":[] "x":1}`, `{1:2}`, `{"a":{"b":[1,{"c":"}]"}]},"value":[]}`,
		`{"value":[` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `]}`,
		`{"value":[` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `]}`,
		`{"value":[{"@removed":{"reason":"deleted"},"id":"gone"}],"@odata.deltaLink":"y"}`,
		`{"value":[{"a":tru `, `{"value":[{"a":tru`, `{"value":[nul`, `{"value":[1.`, `{"value":[{"a":"x` + "\\",
		`{"value":[-]}`, `{"value":[1.]}`, `{"value":["` + "\xff" + `"]}`, `{"value":[{"id":"` + "\xff" + `"}]}`,
	}
	return cases
}

func TestDecodePageMatchesDecoder(t *testing.T) {
	for _, body := range decodeCases() {
		sameAsDecoder(t, []byte(body))
	}
}

// sameAsDecoder fails t if decodePage and decodePageRef read body differently.
func sameAsDecoder(t *testing.T, body []byte) {
	t.Helper()
	for _, kind := range []pageKind{calendarViewPage, deltaPageKind} {
		for _, size := range []int{MaxPageSize, 1} {
			got, gerr := decodePage("p", 200, bytes.NewReader(body), kind, size, MaxEvents)
			want, werr := decodePageRef("p", 200, bytes.NewReader(body), kind, size, MaxEvents)
			if gk, wk := errorKind(gerr), errorKind(werr); gk != wk && !sameError(body, gk, wk) {
				t.Fatalf("%.300q (kind %d, size %d):\ngot  %v\nwant %v", body, kind, size, gerr, werr)
			}
			if gerr == nil && !reflect.DeepEqual(got, want) {
				t.Fatalf("%.300q (kind %d, size %d):\ngot  %+v\nwant %+v", body, kind, size, got, want)
			}
		}
	}
}

// sameError says whether errors of kinds got and want say the same of body: that it is not
// Graph's JSON. Where a body has more than one fault, decodePage may name another than
// json.Decoder did: any bad byte right after the opening '{' was "not JSON" to the Decoder,
// where decodePage says where it is malformed; "value": 00 was a number, so not an array, to
// the Decoder, and is malformed to decodePage; a body that starts like JSON but not with '{'
// has no value array, whatever follows, where the Decoder may have found it cut short first;
// and so is data after the object, where the Decoder went on to read a value there.
// Too large, cut short, empty and the connection's errors must match.
func sameError(body []byte, got, want string) bool {
	b := bytes.TrimLeft(body, " \t\r\n")
	if len(b) > 0 && b[0] != '{' && isValueStart(b[0]) {
		return got == `no "value"` && want != "ok"
	}
	if got == "data after" { // whatever follows the object, the Decoder read it as a value
		return want != "ok" && want != "too large" && !strings.HasPrefix(want, "other")
	}
	notGraph := func(k string) bool { return k == "malformed" || k == "shape" || k == "not JSON" }
	return notGraph(got) && notGraph(want)
}

// errorKind sorts a decodePage error. The byte named by "malformed at byte" is not compared:
// json.Decoder's count skipped the delimiters it read as tokens; decodePage's is the offending
// byte's position in the body.
func errorKind(err error) string {
	var pe *PayloadError
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, ErrTooLarge):
		return "too large"
	case !errors.As(err, &pe):
		return "other: " + err.Error()
	}
	for _, k := range []string{"empty", "not JSON", "cut short", "data after", "malformed", `no "value"`, "shape"} {
		if strings.Contains(err.Error(), k) {
			return k
		}
	}
	return err.Error()
}
