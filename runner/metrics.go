package runner

import (
	"slices"
	"time"
)

// OpMetrics are the counts and durations of one operation name.
type OpMetrics struct {
	Calls     int64           // calls that ran (rejections excluded)
	Attempts  int64           // attempts made by those calls
	Successes int64           // calls that returned a value
	Failures  map[Class]int64 // failed calls by the class of their last error
	Rejected  int64           // calls the breaker turned away without running the operation
	Call      Durations       // whole calls, backoff waits included
	Attempt   Durations       // single attempts
}

// Durations summarises recent durations. Percentiles cover the last sampleSize samples, so
// they follow the service's current behaviour; Max and Count cover the runner's lifetime.
type Durations struct {
	Count int64
	P50   time.Duration
	P95   time.Duration
	Max   time.Duration
}

// sampleSize bounds the memory and the sort behind each percentile.
const sampleSize = 1024

type opStats struct {
	calls, attempts, successes, rejected int64
	failures                             map[Class]int64
	callDur, attemptDur                  samples
}

type samples struct {
	ring  [sampleSize]time.Duration
	count int64
	max   time.Duration
}

func (s *samples) add(d time.Duration) {
	s.ring[s.count%sampleSize] = d
	s.count++
	s.max = max(s.max, d)
}

func (s *samples) summary() Durations {
	n := min(s.count, sampleSize)
	sorted := slices.Clone(s.ring[:n])
	slices.Sort(sorted)
	out := Durations{Count: s.count, Max: s.max}
	if n > 0 {
		out.P50 = sorted[(n-1)*50/100]
		out.P95 = sorted[(n-1)*95/100]
	}
	return out
}

// stats returns the record for name, creating it on first use. r.mu must be held.
func (r *Runner) stats(name string) *opStats {
	s := r.ops[name]
	if s == nil {
		s = &opStats{failures: make(map[Class]int64)}
		r.ops[name] = s
	}
	return s
}

// Metrics returns a copy of the metrics of every operation name the runner has seen.
func (r *Runner) Metrics() map[string]OpMetrics {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]OpMetrics, len(r.ops))
	for name, s := range r.ops {
		m := OpMetrics{
			Calls:     s.calls,
			Attempts:  s.attempts,
			Successes: s.successes,
			Failures:  make(map[Class]int64, len(s.failures)),
			Rejected:  s.rejected,
			Call:      s.callDur.summary(),
			Attempt:   s.attemptDur.summary(),
		}
		for c, n := range s.failures {
			m.Failures[c] = n
		}
		out[name] = m
	}
	return out
}
