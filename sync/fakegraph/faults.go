package fakegraph

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// A FaultKind is a way the server misbehaves instead of (or while) answering a Graph request.
type FaultKind string

// The fault kinds. Every kind that answers with an error sends a Graph-shaped error body
// ({"error":{"code","message","innerError":{date,request-id,client-request-id}}}).
const (
	None            FaultKind = ""                    // a normal answer
	Throttled       FaultKind = "throttled"           // 429 TooManyRequests, Retry-After in seconds
	ThrottledDate   FaultKind = "throttled-date"      // 429 TooManyRequests, Retry-After as an HTTP-date
	InternalError   FaultKind = "internal-error"      // 500 generalException
	BadGateway      FaultKind = "bad-gateway"         // 502 badGateway
	Unavailable     FaultKind = "unavailable"         // 503 serviceNotAvailable, Retry-After in seconds
	UnavailableBare FaultKind = "unavailable-bare"    // 503 serviceNotAvailable without Retry-After
	GatewayTimeout  FaultKind = "gateway-timeout"     // 504 gatewayTimeout
	Slow            FaultKind = "slow"                // answer only after Fault.Delay; 0: never (until the client leaves or Close)
	Dropped         FaultKind = "dropped"             // close the connection in the middle of the response head
	Reset           FaultKind = "reset"               // close the connection before sending a byte (see the package doc: net/http may replay it)
	Truncated       FaultKind = "truncated"           // 200 with the first half of the JSON body (consistent Content-Length)
	NotJSON         FaultKind = "not-json"            // 200, Content-Type application/json, an HTML proxy page as body
	WrongType       FaultKind = "wrong-content-type"  // 200 with the right JSON but Content-Type text/html
	ExpiredToken    FaultKind = "expired-delta-token" // 410 Gone, syncStateNotFound
)

// Kinds lists every fault kind except None, for tests that cover them all.
func Kinds() []FaultKind { return append([]FaultKind(nil), allKinds...) }

var allKinds = []FaultKind{Throttled, ThrottledDate, InternalError, BadGateway, Unavailable, UnavailableBare,
	GatewayTimeout, Slow, Dropped, Reset, Truncated, NotJSON, WrongType, ExpiredToken}

// transientKinds are what SetRandomFaults draws from when given no kinds: the answers a
// healthy Graph gives now and then, which a client must ride out by retrying.
var transientKinds = []FaultKind{Throttled, ThrottledDate, InternalError, BadGateway, Unavailable, UnavailableBare, GatewayTimeout}

// A Fault is one scripted misbehaviour. The zero Fault is a normal answer, so a script can let
// requests through: s.Fail(Fault{}, Fault{Kind: Throttled}) fails the second request.
type Fault struct {
	Kind FaultKind
	// RetryAfter is the wait announced by Throttled, ThrottledDate and Unavailable; 0 means
	// one second. ThrottledDate rounds the date up to the next whole second (HTTP-dates have
	// no fractions), so a client never learns a shorter wait than RetryAfter.
	RetryAfter time.Duration
	// Delay is how long Slow waits (real time) before answering normally; 0 waits until the
	// client gives up or the server closes.
	Delay time.Duration
}

func (f Fault) String() string {
	switch f.Kind {
	case None:
		return "none"
	case Throttled, ThrottledDate, Unavailable:
		return fmt.Sprintf("%s (Retry-After %s)", f.Kind, f.retryAfter())
	case Slow:
		if f.Delay == 0 {
			return "slow (until the client leaves)"
		}
		return fmt.Sprintf("slow (%s)", f.Delay)
	}
	return string(f.Kind)
}

func (f Fault) retryAfter() time.Duration {
	if f.RetryAfter <= 0 {
		return time.Second
	}
	return f.RetryAfter
}

// faults is the server's fault plan. The Server's mutex guards it.
type faults struct {
	queue  []Fault
	outage *Fault
	rate   float64
	kinds  []FaultKind
	rng    *rand.Rand
}

// next picks the fault for one Graph request: the outage first, then the script, then chance.
func (f *faults) next() Fault {
	if f.outage != nil {
		return *f.outage
	}
	if len(f.queue) > 0 {
		fault := f.queue[0]
		f.queue = f.queue[1:]
		return fault
	}
	if f.rate > 0 && f.rng.Float64() < f.rate {
		return Fault{Kind: f.kinds[f.rng.IntN(len(f.kinds))]}
	}
	return Fault{}
}

// Fail queues faults for the next Graph requests, one each, in order; a request with no
// queued fault is answered normally. Token checks come first: a rejected request uses none.
func (s *Server) Fail(faults ...Fault) error {
	for _, f := range faults {
		if err := f.validate(); err != nil {
			return fmt.Errorf("fakegraph: fail: %w", err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.queue = append(s.faults.queue, faults...)
	return nil
}

// Pending returns how many scripted faults have not been used yet.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.faults.queue)
}

// SetRandomFaults makes each Graph request fail with probability rate (0 turns it off) with a
// kind drawn from kinds (default: the transient ones: 429, 500, 502, 503, 504). The same seed
// and the same order of requests give the same faults.
func (s *Server) SetRandomFaults(rate float64, seed int64, kinds ...FaultKind) error {
	if rate < 0 || rate > 1 {
		return fmt.Errorf("fakegraph: random fault rate %v is not between 0 and 1", rate)
	}
	if len(kinds) == 0 {
		kinds = transientKinds
	}
	for _, k := range kinds {
		if err := (Fault{Kind: k}).validate(); err != nil {
			return fmt.Errorf("fakegraph: random faults: %w", err)
		}
		if k == None {
			return fmt.Errorf("fakegraph: random faults: kind None is not a fault; lower the rate instead")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.rate = rate
	s.faults.kinds = append([]FaultKind(nil), kinds...)
	s.faults.rng = rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15))
	return nil
}

// SetOutage makes every Graph request fail with f until SetOutage(Fault{}) ends the outage
// (the demo's "Simulate outage"). While it lasts, scripted faults wait.
func (s *Server) SetOutage(f Fault) error {
	if err := f.validate(); err != nil {
		return fmt.Errorf("fakegraph: outage: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Kind == None {
		s.faults.outage = nil
		return nil
	}
	s.faults.outage = &f
	return nil
}

func (f Fault) validate() error {
	if f.Kind != None && !slices.Contains(allKinds, f.Kind) {
		return fmt.Errorf("unknown fault kind %q (known: %q)", f.Kind, kindNames())
	}
	if f.RetryAfter < 0 || f.Delay < 0 {
		return fmt.Errorf("fault %s: RetryAfter and Delay must not be negative", f.Kind)
	}
	return nil
}

func kindNames() []string {
	out := make([]string, len(allKinds))
	for i, k := range allKinds {
		out[i] = string(k)
	}
	return out
}
