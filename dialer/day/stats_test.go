package day

import (
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
)

// The one wording of a day's figures, on a header line and as the lines
// of `dialer stats`.
func TestStatsFigures(t *testing.T) {
	d := dialer.DayStats{Calls: 7, Connects: 3, TalkTime: 1*time.Hour + 2*time.Minute + 3*time.Second + 900*time.Millisecond,
		NumberFees: usd("2.00"), CallSpend: usd("0.4213"), Unpriced: 2}
	if got, want := Line(StatsFigures(d, 4)),
		"calls 7 · connects 3 · connect rate 43% · talk time 1:02:03 · number fees 2.00 USD · call spend 0.4213 USD (+2 legs not priced yet) · callbacks due 4"; got != want {
		t.Errorf("line\n%q\nwant\n%q", got, want)
	}
	want := "calls:         7\n" +
		"connects:      3\n" +
		"connect rate:  43%\n" +
		"talk time:     1:02:03\n" +
		"number fees:   2.00 USD\n" +
		"call spend:    0.4213 USD (+2 legs not priced yet)\n" +
		"callbacks due: 4\n"
	if got := Lines(StatsFigures(d, 4)); got != want {
		t.Errorf("lines\n%s\nwant\n%s", got, want)
	}
	// A day with nothing in it: no rate, no currency to name.
	if got, want := Line(StatsFigures(dialer.DayStats{}, 0)),
		"calls 0 · connects 0 · connect rate - · talk time 0:00:00 · number fees 0.00 · call spend 0.00 · callbacks due 0"; got != want {
		t.Errorf("empty day %q\nwant      %q", got, want)
	}
	if got := StatsFigures(dialer.DayStats{Unpriced: 1}, 0)[5].Value; got != "0.00 (+1 leg not priced yet)" {
		t.Errorf("one unpriced leg: %q", got)
	}
}

func TestPercentAndTalkTime(t *testing.T) {
	for _, tc := range []struct {
		n, of int
		want  string
	}{{0, 0, "-"}, {0, 5, "0%"}, {1, 3, "33%"}, {2, 3, "67%"}, {1, 8, "13%"}, {5, 5, "100%"}, {1, 200, "1%"}, {1, 201, "0%"}} {
		if got := Percent(tc.n, tc.of); got != tc.want {
			t.Errorf("Percent(%d, %d) = %s, want %s", tc.n, tc.of, got, tc.want)
		}
	}
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{{0, "0:00:00"}, {59*time.Second + 999*time.Millisecond, "0:00:59"}, {3723 * time.Second, "1:02:03"},
		{26 * time.Hour, "26:00:00"}, {-time.Second, "0:00:00"}} {
		if got := TalkTime(tc.d); got != tc.want {
			t.Errorf("TalkTime(%s) = %s, want %s", tc.d, got, tc.want)
		}
	}
}
