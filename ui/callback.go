package ui

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/dialer/day"
	"github.com/dialer-dev/dialer/dialer/display"
	"github.com/dialer-dev/dialer/dialer/search"
)

// The callback picker asks when to call a contact back: a quick pick (in
// 1 hour, tomorrow morning, next business day, in the contact's time) or a
// date and time typed in the contact's time (day.ParseWhen). A time outside
// calling hours is moved to the next allowed one (day.Fit), and the note
// saying so is shown before anything is saved. It opens from the call's
// "Call back" outcome and from the contacts screen (b), where it can also
// cancel the contact's open callback.

// callbackOpenMsg opens the picker for a contact: what it needs, read in
// a command.
type callbackOpenMsg struct {
	contact dialer.Contact
	hours   dialer.CallingHours
	open    dialer.Callback // the contact's open callback; ID 0 if none
	err     error
}

// callbackClosedMsg says the picker closed: a callback was saved, the
// open one canceled, or nothing changed.
type callbackClosedMsg struct {
	contact  dialer.Contact
	saved    *dialer.Callback
	note     string // the saved time in words (day.Choice.Note)
	canceled bool
}

// openCallback reads what the picker needs for contact id.
func openCallback(d Deps, id int64) tea.Cmd {
	return func() tea.Msg {
		c, err := d.Store.Contact(d.Context, id)
		if err != nil {
			return callbackOpenMsg{err: err}
		}
		set, err := d.Store.Settings(d.Context)
		if err != nil {
			return callbackOpenMsg{err: err}
		}
		msg := callbackOpenMsg{contact: c, hours: set.CallingHours}
		cbs, err := d.Store.Callbacks(d.Context, dialer.CallbackFilter{ContactID: id, Open: true, Limit: 1})
		if err != nil {
			return callbackOpenMsg{err: err}
		}
		if len(cbs) > 0 {
			msg.open = cbs[0]
		}
		return msg
	}
}

// typedRow is the picker's row after the quick picks: type a time.
var typedRow = len(day.QuickPicks)

type callbackModel struct {
	contact dialer.Contact
	hours   dialer.CallingHours
	open    dialer.Callback
	local   string       // the contact's time when the picker opened
	picks   []day.Choice // each quick pick's time when it opened (zero At: none)
	cursor  int          // a quick pick, or typedRow
	input   textinput.Model
	typing  bool        // the typed time has the keyboard
	choice  *day.Choice // chosen, shown for the agent to save
	err     string
	// inCall: opened from a call's outcome (esc means no callback, and
	// the call's screen is left); otherwise from the contacts screen.
	inCall bool
}

func newCallbackPicker(msg callbackOpenMsg, now time.Time, inCall bool) callbackModel {
	in := textinput.New()
	in.Prompt = "When: "
	in.Placeholder = "tomorrow 10am"
	in.SetWidth(40)
	m := callbackModel{contact: msg.contact, hours: msg.hours, open: msg.open, input: in, inCall: inCall}
	if l, err := day.LocalTime(now, m.contact); err == nil {
		m.local = l
	}
	for _, p := range day.QuickPicks {
		ch, _ := p.At(now, m.contact, m.hours)
		m.picks = append(m.picks, ch)
	}
	return m
}

func (m callbackModel) update(msg tea.Msg, d Deps, k KeyMap) (callbackModel, tea.Cmd) {
	k2, ok := msg.(tea.KeyPressMsg)
	if !ok {
		if m.typing {
			var cmd tea.Cmd
			m.input, cmd = m.input.Update(msg)
			return m, cmd
		}
		return m, nil
	}
	s := k2.String()
	switch {
	case m.choice != nil:
		switch s {
		case "enter":
			return m, m.save(d, *m.choice)
		case "esc":
			m.choice = nil
		}
		return m, nil
	case m.typing:
		switch s {
		case "esc":
			m.typing, m.err = false, ""
			m.input.Blur()
			return m, nil
		case "enter":
			ch, err := day.ParseWhen(m.input.Value(), d.now(), m.contact, m.hours)
			if err != nil {
				m.err = dialer.ErrorMessage(err)
				return m, nil
			}
			m.err, m.choice = "", &ch
			return m, nil
		}
		var cmd tea.Cmd
		m.input, cmd = m.input.Update(msg)
		return m, cmd
	}
	switch {
	case key.Matches(k2, k.Up):
		m.cursor = max(0, m.cursor-1)
	case key.Matches(k2, k.Down):
		m.cursor = min(typedRow, m.cursor+1)
	case s == "1" || s == "2" || s == "3":
		return m.pick(int(s[0]-'1'), d)
	case s == "t":
		m.cursor = typedRow
		return m.pick(typedRow, d)
	case s == "enter":
		return m.pick(m.cursor, d)
	case s == "x" && m.open.ID != 0:
		c := m.contact
		return m, func() tea.Msg {
			if err := d.Store.CancelCallback(d.Context, c.ID); err != nil {
				return errStatus(err)
			}
			return callbackClosedMsg{contact: c, canceled: true}
		}
	case s == "esc":
		c := m.contact
		return m, func() tea.Msg { return callbackClosedMsg{contact: c} }
	}
	return m, nil
}

// pick chooses quick pick i (at the time of the key), or opens the typed
// time.
func (m callbackModel) pick(i int, d Deps) (callbackModel, tea.Cmd) {
	m.cursor, m.err = i, ""
	if i == typedRow {
		m.typing = true
		return m, m.input.Focus()
	}
	ch, err := day.QuickPicks[i].At(d.now(), m.contact, m.hours)
	if err != nil {
		m.err = dialer.ErrorMessage(err)
		return m, nil
	}
	m.choice = &ch
	return m, nil
}

func (m callbackModel) save(d Deps, ch day.Choice) tea.Cmd {
	c, by, now := m.contact, d.Agent.Name, d.now().UTC()
	return func() tea.Msg {
		cb, err := d.Store.ScheduleCallback(d.Context, dialer.Callback{ContactID: c.ID, Due: ch.At, CreatedBy: by, CreatedAt: now})
		if err != nil {
			return errStatus(err)
		}
		return callbackClosedMsg{contact: c, saved: &cb, note: ch.Note}
	}
}

func (m callbackModel) keyHelp(k KeyMap) help.KeyMap {
	back := "close"
	if m.inCall {
		back = "no callback"
	}
	switch {
	case m.choice != nil:
		return keyHelp{short: []key.Binding{hint("enter", "save callback"), hint("esc", "change")}}
	case m.typing:
		return keyHelp{short: []key.Binding{hint("enter", "check time"), hint("esc", "back to picks")}}
	}
	short := []key.Binding{k.Up, k.Down, hint("1-3", "quick pick"), hint("t", "type a time"), hint("enter", "choose")}
	if m.open.ID != 0 {
		short = append(short, hint("x", "cancel callback"))
	}
	short = append(short, hint("esc", back))
	return keyHelp{short: short, full: [][]key.Binding{short}}
}

// callbackTime is a callback's time for an agent: in the contact's zone
// (where it was asked for), or in the agent's when that is unknown.
func callbackTime(t time.Time, c dialer.Contact) string {
	if z, err := day.Zone(c); err == nil {
		return t.In(z).Format("Mon Jan 2 3:04 PM") + " their time"
	}
	return t.Local().Format("Mon Jan 2 15:04")
}

func (m callbackModel) view(st Styles, w int) string {
	var b strings.Builder
	c := m.contact
	b.WriteString(st.Title.Render("Call back "+display.Line(c.Label())+": when?") + "\n")
	if m.local != "" {
		b.WriteString(st.Muted.Render("Their time now: "+m.local+" · calling hours "+m.hours.String()) + "\n")
	}
	if m.open.ID != 0 {
		b.WriteString("Open callback: " + callbackTime(m.open.Due, c) + st.Muted.Render(" (a new one replaces it)") + "\n")
	}
	b.WriteString("\n")
	for i, p := range day.QuickPicks {
		when := ""
		if i < len(m.picks) && !m.picks[i].At.IsZero() {
			when = callbackTime(m.picks[i].At, c)
		}
		line := strconv.Itoa(i+1) + " " + pad(p.Label, 20) + " " + when
		b.WriteString(m.row(st, i, line) + "\n")
	}
	b.WriteString(m.row(st, typedRow, "t a date and time…") + "\n\n")
	if m.typing && m.choice == nil {
		b.WriteString(m.input.View() + "\n")
		b.WriteString(st.Muted.Width(max(w, 20)).Render(day.WhenHelp) + "\n")
	}
	if m.err != "" {
		b.WriteString(st.Error.Width(max(w, 20)).Render(display.Text(m.err)) + "\n")
	}
	if m.choice != nil {
		style := st.OK
		if m.choice.Moved {
			style = st.Warn
		}
		// The note names the contact: inert.
		b.WriteString(style.Width(max(w, 20)).Render("Callback: "+display.Line(m.choice.Note)) + "\n")
		b.WriteString(st.Key.Render("enter") + " save   " + st.Key.Render("esc") + " change\n")
	}
	return b.String()
}

func (m callbackModel) row(st Styles, i int, line string) string {
	if i == m.cursor && m.choice == nil && !m.typing {
		return st.Selected.Render("› " + line)
	}
	return "  " + line
}

// callbackBadge is a contact row's callback badge: "↻ overdue" more than
// an hour past due, "↻ due" once due, else its time in the agent's zone.
func callbackBadge(cb dialer.Callback, now time.Time) string {
	switch {
	case cb.ID == 0:
		return ""
	case now.Sub(cb.Due) > time.Hour:
		return "↻ overdue "
	case !cb.Due.After(now):
		return "↻ due "
	}
	return "↻ " + localTime(cb.Due) + " "
}

// dueFirst puts the contacts with a callback due (most overdue first) at
// the top of res, the rest after them in res's order.
func dueFirst(res search.Result, due []int64) search.Result {
	if len(due) == 0 {
		return res
	}
	out := res
	out.Matches = make([]search.Match, 0, len(res.Matches)+len(due))
	first := make(map[int64]bool, len(due))
	for _, id := range due {
		out.Matches = append(out.Matches, search.Match{ID: id})
		first[id] = true
	}
	for _, mt := range res.Matches {
		if !first[mt.ID] {
			out.Matches = append(out.Matches, mt)
		}
	}
	return out
}

// ordered is the search result the contacts screen lists: with the query
// empty, the contacts with a callback due come first.
func (m contactsModel) ordered() search.Result {
	if m.raw.Query != "" {
		return m.raw
	}
	return dueFirst(m.raw, m.due)
}

// callbacksChanged takes the header's refresh of the open callbacks: the
// rows' badges, and the due-first order (the cursor stays on its contact).
func (m contactsModel) callbacksChanged(msg dayMsg, d Deps) (contactsModel, tea.Cmd) {
	if msg.err != nil {
		return m, nil
	}
	m.open = make(map[int64]dialer.Callback, len(msg.open))
	for _, cb := range msg.open {
		m.open[cb.ContactID] = cb
	}
	due := dueIDs(msg.open, msg.at)
	if slices.Equal(due, m.due) {
		return m, nil
	}
	m.due = due
	if !m.ready || m.raw.Query != "" {
		return m, nil
	}
	id, had := m.selected()
	m.res = m.ordered()
	if had && m.cursor > 0 { // at the top, the cursor stays there: on the first due
		if i := slices.IndexFunc(m.res.Matches, func(mt search.Match) bool { return mt.ID == id }); i >= 0 {
			m.cursor = i
		}
	}
	m.cursor = max(0, min(m.cursor, len(m.res.Matches)-1))
	m.scroll()
	return m, m.loadVisible(d, m.rows)
}

// callback opens the callback picker for the selected contact.
func (m contactsModel) callback(d Deps) tea.Cmd {
	id, ok := m.selected()
	if !ok {
		return nil
	}
	return openCallback(d, id)
}
