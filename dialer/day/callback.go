package day

import (
	"strconv"
	"strings"
	"time"

	"github.com/dialer-dev/dialer/dialer"
)

// Choice is a callback time chosen for a contact.
type Choice struct {
	// At is when to call back, in UTC: inside calling hours in every time
	// zone of the contact.
	At time.Time
	// Asked is the time that was asked for, in UTC; it differs from At
	// when that was outside calling hours.
	Asked time.Time
	// Zone is the contact's time zone (Zone) the time was read in.
	Zone *time.Location
	// Moved says Asked was outside calling hours and At is the next
	// allowed time.
	Moved bool
	// Closed, when Moved, is the contact's time zone where Asked was
	// outside calling hours (Note tells both times there).
	Closed *time.Location
	// Note says, in a sentence, when that is in the contact's time and
	// whether it was moved: "Tue Dec 8 9:00 AM for Walter, their time
	// (America/New_York)", or "10:00 PM is outside calling hours
	// (08:00-21:00) for Walter in America/New_York; moved to Tue Dec 8
	// 8:00 AM".
	Note string
}

// Fit moves a callback time that is outside the contact's calling hours
// (in any of its time zones) to the next allowed time, and says so.
func Fit(asked time.Time, c dialer.Contact, hours dialer.CallingHours) (Choice, error) {
	zones, err := Zones(c)
	if err != nil {
		return Choice{}, err
	}
	at, err := nextAllowed(asked, zones, hours, c)
	if err != nil {
		return Choice{}, err
	}
	ch := Choice{At: at, Asked: asked.UTC(), Zone: zones[0], Moved: !at.Equal(asked)}
	if !ch.Moved {
		ch.Note = at.In(ch.Zone).Format(dateLayout) + " for " + c.Label() + ", their time (" + ch.Zone.String() + ")"
		return ch, nil
	}
	z := outside(asked, zones, hours) // where it was closed: both times are told there
	ch.Closed = z
	ch.Note = asked.In(z).Format("3:04 PM") + " is outside calling hours (" + hours.String() + ") for " + c.Label() +
		" in " + z.String() + "; moved to " + at.In(z).Format(dateLayout)
	return ch, nil
}

// QuickPick is a callback time an agent picks with one key.
type QuickPick struct {
	Label string
	At    func(now time.Time, c dialer.Contact, hours dialer.CallingHours) (Choice, error)
}

// QuickPicks are the quick picks, in the order a menu lists them.
var QuickPicks = []QuickPick{
	{"in 1 hour", In1Hour},
	{"tomorrow morning", TomorrowMorning},
	{"next business day", NextBusinessDay},
}

// morning is the hour a day's callback is set for when no time is given.
const morning = 9

// In1Hour is an hour from now, moved into calling hours if need be.
func In1Hour(now time.Time, c dialer.Contact, hours dialer.CallingHours) (Choice, error) {
	return Fit(now.Add(time.Hour), c, hours)
}

// TomorrowMorning is 09:00 tomorrow in the contact's time zone.
func TomorrowMorning(now time.Time, c dialer.Contact, hours dialer.CallingHours) (Choice, error) {
	z, err := Zone(c)
	if err != nil {
		return Choice{}, err
	}
	l := now.In(z)
	return Fit(time.Date(l.Year(), l.Month(), l.Day()+1, morning, 0, 0, 0, z), c, hours)
}

// NextBusinessDay is 09:00 on the next Monday to Friday after today in
// the contact's time zone (a Friday's is the Monday).
func NextBusinessDay(now time.Time, c dialer.Contact, hours dialer.CallingHours) (Choice, error) {
	z, err := Zone(c)
	if err != nil {
		return Choice{}, err
	}
	l := now.In(z)
	d := 1
	for wd := (l.Weekday() + 1) % 7; wd == time.Saturday || wd == time.Sunday; wd = (wd + 1) % 7 {
		d++
	}
	return Fit(time.Date(l.Year(), l.Month(), l.Day()+d, morning, 0, 0, 0, z), c, hours)
}

// ParseWhen reads a callback time an agent typed, in the contact's time
// zone (Zone), and fits it into calling hours. The grammar, case
// insensitive, words separated by spaces:
//
//	WHEN = DATE [TIME] | DAY [TIME] | TIME
//	DATE = YYYY-MM-DD                        2026-12-07
//	DAY  = today | tomorrow | a weekday      mon, monday, tue, tuesday, ...
//	TIME = H[:MM] (24-hour) | H[:MM]am | H[:MM]pm | noon
//	                                         14:30, 9, 10am, 2:30 pm
//
// A DATE or DAY without a TIME means 09:00. A TIME alone is today, or
// tomorrow once it has passed. A weekday is the next such day, today if it
// is that day and the time is still ahead. A time that has passed (today
// 8am at noon, a date gone by) is refused.
func ParseWhen(text string, now time.Time, c dialer.Contact, hours dialer.CallingHours) (Choice, error) {
	z, err := Zone(c)
	if err != nil {
		return Choice{}, err
	}
	asked, err := parseWhen(text, now.In(z))
	if err != nil {
		return Choice{}, err
	}
	return Fit(asked, c, hours)
}

// WhenHelp is a one-line reminder of what ParseWhen reads, for a prompt.
const WhenHelp = `a date and time such as "2026-12-07 14:30", "tomorrow 10am", "mon 9:00" or "14:30", in the contact's time`

func parseWhen(text string, now time.Time) (time.Time, error) {
	bad := func(why string) (time.Time, error) {
		return time.Time{}, dialer.Errorf(dialer.EINVALID, "callback time %q: %s", text, why)
	}
	words := strings.Fields(strings.ToLower(strings.ReplaceAll(text, ",", " ")))
	// "2:30 pm" is one time.
	if n := len(words); n >= 2 && (words[n-1] == "am" || words[n-1] == "pm") {
		words = append(words[:n-2], words[n-2]+words[n-1])
	}
	if len(words) == 0 || len(words) > 2 {
		return bad("want " + WhenHelp)
	}
	loc := now.Location()
	y, m, d := now.Date()
	hour, min := morning, 0
	var weekday time.Weekday = -1
	dated, bare := false, false
	first := words[0]
	switch {
	case first == "today":
		dated = true
	case first == "tomorrow":
		dated, d = true, d+1
	case weekdayOf(first) >= 0:
		weekday = weekdayOf(first)
	case len(first) == 10 && first[4] == '-' && first[7] == '-':
		t, err := time.ParseInLocation("2006-01-02", first, loc)
		if err != nil {
			return bad("the date " + first + " does not exist; write it as YYYY-MM-DD")
		}
		y, m, d, dated = t.Year(), t.Month(), t.Day(), true
	default:
		h, mi, ok := parseClock(first)
		if !ok || len(words) > 1 {
			return bad("want " + WhenHelp)
		}
		hour, min, bare = h, mi, true
	}
	if len(words) == 2 {
		h, mi, ok := parseClock(words[1])
		if !ok {
			return bad(strconv.Quote(words[1]) + " is not a time; want 14:30, 9, 10am or 2:30pm")
		}
		hour, min = h, mi
	}
	at := time.Date(y, m, d, hour, min, 0, 0, loc)
	switch {
	case bare:
		if !at.After(now) {
			at = time.Date(y, m, d+1, hour, min, 0, 0, loc)
		}
	case weekday >= 0:
		ahead := (int(weekday) - int(now.Weekday()) + 7) % 7
		at = time.Date(y, m, d+ahead, hour, min, 0, 0, loc)
		if !at.After(now) {
			at = time.Date(y, m, d+ahead+7, hour, min, 0, 0, loc)
		}
	case dated && at.Before(now):
		return bad("that time has passed (it is " + now.Format(dateLayout) + " there)")
	}
	return at, nil
}

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// weekdayOf reads "mon" or "monday"; -1 if s is neither.
func weekdayOf(s string) time.Weekday {
	if len(s) < 3 {
		return -1
	}
	wd, ok := weekdays[s[:3]]
	if !ok || (len(s) > 3 && s != strings.ToLower(wd.String())) {
		return -1
	}
	return wd
}

// parseClock reads "14:30", "9", "10am", "2:30pm", "12am" (midnight),
// "12pm" and "noon".
func parseClock(s string) (hour, min int, ok bool) {
	if s == "noon" {
		return 12, 0, true
	}
	ampm := ""
	if strings.HasSuffix(s, "am") || strings.HasSuffix(s, "pm") {
		s, ampm = s[:len(s)-2], s[len(s)-2:]
	}
	hs, ms, hasMin := strings.Cut(s, ":")
	if hs == "" || len(hs) > 2 || (hasMin && len(ms) != 2) {
		return 0, 0, false
	}
	h, err := strconv.Atoi(hs)
	if err != nil || h < 0 {
		return 0, 0, false
	}
	if hasMin {
		if min, err = strconv.Atoi(ms); err != nil || min < 0 || min > 59 {
			return 0, 0, false
		}
	}
	switch {
	case ampm == "" && h > 23:
		return 0, 0, false
	case ampm != "" && (h < 1 || h > 12):
		return 0, 0, false
	case ampm == "am" && h == 12:
		h = 0
	case ampm == "pm" && h != 12:
		h += 12
	}
	return h, min, true
}
