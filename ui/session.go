package ui

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/dialer/day"
	"github.com/dialer-dev/dialer/dialer/display"
)

// A power-dial session walks the contacts listed on the contacts screen
// (the search's results, or every contact when the search is empty) in the
// order day.Plan gives: callbacks due, never called, tried longest ago.
// Each contact comes up on a pre-dial card (the caller ID the call would
// use or the fee of a new number, the contact's time, the last outcome,
// the notes); the dial key places the call through the call screen, and
// once its outcome is picked the next contact comes up. day.Session keeps
// the state: skips with their reasons, pause and resume, the figures.

// sessionPlannedMsg is a session's plan, read and ordered in a command.
type sessionPlannedMsg struct {
	q    day.Queue
	set  dialer.Settings
	n    int    // contacts planned over
	over string // what the session is over, in words
	err  error
}

// cardPreviewMsg is the pre-dial card's preview of the call (caller ID or
// fee, guards): the call screen's own preview.
type cardPreviewMsg struct {
	id int64
	p  previewMsg
}

// session plans a power-dial session over the contacts listed.
func (m contactsModel) session(d Deps) tea.Cmd {
	q := m.input.Value()
	if q == "" {
		if m.list != "" {
			return planSession(d, nil, m.list, "the list "+strconv.Quote(m.list))
		}
		return planSession(d, nil, "", "all contacts")
	}
	if len(m.res.Matches) == 0 {
		return func() tea.Msg { return statusMsg("No contact matches the search: nobody to dial.") }
	}
	ids := make([]int64, len(m.res.Matches))
	for i, mt := range m.res.Matches {
		ids[i] = mt.ID
	}
	over := "the " + strconv.Itoa(len(ids)) + " " + plural(len(ids), "contact", "contacts") + " matching " + strconv.Quote(q)
	if m.res.Total > len(ids) {
		over = fmt.Sprintf("the first %d of %d contacts matching %q", len(ids), m.res.Total, q)
	}
	return planSession(d, ids, "", over)
}

// planSession reads the contacts (ids; nil: every contact, or every
// contact on list when it is set), their call histories and open
// callbacks, and plans the session at the time of the key.
func planSession(d Deps, ids []int64, list, over string) tea.Cmd {
	now := d.now()
	return func() tea.Msg {
		ctx := d.Context
		fail := func(err error) tea.Msg { return sessionPlannedMsg{err: err} }
		set, err := d.Store.Settings(ctx)
		if err != nil {
			return fail(err)
		}
		q, n, err := day.Load(ctx, d.Store, ids, list, now, set)
		if err != nil {
			return fail(err)
		}
		return sessionPlannedMsg{q: q, set: set, n: n, over: over}
	}
}

type sessionModel struct {
	s      *day.Session // shared by the model's copies; Update alone drives it
	set    dialer.Settings
	n      int
	over   string
	card   *previewMsg // the card's preview; nil while it loads
	local  string      // the contact's time when the card came up
	phones phoneCache
}

func newSession(msg sessionPlannedMsg, d Deps) sessionModel {
	return sessionModel{s: day.NewSession(msg.q, msg.set, d.Clock), set: msg.set, n: msg.n, over: msg.over, phones: phoneCache{}}
}

// advance brings up the next contact once the session is ready for it
// (not paused, no card up, no call running).
func (m sessionModel) advance(d Deps) (sessionModel, tea.Cmd) {
	if m.s.State() != day.StateReady || m.s.Paused() {
		return m, nil
	}
	m.card, m.local = nil, ""
	e, ok, err := m.s.Next()
	if err != nil {
		return m, func() tea.Msg { return errStatus(err) }
	}
	if !ok {
		return m, nil // done: the summary shows
	}
	m.local, _ = day.LocalTime(d.now(), e.Contact)
	c := e.Contact
	preview := callModel{contact: c}.init(d)
	return m, func() tea.Msg {
		p, _ := preview().(previewMsg)
		return cardPreviewMsg{id: c.ID, p: p}
	}
}

func (m sessionModel) update(msg tea.Msg, d Deps) (sessionModel, tea.Cmd) {
	switch msg := msg.(type) {
	case cardPreviewMsg:
		if e, ok := m.s.Current(); ok && e.Contact.ID == msg.id && m.s.State() == day.StateCard {
			m.card = &msg.p
		}
	case callEndedMsg:
		return m.callEnded(msg, d)
	}
	return m, nil
}

// callEnded records the session's call once its outcome was picked (or
// that it could not be placed), then brings up the next contact.
func (m sessionModel) callEnded(msg callEndedMsg, d Deps) (sessionModel, tea.Cmd) {
	if m.s.State() != day.StateCall {
		return m, nil
	}
	var err error
	if c := msg.call; c != nil {
		var talk time.Duration
		if l, ok := c.Leg(dialer.ContactLeg); ok && c.Outcome == dialer.OutcomeAnswered {
			talk = l.Duration
		}
		spend, unpriced := callSpend(*c, m.set)
		err = m.s.Record(c.Outcome, talk, spend, unpriced)
	} else {
		err = m.s.NotPlaced(msg.err)
	}
	m, cmd := m.advance(d)
	if err != nil {
		return m, tea.Batch(cmd, func() tea.Msg { return errStatus(err) })
	}
	return m, cmd
}

// callSpend is what a call cost so far, in the settings' currency: the
// legs priced (Twilio prices them minutes later) and the fee of a number
// bought for it; unpriced counts the legs not priced yet.
func callSpend(c dialer.Call, set dialer.Settings) (spend dialer.Money, unpriced int) {
	total := dialer.Money{Currency: set.ReservationFee.Currency}
	add := func(m dialer.Money) {
		if t, err := total.Add(m); err == nil {
			total = t
		}
	}
	for _, l := range c.Legs {
		if l.Price != nil {
			add(*l.Price)
		} else {
			unpriced++
		}
	}
	if c.NewNumber {
		add(set.ReservationFee)
	}
	return total, unpriced
}

// key answers a key on the card or the summary; closed says the session's
// screen is done with.
func (m sessionModel) key(msg tea.KeyPressMsg, d Deps, k KeyMap) (sessionModel, tea.Cmd, bool) {
	s := msg.String()
	status := func(text string) tea.Cmd { return func() tea.Msg { return statusMsg(text) } }
	if m.s.State() == day.StateDone {
		if s == "enter" || s == "esc" {
			return m, nil, true
		}
		return m, nil, false
	}
	switch {
	case s == "p":
		if m.s.Paused() {
			if err := m.s.Resume(); err != nil {
				return m, func() tea.Msg { return errStatus(err) }, false
			}
			m, cmd := m.advance(d)
			return m, tea.Batch(cmd, status("Session resumed.")), false
		}
		if err := m.s.Pause(); err != nil {
			return m, func() tea.Msg { return errStatus(err) }, false
		}
		return m, status("Session paused: p resumes, x stops."), false
	case s == "x":
		m.s.Stop()
		m.card = nil
		return m, nil, false
	case m.s.Paused():
		if key.Matches(msg, k.Call) || s == "s" {
			return m, status("The session is paused: p resumes."), false
		}
	case m.s.State() != day.StateCard:
	case key.Matches(msg, k.Call):
		if m.card == nil {
			return m, status("Checking the caller ID…"), false
		}
		p := *m.card
		e, err := m.s.Dial()
		if err != nil { // it may no longer be called: skipped, with the reason
			m, cmd := m.advance(d)
			return m, tea.Batch(cmd, func() tea.Msg { return errStatus(err) }), false
		}
		if p.err != nil { // a guard refused it (the card said why)
			m.s.NotPlaced(p.err)
			m, cmd := m.advance(d)
			return m, cmd, false
		}
		return m, func() tea.Msg { return startCallMsg{contact: e.Contact, preview: &p} }, false
	case s == "s":
		m.s.Skip("")
		m, cmd := m.advance(d)
		return m, cmd, false
	}
	return m, nil, false
}

func (m sessionModel) keyHelp(k KeyMap) help.KeyMap {
	switch {
	case m.s.State() == day.StateDone:
		return keyHelp{short: []key.Binding{hint("enter/esc", "close"), k.Help, k.Quit}}
	case m.s.Paused():
		return keyHelp{short: []key.Binding{hint("p", "resume"), hint("x", "stop"), k.Help, k.Quit}}
	}
	short := []key.Binding{hint("enter/c", "dial"), hint("s", "skip"), hint("p", "pause"), hint("x", "stop"), k.Help, k.Quit}
	return keyHelp{short: short, full: [][]key.Binding{short[:4], {k.Help, k.Quit}}}
}

// whyUp says why the contact is up now.
func whyUp(e day.Entry) string {
	switch e.Why {
	case day.WhyCallback:
		return "callback due " + callbackTime(e.Callback.Due, e.Contact)
	case day.WhyNew:
		return "never called"
	}
	return fmt.Sprintf("called %d %s, last %s", e.History.Attempts, plural(e.History.Attempts, "time", "times"), localTime(e.History.LastCalled))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func (m sessionModel) view(st Styles, w, h int) string {
	sum := m.s.Summary()
	if sum.State == day.StateDone {
		return m.summaryView(st, sum, w, h)
	}
	var b strings.Builder
	title := "Power dial over " + display.Line(m.over) + fmt.Sprintf(" · %d planned, %d to go", m.n, sum.Remaining)
	b.WriteString(st.Title.Render(title))
	if sum.Paused {
		b.WriteString(" " + st.Warn.Render("PAUSED"))
	}
	b.WriteString("\n\n")
	lines := 2
	if e, ok := m.s.Current(); ok {
		c := e.Contact
		head := st.Title.Render(display.Line(c.Label()))
		if c.Company != "" {
			head += st.Muted.Render(" · " + display.Line(c.Company))
		}
		b.WriteString(head + "\n")
		b.WriteString(display.Line(m.phones.format(c.Phone)))
		if m.local != "" {
			b.WriteString(st.Muted.Render(" · their time ") + m.local)
		}
		b.WriteString("\n")
		b.WriteString(st.Muted.Render("Up because: ") + display.Line(whyUp(e)) + "\n")
		last := "none"
		if e.History.Attempts > 0 {
			last = e.History.LastOutcome.Phrase()
		}
		b.WriteString(st.Muted.Render("Last outcome: ") + last + "\n")
		lines += 4
		if c.Notes != "" {
			b.WriteString(st.Muted.Render("Notes: ") + display.Line(c.Notes) + "\n")
			lines++
		}
		b.WriteString("\n")
		switch p := m.card; {
		case p == nil:
			b.WriteString(st.Muted.Render("Checking the caller ID…"))
		case p.err != nil:
			b.WriteString(st.Error.Render(display.Line(dialer.ErrorMessage(p.err))) + st.Muted.Render(" Dialing skips it; nothing is bought."))
		default:
			text := wrapCallerID(st, *p, m.phones, w)
			b.WriteString(text)
			lines += strings.Count(text, "\n")
		}
		b.WriteString("\n\n")
		if sum.Paused {
			b.WriteString(st.Key.Render("p") + " resume   " + st.Key.Render("x") + " stop\n")
		} else {
			b.WriteString(st.Key.Render("enter") + " dial   " + st.Key.Render("s") + " skip   " + st.Key.Render("p") + " pause   " + st.Key.Render("x") + " stop\n")
		}
		lines += 5
	}
	if len(sum.Skipped) > 0 {
		b.WriteString("\n" + st.Title.Render(fmt.Sprintf("Skipped (%d)", len(sum.Skipped))) + "\n")
		b.WriteString(skipLines(st, sum.Skipped, w, h-lines-2))
	}
	return b.String()
}

// skipLines lists skips, the newest last, in at most n lines.
func skipLines(st Styles, skips []day.Skip, w, n int) string {
	if n <= 0 {
		return ""
	}
	from := 0
	var b strings.Builder
	if len(skips) > n {
		from = len(skips) - n + 1
		b.WriteString(st.Muted.Render(fmt.Sprintf("  … %d more before", from)) + "\n")
	}
	nameW := min(24, max(10, w/4))
	for _, sk := range skips[from:] {
		b.WriteString("  " + pad(sk.Contact.Label(), nameW) + " " + st.Muted.Render(display.Line(sk.Reason)) + "\n")
	}
	return b.String()
}

func (m sessionModel) summaryView(st Styles, sum day.Summary, w, h int) string {
	var b strings.Builder
	b.WriteString(st.Title.Render("Power-dial session over "+display.Line(m.over)+": done") + "\n\n")
	figs := day.Lines(day.SessionFigures(sum))
	b.WriteString(figs)
	lines := 2 + strings.Count(figs, "\n")
	room := h - lines - 1
	calls := min(len(sum.Calls), max(1, room/2))
	if len(sum.Calls) > 0 {
		b.WriteString("\n" + st.Title.Render("Calls") + "\n")
		nameW := min(24, max(10, w/4))
		from := len(sum.Calls) - calls
		if from > 0 {
			b.WriteString(st.Muted.Render(fmt.Sprintf("  … %d more before", from)) + "\n")
		}
		for _, r := range sum.Calls[from:] {
			b.WriteString("  " + pad(r.Contact.Label(), nameW) + " " + pad(r.Outcome.Phrase(), 12) + " " +
				day.TalkTime(r.TalkTime) + "  " + zeroMoney(r.Spend) + "\n")
		}
		lines += calls + 2
	}
	if len(sum.Skipped) > 0 {
		b.WriteString("\n" + st.Title.Render(fmt.Sprintf("Skipped (%d)", len(sum.Skipped))) + "\n")
		b.WriteString(skipLines(st, sum.Skipped, w, h-lines-2))
	}
	return b.String()
}

// dayUpdate routes the messages of the callback picker and the power-dial
// session.
func (m Model) dayUpdate(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case callbackOpenMsg:
		if msg.err != nil {
			if m.call != nil { // the outcome was saved: leave the call's screen
				return m, tea.Batch(m.call.ended(), func() tea.Msg { return errStatus(msg.err) })
			}
			return m, func() tea.Msg { return errStatus(msg.err) }
		}
		cb := newCallbackPicker(msg, m.now(), m.call != nil)
		if m.call != nil {
			m.call.cb = &cb
		} else {
			m.dialog = &cb
		}
		return m, nil
	case callbackClosedMsg:
		text := ""
		switch {
		case msg.saved != nil:
			text = "Callback saved: " + msg.note + "."
		case msg.canceled:
			text = "Callback for " + msg.contact.Label() + " canceled."
		}
		cmds := []tea.Cmd{m.day.refresh(m.d)}
		if text != "" {
			cmds = append(cmds, func() tea.Msg { return statusMsg(text) })
		}
		if m.call != nil && m.call.cb != nil {
			m.call.cb = nil
			cmds = append(cmds, m.call.ended())
		} else {
			m.dialog = nil
		}
		return m, tea.Batch(cmds...)
	case sessionPlannedMsg:
		if msg.err != nil {
			return m, func() tea.Msg { return errStatus(msg.err) }
		}
		if m.session != nil || m.call != nil {
			return m, nil // one at a time
		}
		s, cmd := newSession(msg, m.d).advance(m.d)
		m.session = &s
		return m, cmd
	case cardPreviewMsg:
		if m.session != nil {
			s, cmd := m.session.update(msg, m.d)
			m.session = &s
			return m, cmd
		}
	}
	return m, nil
}

// sessionKey answers a key while the session's screen is in front: help
// and quit, then the card's keys.
func (m Model) sessionKey(k tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	switch {
	case key.Matches(k, m.keys.Quit):
		return m.askQuit()
	case key.Matches(k, m.keys.Help):
		m.fullHelp = !m.fullHelp
		m.contacts.resize(m.bodyHeight())
		return m, nil
	}
	s, cmd, closed := m.session.key(k, m.d, m.keys)
	m.session = &s
	if closed {
		m.session = nil
		return m, tea.Batch(cmd, m.day.refresh(m.d), m.contacts.loadVisible(m.d, m.contacts.rows))
	}
	return m, cmd
}
