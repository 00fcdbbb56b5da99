package graph

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	jsonserialization "github.com/microsoft/kiota-serialization-json-go"
)

// sameTreeAsKiota checks that parseTree builds what kiota's own NewJsonParseNode builds from
// the valid JSON body: the same error or none, and the same values of the same types.
func sameTreeAsKiota(t *testing.T, body []byte) {
	t.Helper()
	want, wantErr := jsonserialization.NewJsonParseNode(body)
	got, gotErr := parseTree(body)
	if (wantErr == nil) != (gotErr == nil) {
		t.Fatalf("%.200q: kiota err %v, parseTree err %v", body, wantErr, gotErr)
	}
	if wantErr != nil {
		return
	}
	wantRaw, err1 := want.GetRawValue()
	gotRaw, err2 := got.GetRawValue()
	if err1 != nil || err2 != nil || !reflect.DeepEqual(gotRaw, wantRaw) {
		t.Fatalf("%.200q:\nparseTree %#v (%v)\nkiota     %#v (%v)", body, gotRaw, err2, wantRaw, err1)
	}
}

func TestParseTreeMatchesKiota(t *testing.T) {
	tests := []string{
		page(jsonEvent("a", t0), jsonEvent("b", t0)),
		`{"a":1,"b":[1,2.5,-0,1e3,-1.25E-2,12345678901234567890],"c":null,"d":[],"e":{},"f":true,"g":false}`,
		`{"s":"caf\u00e9 \ud83d\ude80 \"q\" \\ \/ \n\t","raw":"café 🚀","lone":"\ud800","bad":"` + "\xff\xfe" + `"}`,
		`{"a":1,"a":{"b":2}}`,       // a repeated name: the last wins
		`{"\u0061":1,"":2,"a b":3}`, // escaped and empty names
		`[null,{},[],[[]],{"x":null}]`,
		" \t\r\n{ \"a\" : [ 1 , 2 ] } \n",
		`"just a string"`, `12`, `true`, `null`, `[]`, `{}`,
		`{"big":1e400}`, // out of float64's range: an error in both
		strings.Repeat("[", 500) + strings.Repeat("]", 500),
	}
	for _, body := range tests {
		if !json.Valid([]byte(body)) {
			t.Fatalf("test input is not valid JSON: %.80q", body)
		}
		sameTreeAsKiota(t, []byte(body))
	}
}

func TestParseTreeRejectsBrokenInput(t *testing.T) {
	// decodePage hands it only valid JSON values; parseTree must still never panic or accept these.
	for _, body := range []string{``, `{`, `{"a"`, `{"a":}`, `{"a":1,}`, `[1,`, `[1 2]`, `"abc`, `tru`, `{"a":1}x`, `-`, `{1:2}`} {
		if _, err := parseTree([]byte(body)); err == nil {
			t.Errorf("parseTree(%q) accepted it", body)
		}
	}
}
