package dialer

import "time"

// Clock tells the time. Policies take one so tests can move days in a line.
type Clock interface {
	Now() time.Time
}

// ClockFunc adapts a function to Clock.
type ClockFunc func() time.Time

// Now returns f().
func (f ClockFunc) Now() time.Time { return f() }

// nowUTC is c's time in UTC, or the system clock's when c is nil.
func nowUTC(c Clock) time.Time {
	if c == nil {
		return time.Now().UTC()
	}
	return c.Now().UTC()
}

// SystemClock is the wall clock.
var SystemClock Clock = ClockFunc(time.Now)
