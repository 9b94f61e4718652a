package day

import (
	"strings"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
)

// Contacts in several zones; the numbers' area codes decide their zones.
var (
	walter = dialer.Contact{ID: 1, Name: "Walter", Phone: "+12125550143"} // New York
	lena   = dialer.Contact{ID: 2, Name: "Lena", Phone: "+13105550100"}   // Los Angeles
	hana   = dialer.Contact{ID: 3, Name: "Hana", Phone: "+18085550100"}   // Honolulu
	ida    = dialer.Contact{ID: 4, Name: "Ida", Phone: "+12085550100"}    // 208: America/Boise and America/Los_Angeles
	// A New York number whose owner lives in Honolulu: the contact's own
	// time zone wins over the area code's.
	moved = dialer.Contact{ID: 5, Name: "Moe", Phone: "+12125550143", TimeZone: "Pacific/Honolulu"}
)

var hours8to21 = dialer.CallingHours{Start: 8 * 60, End: 21 * 60}

func utc(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestNextAllowedAcrossZones(t *testing.T) {
	for _, tc := range []struct {
		name    string
		c       dialer.Contact
		hours   dialer.CallingHours
		now     string // UTC
		want    string // UTC
		inHours bool
	}{
		{"New York mid-morning is now", walter, hours8to21, "2026-12-08 15:00", "2026-12-08 15:00", true},
		{"New York 10 PM waits for 8 AM", walter, hours8to21, "2026-12-09 03:00", "2026-12-09 13:00", false},
		{"New York 9 PM sharp is closed", walter, hours8to21, "2026-12-09 02:00", "2026-12-09 13:00", false},
		{"New York 8:59 PM is open", walter, hours8to21, "2026-12-09 01:59", "2026-12-09 01:59", true},
		{"Los Angeles 6 AM waits two hours", lena, hours8to21, "2026-12-08 14:00", "2026-12-08 16:00", false},
		{"Honolulu 7 AM waits an hour", hana, hours8to21, "2026-12-08 17:00", "2026-12-08 18:00", false},
		{"Honolulu 9 PM waits for the next morning", hana, hours8to21, "2026-12-09 07:00", "2026-12-09 18:00", false},
		{"calling hours hold on a Saturday too", walter, hours8to21, "2026-12-05 15:00", "2026-12-05 15:00", true},
		{"Saturday night waits for Sunday morning", walter, hours8to21, "2026-12-06 03:00", "2026-12-06 13:00", false},
		// Spring forward (2026-03-08): 8 AM that Sunday is EDT, 12:00 UTC, not 13:00.
		{"DST starts overnight", walter, hours8to21, "2026-03-08 03:00", "2026-03-08 12:00", false},
		// Fall back (2026-11-01): 8 AM that Sunday is EST, 13:00 UTC.
		{"DST ends overnight", walter, hours8to21, "2026-11-01 02:00", "2026-11-01 13:00", false},
		// 208 spans Mountain and Pacific time: 8:30 AM in Boise is 7:30
		// AM in Los Angeles, so it waits for Los Angeles.
		{"two zones: the later opening wins", ida, hours8to21, "2026-12-08 15:30", "2026-12-08 16:00", false},
		// 9:30 PM in Boise is 8:30 PM in Los Angeles: Boise has closed.
		{"two zones: the earlier closing wins", ida, hours8to21, "2026-12-09 04:30", "2026-12-09 16:00", false},
		{"the contact's own zone wins over the area code", moved, hours8to21, "2026-12-08 17:00", "2026-12-08 18:00", false},
		{"narrow hours", walter, dialer.CallingHours{Start: 10 * 60, End: 10*60 + 30}, "2026-12-08 15:30", "2026-12-09 15:00", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := NextAllowed(utc(tc.now), tc.c, tc.hours)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(utc(tc.want)) || got.Location() != time.UTC {
				t.Errorf("NextAllowed(%s) = %s, want %s UTC", tc.now, got, tc.want)
			}
			in, err := InHours(utc(tc.now), tc.c, tc.hours)
			if err != nil || in != tc.inHours {
				t.Errorf("InHours(%s) = %v, %v; want %v", tc.now, in, err, tc.inHours)
			}
		})
	}
}

// Zones whose hours never meet, and a time zone that does not exist, are
// errors that say so rather than a loop or a guess.
func TestNextAllowedErrors(t *testing.T) {
	half := dialer.CallingHours{Start: 8 * 60, End: 8*60 + 30} // Boise's and Los Angeles' never meet
	_, err := NextAllowed(utc("2026-12-08 12:00"), ida, half)
	if dialer.ErrorKind(err) != dialer.EHOURS || !strings.Contains(err.Error(), "America/Boise, America/Los_Angeles") {
		t.Errorf("hours that never meet: %v", err)
	}
	bad := walter
	bad.TimeZone = "Mars/Olympus"
	_, err = NextAllowed(utc("2026-12-08 12:00"), bad, hours8to21)
	if dialer.ErrorKind(err) != dialer.EINVALID || err.Error() != `contact Walter: time zone "Mars/Olympus" is not a known IANA time zone (such as America/Chicago)` {
		t.Errorf("unknown zone: %v", err)
	}
	if _, err := InHours(utc("2026-12-08 12:00"), dialer.Contact{Name: "Nobody", Phone: "12"}, hours8to21); dialer.ErrorKind(err) != dialer.EINVALID {
		t.Errorf("no phone: %v", err)
	}
}

func TestLocalTime(t *testing.T) {
	for _, tc := range []struct {
		c    dialer.Contact
		want string
	}{
		{walter, "Tue 10:00 AM America/New_York"},
		{hana, "Tue 5:00 AM Pacific/Honolulu"},
		{moved, "Tue 5:00 AM Pacific/Honolulu"},
		{ida, "Tue 8:00 AM America/Boise"},
	} {
		if got, err := LocalTime(utc("2026-12-08 15:00"), tc.c); err != nil || got != tc.want {
			t.Errorf("%s: %q, %v; want %q", tc.c.Name, got, err, tc.want)
		}
	}
}
