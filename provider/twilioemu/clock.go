package twilioemu

import (
	"context"
	"time"
)

// clock is the emulator's one time source. Emulated time starts at base
// and runs 1/scale times as fast as the wall clock (monotonic readings).
type clock struct {
	base  time.Time
	start time.Time // wall-clock reading with a monotonic component
	scale float64
}

func newClock(base time.Time, scale float64) *clock {
	return &clock{base: base, start: time.Now(), scale: scale}
}

// now is the current emulated time, in UTC.
func (c *clock) now() time.Time {
	el := time.Since(c.start)
	return c.base.Add(time.Duration(float64(el) / c.scale))
}

// wall converts an emulated duration to wall time.
func (c *clock) wall(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return time.Duration(float64(d) * c.scale)
}

// sleep waits for the emulated duration d. It returns false when ctx ends
// first.
func (c *clock) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(c.wall(d))
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// twilioTime formats t as Twilio does: RFC 2822 / RFC1123Z in UTC,
// "Tue, 31 Aug 2010 20:36:28 +0000".
func twilioTime(t time.Time) string { return t.UTC().Format(time.RFC1123Z) }

// optTime is twilioTime, or nil (JSON null) for the zero time.
func optTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := twilioTime(t)
	return &s
}
