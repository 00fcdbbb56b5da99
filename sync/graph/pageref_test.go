package graph

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// decodePageRef is decodePage as it was before pagescan.go (json.Decoder, one RawMessage an
// event), kept to check the new reader against: decodePageRef reads a page of events from r, one event at a time: each is parsed by the
// msgraph models (over parseTree), converted, and dropped, so no copy of the whole page is
// ever held. An event that cannot be read is skipped and counted, not fatal (the rest of the
// page is good); a page that is not Graph's JSON at all is a PayloadError, and one too large
// wraps ErrTooLarge. room is how many more appointments the sync may keep.
func decodePageRef(op string, status int, r io.Reader, kind pageKind, pageSize, room int) (*pageResult, error) {
	lb := &limitedBody{r: r, max: pageLimit(kind, pageSize), maxValue: min(maxValueBytes, pageLimit(kind, pageSize)), pageSize: pageSize}
	dec := json.NewDecoder(lb)
	perr := func(reason string, err error) error {
		return &PayloadError{Op: op, Status: status, Reason: reason, Err: err}
	}
	// fail turns a decoder error into what it means: too large, the connection lost, cut short, not JSON.
	fail := func(err error) error {
		var se *json.SyntaxError
		switch {
		case errors.Is(err, ErrTooLarge):
			return tooLarge(op, status, err)
		case lb.err != nil && errors.Is(err, lb.err):
			// A connection dropped mid-body: io.ErrUnexpectedEOF or a net.Error, both retryable.
			return fmt.Errorf("graph: %s: reading the response: %w", op, err)
		case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
			return perr(fmt.Sprintf("the JSON is cut short after %d bytes", lb.n), nil)
		case errors.As(err, &se) && se.Offset <= 1:
			return perr(fmt.Sprintf("the body is not JSON (it starts %q)", preview(lb.head)), nil)
		case errors.As(err, &se):
			return perr(fmt.Sprintf("the JSON is malformed at byte %d: %s", se.Offset, se.Error()), nil)
		}
		return perr("the JSON does not have Graph's shape", err)
	}
	tok, err := dec.Token()
	if err == io.EOF && lb.err == nil {
		return nil, perr("the body is empty", nil) // or only white space
	}
	if err != nil {
		return nil, fail(err)
	}
	res := &pageResult{}
	if tok != json.Delim('{') {
		return nil, perr(`the response has no "value" array of events`, nil)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fail(err)
		}
		key, _ := tok.(string)
		lb.mark = dec.InputOffset()
		switch key {
		case "value":
			tok, err := dec.Token()
			if err != nil {
				return nil, fail(err)
			}
			if tok == nil {
				continue // "value": null is as unusable as no value; the caller reports it
			}
			if tok != json.Delim('[') {
				return nil, perr(`the JSON does not have Graph's shape: "value" is not an array`, nil)
			}
			res.hasValue = true
			for i := 0; dec.More(); i++ {
				lb.mark = dec.InputOffset()
				var raw json.RawMessage
				if err := dec.Decode(&raw); err != nil {
					return nil, fail(err)
				}
				node, perr := parseTree(raw)
				res.add(op, i, node, perr, kind)
				if len(res.appts) > room {
					return nil, tooLarge(op, status, fmt.Errorf("%w: more than %d events in one sync; caltray keeps at most %d", ErrTooLarge, MaxEvents, MaxEvents))
				}
			}
			if _, err := dec.Token(); err != nil { // ]
				return nil, fail(err)
			}
		case "@odata.nextLink", "@odata.deltaLink":
			var link *string
			if err := dec.Decode(&link); err != nil {
				var te *json.UnmarshalTypeError
				if errors.As(err, &te) {
					return nil, perr(fmt.Sprintf("the JSON does not have Graph's shape: %s is not a string", key), nil)
				}
				return nil, fail(err)
			}
			if key == "@odata.nextLink" {
				res.nextLink = deref(link)
			} else {
				res.deltaLink = deref(link)
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, fail(err)
			}
		}
	}
	if _, err := dec.Token(); err != nil { // }
		return nil, fail(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		if err != nil {
			return nil, fail(err)
		}
		return nil, perr(fmt.Sprintf("the JSON is malformed at byte %d: data after the top-level object", dec.InputOffset()), nil)
	}
	return res, nil
}
