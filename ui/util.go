package ui

import (
	"fmt"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/nyaruka/phonenumbers"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/dialer/display"
)

func ansiTruncate(s string, w int) string { return ansi.Truncate(s, w, "…") }

// pad makes text inert (display.Line: no escape sequences, controls or
// bidi overrides from a contact's name reach the terminal) and cuts or pads
// it to exactly w cells, wide characters included.
func pad(s string, w int) string { return display.Pad(s, w) }

// phoneCache formats each number once: libphonenumber is too slow for
// every row of every frame. A map, it is shared by every copy of the model
// that holds it, and bounded. A nil one formats every time.
type phoneCache map[string]string

func (c phoneCache) format(e164 string) string {
	if f, ok := c[e164]; ok {
		return f
	}
	f := nationalFormat(e164)
	if c != nil {
		if len(c) > 4096 {
			clear(c)
		}
		c[e164] = f
	}
	return f
}

// nationalFormat shows a number as people write it: "(415) 555-2671" at
// home, "+44 20 7946 0958" abroad.
func nationalFormat(e164 string) string {
	n, err := phonenumbers.Parse(e164, dialer.DefaultRegion)
	if err != nil {
		return e164
	}
	if phonenumbers.GetRegionCodeForNumber(n) == dialer.DefaultRegion {
		return phonenumbers.Format(n, phonenumbers.NATIONAL)
	}
	return phonenumbers.Format(n, phonenumbers.INTERNATIONAL)
}

// clock shows a duration as m:ss, or h:mm:ss from an hour. A negative one
// (a start time ahead of this machine's clock: skew, or the sandbox's
// time-scaled emulator) is 0:00, never a wrapped "59:45".
func clock(d time.Duration) string {
	d = max(d, 0).Round(time.Second)
	if d >= time.Hour {
		return fmt.Sprintf("%d:%02d:%02d", int(d/time.Hour), int(d%time.Hour/time.Minute), int(d%time.Minute/time.Second))
	}
	return fmt.Sprintf("%d:%02d", int(d/time.Minute), int(d%time.Minute/time.Second))
}

func localTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("Jan 2 15:04")
}
