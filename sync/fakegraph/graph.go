package fakegraph

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	defaultPageSize = 10   // Graph's page size for events when the client asks for none
	maxPageSize     = 1000 // the largest $top Outlook resources accept
	jsonContentType = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"
	userID          = "48d31887-5fad-4d73-a9f5-3c356e68a038"
)

// A response is what an endpoint answers, before a fault may spoil it.
type response struct {
	status int
	header http.Header
	body   []byte
}

// A graphError is an answer in Graph's error shape.
type graphError struct {
	status  int
	code    string
	message string
	header  http.Header
}

func (e *graphError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.code, e.message) }

func badRequest(code, format string, args ...any) *graphError {
	return &graphError{status: http.StatusBadRequest, code: code, message: fmt.Sprintf(format, args...)}
}

func syncStateNotFound(why string) *graphError {
	return &graphError{status: http.StatusGone, code: "syncStateNotFound",
		message: "The sync state is not found or has expired (" + why + "). Start a new delta round without a token."}
}

// serveGraph answers everything under /v1.0/: token check, then the fault plan, then the endpoint.
func (s *Server) serveGraph(w http.ResponseWriter, r *http.Request) {
	rec, _ := r.Context().Value(recordKey{}).(*Request)
	if err := s.checkToken(r); err != nil {
		h := http.Header{}
		h.Set("WWW-Authenticate", `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`)
		s.writeError(w, r, &graphError{status: http.StatusUnauthorized, code: "InvalidAuthenticationToken", message: err.Error(), header: h})
		return
	}
	s.mu.Lock()
	fault := s.faults.next()
	if rec != nil {
		rec.Authorized = true
		rec.Fault = fault.Kind
	}
	s.mu.Unlock()

	if ge := s.faultError(fault); ge != nil {
		s.writeError(w, r, ge)
		return
	}
	switch fault.Kind {
	case Dropped, Reset:
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(http.ErrAbortHandler) // not hijackable: aborting closes the stream all the same
		}
		if fault.Kind == Dropped {
			// A few bytes of the head make the failure final: net/http replays a GET by itself
			// only when the connection died before the first byte (that is Reset).
			buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/js")
			buf.Flush()
		}
		conn.Close()
		return
	case Slow:
		var timeout <-chan time.Time
		if fault.Delay > 0 {
			t := time.NewTimer(fault.Delay)
			defer t.Stop()
			timeout = t.C
		}
		select {
		case <-r.Context().Done():
			return // the client gave up: nobody to answer
		case <-s.done:
			// Closing: end the exchange without an answer (returning would send an empty 200).
			panic(http.ErrAbortHandler)
		case <-timeout:
		}
	}

	resp := s.route(r)
	switch fault.Kind {
	case Truncated:
		resp.body = resp.body[:len(resp.body)/2]
	case NotJSON:
		resp.body = []byte("<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>" +
			"<body><h1>Bad Gateway</h1><p>The proxy server received an invalid response from an upstream server.</p></body></html>\n")
	case WrongType:
		resp.header.Set("Content-Type", "text/html; charset=utf-8")
	}
	resp.header.Set("Content-Length", strconv.Itoa(len(resp.body)))
	for k, v := range resp.header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.status)
	w.Write(resp.body)
}

// faultError is the error answer of the fault kinds that replace the response entirely.
func (s *Server) faultError(f Fault) *graphError {
	retryAfter := func() http.Header {
		secs := int64((f.retryAfter() + time.Second - 1) / time.Second) // whole seconds, rounded up
		return http.Header{"Retry-After": {strconv.FormatInt(secs, 10)}}
	}
	switch f.Kind {
	case Throttled:
		return &graphError{status: http.StatusTooManyRequests, code: "TooManyRequests",
			message: "Application is over its MailboxConcurrency limit. Please retry again later.", header: retryAfter()}
	case ThrottledDate:
		at := s.now().Add(f.retryAfter())
		if whole := at.Truncate(time.Second); !whole.Equal(at) {
			at = whole.Add(time.Second)
		}
		return &graphError{status: http.StatusTooManyRequests, code: "TooManyRequests",
			message: "Application is over its MailboxConcurrency limit. Please retry again later.",
			header:  http.Header{"Retry-After": {at.UTC().Format(http.TimeFormat)}}}
	case InternalError:
		return &graphError{status: http.StatusInternalServerError, code: "generalException",
			message: "An unspecified error has occurred."}
	case BadGateway:
		return &graphError{status: http.StatusBadGateway, code: "badGateway",
			message: "The server, while acting as a gateway, received an invalid response from the upstream server."}
	case Unavailable:
		return &graphError{status: http.StatusServiceUnavailable, code: "serviceNotAvailable",
			message: "The service is temporarily unavailable for maintenance or is overloaded. You may repeat the request after a delay.",
			header:  retryAfter()}
	case UnavailableBare:
		return &graphError{status: http.StatusServiceUnavailable, code: "serviceNotAvailable",
			message: "The service is temporarily unavailable for maintenance or is overloaded. You may repeat the request after a delay."}
	case GatewayTimeout:
		return &graphError{status: http.StatusGatewayTimeout, code: "gatewayTimeout",
			message: "The server, while acting as a proxy, did not receive a timely response from the upstream server."}
	case ExpiredToken:
		return syncStateNotFound("expired by a scripted fault")
	}
	return nil
}

// writeError sends a Graph error body.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, e *graphError) {
	resp := s.errorResponse(r, e)
	for k, v := range resp.header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(resp.body)))
	w.WriteHeader(resp.status)
	w.Write(resp.body)
}

func (s *Server) errorResponse(r *http.Request, e *graphError) response {
	requestID := uuid()
	clientRequestID := r.Header.Get("client-request-id")
	if clientRequestID == "" {
		clientRequestID = requestID
	}
	type inner struct {
		Date            string `json:"date"`
		RequestID       string `json:"request-id"`
		ClientRequestID string `json:"client-request-id"`
	}
	var body struct {
		Error struct {
			Code       string `json:"code"`
			Message    string `json:"message"`
			InnerError inner  `json:"innerError"`
		} `json:"error"`
	}
	body.Error.Code = e.code
	body.Error.Message = e.message
	body.Error.InnerError = inner{Date: s.now().UTC().Format("2006-01-02T15:04:05"), RequestID: requestID, ClientRequestID: clientRequestID}
	b, err := json.Marshal(body)
	if err != nil {
		panic(err) // strings only: cannot fail
	}
	h := http.Header{}
	for k, v := range e.header {
		h[k] = v
	}
	h.Set("Content-Type", "application/json")
	h.Set("request-id", requestID)
	h.Set("client-request-id", clientRequestID)
	return response{status: e.status, header: h, body: b}
}

// route answers a request that passed the token check and the fault plan.
func (s *Server) route(r *http.Request) response {
	path := strings.TrimSuffix(r.URL.Path, "/")
	var serve func(*http.Request) (response, *graphError)
	switch {
	case strings.EqualFold(path, "/v1.0/me/calendarView"):
		serve = s.calendarView
	case strings.EqualFold(path, "/v1.0/me/calendarView/delta"), strings.EqualFold(path, "/v1.0/me/calendarView/delta()"):
		serve = s.delta
	default:
		return s.errorResponse(r, &graphError{status: http.StatusNotFound, code: "ResourceNotFound",
			message: fmt.Sprintf("Resource not found for the segment in %q; fakegraph serves only /v1.0/me/calendarView and /v1.0/me/calendarView/delta.", r.URL.Path)})
	}
	if r.Method != http.MethodGet {
		return s.errorResponse(r, &graphError{status: http.StatusMethodNotAllowed, code: "BadRequest",
			message: fmt.Sprintf("The method %s is not allowed on %s; only GET is.", r.Method, r.URL.Path),
			header:  http.Header{"Allow": {http.MethodGet}}})
	}
	resp, ge := serve(r)
	if ge != nil {
		return s.errorResponse(r, ge)
	}
	return resp
}

// pageState is what a $skiptoken or $deltatoken carries: the whole query, so that links need no
// other parameter, and where the next page starts. Clients must treat it as opaque.
type pageState struct {
	Instance string   `json:"i"`
	Kind     string   `json:"k"` // view | init (first delta round) | changes (later delta round) | delta (a deltaLink)
	From     int64    `json:"f"` // window, Unix nanoseconds
	To       int64    `json:"t"`
	Select   []string `json:"s,omitempty"`
	Order    string   `json:"o,omitempty"` // "", "start" or "end"
	Desc     bool     `json:"d,omitempty"`
	Top      int      `json:"n,omitempty"`
	After    *cursor  `json:"a,omitempty"` // the last item already sent
	Since    uint64   `json:"c,omitempty"` // changes: changes after this sequence number
	Upto     uint64   `json:"u,omitempty"` // the sequence number the round's deltaLink resumes from
}

// A cursor is the sort key of an item: paging by key, not by offset, so an event added or
// removed between two page requests never makes another one skip or repeat.
type cursor struct {
	T  int64  `json:"t,omitempty"`
	ID string `json:"id"`
}

func encodeState(st pageState) string {
	b, err := json.Marshal(st)
	if err != nil {
		panic(err) // plain fields: cannot fail
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeState(token string) (pageState, bool) {
	var st pageState
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || json.Unmarshal(b, &st) != nil {
		return pageState{}, false
	}
	return st, true
}

func (st pageState) window() (time.Time, time.Time) {
	return time.Unix(0, st.From).UTC(), time.Unix(0, st.To).UTC()
}

// query reads an OData query option, with or without its "$", in any case (as Graph does).
func query(q url.Values, name string) (string, bool) {
	for k, v := range q {
		if strings.EqualFold(strings.TrimPrefix(k, "$"), name) && len(v) > 0 {
			return v[0], true
		}
	}
	return "", false
}

// unsupported rejects query options Graph has but the fake does not simulate, rather than
// ignoring them and answering with something the real Graph would not.
func unsupported(q url.Values, names ...string) *graphError {
	for _, n := range names {
		if _, ok := query(q, n); ok {
			return badRequest("BadRequest", "fakegraph does not simulate $%s; remove it or extend the fake.", n)
		}
	}
	return nil
}

// parseWindow reads startDateTime and endDateTime.
func parseWindow(q url.Values) (time.Time, time.Time, *graphError) {
	rawFrom, ok1 := query(q, "startDateTime")
	rawTo, ok2 := query(q, "endDateTime")
	if !ok1 || !ok2 || rawFrom == "" || rawTo == "" {
		return time.Time{}, time.Time{}, badRequest("ErrorInvalidParameter",
			"This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.")
	}
	from, err := parseDateTime(rawFrom)
	if err != nil {
		return time.Time{}, time.Time{}, badRequest("ErrorInvalidParameter", "startDateTime %q is not an ISO 8601 date and time: %v", rawFrom, err)
	}
	to, err := parseDateTime(rawTo)
	if err != nil {
		return time.Time{}, time.Time{}, badRequest("ErrorInvalidParameter", "endDateTime %q is not an ISO 8601 date and time: %v", rawTo, err)
	}
	if !to.After(from) {
		return time.Time{}, time.Time{}, badRequest("ErrorInvalidParameter",
			"endDateTime %s must be later than startDateTime %s.", rawTo, rawFrom)
	}
	return from, to, nil
}

// parseDateTime accepts ISO 8601 with an offset or "Z", or without one (then it is UTC, as in Graph).
func parseDateTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05.9999999", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("want e.g. 2026-11-27T09:00:00Z or 2026-11-27T09:00:00.0000000")
}

// pageSize and the Preference-Applied header follow from $top and Prefer: odata.maxpagesize.
// top comes from the query or from a $skiptoken (decoded JSON): anything below 1 means none.
func pageSize(top int, prefs map[string]string, applied *[]string) int {
	size := max(top, 0)
	if raw, ok := prefs["odata.maxpagesize"]; ok {
		if n, err := strconv.Atoi(raw); err == nil && n > 0 {
			n = min(n, maxPageSize)
			*applied = append(*applied, "odata.maxpagesize="+strconv.Itoa(n))
			if size == 0 || n < size {
				size = n
			}
		}
	}
	if size == 0 {
		size = defaultPageSize
	}
	return size
}

// outputZone follows Prefer: outlook.timezone; without it (or with a zone it does not know,
// which Graph also ignores) times are in UTC.
func outputZone(prefs map[string]string, applied *[]string) (*time.Location, string) {
	name, ok := prefs["outlook.timezone"]
	if !ok {
		return time.UTC, "UTC"
	}
	loc, err := LoadZone(name)
	if err != nil {
		return time.UTC, "UTC"
	}
	*applied = append(*applied, `outlook.timezone="`+name+`"`)
	return loc, name
}

// calendarView serves GET /me/calendarView.
func (s *Server) calendarView(r *http.Request) (response, *graphError) {
	q := r.URL.Query()
	var st pageState
	if token, ok := query(q, "skiptoken"); ok {
		var valid bool
		st, valid = decodeState(token)
		if !valid || st.Kind != "view" || st.Instance != s.store.instanceID() {
			return response{}, badRequest("BadRequest", "The $skiptoken is not valid for this calendarView; start again from the first page.")
		}
	} else {
		if ge := unsupported(q, "filter", "search", "expand", "skip", "count"); ge != nil {
			return response{}, ge
		}
		from, to, ge := parseWindow(q)
		if ge != nil {
			return response{}, ge
		}
		st = pageState{Instance: s.store.instanceID(), Kind: "view", From: from.UnixNano(), To: to.UnixNano()}
		if raw, ok := query(q, "select"); ok {
			if st.Select, ge = parseSelect(raw); ge != nil {
				return response{}, ge
			}
		}
		if raw, ok := query(q, "orderby"); ok {
			if st.Order, st.Desc, ge = parseOrderBy(raw); ge != nil {
				return response{}, ge
			}
		}
		if raw, ok := query(q, "top"); ok {
			n, err := strconv.Atoi(raw)
			if err != nil || n < 1 || n > maxPageSize {
				return response{}, badRequest("BadRequest", "$top %q is not a whole number from 1 to %d.", raw, maxPageSize)
			}
			st.Top = n
		}
	}
	prefs := parsePrefer(r.Header.Values("Prefer"))
	var applied []string
	size := pageSize(st.Top, prefs, &applied)
	loc, zoneName := outputZone(prefs, &applied)
	sel := selectSet(st.Select)

	from, to := st.window()
	s.mu.Lock()
	items := s.store.inView(from, to)
	key := sortKey(st.Order)
	slices.SortFunc(items, func(a, b *stored) int { return compareKeys(key(a), key(b), st.Desc) })
	items = after(items, st.After, key, st.Desc)
	more := len(items) > size
	items = items[:min(size, len(items))]
	b := make([]byte, 0, 1024+len(items)*1500)
	b = append(b, `{"@odata.context":`...)
	ctx := s.url + "/$metadata#users('" + userID + "')/calendarView"
	if len(st.Select) > 0 {
		ctx += "(" + strings.Join(st.Select, ",") + ")"
	}
	b = appendString(b, ctx)
	if more {
		next := st
		k := key(items[len(items)-1])
		next.After = &k
		b = append(b, `,"@odata.nextLink":`...)
		b = appendString(b, s.linkBase+"/me/calendarView?$skiptoken="+encodeState(next))
	}
	b = append(b, `,"value":[`...)
	for i, e := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendEvent(b, e, sel, loc, zoneName, false)
	}
	b = append(b, "]}"...)
	s.mu.Unlock()
	return okResponse(b, applied), nil
}

// delta serves GET /me/calendarView/delta.
func (s *Server) delta(r *http.Request) (response, *graphError) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	var st pageState
	deltaToken, isDelta := query(q, "deltatoken")
	skipToken, isSkip := query(q, "skiptoken")
	switch {
	case isDelta || isSkip:
		token := deltaToken
		if !isDelta {
			token = skipToken
		}
		var ok bool
		st, ok = decodeState(token)
		if ge := s.store.checkState(st, ok, isDelta); ge != nil {
			return response{}, ge
		}
		if isDelta { // a new round: the changes since the link's state, up to now
			st = pageState{Instance: st.Instance, Kind: "changes", From: st.From, To: st.To, Since: st.Upto, Upto: s.store.seq}
		}
	default:
		if ge := unsupported(q, "filter", "search", "expand", "skip", "count", "orderby"); ge != nil {
			return response{}, ge
		}
		from, to, ge := parseWindow(q)
		if ge != nil {
			return response{}, ge
		}
		st = pageState{Instance: s.store.instanceID(), Kind: "init", From: from.UnixNano(), To: to.UnixNano(), Upto: s.store.seq}
	}

	prefs := parsePrefer(r.Header.Values("Prefer"))
	var applied []string
	size := pageSize(0, prefs, &applied) // delta has no $top; only the Prefer header sizes pages
	loc, zoneName := outputZone(prefs, &applied)

	from, to := st.window()
	var items []deltaItem
	if st.Kind == "init" {
		for _, e := range s.store.inView(from, to) {
			items = append(items, deltaItem{id: e.ID, event: e})
		}
	} else {
		items = s.store.changesSince(st.Since, from, to)
	}
	// Delta pages in ID order: stable under changes between pages.
	slices.SortFunc(items, func(a, b deltaItem) int { return cmp.Compare(a.id, b.id) })
	if st.After != nil {
		i, _ := slices.BinarySearchFunc(items, st.After.ID, func(it deltaItem, id string) int {
			if it.id <= id {
				return -1
			}
			return 1
		})
		items = items[i:]
	}
	more := len(items) > size
	items = items[:min(size, len(items))]

	b := make([]byte, 0, 512+len(items)*1500)
	b = append(b, `{"@odata.context":`...)
	b = appendString(b, s.url+"/$metadata#Collection(event)")
	if more {
		next := st
		next.After = &cursor{ID: items[len(items)-1].id}
		b = append(b, `,"@odata.nextLink":`...)
		b = appendString(b, s.linkBase+"/me/calendarView/delta?$skiptoken="+encodeState(next))
	}
	b = append(b, `,"value":[`...)
	for i, it := range items {
		if i > 0 {
			b = append(b, ',')
		}
		if it.removed {
			b = append(b, `{"@odata.type":"#microsoft.graph.event","id":`...)
			b = appendString(b, it.id)
			b = append(b, `,"@removed":{"reason":"deleted"}}`...)
			continue
		}
		b = appendEvent(b, it.event, nil, loc, zoneName, true)
	}
	b = append(b, ']')
	if !more {
		link := pageState{Instance: st.Instance, Kind: "delta", From: st.From, To: st.To, Upto: st.Upto}
		b = append(b, `,"@odata.deltaLink":`...)
		b = appendString(b, s.linkBase+"/me/calendarView/delta?$deltatoken="+encodeState(link))
	}
	b = append(b, '}')
	return okResponse(b, applied), nil
}

func (st *store) instanceID() string { return st.instance }

// checkState validates a delta or skip token of the delta endpoint: anything this server did
// not issue, or issued before ExpireDeltaTokens, is an unknown sync state (410), as in Graph.
func (st *store) checkState(ps pageState, decoded, isDelta bool) *graphError {
	switch {
	case !decoded:
		return syncStateNotFound("the token is not one this server issued")
	case ps.Instance != st.instance:
		return syncStateNotFound("the token was issued by another server instance")
	case isDelta && ps.Kind != "delta", !isDelta && ps.Kind != "init" && ps.Kind != "changes":
		return syncStateNotFound("the token is of the wrong kind for this parameter")
	case ps.Upto > st.seq:
		return syncStateNotFound("the token is from the future")
	case ps.Upto < st.expiredBefore, ps.Kind == "changes" && ps.Since < st.expiredBefore:
		return syncStateNotFound("the sync state has expired")
	}
	return nil
}

func okResponse(body []byte, applied []string) response {
	h := http.Header{}
	h.Set("Content-Type", jsonContentType)
	h.Set("OData-Version", "4.0")
	h.Set("request-id", uuid())
	if len(applied) > 0 {
		h.Set("Preference-Applied", strings.Join(applied, ", "))
	}
	return response{status: http.StatusOK, header: h, body: body}
}

// parseOrderBy accepts the orderings a calendar client needs: start/dateTime or end/dateTime,
// ascending or descending.
func parseOrderBy(raw string) (string, bool, *graphError) {
	fields := strings.Fields(strings.TrimSpace(raw))
	if len(fields) == 0 || len(fields) > 2 || strings.Contains(raw, ",") {
		return "", false, badRequest("BadRequest", "$orderby %q: fakegraph orders by one of start/dateTime or end/dateTime, optionally followed by asc or desc.", raw)
	}
	var order string
	switch strings.ToLower(fields[0]) {
	case "start/datetime":
		order = "start"
	case "end/datetime":
		order = "end"
	default:
		return "", false, badRequest("BadRequest", "$orderby %q: fakegraph orders by one of start/dateTime or end/dateTime, optionally followed by asc or desc.", raw)
	}
	desc := false
	if len(fields) == 2 {
		switch strings.ToLower(fields[1]) {
		case "asc":
		case "desc":
			desc = true
		default:
			return "", false, badRequest("BadRequest", "$orderby %q: the direction must be asc or desc.", raw)
		}
	}
	return order, desc, nil
}

func sortKey(order string) func(*stored) cursor {
	switch order {
	case "start":
		return func(e *stored) cursor { return cursor{T: e.Start.UnixNano(), ID: e.ID} }
	case "end":
		return func(e *stored) cursor { return cursor{T: e.End.UnixNano(), ID: e.ID} }
	}
	return func(e *stored) cursor { return cursor{ID: e.ID} }
}

func compareKeys(a, b cursor, desc bool) int {
	c := cmp.Or(cmp.Compare(a.T, b.T), cmp.Compare(a.ID, b.ID))
	if desc {
		return -c
	}
	return c
}

// after drops the items up to and including the cursor from sorted items.
func after(items []*stored, c *cursor, key func(*stored) cursor, desc bool) []*stored {
	if c == nil {
		return items
	}
	i, _ := slices.BinarySearchFunc(items, *c, func(e *stored, c cursor) int {
		if compareKeys(key(e), c, desc) <= 0 {
			return -1
		}
		return 1
	})
	return items[i:]
}

// parsePrefer splits Prefer headers (RFC 7240) into preference name -> value; names are
// case-insensitive, quoted values are unquoted and ";" parameters are dropped.
func parsePrefer(values []string) map[string]string {
	out := map[string]string{}
	for _, v := range values {
		for _, part := range splitUnquoted(v, ',') {
			pref := splitUnquoted(part, ';')[0]
			name, val, _ := strings.Cut(pref, "=")
			name = strings.ToLower(strings.TrimSpace(name))
			if name == "" {
				continue
			}
			val = strings.TrimSpace(val)
			if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
				val = strings.ReplaceAll(val[1:len(val)-1], `\"`, `"`)
			}
			out[name] = val
		}
	}
	return out
}

func splitUnquoted(s string, sep byte) []string {
	var parts []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && quoted:
			i++
		case s[i] == '"':
			quoted = !quoted
		case s[i] == sep && !quoted:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

func uuid() string {
	h := randomHex(16)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
