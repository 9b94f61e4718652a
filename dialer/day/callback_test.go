package day

import (
	"strings"
	"testing"

	"time"

	"github.com/dialer-dev/dialer/dialer"
)

// Fri 2026-12-04 20:30 UTC: 3:30 PM in New York, 12:30 PM in Los Angeles,
// 10:30 AM in Honolulu.
const friday = "2026-12-04 20:30"

func TestQuickPicks(t *testing.T) {
	for _, tc := range []struct {
		name  string
		pick  func(now time.Time, c dialer.Contact, h dialer.CallingHours) (Choice, error)
		c     dialer.Contact
		hours dialer.CallingHours
		now   string
		want  string // UTC
		note  string // "" when not checked
	}{
		{"in 1 hour", In1Hour, walter, hours8to21, friday, "2026-12-04 21:30",
			"Fri Dec 4 4:30 PM for Walter, their time (America/New_York)"},
		// 8:30 PM in New York: an hour later is past 9 PM.
		{"in 1 hour, past closing", In1Hour, walter, hours8to21, "2026-12-05 01:30", "2026-12-05 13:00",
			"9:30 PM is outside calling hours (08:00-21:00) for Walter in America/New_York; moved to Sat Dec 5 8:00 AM"},
		{"tomorrow morning in Honolulu", TomorrowMorning, hana, hours8to21, friday, "2026-12-05 19:00",
			"Sat Dec 5 9:00 AM for Hana, their time (Pacific/Honolulu)"},
		// Sat 06:00 UTC is still Friday 8 PM in Honolulu: tomorrow is Saturday there.
		{"tomorrow is the contact's tomorrow", TomorrowMorning, hana, hours8to21, "2026-12-05 06:00", "2026-12-05 19:00", ""},
		// Spring forward: 9 AM Sunday is EDT, 13:00 UTC, not 14:00.
		{"tomorrow morning across DST", TomorrowMorning, walter, hours8to21, "2026-03-07 15:00", "2026-03-08 13:00", ""},
		{"tomorrow morning before hours open", TomorrowMorning, walter, dialer.CallingHours{Start: 10 * 60, End: 18 * 60}, friday, "2026-12-05 15:00",
			"9:00 AM is outside calling hours (10:00-18:00) for Walter in America/New_York; moved to Sat Dec 5 10:00 AM"},
		{"next business day from Friday is Monday", NextBusinessDay, walter, hours8to21, friday, "2026-12-07 14:00",
			"Mon Dec 7 9:00 AM for Walter, their time (America/New_York)"},
		{"next business day from Saturday", NextBusinessDay, walter, hours8to21, "2026-12-05 15:00", "2026-12-07 14:00", ""},
		{"next business day from Sunday", NextBusinessDay, walter, hours8to21, "2026-12-06 15:00", "2026-12-07 14:00", ""},
		{"next business day from Monday", NextBusinessDay, walter, hours8to21, "2026-12-07 15:00", "2026-12-08 14:00", ""},
		// Fri 06:00 UTC is Thursday 10 PM in Los Angeles: the next
		// business day there is Friday.
		{"next business day on the contact's calendar", NextBusinessDay, lena, hours8to21, "2026-12-04 06:00", "2026-12-04 17:00", ""},
		// 9 AM in Boise is 8 AM in Los Angeles: allowed in both.
		{"two zones: read in the first", TomorrowMorning, ida, hours8to21, friday, "2026-12-05 16:00",
			"Sat Dec 5 9:00 AM for Ida, their time (America/Boise)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ch, err := tc.pick(utc(tc.now), tc.c, tc.hours)
			if err != nil {
				t.Fatal(err)
			}
			if !ch.At.Equal(utc(tc.want)) || ch.At.Location() != time.UTC {
				t.Errorf("at %s, want %s UTC", ch.At, tc.want)
			}
			if tc.note != "" && ch.Note != tc.note {
				t.Errorf("note %q\nwant %q", ch.Note, tc.note)
			}
			if ch.Moved != strings.Contains(ch.Note, "moved") || ch.Moved != !ch.At.Equal(ch.Asked) {
				t.Errorf("moved %v, asked %s, at %s, note %q", ch.Moved, ch.Asked, ch.At, ch.Note)
			}
			// The zone where it was closed is the one the note tells.
			if ch.Moved != (ch.Closed != nil) || ch.Moved && !strings.Contains(ch.Note, " in "+ch.Closed.String()+";") {
				t.Errorf("closed in %v, note %q", ch.Closed, ch.Note)
			}
		})
	}
	if len(QuickPicks) != 3 || QuickPicks[1].Label != "tomorrow morning" {
		t.Errorf("quick picks %v", QuickPicks)
	}
}

func TestParseWhen(t *testing.T) {
	chicago := walter
	chicago.TimeZone = "America/Chicago"
	for _, tc := range []struct {
		text  string
		c     dialer.Contact
		want  string // UTC
		moved bool
	}{
		{"2026-12-07 14:30", walter, "2026-12-07 19:30", false},
		{"tomorrow 10am", walter, "2026-12-05 15:00", false},
		{"  Tomorrow   10AM ", walter, "2026-12-05 15:00", false},
		{"tomorrow 10 am", walter, "2026-12-05 15:00", false},
		{"mon 9:00", walter, "2026-12-07 14:00", false},
		{"monday 9:00", walter, "2026-12-07 14:00", false},
		{"wed", walter, "2026-12-09 14:00", false},
		// 14:30 has passed at 3:30 PM: tomorrow's.
		{"14:30", walter, "2026-12-05 19:30", false},
		{"16:00", walter, "2026-12-04 21:00", false},
		{"4:15 pm", walter, "2026-12-04 21:15", false},
		{"friday 4:15pm", walter, "2026-12-04 21:15", false},
		// It is Friday, but 3 PM has passed: next Friday.
		{"fri 3pm", walter, "2026-12-11 20:00", false},
		{"noon", walter, "2026-12-05 17:00", false},
		{"tomorrow", walter, "2026-12-05 14:00", false},
		{"2026-12-07", walter, "2026-12-07 14:00", false},
		{"today 5pm", walter, "2026-12-04 22:00", false},
		// Midnight and 10 PM are outside calling hours.
		{"12am", walter, "2026-12-05 13:00", true},
		{"tomorrow 10 pm", walter, "2026-12-06 13:00", true},
		// Read in the contact's zone, not the agent's nor UTC.
		{"tomorrow 10am", hana, "2026-12-05 20:00", false},
		{"tomorrow 10am", chicago, "2026-12-05 16:00", false},
		// 14:30 in Honolulu has not passed at 10:30 AM there: today.
		{"14:30", hana, "2026-12-05 00:30", false},
	} {
		t.Run(tc.text+"/"+tc.c.Name, func(t *testing.T) {
			ch, err := ParseWhen(tc.text, utc(friday), tc.c, hours8to21)
			if err != nil {
				t.Fatal(err)
			}
			if !ch.At.Equal(utc(tc.want)) || ch.Moved != tc.moved {
				t.Errorf("at %s (moved %v), want %s (moved %v); %s", ch.At, ch.Moved, tc.want, tc.moved, ch.Note)
			}
		})
	}
	ch, _ := ParseWhen("mon 9:00", utc(friday), walter, hours8to21)
	if want := "Mon Dec 7 9:00 AM for Walter, their time (America/New_York)"; ch.Note != want {
		t.Errorf("note %q, want %q", ch.Note, want)
	}
}

func TestParseWhenRefuses(t *testing.T) {
	for _, tc := range []struct{ text, why string }{
		{"", "want a date and time"},
		{"next week", "want a date and time"},
		{"tomorrow at 10", "want a date and time"},
		{"10:00 tomorrow", "want a date and time"},
		{"2026-02-30 10:00", "the date 2026-02-30 does not exist"},
		{"2026-12-01 10:00", "that time has passed (it is Fri Dec 4 3:30 PM there)"},
		{"today 8am", "that time has passed"},
		{"tomorrow 25:00", `"25:00" is not a time`},
		{"tomorrow 13pm", `"13pm" is not a time`},
		{"tomorrow 9:5", `"9:5" is not a time`},
		{"tomorrow 9:60", `"9:60" is not a time`},
		{"mo 9:00", "want a date and time"},
		{"mondays 9:00", "want a date and time"},
	} {
		_, err := ParseWhen(tc.text, utc(friday), walter, hours8to21)
		if dialer.ErrorKind(err) != dialer.EINVALID || !strings.HasPrefix(err.Error(), "callback time ") || !strings.Contains(err.Error(), tc.why) {
			t.Errorf("%q: %v; want EINVALID saying %q", tc.text, err, tc.why)
		}
	}
}
