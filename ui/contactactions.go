package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/dialer/display"
	"github.com/dialer-dev/dialer/dialer/search"
)

// This file holds the contacts screen's dialogs (the contact form, the
// delete confirmation, the do-not-call reason, the list picker) and the
// list filter. While one is open it has the keyboard.

// modal reports whether a dialog of the contacts screen has the keyboard.
func (m contactsModel) modal() bool {
	return m.form != nil || m.del != nil || m.dnc != nil || m.picker != nil
}

// deleteAsk confirms a delete.
type deleteAsk struct {
	contact dialer.Contact
	calls   int // calls shown in the detail pane (at most its page)
	saving  bool
}

type contactDeletedMsg struct {
	id    int64
	label string
}

// listPicker picks the list the contacts screen shows.
type listPicker struct {
	lists  []dialer.List // nil until loaded
	loaded bool
	cursor int // 0: every contact; i: lists[i-1]
}

type listsMsg struct {
	lists []dialer.List
	err   error
}

// listReadyMsg: the members of a list, indexed for searching within it.
type listReadyMsg struct {
	name  string
	ix    *search.Index
	count int
	err   error
}

// openForm opens the contact form on the selected contact (or a new one).
func (m contactsModel) openForm(d Deps, edit bool) (contactsModel, tea.Cmd) {
	if !edit {
		m.form = newContactForm(dialer.Contact{}, fName)
		return m, m.form.focusCmd()
	}
	id, ok := m.selected()
	if !ok {
		return m, nil
	}
	// The form needs the contact's lists: Contact reads them.
	return m, func() tea.Msg {
		c, err := d.Store.Contact(d.Context, id)
		if err != nil {
			return errStatus(err)
		}
		return editContactMsg{contact: c}
	}
}

type editContactMsg struct{ contact dialer.Contact }

func (m contactsModel) openDelete() contactsModel {
	id, ok := m.selected()
	if !ok {
		return m
	}
	if m.detail == nil || id != m.detail.contact.ID {
		// The detail pane says what is deleted: ask once it is read (a
		// refresh may be re-reading it just now).
		m.deleteWhenRead = id
		return m
	}
	m.deleteWhenRead = 0
	m.del = &deleteAsk{contact: m.detail.contact, calls: len(m.detail.calls)}
	return m
}

func (m contactsModel) openDNC() (contactsModel, tea.Cmd) {
	if m.detail == nil {
		return m, nil
	}
	id, ok := m.selected()
	if !ok || id != m.detail.contact.ID {
		return m, nil
	}
	var entry *dialer.DNCEntry
	if m.detail.contact.DoNotCall {
		e := m.detail.dnc
		if e == nil {
			e = &dialer.DNCEntry{Phone: m.detail.contact.Phone}
		}
		entry = e
	}
	m.dnc = newDNCAsk(m.detail.contact, entry)
	return m, m.dnc.reason.Focus()
}

func (m contactsModel) openLists(d Deps) (contactsModel, tea.Cmd) {
	m.picker = &listPicker{}
	return m, func() tea.Msg {
		ls, err := d.Store.Lists(d.Context)
		return listsMsg{lists: ls, err: err}
	}
}

// loadList indexes a list's members for searching (off the Update
// goroutine: a list can hold many contacts). The rows' text comes from the
// directory, as for every row.
func (m contactsModel) loadList(d Deps, name string) tea.Cmd {
	dir := m.dir
	return func() tea.Msg {
		ids, err := d.Store.ListMembers(d.Context, name)
		if err != nil {
			return listReadyMsg{name: name, err: err}
		}
		es := make([]search.Entry, 0, len(ids))
		for _, id := range ids {
			if dir == nil {
				break
			}
			if e, ok := dir.Get(id); ok {
				es = append(es, e)
			}
		}
		ix := search.New(len(es))
		ix.AddBatch(es)
		return listReadyMsg{name: name, ix: ix, count: len(es)}
	}
}

// active is the searcher of what the screen shows: a list, or everyone.
func (m contactsModel) active() *search.Searcher {
	if m.list != "" && m.listSearcher != nil {
		return m.listSearcher
	}
	return m.searcher
}

// dialogUpdate runs a message through the open dialogs and the messages
// of their work. handled: nothing else needs it.
func (m contactsModel) dialogUpdate(msg tea.Msg, d Deps, front bool) (contactsModel, tea.Cmd, bool) {
	switch msg := msg.(type) {
	case editContactMsg:
		if m.form == nil {
			m.form = newContactForm(msg.contact, fName)
			return m, m.form.focusCmd(), true
		}
		return m, nil, true
	case contactSavedMsg:
		delete(m.cache, msg.contact.ID)
		mine := m.form != nil && m.form.serial == msg.serial
		if mine {
			m.form = nil
		}
		if m.detail != nil && m.detail.contact.ID == msg.contact.ID {
			m.detail = nil
		}
		m.keep = msg.contact.ID // the cursor follows the contact saved
		what := "Saved " + msg.contact.Label() + "."
		if msg.created {
			what = "Added " + msg.contact.Label() + "."
		}
		cmds := []tea.Cmd{m.refresh(d)}
		if mine {
			cmds = append(cmds, func() tea.Msg { return statusMsg(what) })
		}
		return m, tea.Batch(cmds...), true
	case formErrMsg:
		if m.form != nil {
			f, cmd, _ := m.form.update(msg, d, m.sync)
			m.form = &f
			return m, cmd, true
		}
		return m, nil, false // the call screen's form
	case contactDeletedMsg:
		m.del = nil
		delete(m.cache, msg.id)
		m.detail = nil
		refresh := m.refresh(d)
		return m, tea.Batch(refresh, func() tea.Msg {
			return statusMsg("Deleted " + msg.label + ". Its calls stay in the history.")
		}), true
	case dncErrMsg:
		if m.dnc != nil {
			a, cmd, _ := m.dnc.update(msg, d)
			m.dnc = &a
			return m, cmd, true
		}
	case dncChangedMsg:
		m.dnc = nil
		delete(m.cache, msg.id)
		status := msg.label + " is on the do-not-call list."
		if !msg.added {
			status = msg.label + " is off the do-not-call list."
		}
		return m, tea.Batch(m.loadDetail(d), m.loadVisible(d, m.rows), func() tea.Msg { return statusMsg(status) }), true
	case listsMsg:
		if m.picker != nil {
			if msg.err != nil {
				m.picker = nil
				return m, func() tea.Msg { return errStatus(msg.err) }, true
			}
			m.picker.lists, m.picker.loaded = msg.lists, true
			for i, l := range msg.lists {
				if l.Name == m.list {
					m.picker.cursor = i + 1
				}
			}
		}
		return m, nil, true
	case listReadyMsg:
		if msg.err != nil {
			m.list, m.listSearcher = "", nil
			search := m.search(d, m.input.Value())
			return m, tea.Batch(search, func() tea.Msg { return errStatus(msg.err) }), true
		}
		if msg.name != m.list {
			return m, nil, true // another list was picked since
		}
		m.listSearcher, m.listCount = search.NewSearcher(msg.ix), msg.count
		search := m.search(d, m.input.Value())
		return m, search, true
	case tea.KeyPressMsg:
		if !front || !m.modal() {
			return m, nil, false
		}
		return m.dialogKey(msg, d)
	}
	if m.form != nil {
		f, cmd, _ := m.form.update(msg, d, m.sync) // the cursor's blink
		m.form = &f
		return m, cmd, false
	}
	if m.dnc != nil {
		a, cmd, _ := m.dnc.update(msg, d)
		m.dnc = &a
		return m, cmd, false
	}
	return m, nil, false
}

func (m contactsModel) dialogKey(msg tea.KeyPressMsg, d Deps) (contactsModel, tea.Cmd, bool) {
	switch {
	case m.form != nil:
		f, cmd, done := m.form.update(msg, d, m.sync)
		if done {
			m.form = nil
			return m, nil, true
		}
		m.form = &f
		return m, cmd, true
	case m.dnc != nil:
		a, cmd, done := m.dnc.update(msg, d)
		if done {
			m.dnc = nil
			return m, nil, true
		}
		m.dnc = &a
		return m, cmd, true
	case m.del != nil:
		switch msg.String() {
		case "y":
			if m.del.saving {
				return m, nil, true
			}
			m.del.saving = true
			c, s := m.del.contact, m.sync
			return m, func() tea.Msg {
				if err := d.Store.DeleteContact(d.Context, c.ID, d.now().UTC()); err != nil {
					return errStatus(err)
				}
				if s != nil {
					s.drop(c.ID)
				}
				return contactDeletedMsg{id: c.ID, label: c.Label()}
			}, true
		case "n", "esc":
			m.del = nil
		}
		return m, nil, true
	case m.picker != nil:
		p := m.picker
		switch msg.String() {
		case "up", "k":
			p.cursor = max(0, p.cursor-1)
		case "down", "j":
			p.cursor = min(len(p.lists), p.cursor+1)
		case "esc":
			m.picker = nil
		case "enter":
			if !p.loaded {
				return m, nil, true
			}
			m.picker = nil
			if p.cursor == 0 {
				return m.clearList(d)
			}
			l := p.lists[p.cursor-1]
			m.list, m.listCount, m.listSearcher = l.Name, l.Count, nil
			return m, m.loadList(d, l.Name), true
		}
		return m, nil, true
	}
	return m, nil, false
}

// clearList shows every contact again.
func (m contactsModel) clearList(d Deps) (contactsModel, tea.Cmd, bool) {
	m.list, m.listSearcher, m.listCount = "", nil, 0
	search := m.search(d, m.input.Value())
	return m, search, true
}

// refresh searches again after a change, the list's members too.
func (m *contactsModel) refresh(d Deps) tea.Cmd {
	if m.list != "" {
		return m.loadList(d, m.list) // its answer searches
	}
	return m.search(d, m.input.Value())
}

func (m contactsModel) dialogHelp() help.KeyMap {
	switch {
	case m.form != nil:
		return m.form.keyHelp()
	case m.dnc != nil:
		return m.dnc.keyHelp()
	case m.del != nil:
		b := []key.Binding{hint("y", "delete"), hint("n/esc", "keep")}
		return keyHelp{short: b, full: [][]key.Binding{b}}
	}
	b := []key.Binding{hint("↑/↓", "move"), hint("enter", "show"), hint("esc", "close")}
	return keyHelp{short: b, full: [][]key.Binding{b}}
}

func (m contactsModel) dialogView(st Styles, w, h int) string {
	switch {
	case m.form != nil:
		return m.form.view(st, w)
	case m.dnc != nil:
		return m.dnc.view(st, w)
	case m.del != nil:
		c := m.del.contact
		var b strings.Builder
		b.WriteString(st.Title.Render("Delete "+display.Line(c.Label())+"?") + "\n\n")
		line := display.Line(c.Phone)
		if c.Company != "" {
			line += " · " + display.Line(c.Company)
		}
		b.WriteString(line + "\n\n")
		switch m.del.calls {
		case 0:
			b.WriteString("It has no calls. ")
		default:
			b.WriteString("Its calls stay in the call history. ")
		}
		b.WriteString("It leaves the contacts, its lists and search at once.\n\n")
		if m.del.saving {
			b.WriteString(st.Muted.Render("Deleting…"))
		} else {
			b.WriteString(st.Key.Render("y") + " delete   " + st.Key.Render("n") + " keep")
		}
		return b.String()
	}
	p := m.picker
	var b strings.Builder
	b.WriteString(st.Title.Render("Show a list") + "\n\n")
	if !p.loaded {
		b.WriteString(st.Muted.Render("Reading the lists…"))
		return b.String()
	}
	row := func(i int, text string) {
		if i == p.cursor {
			b.WriteString(st.Selected.Render("› "+text) + "\n")
		} else {
			b.WriteString("  " + text + "\n")
		}
	}
	// the rows that fit under the title, the cursor's among them
	rows := max(1, h-3)
	from := clampOffset(max(0, p.cursor-rows/2), p.cursor, rows)
	for i := from; i <= len(p.lists) && i < from+rows; i++ {
		if i == 0 {
			row(0, "Every contact")
			continue
		}
		l := p.lists[i-1]
		row(i, display.Line(l.Name)+st.Muted.Render(fmt.Sprintf("  %d", l.Count)))
	}
	if len(p.lists) == 0 {
		b.WriteString("\n" + st.Muted.Render("No lists yet: edit a contact (e) and name lists in its Lists field."))
	}
	return b.String()
}
