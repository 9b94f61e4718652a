package ui

import (
	"slices"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/dialer/display"
)

// settingsModel shows and edits the agent profile and the organization's
// settings, one field at a time.
type settingsModel struct {
	agent   dialer.Agent
	set     dialer.Settings
	loaded  bool
	cursor  int
	editing bool
	input   textinput.Model
	err     string
	// keypad: keypad confirmation can work here (the calls have webhook
	// URLs). The UI never has them today: it offers terminal and auto.
	keypad bool
	choice int // the confirmation mode picked, while editing it
}

const confirmField = 5 // "Confirmation" in settingFields: picked, not typed

var settingFields = []string{"Your name", "Your phone", "Reservation fee", "Reservation days", "Calling hours",
	"Confirmation", "Organization maximum", "Rotate at-risk numbers", "Inbound fallback", "Inbound message"}

// settingKeys are the organization's settings the rows past the fixed
// ones edit, read and checked as `dialer settings set` does.
var settingKeys = map[int]string{8: "inbound_fallback", 9: "inbound_message"}

type settingsMsg struct {
	set dialer.Settings
	err error
}

// settingsAppliedMsg brings the organization's settings to the screens that
// follow them (the contacts' calling-hours badges): once at start, and each
// time the Settings screen saves them (saved: the status line says so).
type settingsAppliedMsg struct {
	set   dialer.Settings
	saved bool
}

// loadSettings reads the settings once, at start; a failure leaves the
// defaults in place.
func loadSettings(d Deps) tea.Cmd {
	return func() tea.Msg {
		set, err := d.Store.Settings(d.Context)
		if err != nil {
			return nil
		}
		return settingsAppliedMsg{set: set}
	}
}

func newSettings(d Deps) settingsModel {
	in := textinput.New()
	in.SetWidth(40)
	return settingsModel{agent: d.Agent, input: in, keypad: d.keypadWorks()}
}

// keypadWorks reports whether calls can use keypad confirmation: it needs a
// public webhook URL, the team's `dialer serve` (the webhook_url setting).
func (d Deps) keypadWorks() bool {
	return d.Calls != nil && d.Calls.KeypadActionURL != "" && d.Calls.StatusCallbackURL != ""
}

// confirmModes are the confirmation modes that work here, in the order
// the picker lists them.
func (m settingsModel) confirmModes() []dialer.ConfirmMode {
	modes := []dialer.ConfirmMode{dialer.ConfirmTerminal, dialer.ConfirmAuto}
	if m.keypad {
		modes = append(modes, dialer.ConfirmKeypad)
	}
	return modes
}

var confirmHelp = map[dialer.ConfirmMode]string{
	dialer.ConfirmTerminal: "you answer, then confirm here to dial the contact",
	dialer.ConfirmAuto:     "the contact is dialed as soon as you answer",
	dialer.ConfirmKeypad:   "you answer, then press a key on your phone",
}

func (m settingsModel) load(d Deps) tea.Cmd {
	return func() tea.Msg {
		set, err := d.Store.Settings(d.Context)
		return settingsMsg{set: set, err: err}
	}
}

func (m settingsModel) value(i int) string {
	s := m.set
	switch i {
	case 0:
		return display.Line(m.agent.Name)
	case 1:
		return m.agent.Phone
	case 2:
		return s.ReservationFee.String()
	case 3:
		return strconv.Itoa(s.ReservationDays)
	case 4:
		return s.CallingHours.String()
	case confirmField:
		return string(s.Confirm)
	case 6:
		return strconv.Itoa(s.MaxNumbers)
	case 7:
		return dialer.OnOff(s.RotateAtRisk)
	}
	if key, ok := settingKeys[i]; ok {
		v, _ := s.Get(key)
		return display.Line(v)
	}
	return ""
}

// apply reads the edited value into a copy of the settings or profile.
func (m settingsModel) apply(v string) (dialer.Settings, dialer.Agent, error) {
	s, a := m.set, m.agent
	v = strings.TrimSpace(v)
	var err error
	switch m.cursor {
	case 0, 1:
		name, phone := v, a.Phone
		if m.cursor == 1 {
			name, phone = a.Name, v
		}
		var checked dialer.Agent
		if checked, err = dialer.NewAgent(name, phone); err == nil {
			a.Name, a.Phone = checked.Name, checked.Phone
		}
	case 2:
		amount, cur, _ := strings.Cut(v, " ")
		if cur == "" {
			cur = s.ReservationFee.Currency
		}
		s.ReservationFee, err = dialer.ParseMoney(amount, cur)
	case 3:
		s.ReservationDays, err = strconv.Atoi(v)
		if err != nil {
			err = dialer.Errorf(dialer.EINVALID, "reservation days %q: want a whole number", v)
		}
	case 4:
		s.CallingHours, err = dialer.ParseCallingHours(v)
	case confirmField:
		s.Confirm, err = dialer.ParseConfirmMode(v) // one of confirmModes: the picker offers no other
	case 6:
		s.MaxNumbers, err = strconv.Atoi(v)
		if err != nil {
			err = dialer.Errorf(dialer.EINVALID, "organization maximum %q: want a whole number", v)
		}
	case 7:
		if err = s.Set("rotate_at_risk", v); err != nil {
			err = dialer.Errorf(dialer.EINVALID, "rotate at-risk numbers %q: want on or off", v)
		}
	default:
		if key, ok := settingKeys[m.cursor]; ok {
			err = s.Set(key, v)
		}
	}
	if err == nil {
		err = s.Validate()
	}
	return s, a, err
}

func (m settingsModel) update(msg tea.Msg, d Deps, k KeyMap, front bool) (settingsModel, tea.Cmd) {
	switch msg := msg.(type) {
	case settingsMsg:
		if msg.err != nil {
			return m, func() tea.Msg { return errStatus(msg.err) }
		}
		m.set, m.loaded = msg.set, true
		return m, nil
	case agentSavedMsg:
		m.agent = msg.agent
		return m, nil
	case tea.KeyPressMsg:
		if !front {
			return m, nil
		}
		if m.editing {
			value := m.input.Value()
			if m.cursor == confirmField {
				modes := m.confirmModes()
				switch {
				case key.Matches(msg, k.Up), msg.String() == "left":
					m.choice = max(0, m.choice-1)
				case key.Matches(msg, k.Down), msg.String() == "right":
					m.choice = min(len(modes)-1, m.choice+1)
				}
				value = string(modes[m.choice])
			}
			switch msg.String() {
			case "esc":
				m.editing, m.err = false, ""
				m.input.Blur()
				return m, nil
			case "enter":
				s, a, err := m.apply(value)
				if err == nil && m.cursor > 1 && m.agent.ID != 0 && !m.agent.Supervisor() {
					err = dialer.Errorf(dialer.EREFUSED, "only a supervisor may change the organization's settings; %s is an agent", m.agent.Name)
				}
				if err != nil {
					m.err = dialer.ErrorMessage(err)
					return m, nil // nothing saved: the old value stands
				}
				m.editing, m.err = false, ""
				m.input.Blur()
				agentChanged := a != m.agent
				m.set, m.agent = s, a
				return m, func() tea.Msg {
					if agentChanged {
						saved, err := d.SaveAgent(a)
						if err != nil {
							return errStatus(err)
						}
						return agentSavedMsg{agent: saved}
					}
					if err := d.Store.SaveSettings(d.Context, s); err != nil {
						return errStatus(err)
					}
					return settingsAppliedMsg{set: s, saved: true}
				}
			}
			if m.cursor == confirmField {
				return m, nil
			}
			var cmd tea.Cmd
			m.input, cmd = m.input.Update(msg)
			return m, cmd
		}
		switch {
		case key.Matches(msg, k.Up):
			m.cursor = max(0, m.cursor-1)
		case key.Matches(msg, k.Down):
			m.cursor = min(len(settingFields)-1, m.cursor+1)
		case msg.String() == "enter" && m.loaded && m.cursor == confirmField:
			m.editing = true
			m.choice = max(0, slices.Index(m.confirmModes(), m.set.Confirm))
			return m, nil
		case msg.String() == "enter" && m.loaded:
			m.editing = true
			m.input.Prompt = settingFields[m.cursor] + ": "
			m.input.SetValue(m.value(m.cursor))
			m.input.CursorEnd()
			return m, m.input.Focus()
		}
	}
	return m, nil
}

func (m settingsModel) keyHelp(k KeyMap) help.KeyMap {
	if m.editing && m.cursor == confirmField {
		return keyHelp{short: []key.Binding{k.Up, k.Down, hint("enter", "choose"), k.Cancel}}
	}
	if m.editing {
		return keyHelp{short: []key.Binding{k.Save, k.Cancel}}
	}
	return keyHelp{
		short: []key.Binding{hint("enter", "edit"), k.Up, k.Down, k.NextTab, k.Help, k.Quit},
		full:  append([][]key.Binding{{hint("enter", "edit the field"), k.Up, k.Down}}, screenHelp(k, true)...),
	}
}

func (m settingsModel) view(st Styles, w int) string {
	if !m.loaded {
		return st.Muted.Render("Loading settings…")
	}
	var b strings.Builder
	for i, f := range settingFields {
		line := pad(f, 22) + " " + m.value(i)
		if i == confirmField && m.set.Confirm == dialer.ConfirmKeypad && !m.keypad {
			line += " (no webhook URL: UI calls confirm here)"
		}
		if i == m.cursor && !m.editing {
			b.WriteString(st.Selected.Render(pad(line, w)) + "\n")
		} else {
			b.WriteString(line + "\n")
		}
	}
	b.WriteString("\n")
	switch {
	case m.editing && m.cursor == confirmField:
		for i, mode := range m.confirmModes() {
			line := pad(string(mode), 9) + " " + confirmHelp[mode]
			if i == m.choice {
				b.WriteString(st.Selected.Render("› "+line) + "\n")
			} else {
				b.WriteString("  " + line + "\n")
			}
		}
	case m.editing:
		b.WriteString(m.input.View() + "\n")
	}
	if m.err != "" {
		b.WriteString(st.Error.Width(w).Render(m.err) + "\n")
	}
	about := "Confirmation: terminal (you confirm here) or auto (dialed as soon as you answer)."
	if m.keypad {
		about = "Confirmation: terminal (you confirm here), auto (dialed as soon as you answer) or keypad (a key on your phone)."
	} else {
		about += " Keypad confirmation (a key on your phone) needs the team's `dialer serve`."
	}
	// wrapped to the width: a line wider than the screen would be cut
	about += " Calling hours are the contact's local time. Rotate at-risk numbers: on, the next call in the area code of an at-risk on-demand number buys a fresh one (its fee) and cancels the worn one. Inbound fallback: who a call to our numbers rings when no agent is known for it, a phone or \"message\" (the inbound message, then hang up)."
	b.WriteString(st.Muted.Width(w).Render(about))
	return b.String()
}
