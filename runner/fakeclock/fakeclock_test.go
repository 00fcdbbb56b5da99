package fakeclock

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

func fired(t interface{ C() <-chan time.Time }) (time.Time, bool) {
	select {
	case v := <-t.C():
		return v, true
	default:
		return time.Time{}, false
	}
}

func TestTimers(t *testing.T) {
	c := New(t0)
	a := c.NewTimer(2 * time.Second)
	b := c.NewTimer(time.Second)
	stopped := c.NewTimer(time.Second)
	if !stopped.Stop() || stopped.Stop() {
		t.Fatal("Stop should report true once, for a pending timer")
	}
	if n := c.Pending(); n != 2 {
		t.Fatalf("Pending = %d, want 2", n)
	}
	if d, ok := c.NextDeadline(); !ok || !d.Equal(t0.Add(time.Second)) {
		t.Fatalf("NextDeadline = %v, %v", d, ok)
	}
	c.Advance(time.Second - time.Nanosecond)
	if _, ok := fired(b); ok {
		t.Fatal("timer fired early")
	}
	c.Advance(time.Nanosecond)
	if v, ok := fired(b); !ok || !v.Equal(t0.Add(time.Second)) {
		t.Fatalf("b fired = %v, %v", v, ok)
	}
	if _, ok := fired(a); ok {
		t.Fatal("a fired early")
	}
	if _, ok := fired(stopped); ok {
		t.Fatal("a stopped timer fired")
	}
	c.Set(t0.Add(time.Hour))
	if _, ok := fired(a); !ok {
		t.Fatal("Set past a's deadline did not fire it")
	}
	if a.Stop() {
		t.Fatal("Stop of a fired timer reported true")
	}
	if _, ok := fired(c.NewTimer(0)); !ok {
		t.Fatal("a zero timer should fire at once")
	}
	c.Set(t0) // wall clocks can go back
	if !c.Now().Equal(t0) {
		t.Fatalf("Now = %v after Set", c.Now())
	}
}

func TestWaitForTimers(t *testing.T) {
	c := New(t0)
	go func() { c.NewTimer(time.Minute) }()
	if !c.WaitForTimers(1, nil) {
		t.Fatal("WaitForTimers gave up")
	}
	done := make(chan struct{})
	close(done)
	if c.WaitForTimers(2, done) {
		t.Fatal("WaitForTimers reported 2 timers with only 1 pending")
	}
}
