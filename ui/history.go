package ui

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/dialer/display"
)

// historyModel is the call history, newest first, with the day's and the
// month's spend.
type historyModel struct {
	calls   []dialer.Call
	names   map[int64]string
	today   dialer.Money
	month   dialer.Money
	fees    dialer.Money
	pending int
	cursor  int
	loaded  bool
	mine    bool // this agent's calls only (m)
}

type historyMsg struct {
	calls []dialer.Call
	names map[int64]string
	fees  dialer.Money
	err   error
}

func (m historyModel) load(d Deps) tea.Cmd {
	return func() tea.Msg {
		now := d.now()
		monthStart := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.Local)
		f := dialer.CallFilter{Since: monthStart.AddDate(0, -1, 0), Limit: 500}
		if m.mine {
			f.AgentID = d.Agent.ID
		}
		cs, err := d.Store.Calls(d.Context, f)
		if err != nil {
			return historyMsg{err: err}
		}
		// one query for every contact named (at most Limit: 500 ids)
		var ids []int64
		seen := map[int64]bool{}
		for _, c := range cs {
			if !seen[c.ContactID] {
				seen[c.ContactID] = true
				ids = append(ids, c.ContactID)
			}
		}
		names := make(map[int64]string, len(ids))
		if who, err := d.Store.Contacts(d.Context, ids); err == nil {
			for _, c := range who {
				names[c.ID] = c.Label()
			}
		}
		charges, err := d.Store.Charges(d.Context, dialer.ChargeFilter{Since: monthStart, AgentID: f.AgentID})
		var fees dialer.Money
		for _, ch := range charges {
			fees, _ = fees.Add(ch.Amount)
		}
		return historyMsg{calls: cs, names: names, fees: fees, err: err}
	}
}

func (m historyModel) update(msg tea.Msg, d Deps, k KeyMap, front bool) (historyModel, tea.Cmd) {
	switch msg := msg.(type) {
	case historyMsg:
		if msg.err != nil {
			return m, func() tea.Msg { return errStatus(msg.err) }
		}
		m.calls, m.names, m.fees, m.loaded = msg.calls, msg.names, msg.fees, true
		now := d.now()
		dayStart := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.Local)
		monthStart := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.Local)
		m.today, m.month, m.pending = dialer.Money{}, dialer.Money{}, 0
		for _, c := range m.calls {
			total, known, err := c.Total()
			if err != nil {
				continue
			}
			if !known {
				m.pending++
			}
			if !c.StartedAt.Before(monthStart) {
				m.month, _ = m.month.Add(total)
			}
			if !c.StartedAt.Before(dayStart) {
				m.today, _ = m.today.Add(total)
			}
		}
		m.cursor = min(m.cursor, max(0, len(m.calls)-1))
	case tea.KeyPressMsg:
		if !front {
			return m, nil
		}
		switch {
		case key.Matches(msg, k.Refresh):
			return m, m.load(d)
		case key.Matches(msg, k.Mine) && d.Agent.ID != 0:
			m.mine = !m.mine
			return m, m.load(d)
		case key.Matches(msg, k.Up):
			m.cursor = max(0, m.cursor-1)
		case key.Matches(msg, k.Down):
			m.cursor = max(0, min(len(m.calls)-1, m.cursor+1))
		}
	}
	return m, nil
}

func (m historyModel) keyHelp(k KeyMap) help.KeyMap {
	return keyHelp{
		short: []key.Binding{k.Refresh, k.Mine, k.Up, k.Down, k.NextTab, k.Help, k.Quit},
		full:  append([][]key.Binding{{k.Refresh, k.Mine}, {k.Up, k.Down}}, screenHelp(k, true)...),
	}
}

func (m historyModel) view(st Styles, w, h int) string {
	if !m.loaded {
		return st.Muted.Render("Loading calls…")
	}
	var b strings.Builder
	whose := "All agents: t"
	if m.mine {
		whose = "Yours: t"
	}
	spend := fmt.Sprintf("%soday %s · this month %s in calls, %s in number fees", whose, zeroMoney(m.today), zeroMoney(m.month), zeroMoney(m.fees))
	if m.pending > 0 {
		spend += " · " + display.Plural(m.pending, "call's price", "calls' prices") + " pending"
	}
	b.WriteString(st.Title.Render(spend) + "\n")
	rows := max(1, h-2)
	offset := max(0, m.cursor-rows+1)
	totals := make([]string, 0, rows)
	totalW := len("TOTAL")
	for i := offset; i < len(m.calls) && i < offset+rows; i++ {
		total, known, _ := m.calls[i].Total()
		tot := "pending"
		if known {
			tot = total.String()
		}
		totals = append(totals, tot)
		totalW = max(totalW, display.Width(tot))
	}
	// The agent's name where there is room for it beside the rest.
	agentW := 0
	if w >= 110 {
		agentW = 12
	}
	cols := historyColumnsFor(w-agentW, totalW)
	if cols.outcome < 13 && slices.ContainsFunc(m.calls, dialer.Call.Inbound) {
		// "in: no answer" whole, from the contact's name.
		cols.contact, cols.outcome = max(1, cols.contact-(13-cols.outcome)), 13
	}
	legW := cols.leg
	agentCol := func(s string) string {
		if agentW == 0 {
			return ""
		}
		return pad(s, agentW-1) + " "
	}
	b.WriteString(st.Muted.Render(pad("WHEN", 12)+" "+agentCol("AGENT")+pad("CONTACT", cols.contact)+" "+pad("OUTCOME", cols.outcome)+" "+pad("AGENT LEG", legW)+" "+pad("CONTACT LEG", legW)+" TOTAL") + "\n")
	for i := offset; i < len(m.calls) && i < offset+rows; i++ {
		c := m.calls[i]
		tot := totals[i-offset]
		line := pad(localTime(c.StartedAt), 12) + " " + agentCol(display.Line(c.AgentName)) + pad(m.names[c.ContactID], cols.contact) + " " + pad(callOutcome(c), cols.outcome) + " " +
			pad(legText(c, dialer.AgentLeg, cols.rates), legW) + " " + pad(legText(c, dialer.ContactLeg, cols.rates), legW) + " " + tot
		if i == m.cursor {
			b.WriteString(st.Selected.Render(pad(line, w)) + "\n")
		} else {
			b.WriteString(line + "\n")
		}
	}
	if len(m.calls) == 0 {
		b.WriteString(st.Muted.Render("No calls yet.") + "\n")
	}
	return b.String()
}

// historyColumns are the widths of the Calls screen's columns that give
// way to a narrow terminal.
type historyColumns struct {
	contact, leg int
	outcome      int  // 11, or 20 where there is room for "agent didn't answer"
	rates        bool // the legs show their per-minute rates
}

// historyColumnsFor fits the columns to w so that TOTAL (totalW wide) always
// shows whole: the contact's name and the legs give way first, the legs
// dropping their rates before they are cut.
func historyColumnsFor(w, totalW int) historyColumns {
	outcome := 11
	if w-(12+20+5)-totalW >= 16+2*24 {
		outcome = 20 // the whole phrase, once everything else fits whole
	}
	fixed := 12 + outcome + 5 // WHEN, OUTCOME and the five spaces between columns
	room := w - fixed - totalW
	switch {
	case room >= 16+2*24: // the full legs; what is left goes to the name
		return historyColumns{contact: min(30, room-2*24), leg: 24, outcome: outcome, rates: true}
	case room >= 10+2*14: // "1:05 0.0140" per leg
		return historyColumns{contact: min(16, room-2*14), leg: 14, outcome: outcome}
	default:
		leg := max(5, (room-8)/2)
		return historyColumns{contact: max(1, room-2*leg), leg: leg, outcome: outcome}
	}
}

// legText is a leg's duration, per-minute rate (with rates) and price.
func legText(c dialer.Call, role dialer.LegRole, rates bool) string {
	l, ok := c.Leg(role)
	if !ok {
		return "-"
	}
	rate := "?"
	if l.Rate != nil {
		rate = l.Rate.Amount.String()
	}
	price := "pending"
	if l.Price != nil {
		price = l.Price.Amount.String()
	}
	if !rates {
		return clock(l.Duration) + " " + price
	}
	return clock(l.Duration) + " @" + rate + "/m " + price
}

func zeroMoney(m dialer.Money) string {
	if m.Currency == "" {
		return "0.00"
	}
	return m.String()
}

// callOutcome is how a call went, marked "in:" when the contact called us.
func callOutcome(c dialer.Call) string {
	if c.Inbound() {
		return "in: " + c.Outcome.Phrase()
	}
	return c.Outcome.Phrase()
}
