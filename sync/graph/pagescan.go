package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// decodePage reads a page of events from r, one event at a time: each is parsed by the
// msgraph models (over parseTree), converted, and dropped, so no copy of the whole page is
// ever held, only a window of it (pageReader) as large as the largest event. An event that
// cannot be read is skipped and counted, not fatal (the rest of the page is good); a page that
// is not Graph's JSON at all is a PayloadError, and one too large wraps ErrTooLarge. room is
// how many more appointments the sync may keep.
//
// The page's object and its "value" array are walked here byte by byte; each event is
// delimited (valueEnd), checked with json.Valid and parsed with parseTree in place, in the
// window: no encoding/json.Decoder, which scanned each event twice more and copied it.
func decodePage(op string, status int, r io.Reader, kind pageKind, pageSize, room int) (*pageResult, error) {
	lb := &limitedBody{r: r, max: pageLimit(kind, pageSize), maxValue: min(maxValueBytes, pageLimit(kind, pageSize)), pageSize: pageSize}
	pr := &pageReader{lb: lb, op: op, status: status}
	perr := pr.perr
	c, err := pr.peek()
	if err != nil {
		if pr.rerr == io.EOF {
			return nil, perr("the body is empty", nil) // or only white space
		}
		return nil, err
	}
	if c != '{' {
		if isValueStart(c) {
			return nil, perr(`the response has no "value" array of events`, nil)
		}
		return nil, perr(fmt.Sprintf("the body is not JSON (it starts %q)", preview(lb.head)), nil)
	}
	pr.i++
	res := &pageResult{}
	var tp treeParser
	for first := true; ; first = false {
		c, err := pr.peek()
		if err != nil {
			return nil, err
		}
		if c == '}' && first {
			pr.i++
			break
		}
		if c != '"' {
			return nil, pr.malformed("looking for beginning of object key string")
		}
		key, err := pr.key()
		if err != nil {
			return nil, err
		}
		if c, err := pr.peek(); err != nil {
			return nil, err
		} else if c != ':' {
			return nil, pr.malformed("after object key")
		}
		pr.i++
		c, err = pr.peek()
		if err != nil {
			return nil, err
		}
		lb.mark = pr.offset(pr.i)
		switch {
		case key == "value" && c == '[':
			res.hasValue = true
			if err := pr.events(res, &tp, kind, room); err != nil {
				return nil, err
			}
		case key == "value" && c == '{': // as json.Decoder's Token did, without reading it
			return nil, perr(`the JSON does not have Graph's shape: "value" is not an array`, nil)
		case key == "value" || key == "@odata.nextLink" || key == "@odata.deltaLink":
			v, err := pr.value()
			if err != nil {
				return nil, err
			}
			switch {
			case string(v) == "null" && key == "value":
				// "value": null is as unusable as no value; the caller reports it.
			case string(v) == "null" && key == "@odata.nextLink":
				res.nextLink = "" // no link
			case string(v) == "null":
				res.deltaLink = ""
			case key == "value":
				return nil, perr(`the JSON does not have Graph's shape: "value" is not an array`, nil)
			case v[0] != '"':
				return nil, perr(fmt.Sprintf("the JSON does not have Graph's shape: %s is not a string", key), nil)
			default:
				var link string
				if err := json.Unmarshal(v, &link); err != nil {
					return nil, perr("the JSON does not have Graph's shape", err) // not reached: v is valid
				}
				if key == "@odata.nextLink" {
					res.nextLink = link
				} else {
					res.deltaLink = link
				}
			}
		default: // @odata.context and anything else: checked and skipped
			if _, err := pr.value(); err != nil {
				return nil, err
			}
		}
		c, err = pr.peek()
		if err != nil {
			return nil, err
		}
		pr.i++
		if c == '}' {
			break
		}
		if c != ',' {
			pr.i--
			return nil, pr.malformed("after object key:value pair")
		}
	}
	if _, err := pr.peek(); err == nil {
		return nil, perr(fmt.Sprintf("the JSON is malformed at byte %d: data after the top-level object", pr.offset(pr.i)+1), nil)
	} else if pr.rerr != io.EOF {
		return nil, err
	}
	return res, nil
}

// events reads the "value" array, pr.i at its '[', adding each event to res.
func (pr *pageReader) events(res *pageResult, tp *treeParser, kind pageKind, room int) error {
	pr.i++ // [
	for i := 0; ; i++ {
		c, err := pr.peek()
		if err != nil {
			return err
		}
		if c == ']' && i == 0 {
			pr.i++
			return nil
		}
		pr.lb.mark = pr.offset(pr.i)
		v, err := pr.value()
		if err != nil {
			return err
		}
		node, err := tp.parse(v)
		res.add(pr.op, i, node, err, kind)
		tp.release()
		if len(res.appts) > room {
			return tooLarge(pr.op, pr.status, fmt.Errorf("%w: more than %d events in one sync; caltray keeps at most %d", ErrTooLarge, MaxEvents, MaxEvents))
		}
		if c, err = pr.peek(); err != nil {
			return err
		}
		pr.i++
		if c == ']' {
			return nil
		}
		if c != ',' {
			pr.i--
			return pr.malformed("after array element")
		}
	}
}

// A pageReader is a window on a page's body: buf[i:] is read and not yet consumed, and buf[0]
// is byte base of the body. It grows only as far as one value (an event) needs.
type pageReader struct {
	lb     *limitedBody
	op     string
	status int
	buf    []byte
	i      int
	base   int64
	rerr   error  // what ended the body: io.EOF, ErrTooLarge from lb, or the connection's error
	stack  []byte // valueEnd's open brackets
}

const minRead = 32 << 10

// offset is the body offset of buf[k].
func (pr *pageReader) offset(k int) int64 { return pr.base + int64(k) }

// more reads more of the body after buf, dropping what is before buf[pr.i]; false when the
// body has ended (pr.rerr says how).
func (pr *pageReader) more() bool {
	if pr.rerr != nil {
		return false
	}
	if pr.i > 0 {
		n := copy(pr.buf, pr.buf[pr.i:])
		pr.buf, pr.base, pr.i = pr.buf[:n], pr.base+int64(pr.i), 0
	}
	if cap(pr.buf)-len(pr.buf) < minRead {
		// Doubling, but to no more than a value may be: past maxValue, lb fails the next read.
		nb := make([]byte, len(pr.buf), max(min(2*cap(pr.buf), int(pr.lb.maxValue)+2*minRead), len(pr.buf)+minRead))
		copy(nb, pr.buf)
		pr.buf = nb
	}
	n, err := pr.lb.Read(pr.buf[len(pr.buf):cap(pr.buf)])
	pr.buf = pr.buf[:len(pr.buf)+n]
	if err != nil {
		pr.rerr = err
	}
	return n > 0 || err == nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isValueStart(c byte) bool {
	return c == '{' || c == '[' || c == '"' || c == '-' || c >= '0' && c <= '9' || c == 't' || c == 'f' || c == 'n'
}

// peek skips white space and returns the next byte, at buf[pr.i]; at the end of the body, the
// error that ending means (ended).
func (pr *pageReader) peek() (byte, error) {
	for {
		for ; pr.i < len(pr.buf); pr.i++ {
			if c := pr.buf[pr.i]; !isSpace(c) {
				return c, nil
			}
		}
		if !pr.more() {
			return 0, pr.ended()
		}
	}
}

func (pr *pageReader) perr(reason string, err error) error {
	return &PayloadError{Op: pr.op, Status: pr.status, Reason: reason, Err: err}
}

// ended is the error for a body that ends where more JSON must follow: too large, the
// connection lost, or cut short.
func (pr *pageReader) ended() error {
	switch {
	case errors.Is(pr.rerr, ErrTooLarge):
		return tooLarge(pr.op, pr.status, pr.rerr)
	case pr.rerr != io.EOF:
		// A connection dropped mid-body: io.ErrUnexpectedEOF or a net.Error, both retryable.
		return fmt.Errorf("graph: %s: reading the response: %w", pr.op, pr.rerr)
	}
	return pr.perr(fmt.Sprintf("the JSON is cut short after %d bytes", pr.lb.n), nil)
}

// malformed is the error for the byte at buf[pr.i], which cannot come where it does; context
// words it as encoding/json does ("after object key").
func (pr *pageReader) malformed(context string) error {
	return pr.perr(fmt.Sprintf("the JSON is malformed at byte %d: invalid character %s %s", pr.offset(pr.i)+1, quoteChar(pr.buf[pr.i]), context), nil)
}

// quoteChar formats c as encoding/json's messages do.
func quoteChar(c byte) string {
	if c == '\'' {
		return `'\''`
	}
	if c == '"' {
		return `'"'`
	}
	s := strconv.Quote(string(rune(c)))
	return "'" + s[1:len(s)-1] + "'"
}

// key reads the object key at buf[pr.i] (a '"').
func (pr *pageReader) key() (string, error) {
	v, err := pr.value()
	if err != nil {
		return "", err
	}
	if bytes.IndexByte(v, '\\') < 0 && utf8.Valid(v) {
		return string(v[1 : len(v)-1]), nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", pr.perr("the JSON does not have Graph's shape", err) // not reached: v is valid
	}
	return s, nil
}

// value reads the JSON value that starts at buf[pr.i] (not white space) and returns its bytes,
// which stay valid until the next read. The value is checked with json.Valid: a syntax error
// in it is reported with its byte offset in the body.
func (pr *pageReader) value() ([]byte, error) {
	end, how := pr.valueEnd()
	if v := pr.buf[pr.i:end]; how != endBroken && json.Valid(v) {
		pr.i = end
		return v, nil
	}
	// Not valid: say where, as encoding/json does. A literal or number ends at the first byte
	// that cannot belong to it, which is where its error is if it is cut short (tru]).
	upto := end
	if how == endScalar {
		upto++
	}
	// Unmarshal checks the bytes before it copies any (a bomb's 8 MiB are not copied again).
	var raw json.RawMessage
	err := json.Unmarshal(pr.buf[pr.i:upto], &raw)
	var se *json.SyntaxError
	if errors.As(err, &se) && !cutShort(pr.buf[pr.i:upto], se) {
		return nil, pr.perr(fmt.Sprintf("the JSON is malformed at byte %d: %v", pr.offset(pr.i)+se.Offset, se), nil)
	}
	if how == endOfBody {
		return nil, pr.ended()
	}
	return nil, pr.perr(fmt.Sprintf("the JSON is malformed at byte %d", pr.offset(upto)), nil) // not reached
}

// cutShort says whether json.Unmarshal's error se for v is only that v ends too soon. At the
// end of its input the scanner takes one more byte, a space: so the error is either
// "unexpected end" or one about ' ', past v's last byte, which is not itself a space.
func cutShort(v []byte, se *json.SyntaxError) bool {
	if se.Offset < int64(len(v)) || len(v) == 0 {
		return false
	}
	msg := se.Error()
	return msg == "unexpected end of JSON input" || strings.HasPrefix(msg, "invalid character ' '") && !isSpace(v[len(v)-1])
}

// How a value ends, for valueEnd.
const (
	endDone   = iota // at its closing bracket or quote
	endScalar        // a literal or number, before the first byte that cannot be part of one
	endBroken        // right after a bracket that does not match, or one too deep
	endOfBody        // the body ended first
)

// valueEnd finds where the value at buf[pr.i] ends (buf[pr.i:end]), reading more of the body
// as needed, and how. It checks structure only, brackets and quotes; json.Valid checks the
// rest. At the end of the body, end is len(buf).
func (pr *pageReader) valueEnd() (end, how int) {
	k := pr.i // buf[k] is the next byte to look at; pr.i may move when buf is refilled
	rel := func() int { return k - pr.i }
	need := func() bool { // more input for buf[k]
		r := rel()
		ok := pr.more()
		k = pr.i + r
		return ok
	}
	c := pr.buf[k]
	if c != '{' && c != '[' && c != '"' {
		for {
			for ; k < len(pr.buf); k++ {
				if c := pr.buf[k]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.') {
					return k, endScalar
				}
			}
			if !need() {
				return k, endOfBody
			}
		}
	}
	stack := pr.stack[:0]
	defer func() { pr.stack = stack[:0] }()
	for {
		for k < len(pr.buf) {
			switch c := pr.buf[k]; c {
			case '"':
				// The closing quote is the first one not escaped, that is, after an even number
				// of backslashes.
				for {
					q := bytes.IndexByte(pr.buf[k+1:], '"')
					if q < 0 {
						k = len(pr.buf) - 1
						if !need() {
							return len(pr.buf), endOfBody
						}
						continue
					}
					k += 1 + q
					b := k - 1
					for pr.buf[b] == '\\' {
						b--
					}
					if (k-1-b)%2 == 0 {
						break
					}
				}
				k++
				if len(stack) == 0 {
					return k, endDone
				}
			case '{', '[':
				if len(stack) == maxDepth {
					return k + 1, endBroken
				}
				stack = append(stack, c+2) // '}' is '{'+2, ']' is '['+2
				k++
			case '}', ']':
				if len(stack) == 0 || stack[len(stack)-1] != c {
					return k + 1, endBroken
				}
				stack = stack[:len(stack)-1]
				k++
				if len(stack) == 0 {
					return k, endDone
				}
			default:
				k++
			}
		}
		if !need() {
			return len(pr.buf), endOfBody
		}
	}
}
