package ui

import (
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/dialer/display"
)

// dncAsk puts the selected contact's number on the organization's
// do-not-call list, or takes it off, asking why either way: the list keeps
// who did what, when and why.
type dncAsk struct {
	contact dialer.Contact
	phone   string           // E.164 when the contact's phone reads as a number
	entry   *dialer.DNCEntry // the number's entry: set when removing
	reason  textinput.Model
	err     string
	saving  bool
}

// dncChangedMsg: the number was put on the list (added) or taken off.
type dncChangedMsg struct {
	id    int64
	label string
	added bool
}

// dncErrMsg: the store refused the change.
type dncErrMsg struct{ text string }

func newDNCAsk(c dialer.Contact, entry *dialer.DNCEntry) *dncAsk {
	phone := dncPhone(c.Phone)
	r := textinput.New()
	r.Prompt = "Reason: "
	if entry != nil {
		r.Placeholder = "why this number may be called again"
	} else {
		r.Placeholder = "why this number must not be called (such as: asked on a call)"
	}
	r.SetWidth(60)
	r.Focus()
	return &dncAsk{contact: c, phone: phone, entry: entry, reason: r}
}

func (a *dncAsk) keyHelp() help.KeyMap {
	verb := "add to the list"
	if a.entry != nil {
		verb = "take off the list"
	}
	b := []key.Binding{hint("enter", verb), hint("esc", "cancel")}
	return keyHelp{short: b, full: [][]key.Binding{b}}
}

// update runs a message on the dialog; done: it closes.
func (a dncAsk) update(msg tea.Msg, d Deps) (dncAsk, tea.Cmd, bool) {
	switch msg := msg.(type) {
	case dncErrMsg:
		a.saving, a.err = false, msg.text
		return a, nil, false
	case tea.KeyPressMsg:
		switch msg.String() {
		case "esc":
			return a, nil, true
		case "enter":
			if a.saving {
				return a, nil, false
			}
			reason := strings.TrimSpace(a.reason.Value())
			if reason == "" {
				a.err = "Type a reason: it is kept with the number, with your name."
				return a, nil, false
			}
			a.saving, a.err = true, ""
			return a, a.save(d, reason), false
		}
	}
	var cmd tea.Cmd
	a.reason, cmd = a.reason.Update(msg)
	return a, cmd, false
}

func (a dncAsk) save(d Deps, reason string) tea.Cmd {
	id, label, phone, remove := a.contact.ID, a.contact.Label(), a.phone, a.entry != nil
	by, at := d.Agent.Name, d.now().UTC()
	return func() tea.Msg {
		var err error
		if remove {
			err = d.Store.RemoveDNC(d.Context, phone, reason, by, at)
		} else {
			_, err = d.Store.AddDNC(d.Context, []string{phone}, reason, by, at)
		}
		if err != nil {
			return dncErrMsg{dialer.ErrorMessage(err)}
		}
		return dncChangedMsg{id: id, label: label, added: !remove}
	}
}

func (a dncAsk) view(st Styles, w int) string {
	var b strings.Builder
	who := display.Line(a.contact.Label())
	if a.entry != nil {
		b.WriteString(st.Title.Render("Take "+who+" off the do-not-call list") + "\n\n")
		b.WriteString(display.Line(a.phone) + " is on the list: " + dncLine(*a.entry) + "\n")
		b.WriteString(st.Muted.Render("Calls to it are allowed again once it is off.") + "\n")
		b.WriteString(st.Muted.Render("Your name and reason are recorded.") + "\n\n")
	} else {
		b.WriteString(st.Title.Render("Put "+who+" on the do-not-call list") + "\n\n")
		b.WriteString("Nobody in the organization can call " + display.Line(a.phone) + " while it is on the list.\n")
		b.WriteString(st.Muted.Render("Your name and reason are recorded with the number.") + "\n\n")
	}
	b.WriteString(a.reason.View() + "\n")
	switch {
	case a.saving:
		b.WriteString(st.Muted.Render("Saving…"))
	case a.err != "":
		b.WriteString(st.Error.Render(display.Line(a.err)))
	}
	return b.String()
}

// dncPhone is the number the do-not-call list knows a contact's phone by:
// E.164 when it reads as a number, else as stored.
func dncPhone(phone string) string {
	if p, err := dialer.ParsePhone(phone); err == nil {
		return p.E164
	}
	return phone
}

// dncLine says why, by whom and when a number went on the list; stored
// text made inert.
func dncLine(e dialer.DNCEntry) string {
	s := display.Line(e.Reason)
	if s == "" {
		s = "no reason given"
	}
	if e.AddedBy != "" {
		s += " · by " + display.Line(e.AddedBy)
	}
	return s + " · " + localTime(e.AddedAt)
}
