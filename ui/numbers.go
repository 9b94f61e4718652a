package ui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/dialer/display"
	"github.com/dialer-dev/dialer/dialer/nanp"
)

// numbersModel is the inventory: a supervisor buys, names, assigns and
// cancels numbers there; everyone sees their details and health.
type numbersModel struct {
	all    []dialer.Number
	max    int
	status int // index into numberFilters
	cursor int
	loaded bool
	phones phoneCache // the rows' numbers, formatted once
	// asking is the number whose cancellation waits for y (or n).
	asking *dialer.Number
	// agents are the team's active agents (names by id, for the AGENT
	// column); assigning is the number being assigned, to choices[pick].
	agents    []dialer.Agent
	assigning *dialer.Number
	pick      int
	// naming is the number whose name is being typed into input.
	naming *dialer.Number
	input  textinput.Model
	// buy is the buy dialog, while it is open (numberbuy.go).
	buy *buyModel
	// risk says why each number in service is at risk (none: healthy).
	risk map[int64][]string
	// details: the selected number's details pane is shown; detail is
	// the last one read (another number's while the selected one is read).
	details bool
	detail  *dialer.NumberDetail
}

// numberDetailMsg is a number's details, read.
type numberDetailMsg struct {
	detail dialer.NumberDetail
	err    error
}

// numberChangedMsg is a number canceled (or its cancellation taken back).
type numberChangedMsg struct {
	n        dialer.Number
	err      error
	assigned bool // an assignment, not a cancellation
	renamed  bool // a new name
}

// assignChoices are whom a number can be assigned to: the active agents,
// then no one.
func (m numbersModel) assignChoices() []dialer.Agent {
	var out []dialer.Agent
	for _, a := range m.agents {
		if a.Active {
			out = append(out, a)
		}
	}
	return append(out, dialer.Agent{Name: "no one"})
}

// agentName names an agent by id ("#7" for one not loaded).
func (m numbersModel) agentName(id int64) string {
	for _, a := range m.agents {
		if a.ID == id {
			return display.Line(a.Name)
		}
	}
	return fmt.Sprintf("#%d", id)
}

var numberFilters = []dialer.NumberStatus{"", dialer.StatusActive, dialer.StatusPending, dialer.StatusPastDue,
	dialer.StatusCanceling, dialer.StatusReleased, dialer.StatusFailed}

type numbersMsg struct {
	numbers []dialer.Number
	agents  []dialer.Agent
	risk    map[int64][]string
	max     int
	err     error
}

func (m numbersModel) load(d Deps) tea.Cmd {
	return func() tea.Msg {
		ns, err := d.Store.Numbers(d.Context, dialer.NumberFilter{})
		if err != nil {
			return numbersMsg{err: err}
		}
		set, err := d.Store.Settings(d.Context)
		if err != nil {
			return numbersMsg{err: err}
		}
		agents, err := d.Store.Agents(d.Context, true)
		if err != nil {
			return numbersMsg{err: err}
		}
		// how the calls of each number in service went: the at-risk mark
		risk := map[int64][]string{}
		now := d.now()
		for _, n := range ns {
			if n.Status != dialer.StatusActive && n.Status != dialer.StatusPastDue && n.Status != dialer.StatusCanceling {
				continue
			}
			u, err := d.Store.NumberUsage(d.Context, n.ID, dialer.LocalDayStart(now), now)
			if err != nil {
				return numbersMsg{err: err}
			}
			if why := u.AtRisk(set); len(why) > 0 {
				risk[n.ID] = why
			}
		}
		return numbersMsg{numbers: ns, agents: agents, risk: risk, max: set.MaxNumbers}
	}
}

// loadDetail reads the selected number's details (nil when there is none).
func (m numbersModel) loadDetail(d Deps) tea.Cmd {
	shown := m.shown()
	if !m.details || m.cursor >= len(shown) {
		return nil
	}
	n := shown[m.cursor]
	return func() tea.Msg {
		det, err := dialer.ReadNumberDetail(d.Context, d.Store, n, d.now())
		return numberDetailMsg{detail: det, err: err}
	}
}

// selectedID is the selected number's record id (0: none).
func (m numbersModel) selectedID() int64 {
	if shown := m.shown(); m.cursor < len(shown) {
		return shown[m.cursor].ID
	}
	return 0
}

// supervisorOnly refuses an agent what only a supervisor may do (nil for
// a supervisor, or before this machine is anyone).
func supervisorOnly(d Deps, what string) tea.Cmd {
	if d.Agent.ID == 0 || d.Agent.Supervisor() {
		return nil
	}
	return func() tea.Msg {
		return errStatus(dialer.Errorf(dialer.EREFUSED, "only a supervisor may %s; %s is an agent", what, d.Agent.Name))
	}
}

func (m numbersModel) shown() []dialer.Number {
	f := numberFilters[m.status]
	if f == "" {
		return m.all
	}
	var out []dialer.Number
	for _, n := range m.all {
		if n.Status == f {
			out = append(out, n)
		}
	}
	return out
}

func (m numbersModel) update(msg tea.Msg, d Deps, k KeyMap, front bool) (numbersModel, tea.Cmd) {
	switch msg := msg.(type) {
	case numbersMsg:
		if msg.err != nil {
			return m, func() tea.Msg { return errStatus(msg.err) }
		}
		m.all, m.agents, m.risk, m.max, m.loaded = msg.numbers, msg.agents, msg.risk, msg.max, true
		m.cursor = min(m.cursor, max(0, len(m.shown())-1))
		return m, m.loadDetail(d) // its status or calls may have changed
	case numberDetailMsg:
		if msg.err != nil {
			return m, func() tea.Msg { return errStatus(msg.err) }
		}
		if msg.detail.Number.ID == m.selectedID() {
			m.detail = &msg.detail
		}
		return m, nil
	case boughtMsg:
		if msg.err != nil {
			return m, tea.Batch(m.load(d), func() tea.Msg { return errStatus(msg.err) })
		}
		n := msg.n
		text := "Bought " + n.PhoneNumber + " (dedicated, area code " + n.AreaCode + "): it is kept until canceled."
		return m, tea.Batch(m.load(d), func() tea.Msg { return statusMsg(text) })
	case buyFoundMsg, buyReviewedMsg, spinner.TickMsg:
		if m.buy != nil {
			b, cmd, _ := m.buy.update(msg, d, k)
			m.buy = &b
			return m, cmd
		}
		return m, nil
	case numberChangedMsg:
		if msg.err != nil {
			return m, func() tea.Msg { return errStatus(msg.err) }
		}
		// The row changes at once: a key pressed before the list is read
		// again acts on the number as it now is.
		for i := range m.all {
			if m.all[i].ID == msg.n.ID {
				m.all[i] = msg.n
			}
		}
		text := msg.n.PhoneNumber + " is active again; its cancellation is taken back."
		switch {
		case msg.renamed && dialer.NumberName(msg.n.FriendlyName) == "":
			text = msg.n.PhoneNumber + " has no name now."
		case msg.renamed:
			text = msg.n.PhoneNumber + " is named " + display.Line(dialer.NumberName(msg.n.FriendlyName)) + "."
		case msg.assigned && msg.n.AgentID == 0:
			text = msg.n.PhoneNumber + " is no one's: " + unassigned(msg.n) + "."
		case msg.assigned:
			text = msg.n.PhoneNumber + " is " + m.agentName(msg.n.AgentID) + "'s primary number."
		case msg.n.Status == dialer.StatusCanceling:
			text = msg.n.PhoneNumber + " is canceling: it keeps working until " + msg.n.BillingPeriodEnd.Local().Format("Mon Jan 2") + ", then it is released."
		}
		return m, tea.Batch(m.load(d), func() tea.Msg { return statusMsg(text) })
	case tea.KeyPressMsg:
		if !front {
			return m, nil
		}
		if m.buy != nil {
			b, cmd, done := m.buy.update(msg, d, k)
			m.buy = &b
			if done {
				m.buy.stop()
				m.buy = nil
			}
			return m, cmd
		}
		if m.naming != nil {
			switch msg.String() {
			case "enter":
				n, name := *m.naming, m.input.Value()
				m.naming = nil
				m.input.Blur()
				return m, func() tea.Msg {
					got, err := d.Numbers.Rename(d.Context, n.ID, name)
					return numberChangedMsg{n: got, err: err, renamed: true}
				}
			case "esc":
				m.naming = nil
				m.input.Blur()
				return m, nil
			}
			var cmd tea.Cmd
			m.input, cmd = m.input.Update(msg)
			return m, cmd
		}
		if m.assigning != nil {
			choices := m.assignChoices()
			switch {
			case key.Matches(msg, k.Up):
				m.pick = (m.pick + len(choices) - 1) % len(choices)
			case key.Matches(msg, k.Down):
				m.pick = (m.pick + 1) % len(choices)
			case msg.String() == "enter":
				n, to := *m.assigning, choices[m.pick]
				m.assigning = nil
				return m, func() tea.Msg {
					got, err := d.Numbers.Assign(d.Context, n.ID, to.ID)
					return numberChangedMsg{n: got, err: err, assigned: true}
				}
			case msg.String() == "esc":
				m.assigning = nil
			}
			return m, nil
		}
		if m.asking != nil {
			n := *m.asking
			m.asking = nil
			if msg.String() != "y" {
				return m, func() tea.Msg { return statusMsg(n.PhoneNumber + " was not canceled.") }
			}
			return m, func() tea.Msg {
				got, err := d.Numbers.Cancel(d.Context, n.ID)
				return numberChangedMsg{n: got, err: err}
			}
		}
		n := len(m.shown())
		before := m.selectedID()
		m, cmd := m.key(msg, d, k, n)
		if m.details && m.selectedID() != before {
			cmd = tea.Batch(cmd, m.loadDetail(d)) // the pane follows the cursor
		}
		return m, cmd
	}
	return m, nil
}

// key answers a key of the list (no dialog open); n is the rows shown.
func (m numbersModel) key(msg tea.KeyPressMsg, d Deps, k KeyMap, n int) (numbersModel, tea.Cmd) {
	switch {
	case key.Matches(msg, k.BuyNumber):
		if cmd := supervisorOnly(d, "buy numbers"); cmd != nil {
			return m, cmd
		}
		b := newBuy()
		m.buy = &b
		return m, b.focusCmd()
	case key.Matches(msg, k.NumberDetails):
		m.details = !m.details
		if !m.details {
			m.detail = nil
		}
		return m, m.loadDetail(d)
	case key.Matches(msg, k.RenameNumber) && m.cursor < n:
		sel := m.shown()[m.cursor]
		if sel.ProviderSID == "" || sel.Status == dialer.StatusReleased || sel.Status == dialer.StatusFailed {
			return m, func() tea.Msg {
				return statusMsg(sel.PhoneNumber + " is " + string(sel.Status) + ": only a number in service can be named.")
			}
		}
		m.naming = &sel
		m.input = textinput.New()
		m.input.Prompt = "Name: "
		m.input.CharLimit = dialer.MaxNumberName
		m.input.SetWidth(dialer.MaxNumberName + 2)
		m.input.SetValue(dialer.NumberName(sel.FriendlyName))
		return m, m.input.Focus()
	case key.Matches(msg, k.AssignNumber) && m.cursor < n:
		sel := m.shown()[m.cursor]
		switch {
		case d.Agent.ID != 0 && !d.Agent.Supervisor():
			return m, func() tea.Msg {
				return errStatus(dialer.Errorf(dialer.EREFUSED, "only a supervisor may assign numbers; %s is an agent", d.Agent.Name))
			}
		case sel.Status != dialer.StatusActive && sel.Status != dialer.StatusPastDue && sel.Status != dialer.StatusCanceling:
			return m, func() tea.Msg {
				return statusMsg(sel.PhoneNumber + " is " + string(sel.Status) + ": only a number in service can be assigned.")
			}
		}
		m.assigning, m.pick = &sel, 0
	case key.Matches(msg, k.CancelNumber) && m.cursor < n:
		sel := m.shown()[m.cursor]
		switch {
		case d.Agent.ID != 0 && !d.Agent.Supervisor():
			return m, func() tea.Msg {
				return errStatus(dialer.Errorf(dialer.EREFUSED, "only a supervisor may cancel a number; %s is an agent", d.Agent.Name))
			}
		case sel.Status == dialer.StatusCanceling:
			return m, func() tea.Msg {
				got, err := d.Numbers.Uncancel(d.Context, sel.ID)
				return numberChangedMsg{n: got, err: err}
			}
		case sel.Status == dialer.StatusActive || sel.Status == dialer.StatusPastDue:
			m.asking = &sel
		default:
			return m, func() tea.Msg {
				return statusMsg(sel.PhoneNumber + " is " + string(sel.Status) + ": there is nothing to cancel.")
			}
		}
	case key.Matches(msg, k.StatusFilter):
		m.status = (m.status + 1) % len(numberFilters)
		m.cursor = 0
	case key.Matches(msg, k.Refresh):
		return m, m.load(d)
	case key.Matches(msg, k.Up):
		m.cursor = max(0, m.cursor-1)
	case key.Matches(msg, k.Down):
		m.cursor = max(0, min(n-1, m.cursor+1))
	case key.Matches(msg, k.Top):
		m.cursor = 0
	case key.Matches(msg, k.Bottom):
		m.cursor = max(0, n-1)
	}
	return m, nil
}

func (m numbersModel) keyHelp(k KeyMap) help.KeyMap {
	if m.buy != nil { // the dialog says its keys
		return keyHelp{short: []key.Binding{hint("esc", "back"), hint("ctrl+c", "quit")}}
	}
	return keyHelp{
		short: []key.Binding{k.NumberDetails, k.BuyNumber, k.RenameNumber, k.AssignNumber, k.CancelNumber, k.StatusFilter, k.Refresh, k.Up, k.Down, k.NextTab, k.Help, k.Quit},
		full: append([][]key.Binding{{k.NumberDetails, k.BuyNumber, k.RenameNumber, k.AssignNumber, k.CancelNumber}, {k.StatusFilter, k.Refresh, k.Up, k.Down, k.Top, k.Bottom}},
			screenHelp(k, true)...),
	}
}

func (m numbersModel) view(st Styles, w, h int, now time.Time) string {
	if !m.loaded {
		return st.Muted.Render("Loading the inventory…")
	}
	live := 0
	for _, n := range m.all {
		switch n.Status {
		case dialer.StatusPending, dialer.StatusActive, dialer.StatusPastDue, dialer.StatusCanceling:
			live++
		}
	}
	filter := "all"
	if f := numberFilters[m.status]; f != "" {
		filter = string(f)
	}
	var b strings.Builder
	if m.buy != nil {
		return m.buy.view(st, m.phones, w, h)
	}
	if a := m.naming; a != nil {
		b.WriteString(st.Title.Render("Name "+a.PhoneNumber+" (the provider gets the name too):") + "\n")
		b.WriteString(m.input.View() + "\n")
		b.WriteString(st.Muted.Render("enter save · esc leave it"))
		return b.String()
	}
	if a := m.assigning; a != nil {
		b.WriteString(st.Title.Render("Whose primary number is "+a.PhoneNumber+"? Their calls to area code "+a.AreaCode+" use it.") + "\n")
		for i, c := range m.assignChoices() {
			line := "  " + display.Line(c.Name)
			if i == m.pick {
				line = st.Selected.Render("> " + display.Line(c.Name))
			}
			b.WriteString(line + "\n")
		}
		b.WriteString(st.Muted.Render("↑/↓ choose · enter assign · esc leave it"))
		return b.String()
	}
	if a := m.asking; a != nil {
		// Wrapped, never cut: the y/n at its end must show at 80 columns.
		ask := st.Warn.Width(w).Render(fmt.Sprintf("Cancel %s? It keeps working until %s (its billing period's end), then it is released. y/n",
			a.PhoneNumber, dialer.BillingPeriodEnd(boughtAt(*a), now).Local().Format("Mon Jan 2")))
		b.WriteString(ask + "\n")
		h -= lipgloss.Height(ask)
	}
	title := st.Title.Render(fmt.Sprintf("%d of %d numbers in use", live, m.max)) + st.Muted.Render("  ·  showing "+filter+" (s to change)")
	if len(m.risk) > 0 {
		title += st.Warn.Render(fmt.Sprintf("  ·  ! %d at risk (i: why)", len(m.risk)))
	}
	b.WriteString(title + "\n")
	var pane []string
	if m.details {
		// the pane takes what it needs; the list keeps three rows at least
		pane = m.detailView(st, w)
		pane = pane[:min(len(pane), max(0, h-2-3))]
	}
	wide := w >= 110
	head := "  " + pad("NUMBER", 15) + " " + pad("STATUS", 9) + " " + pad("KIND", 9) + " " + pad("LOCATION", 20) + " " + pad("MONTHLY", 10) + " " + pad("RESERVED", 11) + " " + pad("LAST USED", 11)
	if wide {
		head += " " + pad("NAME", 20) + " AGENT"
	}
	b.WriteString(st.Muted.Render(head) + "\n")
	shown := m.shown()
	rows := max(1, h-2-len(pane))
	offset := max(0, m.cursor-rows+1)
	for i := offset; i < len(shown) && i < offset+rows; i++ {
		n := shown[i]
		phone := "(buying " + n.ServesAreaCode + ")"
		if n.PhoneNumber != "" {
			phone = m.phones.format(n.PhoneNumber)
		}
		locality := n.Locality
		if info, ok := nanp.Lookup(n.AreaCode); ok && locality == "" && len(info.Localities) > 0 {
			locality = info.Localities[0] + " area"
		}
		loc := strings.Trim(locality+", "+n.Region, ", ")
		if loc == "" {
			loc = n.AreaCode
		}
		if !n.Local() {
			loc += " for " + n.ServesAreaCode
		}
		kind := n.Kind.Label()
		reserved := "-"
		if !n.ReservedUntil.IsZero() && n.Status == dialer.StatusActive {
			days := int(n.ReservedUntil.Sub(now).Hours()/24) + 1
			reserved = fmt.Sprintf("%s (%dd)", n.ReservedUntil.Local().Format("Jan 2"), max(days, 0))
		}
		mark := "  "
		if len(m.risk[n.ID]) > 0 {
			mark = "! "
		}
		line := mark + pad(phone, 15) + " " + pad(string(n.Status), 9) + " " + pad(kind, 9) + " " + pad(loc, 20) + " " +
			pad(n.MonthlyPrice.StringOr("-"), 10) + " " + pad(reserved, 11) + " " + pad(localTime(n.LastUsedAt), 11)
		if wide {
			agent := "-"
			if n.AgentID != 0 {
				agent = m.agentName(n.AgentID)
			}
			line += " " + pad(friendlyName(n), 20) + " " + agent
		}
		if i == m.cursor {
			b.WriteString(st.Selected.Render(pad(line, w)) + "\n")
		} else {
			b.WriteString(line + "\n")
		}
	}
	if len(shown) == 0 {
		b.WriteString(st.Muted.Render("No numbers yet. A call buys one for its area code when needed; b buys one now.") + "\n")
	}
	if len(pane) > 0 {
		for i := max(1, min(len(shown), offset+rows)-offset); i < rows; i++ {
			b.WriteString("\n")
		}
		b.WriteString(strings.Join(pane, "\n"))
	}
	return b.String()
}

// detailView is the selected number's details pane, a line a fact.
func (m numbersModel) detailView(st Styles, w int) []string {
	rule := st.Muted.Render(strings.Repeat("─", max(0, w)))
	sel := m.selectedID()
	if sel == 0 {
		return []string{rule, st.Muted.Render("No number selected.")}
	}
	if m.detail == nil || m.detail.Number.ID != sel {
		return []string{rule, st.Muted.Render("Reading the number's details…")}
	}
	d := *m.detail
	n, u := d.Number, d.Usage
	row := func(label, value string) string { return st.Muted.Render(pad(label, 14)) + value }
	phone := "(buying " + n.ServesAreaCode + ")"
	if n.PhoneNumber != "" {
		phone = m.phones.format(n.PhoneNumber)
	}
	head := st.Title.Render(phone)
	if name := dialer.NumberName(n.FriendlyName); name != "" {
		head += st.Muted.Render(" · " + display.Line(name))
	}
	head += st.Muted.Render(" · " + n.Kind.Label() + ", " + string(n.Status))
	lines := []string{rule, head, row("location", display.Line(n.Location()))}
	agent := "no one's: " + unassigned(n)
	if d.Agent != "" {
		agent = display.Line(d.Agent)
	} else if n.AgentID != 0 {
		agent = m.agentName(n.AgentID)
	}
	lines = append(lines, row("agent", agent))
	// what happened to it, from its record (no separate history is kept)
	history := []string{"bought " + localTime(boughtAt(n))}
	switch {
	case n.Status == dialer.StatusReleased:
		history = append(history, "released "+localTime(n.ReleasedAt))
	case n.Status == dialer.StatusFailed:
		history = append(history, "failed: "+display.Line(n.FailureReason))
	case !n.BillingPeriodEnd.IsZero():
		history = append(history, "canceled: released on "+localTime(n.BillingPeriodEnd))
	case n.Kind == dialer.OnDemand && !n.ReservedUntil.IsZero():
		history = append(history, "reserved until "+localTime(n.ReservedUntil)+" (a call renews it)")
	}
	lines = append(lines, row("history", strings.Join(history, " · ")))
	fee := "no purchase fee"
	if d.Fee != nil {
		fee = "purchase fee " + d.Fee.String()
	}
	costs := "monthly price not known yet · " + fee
	if n.MonthlyPrice != nil {
		costs = n.MonthlyPrice.String() + " a month"
		if d.Rental != nil {
			costs += " · this month " + d.Rental.String()
		}
		costs += " · " + fee
	}
	lines = append(lines, row("costs", costs))
	lines = append(lines, row("calls", u.CallsText()+" · last used "+localTime(u.LastUsed)))
	lines = append(lines, row("answered", u.AnsweredText()+" · average talk "+clock(u.AverageTalk())))
	lines = append(lines, row("short calls", u.ShortText()))
	if len(d.AtRisk) == 0 {
		lines = append(lines, row("health", d.Health()))
	}
	for i, why := range d.AtRisk {
		// each reason on lines of its own, wrapped beside the labels
		for j, l := range strings.Split(ansi.Wordwrap("! at risk: "+display.Line(why), max(20, w-14), " "), "\n") {
			label := ""
			if i == 0 && j == 0 {
				label = "health"
			}
			lines = append(lines, row(label, st.Warn.Render(l)))
		}
	}
	return lines
}

// unassigned says what becomes of a number no agent has: an on-demand one
// serves any agent's calls to its area code; a dedicated one (a
// supervisor's, kept for an agent) serves no call until it is assigned.
func unassigned(n dialer.Number) string {
	if n.Kind == dialer.OnDemand {
		return n.Unassigned()
	}
	return n.Unassigned() + " (a)"
}

// friendlyName is a number's name as people gave it, inert: "—" when it has
// none (the tag dialer keeps after the name, dialer:<instance>:<id>, stays
// internal).
func friendlyName(n dialer.Number) string {
	if name := dialer.NumberName(n.FriendlyName); name != "" {
		return display.Line(name)
	}
	return "—"
}

// boughtAt is when a number was bought (its creation for one recorded
// before activations were).
func boughtAt(n dialer.Number) time.Time {
	if n.ActivatedAt.IsZero() {
		return n.CreatedAt
	}
	return n.ActivatedAt
}
