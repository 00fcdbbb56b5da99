package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"time"
	"unicode"

	abs "github.com/microsoft/kiota-abstractions-go"
	absser "github.com/microsoft/kiota-abstractions-go/serialization"
	khttp "github.com/microsoft/kiota-http-go"
	msgraphgocore "github.com/microsoftgraph/msgraph-sdk-go-core"
)

// maxBody caps one response body: a calendar page of 1,000 full events is a few MB, so anything
// this large is a fault, and reading it all would only waste memory.
const maxBody = 64 << 20

// newHTTPClient builds the client under the request adapter: kiota's middleware chain minus its
// RetryHandler (the runner is the only retry layer; a second one would multiply attempts and
// ignore the breaker), and minus the handlers a GET without a body has no use for.
func newHTTPClient(parent http.RoundTripper, timeout time.Duration) *http.Client {
	return &http.Client{
		Transport: khttp.NewCustomTransportWithParentTransport(parent, middlewares()...),
		// The RedirectHandler follows redirects (and drops Authorization on a change of host or
		// scheme); net/http must hand them over untouched.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       timeout,
	}
}

// middlewares is the chain, outermost first.
func middlewares() []khttp.Middleware {
	return []khttp.Middleware{
		byteCountingHandler{}, // outermost: it sees the final response, after any redirect
		claimsChallengeGuard{},
		msgraphgocore.NewGraphTelemetryHandler(&msgraphgocore.GraphClientOptions{GraphServiceVersion: "v1.0"}),
		khttp.NewRedirectHandlerWithOptions(khttp.RedirectHandlerOptions{
			MaxRedirects:   5,
			ShouldRedirect: discardRedirectBody,
		}),
		khttp.NewParametersNameDecodingHandler(),
		khttp.NewUserAgentHandler(),
	}
}

// discardRedirectBody closes the body of a redirect the RedirectHandler is about to follow:
// kiota leaves it open, which would hold a connection. The handler asks for every response;
// only redirects with a Location are followed, and only theirs are closed.
func discardRedirectBody(_ *http.Request, res *http.Response) bool {
	if res != nil && res.Body != nil && res.StatusCode >= 300 && res.StatusCode < 400 && res.Header.Get("Location") != "" {
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<20))
		_ = res.Body.Close()
	}
	return true
}

// claimsChallengeGuard drops the WWW-Authenticate header of a 401 whose claims parameter
// kiota's request adapter cannot read: its Conditional Access (CAE) handling takes the first
// quoted string of a "claims…" parameter without checking there is one, and so panics on
// `Bearer claims=abc` from a server or proxy. A well-formed claims challenge passes, and the
// adapter answers it as designed: it asks the authentication provider for a token with those
// claims and sends the request once more.
type claimsChallengeGuard struct{}

var (
	bearerChallenge = regexp.MustCompile(`(?i)^Bearer\s`) // kiota's reBearer
	quotedString    = regexp.MustCompile(`"[^"]*"`)       // what kiota's reClaims needs
)

func (claimsChallengeGuard) Intercept(p khttp.Pipeline, i int, req *http.Request) (*http.Response, error) {
	res, err := p.Next(req, i)
	if err != nil || res == nil || res.StatusCode != http.StatusUnauthorized {
		return res, err
	}
	// Mirrors kiota-http-go's retryCAEResponseIfRequired: the first header value, split at commas.
	v := res.Header.Get("WWW-Authenticate")
	if !bearerChallenge.MatchString(v) {
		return res, nil
	}
	for _, param := range strings.Split(bearerChallenge.ReplaceAllString(v, ""), ",") {
		if strings.HasPrefix(strings.TrimSpace(param), "claims") {
			if !quotedString.MatchString(param) {
				res.Header.Del("WWW-Authenticate")
			}
			break // kiota reads only the first claims parameter
		}
	}
	return res, nil
}

type byteCounterKey struct{}

// withByteCounter returns a context whose requests add their response body bytes to the counter.
func withByteCounter(ctx context.Context) (context.Context, *atomic.Int64) {
	n := new(atomic.Int64)
	return context.WithValue(ctx, byteCounterKey{}, n), n
}

// byteCountingHandler counts the response body bytes read under a context from withByteCounter
// (after net/http's transparent gzip decoding).
type byteCountingHandler struct{}

func (byteCountingHandler) Intercept(p khttp.Pipeline, i int, req *http.Request) (*http.Response, error) {
	res, err := p.Next(req, i)
	if n, ok := req.Context().Value(byteCounterKey{}).(*atomic.Int64); ok && res != nil && res.Body != nil {
		res.Body = &countingBody{ReadCloser: res.Body, n: n}
	}
	return res, err
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	k, err := b.ReadCloser.Read(p)
	b.n.Add(int64(k))
	return k, err
}

// fetch sends ri through the request adapter and parses a successful JSON body with factory.
// The response goes to our handler rather than kiota's so that every failure keeps its status,
// Graph's error code and the Retry-After, whatever the body looks like.
func (s *Source) fetch(ctx context.Context, op string, ri *abs.RequestInformation, factory absser.ParsableFactory) (absser.Parsable, error) {
	ri.Headers.TryAdd("Accept", "application/json")
	ri.Headers.Add("Prefer", `outlook.timezone="UTC"`)
	ri.Headers.Add("Prefer", fmt.Sprintf("odata.maxpagesize=%d", s.pageSize))
	handled := false
	handler := abs.NewRequestHandlerOption()
	handler.SetResponseHandler(func(r any, _ abs.ErrorMappings) (any, error) {
		handled = true
		res, ok := r.(*http.Response)
		if !ok || res == nil {
			return nil, fmt.Errorf("graph: %s: no HTTP response", op)
		}
		return s.handle(op, res, factory)
	})
	ri.AddRequestOptions([]abs.RequestOption{handler})
	v, err := s.adapter.Send(ctx, ri, factory, nil)
	if err != nil && !handled {
		// The request never got a response: a transport failure (connection refused or reset,
		// timeout, the context ending) keeps its type in the chain for the runner; *url.Error
		// names the URL but never a header.
		return nil, fmt.Errorf("graph: %s: %w", op, err)
	}
	return v, err
}

// handle turns one response into a parsed page or an error.
func (s *Source) handle(op string, res *http.Response, factory absser.ParsableFactory) (absser.Parsable, error) {
	defer res.Body.Close()
	if res.StatusCode >= 300 && res.StatusCode < 400 {
		// A redirect the RedirectHandler did not follow (too many, or no Location); it may
		// have closed the body already, and the body of a redirect says nothing anyway.
		return nil, s.statusError(op, res, nil)
	}
	body, err := readBody(res)
	if res.StatusCode < 200 || res.StatusCode > 299 {
		// The status and headers are what the runner needs (a 429's Retry-After, a 401 being
		// permanent); a body cut short loses only Graph's error code.
		return nil, s.statusError(op, res, body)
	}
	if err != nil {
		// A connection dropped mid-body: io.ErrUnexpectedEOF or a net.Error, both retryable.
		return nil, fmt.Errorf("graph: %s: reading the response: %w", op, err)
	}
	if len(body) > maxBody {
		return nil, &PayloadError{Op: op, Status: res.StatusCode, Reason: fmt.Sprintf("the body is larger than %d MiB", maxBody>>20)}
	}
	if mt, _, err := mime.ParseMediaType(res.Header.Get("Content-Type")); err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return nil, &PayloadError{Op: op, Status: res.StatusCode,
			Reason: fmt.Sprintf("content type is %q, not application/json (body starts %q)", res.Header.Get("Content-Type"), preview(body))}
	}
	return parsePage(op, res.StatusCode, body, factory)
}

// readBody reads at most maxBody+1 bytes of res's body, into a buffer sized from its
// Content-Length when there is one (io.ReadAll would grow and copy a page several times).
func readBody(res *http.Response) ([]byte, error) {
	var buf bytes.Buffer
	if n := res.ContentLength; n > 0 {
		buf.Grow(int(min(n, maxBody) + bytes.MinRead))
	}
	_, err := buf.ReadFrom(io.LimitReader(res.Body, maxBody+1))
	return buf.Bytes(), err
}

// parsePage parses a JSON page with a models factory, over the tree parseTree builds. kiota's
// models report input of the wrong shape with plain errors (and, in corners, panics); both
// become a PayloadError saying what was wrong.
func parsePage(op string, status int, body []byte, factory absser.ParsableFactory) (v absser.Parsable, err error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, &PayloadError{Op: op, Status: status, Reason: "the body is empty"}
	}
	defer func() {
		if r := recover(); r != nil {
			v, err = nil, &PayloadError{Op: op, Status: status, Reason: fmt.Sprintf("the JSON does not have Graph's shape (%v)", r)}
		}
	}()
	if !json.Valid(body) {
		return nil, &PayloadError{Op: op, Status: status, Reason: jsonProblem(body)}
	}
	node, err := parseTree(body)
	if err != nil {
		return nil, &PayloadError{Op: op, Status: status, Reason: "the JSON cannot be read", Err: err}
	}
	v, err = node.GetObjectValue(factory)
	if err != nil {
		return nil, &PayloadError{Op: op, Status: status, Reason: "the JSON does not have Graph's shape", Err: err}
	}
	if v == nil {
		return nil, &PayloadError{Op: op, Status: status, Reason: "the JSON is not an object"}
	}
	return v, nil
}

// jsonProblem says how body fails to be JSON: cut short, or not JSON at all.
func jsonProblem(body []byte) string {
	var raw json.RawMessage
	err := json.Unmarshal(body, &raw)
	var se *json.SyntaxError
	switch {
	case err != nil && err.Error() == "unexpected end of JSON input":
		return fmt.Sprintf("the JSON is cut short after %d bytes", len(body))
	case errors.As(err, &se) && se.Offset <= 1:
		return fmt.Sprintf("the body is not JSON (it starts %q)", preview(body))
	case errors.As(err, &se):
		return fmt.Sprintf("the JSON is malformed at byte %d: %s", se.Offset, se.Error())
	}
	return "the body is not valid JSON"
}

// statusError builds the Error for a non-2xx response from its headers and Graph's error body
// ({"error": {"code", "message", "innerError": {"request-id"}}}), whatever else the body is.
func (s *Source) statusError(op string, res *http.Response, body []byte) *Error {
	e := &Error{
		Op:        op,
		Status:    res.StatusCode,
		RequestID: res.Header.Get("request-id"),
		Wait:      parseRetryAfter(res.Header.Get("Retry-After"), s.clock.Now()),
	}
	var payload struct {
		Error struct {
			Code       string `json:"code"`
			Message    string `json:"message"`
			InnerError struct {
				RequestID string `json:"request-id"`
			} `json:"innerError"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &payload) == nil {
		e.Code = clip(printable(payload.Error.Code), 80)
		e.Message = clip(printable(payload.Error.Message), 300)
		if e.RequestID == "" {
			e.RequestID = payload.Error.InnerError.RequestID
		}
	}
	if e.RequestID == "" {
		e.RequestID = res.Header.Get("client-request-id")
	}
	e.RequestID = clip(printable(e.RequestID), 80)
	return e
}

// printable drops control characters, so a server's text cannot forge lines in a log.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

// preview is the start of body for an error message.
func preview(body []byte) string {
	return clip(printable(strings.TrimSpace(string(body[:min(len(body), 64)]))), 40)
}
