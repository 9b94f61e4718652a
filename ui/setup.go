package ui

import (
	"strings"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/dialer/display"
)

// setupModel asks a new agent for their name and own phone, once.
type setupModel struct {
	name, phone textinput.Model
	field       int
	err         string
}

type agentSavedMsg struct{ agent dialer.Agent }

// setupErrMsg is why the first-run form's agent could not be saved (on a
// team's database: no agent of that name): shown in the form.
type setupErrMsg struct{ err error }

func newSetup() *setupModel {
	n := textinput.New()
	n.Prompt = "Your name:  "
	n.Placeholder = "Dana Scully"
	p := textinput.New()
	p.Prompt = "Your phone: "
	p.Placeholder = "+1 202 555 0199 (the phone dialer rings first)"
	n.SetWidth(50)
	p.SetWidth(50)
	return &setupModel{name: n, phone: p}
}

func (m *setupModel) focus() tea.Cmd { return m.name.Focus() }

func (m setupModel) update(msg tea.Msg, d Deps) (setupModel, tea.Cmd) {
	if e, ok := msg.(setupErrMsg); ok {
		m.err = dialer.ErrorMessage(e.err)
		return m, nil
	}
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch k.String() {
		case "tab", "down", "shift+tab", "up":
			return m.next()
		case "enter":
			if m.field == 0 {
				return m.next()
			}
			a, err := dialer.NewAgent(m.name.Value(), m.phone.Value())
			if err != nil {
				m.err = dialer.ErrorMessage(err)
				return m, nil
			}
			return m, func() tea.Msg {
				saved, err := d.SaveAgent(a)
				if err != nil {
					return setupErrMsg{err}
				}
				return agentSavedMsg{agent: saved}
			}
		}
	}
	var cmd tea.Cmd
	if m.field == 0 {
		m.name, cmd = m.name.Update(msg)
	} else {
		m.phone, cmd = m.phone.Update(msg)
	}
	return m, cmd
}

func (m setupModel) next() (setupModel, tea.Cmd) {
	m.field = 1 - m.field
	if m.field == 0 {
		m.phone.Blur()
		return m, m.name.Focus()
	}
	m.name.Blur()
	return m, m.phone.Focus()
}

func (m setupModel) view(st Styles, w int, team []string) string {
	var b strings.Builder
	b.WriteString(st.Title.Render("Welcome to dialer") + "\n\n")
	b.WriteString("When you call a contact, dialer first rings your own phone, says whom\nit is about to dial, and connects the contact once you confirm.\n\n")
	if len(team) > 0 {
		names := make([]string, 0, len(team))
		for _, n := range team {
			names = append(names, display.Line(n))
		}
		b.WriteString(ansi.Wrap("This is a team's database. Type your name as your supervisor added you: "+strings.Join(names, ", ")+".", max(w-2, 20), "") + "\n\n")
	} else {
		b.WriteString("You will be this database's first agent, and its supervisor.\n\n")
	}
	b.WriteString(m.name.View() + "\n" + m.phone.View() + "\n\n")
	if m.err != "" {
		b.WriteString(st.Error.Render(m.err) + "\n")
	}
	b.WriteString(st.Muted.Render("tab next field · enter save"))
	return b.String()
}
