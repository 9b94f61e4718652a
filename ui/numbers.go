package ui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/dialer/display"
	"github.com/dialer-dev/dialer/dialer/nanp"
)

// numbersModel is the inventory, read-only.
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
		return numbersMsg{numbers: ns, agents: agents, max: set.MaxNumbers, err: err}
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
		m.all, m.agents, m.max, m.loaded = msg.numbers, msg.agents, msg.max, true
		m.cursor = min(m.cursor, max(0, len(m.shown())-1))
	case numberChangedMsg:
		if msg.err != nil {
			return m, func() tea.Msg { return errStatus(msg.err) }
		}
		text := msg.n.PhoneNumber + " is active again; its cancellation is taken back."
		switch {
		case msg.renamed && dialer.NumberName(msg.n.FriendlyName) == "":
			text = msg.n.PhoneNumber + " has no name now."
		case msg.renamed:
			text = msg.n.PhoneNumber + " is named " + display.Line(dialer.NumberName(msg.n.FriendlyName)) + "."
		case msg.assigned && msg.n.AgentID == 0:
			text = msg.n.PhoneNumber + " is no one's: calls to its area code use it on demand."
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
		switch {
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
	}
	return m, nil
}

func (m numbersModel) keyHelp(k KeyMap) help.KeyMap {
	return keyHelp{
		short: []key.Binding{k.StatusFilter, k.RenameNumber, k.AssignNumber, k.CancelNumber, k.Refresh, k.Up, k.Down, k.NextTab, k.Help, k.Quit},
		full:  append([][]key.Binding{{k.StatusFilter, k.RenameNumber, k.AssignNumber, k.CancelNumber, k.Refresh}, {k.Up, k.Down, k.Top, k.Bottom}}, screenHelp(k, true)...),
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
		b.WriteString(st.Warn.Render(fmt.Sprintf("Cancel %s? It keeps working until %s (its billing period's end), then it is released. y/n",
			a.PhoneNumber, dialer.BillingPeriodEnd(boughtAt(*a), now).Local().Format("Mon Jan 2"))) + "\n")
		h--
	}
	b.WriteString(st.Title.Render(fmt.Sprintf("%d of %d numbers in use", live, m.max)) + st.Muted.Render("  ·  showing "+filter+" (s to change)") + "\n")
	wide := w >= 110
	head := pad("NUMBER", 15) + " " + pad("STATUS", 9) + " " + pad("KIND", 9) + " " + pad("LOCATION", 20) + " " + pad("MONTHLY", 10) + " " + pad("RESERVED", 12) + " " + pad("LAST USED", 12)
	if wide {
		head += " " + pad("NAME", 20) + " AGENT"
	}
	b.WriteString(st.Muted.Render(head) + "\n")
	shown := m.shown()
	rows := max(1, h-2)
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
		kind := "on-demand"
		if n.Kind == dialer.Dedicated {
			kind = "dedicated"
		}
		reserved := "-"
		if !n.ReservedUntil.IsZero() && n.Status == dialer.StatusActive {
			days := int(n.ReservedUntil.Sub(now).Hours()/24) + 1
			reserved = fmt.Sprintf("%s (%dd)", n.ReservedUntil.Local().Format("Jan 2"), max(days, 0))
		}
		line := pad(phone, 15) + " " + pad(string(n.Status), 9) + " " + pad(kind, 9) + " " + pad(loc, 20) + " " +
			pad(n.MonthlyPrice.StringOr("-"), 10) + " " + pad(reserved, 12) + " " + pad(localTime(n.LastUsedAt), 12)
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
		b.WriteString(st.Muted.Render("No numbers. One is bought the first time a call needs it in an area code.") + "\n")
	}
	return b.String()
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
