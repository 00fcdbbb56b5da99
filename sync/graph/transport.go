package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	absser "github.com/microsoft/kiota-abstractions-go/serialization"
	khttp "github.com/microsoft/kiota-http-go"
	msgraphgocore "github.com/microsoftgraph/msgraph-sdk-go-core"

	"caltray/runner"
	"caltray/sync/inert"
	"caltray/sync/origin"
)

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
			ShouldRedirect: followRedirect,
		}),
		khttp.NewParametersNameDecodingHandler(),
		khttp.NewUserAgentHandler(),
	}
}

// followRedirect is the RedirectHandler's ShouldRedirect, asked about every response. Graph
// does not redirect calendar reads, so a redirect to another origin (scheme, host, port) is
// never followed: the other host's body would be taken for the user's calendar. handle then
// refuses the redirect, naming where it pointed. A redirect within the Graph origin is followed
// (a proxy or a future Graph may move a path). The body of a redirect that will be followed is
// closed here: kiota leaves it open, which would hold a connection.
func followRedirect(req *http.Request, res *http.Response) bool {
	if res == nil || res.StatusCode < 300 || res.StatusCode >= 400 || res.Header.Get("Location") == "" {
		return true // not a redirect: the handler passes it on
	}
	if target, err := req.URL.Parse(res.Header.Get("Location")); err != nil || !origin.Same(target, req.URL) {
		return false
	}
	if res.Body != nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<20))
		_ = res.Body.Close()
	}
	return true
}

// crossOriginRedirect returns the error for a redirect to another origin, nil for any other
// response. It is permanent (runner.Permanent): the same request is redirected the same way
// again, so only a person can fix it (a wrong Graph URL, a proxy rewriting traffic); the next
// periodic sync tries again anyway.
func (s *Source) crossOriginRedirect(op string, res *http.Response) error {
	loc := res.Header.Get("Location")
	if loc == "" || res.Request == nil {
		return nil
	}
	target, err := res.Request.URL.Parse(loc)
	if err == nil && origin.Same(target, res.Request.URL) {
		return nil
	}
	where := "an unreadable location"
	if err == nil {
		where = inert.Line(clip(target.Scheme+"://"+target.Host, 100))
	}
	e := s.statusError(op, res, nil)
	e.RedirectedTo = where
	return runner.Permanent(e)
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

// fetch sends ri through the request adapter and reads a successful JSON page of kind, which
// may add at most room appointments. The response goes to our handler rather than kiota's so
// that every failure keeps its status, Graph's error code and the Retry-After, whatever the
// body looks like.
func (s *Source) fetch(ctx context.Context, op string, ri *abs.RequestInformation, kind pageKind, room int) (*pageResult, error) {
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
		page, err := s.handle(op, res, kind, room)
		if page == nil {
			return nil, err // a typed nil would reach kiota as a non-nil Parsable
		}
		return page, err
	})
	ri.AddRequestOptions([]abs.RequestOption{handler})
	v, err := s.adapter.Send(ctx, ri, func(absser.ParseNode) (absser.Parsable, error) { return &pageResult{}, nil }, nil)
	if err != nil && !handled {
		// The request never got a response: a transport failure (connection refused or reset,
		// timeout, the context ending) keeps its type in the chain for the runner; *url.Error
		// names the URL but never a header.
		return nil, fmt.Errorf("graph: %s: %w", op, err)
	}
	if err != nil {
		return nil, err
	}
	page, ok := v.(*pageResult)
	if !ok {
		return nil, fmt.Errorf("graph: %s: no page was read", op)
	}
	return page, nil
}

// handle turns one response into a page read or an error.
func (s *Source) handle(op string, res *http.Response, kind pageKind, room int) (*pageResult, error) {
	defer res.Body.Close()
	if res.StatusCode >= 300 && res.StatusCode < 400 {
		// A redirect the RedirectHandler did not follow (to another origin, too many, or no
		// Location); it may have closed the body already, and the body of a redirect says
		// nothing anyway.
		if err := s.crossOriginRedirect(op, res); err != nil {
			return nil, err
		}
		return nil, s.statusError(op, res, nil)
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		// The status and headers are what the runner needs (a 429's Retry-After, a 401 being
		// permanent); a body cut short loses only Graph's error code. Graph's error bodies are
		// small: 64 KiB is plenty.
		body, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
		return nil, s.statusError(op, res, body)
	}
	if mt, _, err := mime.ParseMediaType(res.Header.Get("Content-Type")); err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		head, _ := io.ReadAll(io.LimitReader(res.Body, 64))
		return nil, &PayloadError{Op: op, Status: res.StatusCode,
			Reason: fmt.Sprintf("content type is %q, not application/json (body starts %q)", inert.Line(res.Header.Get("Content-Type")), preview(head))}
	}
	return decodePage(op, res.StatusCode, res.Body, kind, s.pageSize, room)
}

// statusError builds the Error for a non-2xx response from its headers and Graph's error body
// ({"error": {"code", "message", "innerError": {"request-id"}}}), whatever else the body is.
// Graph's text is untrusted: it is made inert here, where it enters caltray.
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
		e.Code = clip(inert.Line(payload.Error.Code), 80)
		e.Message = clip(inert.Line(payload.Error.Message), 300)
		if e.RequestID == "" {
			e.RequestID = payload.Error.InnerError.RequestID
		}
	}
	if e.RequestID == "" {
		e.RequestID = res.Header.Get("client-request-id")
	}
	e.RequestID = clip(inert.Line(e.RequestID), 80)
	return e
}

// preview is the start of body for an error message, made inert.
func preview(body []byte) string {
	return clip(inert.Line(string(body[:min(len(body), 64)])), 40)
}
