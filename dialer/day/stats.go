package day

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dialer-dev/dialer/dialer"
)

// Figure is one figure of a day or a session, named: "connect rate", "42%".
type Figure struct {
	Label string
	Value string
}

// StatsFigures are the figures of a day in words, in the order they are
// shown: calls, connects, connect rate, talk time, number fees, call spend
// and callbacks due. The UI header (Line) and `dialer stats` (Lines) both
// show these.
func StatsFigures(d dialer.DayStats, callbacksDue int) []Figure {
	spend := money(d.CallSpend)
	if d.Unpriced > 0 {
		spend += fmt.Sprintf(" (+%d %s not priced yet)", d.Unpriced, plural(d.Unpriced, "leg", "legs"))
	}
	return []Figure{
		{"calls", strconv.Itoa(d.Calls)},
		{"connects", strconv.Itoa(d.Connects)},
		{"connect rate", Percent(d.Connects, d.Calls)},
		{"talk time", TalkTime(d.TalkTime)},
		{"number fees", money(d.NumberFees)},
		{"call spend", spend},
		{"callbacks due", strconv.Itoa(callbacksDue)},
	}
}

// SessionFigures are the figures of a power-dial session, for its header
// while it runs and its summary at the end: dialed, connected, connect
// rate, talk time, spend, skipped and remaining.
func SessionFigures(s Summary) []Figure {
	return []Figure{
		{"dialed", strconv.Itoa(s.Dialed)},
		{"connected", strconv.Itoa(s.Connected)},
		{"connect rate", Percent(s.Connected, s.Dialed)},
		{"talk time", TalkTime(s.TalkTime)},
		{"spend", sessionSpend(s)},
		{"skipped", strconv.Itoa(len(s.Skipped))},
		{"remaining", strconv.Itoa(s.Remaining)},
	}
}

// Line writes figures on one line, for a header:
// "calls 12 · connects 5 · connect rate 42% · ...".
func Line(figs []Figure) string {
	parts := make([]string, len(figs))
	for i, f := range figs {
		parts[i] = f.Label + " " + f.Value
	}
	return strings.Join(parts, " · ")
}

// Lines writes figures one a line, labels aligned, for a command's text
// output.
func Lines(figs []Figure) string {
	w := 0
	for _, f := range figs {
		w = max(w, len(f.Label))
	}
	var b strings.Builder
	for _, f := range figs {
		fmt.Fprintf(&b, "%-*s %s\n", w+1, f.Label+":", f.Value)
	}
	return b.String()
}

// Percent is n of total as a whole percentage, rounded half up ("43%");
// "-" when total is 0 (no rate without calls).
func Percent(n, total int) string {
	if total <= 0 {
		return "-"
	}
	return strconv.Itoa((200*n+total)/(2*total)) + "%"
}

// TalkTime writes a duration as h:mm:ss ("0:04:05", "26:00:00"), whole
// seconds.
func TalkTime(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int64(d / time.Second)
	return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
}

// money writes an amount of money; none at all is "0.00".
func money(m dialer.Money) string {
	if m.Currency == "" && m.Amount == 0 {
		return "0.00"
	}
	return m.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// sessionSpend is what a session spent, and how many legs the provider has
// not priced yet: "1.00 USD (+12 legs not priced yet)" (never a
// misleading bare sum while prices are pending).
func sessionSpend(s Summary) string {
	out := money(s.Spend)
	if s.Unpriced > 0 {
		out += " (+" + strconv.Itoa(s.Unpriced) + " " + plural(s.Unpriced, "leg", "legs") + " not priced yet)"
	}
	return out
}
