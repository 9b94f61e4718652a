package ui

import (
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/dialer/day"
	"github.com/dialer-dev/dialer/dialer/display"
)

// dayEvery is how often the header's figures and the callbacks due are
// read again (they also are after each call and each callback change).
var dayEvery = 30 * time.Second

// dayModel is the agent's day as the header shows it: today's figures and
// the open callbacks (the count due, and each contact's, for the rows'
// badges and the due-first order of the contacts screen).
type dayModel struct {
	// asked numbers the refreshes (shared by the model's copies, Init's
	// included); an answer older than the one applied is dropped.
	asked   *atomic.Uint64
	applied uint64
	loaded  bool
	stats   dialer.DayStats
	due     int
	open    map[int64]dialer.Callback // open callbacks by contact
}

func newDay() dayModel { return dayModel{asked: new(atomic.Uint64)} }

// figures is the header's second line: a running session's figures, or
// today's (with the callbacks due) once read.
func (m Model) figures() string {
	switch {
	case m.session != nil:
		return m.st.Muted.Render(sessionLine(m.session.s.Summary(), m.w))
	case !m.day.loaded:
		return ""
	}
	if n := m.day.stats.PastDue; n > 0 {
		// Why no call goes out: said before anything else.
		what := display.Plural(n, "number places", "numbers place")
		return m.st.Warn.Render(truncate(fmt.Sprintf("PAST DUE: the balance is not positive; %s no calls until it is", what), m.w))
	}
	line := dayLine(m.day.stats, m.day.due, m.w)
	if m.day.due > 0 { // the count stands out
		head := callbacksDue(m.day.due)
		return m.st.Warn.Render(head) + m.st.Muted.Render(strings.TrimPrefix(line, head))
	}
	return m.st.Muted.Render(line)
}

// dayMsg is a refresh's answer.
type dayMsg struct {
	gen   uint64
	at    time.Time
	stats dialer.DayStats
	due   int
	open  []dialer.Callback // soonest due first
	err   error
}

// dayTickMsg asks for the periodic refresh.
type dayTickMsg struct{}

func dayTick() tea.Cmd {
	return tea.Tick(dayEvery, func(time.Time) tea.Msg { return dayTickMsg{} })
}

// localMidnight is the start of the agent's day, in this machine's zone.
func localMidnight(now time.Time) time.Time {
	l := now.In(time.Local)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.Local)
}

// refresh reads the day's figures and the open callbacks in a command. The
// figures are in the currency of the settings' reservation fee, the one
// the rest of the UI shows money in.
func (m dayModel) refresh(d Deps) tea.Cmd {
	if d.Store == nil {
		return nil
	}
	gen, now := m.asked.Add(1), d.now()
	return func() tea.Msg {
		ctx := d.Context
		msg := dayMsg{gen: gen, at: now}
		set, err := d.Store.Settings(ctx)
		if err != nil {
			msg.err = err
			return msg
		}
		if msg.stats, err = d.Store.Stats(ctx, localMidnight(now).UTC(), set.ReservationFee.Currency); err != nil {
			msg.err = err
			return msg
		}
		if msg.due, err = d.Store.CountDueCallbacks(ctx, now.UTC()); err != nil {
			msg.err = err
			return msg
		}
		msg.open, msg.err = d.Store.Callbacks(ctx, dialer.CallbackFilter{Open: true})
		return msg
	}
}

// apply takes a refresh's answer; false when it was stale or failed.
func (m *dayModel) apply(msg dayMsg) bool {
	if msg.gen <= m.applied || msg.err != nil {
		return false
	}
	m.applied, m.loaded, m.stats, m.due = msg.gen, true, msg.stats, msg.due
	m.open = make(map[int64]dialer.Callback, len(msg.open))
	for _, cb := range msg.open {
		m.open[cb.ContactID] = cb
	}
	return true
}

// dueIDs are the contacts whose open callback is due at now, most overdue
// first (open is soonest due first).
func dueIDs(open []dialer.Callback, now time.Time) []int64 {
	var ids []int64
	for _, cb := range open {
		if cb.Due.After(now) {
			break
		}
		ids = append(ids, cb.ContactID)
	}
	return ids
}

// callbacksDue says "3 callbacks due".
func callbacksDue(n int) string {
	if n == 1 {
		return "1 callback due"
	}
	return strconv.Itoa(n) + " callbacks due"
}

// shortLabels are the figures' labels where the full ones do not fit.
var shortLabels = map[string]string{
	"connects": "conn", "connect rate": "rate", "talk time": "talk", "number fees": "fees",
	"call spend": "spend", "connected": "conn", "remaining": "left",
}

// dayLine is the header's line of today's figures, fitting w columns:
// the full wording (day.StatsFigures, day.Line) when it fits, then short
// labels, then number fees and call spend added up as what was spent
// (before the talk time), then the last figures dropped. The callbacks due come first and always stay.
func dayLine(s dialer.DayStats, due, w int) string {
	figs := day.StatsFigures(s, due)
	figs = figs[:len(figs)-1] // callbacks due: first, in words
	head := callbacksDue(due)
	short := shorten(figs)
	if s.Unpriced > 0 { // "(+2 legs not priced yet)" is the long part
		short[5].Value = strings.TrimSuffix(short[5].Value, " not priced yet)") + " unpriced)"
	}
	spent := dialer.Money{Currency: s.CallSpend.Currency}
	if total, err := s.NumberFees.Add(s.CallSpend); err == nil {
		spent = total
	}
	value := zeroMoney(spent)
	if s.Unpriced > 0 {
		value = "≥" + value // at least: legs are not priced yet
	}
	// What was spent before the talk time: the last figure is the first
	// dropped.
	compact := append(short[:3:3], day.Figure{Label: "spent", Value: value}, short[3])
	return fitFigures(head, w, figs, short, compact)
}

// sessionLine is the header's line of a running power-dial session: its
// figures (day.SessionFigures), fitting w columns like dayLine.
func sessionLine(sum day.Summary, w int) string {
	head := "Session"
	if sum.Paused {
		head += " PAUSED"
	}
	figs := day.SessionFigures(sum)
	short := shorten(figs)
	// dialed, conn, rate, spend, skipped, left, then talk: dropped first
	compact := append(append(short[:3:3], short[4:]...), short[3])
	return fitFigures(head, w, figs, short, compact)
}

func shorten(figs []day.Figure) []day.Figure {
	out := make([]day.Figure, len(figs))
	for i, f := range figs {
		if s, ok := shortLabels[f.Label]; ok {
			f.Label = s
		}
		out[i] = f
	}
	return out
}

// fitFigures writes head and the first of the wordings that fits w
// columns; if none does, the last with figures dropped from its end.
func fitFigures(head string, w int, wordings ...[]day.Figure) string {
	line := func(figs []day.Figure) string {
		if len(figs) == 0 {
			return head
		}
		return head + " · " + day.Line(figs)
	}
	for _, figs := range wordings {
		if l := line(figs); ansi.StringWidth(l) <= w {
			return l
		}
	}
	last := wordings[len(wordings)-1]
	for n := len(last) - 1; n >= 0; n-- {
		if l := line(last[:n]); ansi.StringWidth(l) <= w {
			return l
		}
	}
	return ansiTruncate(head, w)
}
