package ui

import (
	"strings"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/dialer/display"
)

// setupModel asks a new agent for their name and own phone, once; on a
// team's database it lets them pick who they are among the agents a
// supervisor added.
type setupModel struct {
	name, phone textinput.Model
	field       int
	err         string
	team        []string // the team's agents to pick from (none: the form)
	pick        int
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
	if k, ok := msg.(tea.KeyPressMsg); ok && len(m.team) > 0 {
		switch k.String() {
		case "up", "k", "shift+tab":
			m.pick = (m.pick + len(m.team) - 1) % len(m.team)
		case "down", "j", "tab":
			m.pick = (m.pick + 1) % len(m.team)
		case "enter":
			name := m.team[m.pick]
			return m, func() tea.Msg {
				saved, err := d.UseAgent(name)
				if err != nil {
					return setupErrMsg{err}
				}
				return agentSavedMsg{agent: saved}
			}
		}
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

func (m setupModel) view(st Styles, w int) string {
	var b strings.Builder
	b.WriteString(st.Title.Render("Welcome to dialer") + "\n\n")
	b.WriteString("When you call a contact, dialer first rings your own phone, says whom\nit is about to dial, and connects the contact once you confirm.\n\n")
	if len(m.team) > 0 {
		b.WriteString("This is a team's database. Which of its agents are you?\n\n")
		for i, n := range m.team {
			line := "  " + display.Line(n)
			if i == m.pick {
				line = st.Selected.Render("> " + display.Line(n))
			}
			b.WriteString(line + "\n")
		}
		b.WriteString("\n")
		if m.err != "" {
			b.WriteString(st.Error.Render(ansi.Wrap(m.err, max(w-2, 20), "")) + "\n")
		}
		b.WriteString(st.Muted.Render(ansi.Wrap("Not listed? A supervisor adds you: dialer agents add --name NAME --phone NUMBER.", max(w-2, 20), "")) + "\n")
		b.WriteString(st.Muted.Render("↑/↓ choose · enter that's me"))
		return b.String()
	}
	b.WriteString("You will be this database's first agent, and its supervisor.\n\n")
	b.WriteString(m.name.View() + "\n" + m.phone.View() + "\n\n")
	if m.err != "" {
		b.WriteString(st.Error.Render(m.err) + "\n")
	}
	b.WriteString(st.Muted.Render("tab next field · enter save"))
	return b.String()
}
