package fakegraph

import (
	"fmt"
	"hash/fnv"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// eventFields are the event properties the fake renders, in the order Graph sends them.
// "@odata.etag" and "id" are always sent, as Graph does even under $select.
var eventFields = []string{
	"createdDateTime", "lastModifiedDateTime", "changeKey", "categories", "originalStartTimeZone",
	"originalEndTimeZone", "iCalUId", "reminderMinutesBeforeStart", "isReminderOn", "hasAttachments",
	"subject", "bodyPreview", "importance", "sensitivity", "isAllDay", "isCancelled", "isOrganizer",
	"responseRequested", "seriesMasterId", "showAs", "type", "webLink", "onlineMeetingUrl",
	"isOnlineMeeting", "onlineMeetingProvider", "allowNewTimeProposals", "isDraft", "hideAttendees",
	"responseStatus", "body", "start", "end", "location", "locations", "recurrence", "attendees",
	"organizer", "onlineMeeting",
}

var fieldByLower = func() map[string]string {
	m := make(map[string]string, len(eventFields)+1)
	for _, f := range append([]string{"id"}, eventFields...) {
		m[strings.ToLower(f)] = f
	}
	return m
}()

// parseSelect checks a $select list against the event's properties (case-insensitively, as
// Graph) and returns the canonical names.
func parseSelect(raw string) ([]string, *graphError) {
	var out []string
	for _, name := range strings.Split(raw, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		canon, ok := fieldByLower[strings.ToLower(name)]
		if !ok {
			return nil, badRequest("RequestBroker--ParseUri", "Could not find a property named '%s' on type 'microsoft.graph.event'.", name)
		}
		out = append(out, canon)
	}
	if len(out) == 0 {
		return nil, badRequest("RequestBroker--ParseUri", "$select is empty; name at least one property or leave it out.")
	}
	return out, nil
}

func selectSet(names []string) map[string]bool {
	if len(names) == 0 {
		return nil
	}
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// graphDateTime is how Graph writes dateTimeTimeZone.dateTime: wall time, 7 fractional digits.
const graphDateTime = "2006-01-02T15:04:05.0000000"

// appendEvent renders e as Graph does. sel limits the properties (nil: all); times are written
// in loc, named zoneName; delta items also carry @odata.type.
func appendEvent(b []byte, e *stored, sel map[string]bool, loc *time.Location, zoneName string, delta bool) []byte {
	b = append(b, '{')
	if delta {
		b = append(b, `"@odata.type":"#microsoft.graph.event",`...)
	}
	b = append(b, `"@odata.etag":`...)
	b = appendString(b, `W/"`+changeKey(e)+`"`)
	b = append(b, `,"id":`...)
	b = appendString(b, e.ID)
	for _, f := range eventFields {
		if sel != nil && !sel[f] {
			continue
		}
		b = append(b, ',', '"')
		b = append(b, f...)
		b = append(b, '"', ':')
		b = appendField(b, f, e, loc, zoneName)
	}
	return append(b, '}')
}

func appendField(b []byte, f string, e *stored, loc *time.Location, zoneName string) []byte {
	switch f {
	case "createdDateTime":
		return appendString(b, e.created.UTC().Format(time.RFC3339Nano))
	case "lastModifiedDateTime":
		return appendString(b, e.modified.UTC().Format(time.RFC3339Nano))
	case "changeKey":
		return appendString(b, changeKey(e))
	case "categories", "attendees":
		return append(b, "[]"...)
	case "locations":
		if e.Location == "" {
			return append(b, "[]"...)
		}
		return append(appendLocation(append(b, '['), e.Location), ']')
	case "originalStartTimeZone", "originalEndTimeZone":
		return appendString(b, e.TimeZone)
	case "iCalUId":
		return appendString(b, fmt.Sprintf("040000008200E00074C5B7101A82E00800000000%016X", hash64(e.ID)))
	case "reminderMinutesBeforeStart":
		switch {
		case e.ReminderMinutes != nil:
			return strconv.AppendInt(b, int64(*e.ReminderMinutes), 10)
		case e.AllDay:
			return append(b, "1080"...) // Outlook's default for all-day events: 18 hours before
		}
		return append(b, "15"...)
	case "isReminderOn":
		return strconv.AppendBool(b, !e.IsCancelled && !e.NoReminder)
	case "hasAttachments", "isDraft", "hideAttendees":
		return append(b, "false"...)
	case "subject":
		return appendString(b, e.Subject)
	case "bodyPreview":
		return appendString(b, e.BodyPreview)
	case "importance", "sensitivity":
		return appendString(b, "normal")
	case "isAllDay":
		return strconv.AppendBool(b, e.AllDay)
	case "isCancelled":
		return strconv.AppendBool(b, e.IsCancelled)
	case "isOrganizer":
		return strconv.AppendBool(b, e.Response == ResponseOrganizer)
	case "responseRequested", "allowNewTimeProposals":
		return append(b, "true"...)
	case "seriesMasterId":
		if e.SeriesMasterID == "" {
			return append(b, "null"...)
		}
		return appendString(b, e.SeriesMasterID)
	case "showAs":
		return appendString(b, e.ShowAs)
	case "type":
		return appendString(b, e.Type)
	case "webLink":
		return appendString(b, webLink(e))
	case "onlineMeetingUrl", "recurrence":
		return append(b, "null"...) // occurrences carry no recurrence; onlineMeetingUrl is Skype-era
	case "isOnlineMeeting":
		return strconv.AppendBool(b, e.IsOnlineMeeting)
	case "onlineMeetingProvider":
		return appendString(b, e.Provider)
	case "responseStatus":
		b = append(b, `{"response":`...)
		b = appendString(b, e.Response)
		return append(b, `,"time":"0001-01-01T00:00:00Z"}`...)
	case "body":
		b = append(b, `{"contentType":"html","content":`...)
		b = appendString(b, "<html>\r\n<head>\r\n<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\r\n</head>\r\n<body>\r\n<div>"+
			htmlEscape(e.BodyPreview)+"</div>\r\n</body>\r\n</html>\r\n")
		return append(b, '}')
	case "start":
		return appendDateTime(b, e.Start, e.AllDay, loc, zoneName)
	case "end":
		return appendDateTime(b, e.End, e.AllDay, loc, zoneName)
	case "location":
		return appendLocation(b, e.Location)
	case "organizer":
		b = append(b, `{"emailAddress":{"name":`...)
		b = appendString(b, e.OrganizerName)
		b = append(b, `,"address":`...)
		b = appendString(b, e.OrganizerAddress)
		return append(b, "}}"...)
	case "onlineMeeting":
		if e.JoinURL == "" {
			return append(b, "null"...)
		}
		b = append(b, `{"joinUrl":`...)
		b = appendString(b, e.JoinURL)
		return append(b, '}')
	}
	panic("fakegraph: no renderer for event field " + f) // eventFields and this switch disagree: a bug
}

// appendDateTime writes a dateTimeTimeZone. An all-day event keeps its date in every zone:
// midnight of the same calendar day, labelled with the requested zone, as Outlook shows it.
func appendDateTime(b []byte, t time.Time, allDay bool, loc *time.Location, zoneName string) []byte {
	var wall string
	if allDay {
		y, m, d := t.Date()
		wall = time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Format(graphDateTime)
	} else {
		wall = t.In(loc).Format(graphDateTime)
	}
	b = append(b, `{"dateTime":`...)
	b = appendString(b, wall)
	b = append(b, `,"timeZone":`...)
	b = appendString(b, zoneName)
	return append(b, '}')
}

func appendLocation(b []byte, name string) []byte {
	b = append(b, `{"displayName":`...)
	b = appendString(b, name)
	if name == "" {
		return append(b, `,"locationType":"default","uniqueIdType":"unknown","address":{},"coordinates":{}}`...)
	}
	b = append(b, `,"locationType":"default","uniqueId":`...)
	b = appendString(b, name)
	return append(b, `,"uniqueIdType":"private","address":{},"coordinates":{}}`...)
}

func changeKey(e *stored) string {
	return fmt.Sprintf("%016x%04d", hash64(e.ID), e.version)
}

func webLink(e *stored) string {
	if e.WebLink != "" {
		return e.WebLink
	}
	return "https://outlook.office365.com/owa/?itemid=" + url.QueryEscape(e.ID) + "&exvsurl=1&path=/calendar/item"
}

func hash64(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

// appendString appends s as a JSON string. Unlike encoding/json it leaves <, > and & alone
// (Graph does too: join URLs are full of &); invalid UTF-8 becomes U+FFFD.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
