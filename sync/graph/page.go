package graph

import (
	"errors"
	"fmt"
	"io"

	absser "github.com/microsoft/kiota-abstractions-go/serialization"
	jsonserialization "github.com/microsoft/kiota-serialization-json-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"caltray/runner"
	calsync "caltray/sync"
	"caltray/sync/inert"
)

// Size limits. A page is read as a stream, one event at a time (pagescan.go), so memory follows what is kept
// (MaxEvents appointments), not what the server sends; these caps bound the bytes read.
//
// The page cap follows the page size we ask for (Prefer: odata.maxpagesize; Graph never sends
// more). A calendarView event carries only selectFields: a real one is 1-3 KB, bodyPreview is
// at most 255 characters, and even with every character \u-escaped none reaches 32 KiB.
// Delta pages cannot $select and carry whole events: an HTML body, every attendee; 256 KiB an
// event is a page of unusually big invitations. One event (or any other member of a page),
// which is held whole while it is parsed, may be at most maxValueBytes.
const (
	selectedEventBytes = 32 << 10
	wholeEventBytes    = 256 << 10
	pageOverheadBytes  = 64 << 10
	maxValueBytes      = 8 << 20
)

// pageKind says which endpoint a page comes from.
type pageKind int

const (
	calendarViewPage pageKind = iota // $select-ed events
	deltaPageKind                    // whole events, and @removed entries
)

// pageLimit is the byte cap of one page of pageSize events of kind.
func pageLimit(kind pageKind, pageSize int) int64 {
	per := int64(selectedEventBytes)
	if kind == deltaPageKind {
		per = wholeEventBytes
	}
	return int64(pageSize)*per + pageOverheadBytes
}

// A pageResult is one page read: the appointments converted, the ids removed (delta), the
// events skipped, and the links onward. It satisfies absser.Parsable only so that it can pass
// through kiota's request adapter; it is never serialized.
type pageResult struct {
	hasValue  bool
	appts     []calsync.Appointment
	removed   []string
	skipped   []calsync.Skip
	nextLink  string
	deltaLink string
}

func (*pageResult) GetFieldDeserializers() map[string]func(absser.ParseNode) error {
	return map[string]func(absser.ParseNode) error{}
}
func (*pageResult) Serialize(absser.SerializationWriter) error { return nil }

// limitedBody reads a response body up to a cap, failing with ErrTooLarge past it; it also
// fails when a single JSON value (from mark on) grows past maxValue, and keeps the first bytes
// for error messages. The cap counts decompressed bytes (net/http's transparent gzip sits
// under it), so a gzip bomb stops at the cap.
type limitedBody struct {
	r              io.Reader
	n, max         int64
	mark, maxValue int64
	pageSize       int
	head           []byte
	err            error // the underlying reader's error, other than io.EOF
}

func (l *limitedBody) Read(p []byte) (int, error) {
	switch {
	case l.n > l.max:
		return 0, fmt.Errorf("%w: the response is larger than %s, the most a page of %d events can be", ErrTooLarge, mib(l.max), l.pageSize)
	case l.n-l.mark > l.maxValue:
		return 0, fmt.Errorf("%w: an event is larger than %s, more than any real event", ErrTooLarge, mib(l.maxValue))
	}
	if room := l.max + 1 - l.n; int64(len(p)) > room {
		p = p[:room]
	}
	k, err := l.r.Read(p)
	if len(l.head) < 64 {
		l.head = append(l.head, p[:min(k, 64-len(l.head))]...)
	}
	l.n += int64(k)
	if err != nil && err != io.EOF {
		l.err = err
	}
	return k, err
}

// tooLarge is the error for a response refused for its size (err wraps ErrTooLarge). It is
// permanent: retrying reads the same bytes, and the next periodic sync tries again anyway.
func tooLarge(op string, status int, err error) error {
	return runner.Permanent(&PayloadError{Op: op, Status: status, Err: err})
}

// mib writes a byte count for a message: "3.2 MiB".
func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// add converts the page's i-th event, or records why it could not. Untrusted text is made
// inert here, where it enters caltray (see toAppointment), and a skip names the event by its
// id, never by its subject.
// node is the event's parse tree, or err why there is none.
func (res *pageResult) add(op string, i int, node *jsonserialization.JsonParseNode, err error, kind pageKind) {
	skip := func(id string, err error) {
		res.skipped = append(res.skipped, calsync.Skip{ID: inert.Line(clip(id, 200)), Reason: inert.Line(fmt.Sprintf("%s value[%d]: %v", op, i, err))})
	}
	switch {
	case err != nil:
		skip("", err) // valid JSON that kiota cannot hold either, such as 1e400
		return
	case node == nil:
		skip("", errors.New("the event is null"))
		return
	}
	ev, err := parseEvent(node)
	if err != nil {
		var id string
		if n, e := node.GetChildNode("id"); e == nil && n != nil {
			if s, e := n.GetStringValue(); e == nil && s != nil {
				id = *s
			}
		}
		skip(id, err)
		return
	}
	if _, removed := ev.GetAdditionalData()["@removed"]; removed && kind == deltaPageKind {
		id := inert.Line(deref(ev.GetId()))
		if id == "" {
			skip("", errors.New("the event is @removed but has no id"))
			return
		}
		res.removed = append(res.removed, id)
		return
	}
	a, err := toAppointment(ev)
	if err != nil {
		skip(deref(ev.GetId()), err)
		return
	}
	res.appts = append(res.appts, a)
}

// parseEvent parses one event node with the models. kiota reports input of the wrong shape
// with plain errors (and, in corners, panics); both become an error saying so.
func parseEvent(node *jsonserialization.JsonParseNode) (ev models.Eventable, err error) {
	defer func() {
		if r := recover(); r != nil {
			ev, err = nil, fmt.Errorf("the event does not have Graph's shape (%v)", r)
		}
	}()
	v, err := node.GetObjectValue(models.CreateEventFromDiscriminatorValue)
	if err != nil {
		return nil, fmt.Errorf("the event does not have Graph's shape: %w", err)
	}
	ev, ok := v.(models.Eventable)
	if !ok || ev == nil {
		return nil, errors.New("the event is not an object")
	}
	return ev, nil
}
