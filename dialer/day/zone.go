// Package day is the domain logic of an agent's day, apart from any screen
// or store: when a contact may be called in their own time, when to call
// back, the order of a power-dial session and its state as it runs, and
// the figures of a day in words.
//
// Everything here works on values and takes the time as an argument (or a
// dialer.Clock), so the Bubble Tea screens and the headless `dialer
// session` loop drive the same code, and tests fix the clock.
//
// Sentences returned here may hold a contact's name as it was imported:
// pass them through dialer/display before they reach a terminal.
package day

import (
	"time"

	"github.com/dialer-dev/dialer/dialer"
)

// Zones are the time zones a contact may be in: see dialer.ContactZones.
func Zones(c dialer.Contact) ([]*time.Location, error) { return dialer.ContactZones(c) }

// Zone is the time zone a contact's times are read and shown in: its
// TimeZone, or the first zone of its phone.
func Zone(c dialer.Contact) (*time.Location, error) {
	zones, err := Zones(c)
	if err != nil {
		return nil, err
	}
	return zones[0], nil
}

// InHours reports whether now is inside calling hours in every time zone
// of the contact.
func InHours(now time.Time, c dialer.Contact, hours dialer.CallingHours) (bool, error) {
	zones, err := Zones(c)
	if err != nil {
		return false, err
	}
	return outside(now, zones, hours) == nil, nil
}

// outside is the first zone where t is outside calling hours, nil if none.
func outside(t time.Time, zones []*time.Location, hours dialer.CallingHours) *time.Location {
	for _, z := range zones {
		if !hours.Contains(t.In(z)) {
			return z
		}
	}
	return nil
}

// NextAllowed is the first time at or after now that is inside calling
// hours in every time zone of the contact, in UTC: now itself when it
// already is, otherwise the start of calling hours where they open last.
// Days are counted on the local calendar, so a change to or from daylight
// saving time moves the answer by the hour it should.
func NextAllowed(now time.Time, c dialer.Contact, hours dialer.CallingHours) (time.Time, error) {
	zones, err := Zones(c)
	if err != nil {
		return time.Time{}, err
	}
	return nextAllowed(now, zones, hours, c)
}

func nextAllowed(now time.Time, zones []*time.Location, hours dialer.CallingHours, c dialer.Contact) (time.Time, error) {
	if hours.Start < 0 || hours.Start >= hours.End || hours.End > 24*60 {
		return time.Time{}, dialer.Errorf(dialer.EINVALID, "calling hours %s: the start must come before the end, within one day", hours)
	}
	t := now
	// Each round moves t to the next opening in a zone where it is
	// closed; the zones agree within a few rounds, or never (zones far
	// apart with short hours), which a week of trying shows.
	for t.Sub(now) < 8*24*time.Hour {
		z := outside(t, zones, hours)
		if z == nil {
			return t.UTC(), nil
		}
		t = nextOpening(t, z, hours)
	}
	return time.Time{}, dialer.Errorf(dialer.EHOURS, "calling hours %s never fall at the same time in every time zone of %s (%s)", hours, c.Label(), zoneNames(zones))
}

// nextOpening is the next start of calling hours in z after t, when t is
// outside them there.
func nextOpening(t time.Time, z *time.Location, hours dialer.CallingHours) time.Time {
	local := t.In(z)
	day := local.Day()
	if local.Hour()*60+local.Minute() >= hours.Start {
		day++ // past today's hours
	}
	open := time.Date(local.Year(), local.Month(), day, hours.Start/60, hours.Start%60, 0, 0, z)
	if !open.After(t) {
		// A wall time in a daylight-saving gap can normalise to before t.
		open = time.Date(local.Year(), local.Month(), day+1, hours.Start/60, hours.Start%60, 0, 0, z)
	}
	return open
}

func zoneNames(zones []*time.Location) string {
	s := ""
	for i, z := range zones {
		if i > 0 {
			s += ", "
		}
		s += z.String()
	}
	return s
}

// LocalTime is now in the contact's time zone (Zone), for the pre-dial
// card: "Tue 2:05 PM America/New_York".
func LocalTime(now time.Time, c dialer.Contact) (string, error) {
	z, err := Zone(c)
	if err != nil {
		return "", err
	}
	return now.In(z).Format(cardLayout) + " " + z.String(), nil
}

// cardLayout is how a contact's local time is written.
const cardLayout = "Mon 3:04 PM"

// dateLayout is how a callback's time is written: it may be weeks away.
const dateLayout = "Mon Jan 2 3:04 PM"
