package ui

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/dialer/display"
	"github.com/dialer-dev/dialer/dialer/search"
)

// resultLimit is how many ranked matches a search returns (ten screens or
// so); the count line says when there are more, and typing narrows them.
// Ranking is a good part of a keystroke's cost at a million contacts: 1,000
// made the broad two- and three-letter queries about a third slower.
const resultLimit = 200

type contactsModel struct {
	input     textinput.Model
	filtering bool
	// deleteWhenRead is the contact whose delete was asked for while its
	// detail pane was being read: the question comes once it is.
	deleteWhenRead int64
	ready          bool // the index holds every contact
	searcher       *search.Searcher
	dir            *search.Directory
	gen            uint64        // newest search asked for
	raw            search.Result // the newest search's result
	res            search.Result // raw, with callbacks due first when the query is empty
	cursor         int
	offset         int // the first row shown
	rows           int // rows of contacts on screen (listRowsFor the body)

	cache    map[int64]dialer.Contact // contacts of rows shown, for badges and details
	phones   phoneCache               // formatted phone numbers: libphonenumber is slow per frame
	outcomes map[int64]dialer.Outcome // each shown contact's last call
	zones    map[int64][]*time.Location
	detail   *contactDetail
	hours    dialer.CallingHours

	sync *indexSync // applies changes to the index as they happen
	keep int64      // the contact the cursor stays on when results change
	// dialogs (contactactions.go); one at a time has the keyboard
	form   *contactForm
	del    *deleteAsk
	dnc    *dncAsk
	picker *listPicker
	// the list the screen shows ("": every contact), searched in its own
	// index of the members
	list         string
	listCount    int
	listSearcher *search.Searcher
	open         map[int64]dialer.Callback // open callbacks by contact (the header's refresh)
	due          []int64                   // contacts with a callback due, most overdue first
}

type contactDetail struct {
	contact dialer.Contact
	calls   []dialer.Call
	dnc     *dialer.DNCEntry // why the number is on the do-not-call list
}

func newContacts(d Deps) contactsModel {
	in := textinput.New()
	in.Prompt = "/ "
	in.Placeholder = "type to search name, company or number"
	in.SetWidth(60)
	in.Focus() // type to filter from the first key
	m := contactsModel{input: in, filtering: true, cache: map[int64]dialer.Contact{}, zones: map[int64][]*time.Location{}, phones: phoneCache{}, outcomes: map[int64]dialer.Outcome{},
		hours: dialer.DefaultSettings().CallingHours,
		rows:  listRowsFor(24 - 4)} // an 80x24 terminal until its size is known
	if d.Index != nil {
		m.searcher = search.NewSearcher(d.Index)
	}
	m.dir = d.Directory
	m.sync = d.sync
	return m
}

type indexReadyMsg struct{}

type searchMsg struct {
	s   *search.Searcher // whose generation gen is
	gen uint64
	res search.Result
	err error
}

type contactsLoadedMsg struct {
	contacts []dialer.Contact
	outcomes map[int64]dialer.Outcome
}

type detailMsg struct {
	detail contactDetail
	err    error
}

// startCallMsg asks the root to open the Call flow for a contact. A
// power-dial session's dial key gives the preview its card already showed:
// the call then starts at once.
type startCallMsg struct {
	contact dialer.Contact
	preview *previewMsg
}

// waitIndex reports when the index holds every contact (at once when it
// was built before the UI started).
func (m contactsModel) waitIndex(d Deps) tea.Cmd {
	return func() tea.Msg {
		if d.IndexReady != nil {
			select {
			case <-d.IndexReady:
			case <-d.Context.Done():
				return nil
			}
		}
		return indexReadyMsg{}
	}
}

// search starts a query: the generation is taken here, in key order, and
// the scan runs in a command; a result older than the newest asked for is
// dropped when it arrives.
func (m *contactsModel) search(d Deps, q string) tea.Cmd {
	s := m.active()
	if s == nil {
		return nil
	}
	job := s.Begin(q, resultLimit)
	m.gen = job.Gen()
	return func() tea.Msg {
		if d.IndexReady != nil {
			select {
			case <-d.IndexReady:
			case <-d.Context.Done():
				return nil
			}
		}
		res, err := job.Run(d.Context)
		return searchMsg{s: s, gen: job.Gen(), res: res, err: err}
	}
}

// loadVisible fetches the contacts of the rows on screen (their badges).
func (m contactsModel) loadVisible(d Deps, h int) tea.Cmd {
	var ids []int64
	for i := m.offset; i < len(m.res.Matches) && i < m.offset+h; i++ {
		if _, ok := m.cache[m.res.Matches[i].ID]; !ok {
			ids = append(ids, m.res.Matches[i].ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	gen, s := m.gen, m.active()
	return func() tea.Msg {
		if s != nil && s.Latest() != gen {
			return nil // a newer result will load its own rows
		}
		out, _ := d.Store.Contacts(d.Context, ids)
		outcomes, _ := d.Store.LastOutcomes(d.Context, ids)
		return contactsLoadedMsg{contacts: out, outcomes: outcomes}
	}
}

func (m contactsModel) selected() (int64, bool) {
	if m.cursor < len(m.res.Matches) {
		return m.res.Matches[m.cursor].ID, true
	}
	return 0, false
}

// resize sets the list's height from the body's.
func (m *contactsModel) resize(bodyH int) {
	m.rows = listRowsFor(bodyH)
	m.scroll()
}

// scroll moves the first row shown so that the cursor's row is on screen.
func (m *contactsModel) scroll() { m.offset = clampOffset(m.offset, m.cursor, m.rows) }

func clampOffset(offset, cursor, rows int) int {
	if cursor < offset {
		return cursor
	}
	if cursor >= offset+rows {
		return cursor - rows + 1
	}
	return offset
}

func (m contactsModel) loadDetail(d Deps) tea.Cmd {
	id, ok := m.selected()
	if !ok {
		return nil
	}
	// The row's contact is usually in the cache already (read here, not in
	// the command: the map is shared); after a call it is not, and is read
	// again.
	c, cached := m.cache[id]
	return func() tea.Msg {
		if !cached {
			var err error
			if c, err = d.Store.Contact(d.Context, id); err != nil {
				return detailMsg{err: err}
			}
		}
		calls, err := d.Store.Calls(d.Context, dialer.CallFilter{ContactID: id, Limit: 20})
		det := contactDetail{contact: c, calls: calls}
		if err == nil && c.DoNotCall {
			e, derr := d.Store.DNC(d.Context, dncPhone(c.Phone))
			if derr != nil {
				e = dialer.DNCEntry{Phone: c.Phone} // listed, but not found by its E.164 form
			}
			det.dnc = &e
		}
		return detailMsg{detail: det, err: err}
	}
}

// listRowsFor is how many rows of contacts a body h rows high shows: the
// search field and the column titles take two, the detail pane the rows
// detailRowsFor gives it.
func listRowsFor(h int) int { return max(1, h-2-detailRowsFor(h)) }

// detailRowsFor is the detail pane's height in a body h rows high: a third
// of it (at most 8) when there is room for it, else none.
func detailRowsFor(h int) int {
	if h >= 16 {
		return min(8, h/3)
	}
	return 0
}

func (m contactsModel) update(msg tea.Msg, d Deps, k KeyMap, front bool) (contactsModel, tea.Cmd) {
	m, dcmd, handled := m.dialogUpdate(msg, d, front)
	if handled {
		return m, dcmd
	}
	m, cmd := m.screenUpdate(msg, d, k, front)
	return m, tea.Batch(dcmd, cmd)
}

func (m contactsModel) screenUpdate(msg tea.Msg, d Deps, k KeyMap, front bool) (contactsModel, tea.Cmd) {
	switch msg := msg.(type) {
	case indexReadyMsg:
		search := m.search(d, m.input.Value())
		return m, tea.Batch(search, m.startSync(d))
	case contactPollMsg:
		return m, m.poll(d, msg.tick)
	case contactsChangedMsg:
		var next tea.Cmd
		if msg.tick {
			next = nextPoll()
		}
		if len(msg.ids) == 0 {
			return m, next
		}
		for _, id := range msg.ids {
			delete(m.cache, id)
		}
		if id, ok := m.selected(); ok {
			m.keep = id
		}
		refresh := m.refresh(d)
		return m, tea.Batch(next, refresh)
	case searchMsg:
		if msg.err != nil || msg.gen != m.gen || msg.s != m.active() {
			return m, nil // superseded: a newer keystroke's result is coming
		}
		m.ready = true
		m.raw = msg.res
		m.res = m.ordered()
		m.cursor, m.offset = 0, 0
		if m.keep != 0 {
			// after a change: the cursor stays on its contact if it is
			// still among the results
			for i, x := range m.res.Matches {
				if x.ID == m.keep {
					m.cursor = i
					break
				}
			}
			m.keep = 0
			m.scroll()
		}
		if id, ok := m.selected(); m.detail != nil && (!ok || id != m.detail.contact.ID) {
			m.detail = nil // another contact's
		}
		return m, tea.Batch(m.loadVisible(d, m.rows), m.loadDetail(d))
	case dayMsg:
		return m.callbacksChanged(msg, d)
	case contactsLoadedMsg:
		if len(m.cache) > 4096 { // a long session's worth of rows: start over
			clear(m.cache)
			clear(m.zones)
			clear(m.outcomes)
		}
		for id, o := range msg.outcomes {
			m.outcomes[id] = o
		}
		for _, c := range msg.contacts {
			m.cache[c.ID] = c
			if z, err := dialer.CalleeZones(c.Phone); err == nil {
				m.zones[c.ID] = z
			}
		}
		return m, nil
	case settingsAppliedMsg:
		m.hours = msg.set.CallingHours
		return m, nil
	case detailMsg:
		if msg.err == nil {
			if id, ok := m.selected(); ok && id == msg.detail.contact.ID {
				m.detail = &msg.detail
				m.cache[id] = msg.detail.contact
				if m.deleteWhenRead == id {
					m = m.openDelete()
				}
			}
		}
		return m, nil
	case tea.KeyPressMsg:
		if !front {
			return m, nil
		}
		return m.key(msg, d, k)
	}
	if m.filtering {
		var cmd tea.Cmd
		m.input, cmd = m.input.Update(msg)
		return m, cmd
	}
	return m, nil
}

// key handles a key. The search field has the keyboard from the start
// (type to filter; arrows move; Enter calls); Esc clears it, a second Esc
// leaves it for browsing with vi keys, and / or any other letter returns.
func (m contactsModel) key(msg tea.KeyPressMsg, d Deps, k KeyMap) (contactsModel, tea.Cmd) {
	m.deleteWhenRead = 0 // a delete asked for waits only until the next key
	n := len(m.res.Matches)
	move := func(to int) (contactsModel, tea.Cmd) {
		to = max(0, min(to, n-1))
		if to == m.cursor {
			return m, nil // already there (up at the top): the detail stands
		}
		m.cursor = to
		m.scroll()
		m.detail = nil
		return m, tea.Batch(m.loadVisible(d, m.rows), m.loadDetail(d))
	}
	switch msg.String() {
	case "up", "ctrl+k", "ctrl+p":
		return move(m.cursor - 1)
	case "down", "ctrl+j", "ctrl+n":
		return move(m.cursor + 1)
	case "pgup":
		return move(m.cursor - m.rows)
	case "pgdown":
		return move(m.cursor + m.rows)
	case "home":
		return move(0)
	case "end":
		return move(n - 1)
	case "enter":
		return m, m.call(d)
	case "ctrl+e": // edit, even while typing a search
		return m.openForm(d, true)
	case "ctrl+l": // pick a list, even while typing a search
		return m.openLists(d)
	}
	if m.filtering {
		switch msg.String() {
		case "alt+b":
			return m, m.callback(d)
		case "alt+p":
			return m, m.session(d)
		}
		if msg.String() == "esc" {
			if m.input.Value() != "" {
				m.input.SetValue("")
				return m, m.search(d, "")
			}
			if m.list != "" {
				m, cmd, _ := m.clearList(d)
				return m, cmd
			}
			m.filtering = false
			m.input.Blur()
			return m, nil
		}
		before := m.input.Value()
		var cmd tea.Cmd
		m.input, cmd = m.input.Update(msg)
		if m.input.Value() != before {
			return m, tea.Batch(cmd, m.search(d, m.input.Value()))
		}
		return m, cmd
	}
	switch {
	case key.Matches(msg, k.Filter):
		m.filtering = true
		return m, m.input.Focus()
	case key.Matches(msg, k.ClearFilter):
		if m.input.Value() != "" {
			m.input.SetValue("")
			return m, m.search(d, "")
		}
		if m.list != "" {
			m, cmd, _ := m.clearList(d)
			return m, cmd
		}
		return m, nil
	case key.Matches(msg, k.AddContact):
		return m.openForm(d, false)
	case key.Matches(msg, k.EditContact):
		return m.openForm(d, true)
	case key.Matches(msg, k.DeleteContact):
		return m.openDelete(), nil
	case key.Matches(msg, k.Lists):
		return m.openLists(d)
	case key.Matches(msg, k.DoNotCall):
		return m.openDNC()
	case key.Matches(msg, k.Up):
		return move(m.cursor - 1)
	case key.Matches(msg, k.Down):
		return move(m.cursor + 1)
	case key.Matches(msg, k.PageUp):
		return move(m.cursor - m.rows)
	case key.Matches(msg, k.PageDown):
		return move(m.cursor + m.rows)
	case key.Matches(msg, k.Top):
		return move(0)
	case key.Matches(msg, k.Bottom):
		return move(n - 1)
	case key.Matches(msg, k.Call):
		return m, m.call(d)
	case key.Matches(msg, k.Callback):
		return m, m.callback(d)
	case key.Matches(msg, k.Session):
		return m, m.session(d)
	}
	// Any other printable key starts a search.
	if t := msg.Text; t != "" && msg.Mod == 0 && t != " " {
		m.filtering = true
		cmd := m.input.Focus()
		m.input.SetValue(m.input.Value() + t)
		m.input.CursorEnd()
		return m, tea.Batch(cmd, m.search(d, m.input.Value()))
	}
	return m, nil
}

// call opens the Call flow for the selected contact.
func (m contactsModel) call(d Deps) tea.Cmd {
	id, ok := m.selected()
	if !ok {
		return nil
	}
	return func() tea.Msg {
		c, err := d.Store.Contact(d.Context, id)
		if err != nil {
			return errStatus(err)
		}
		return startCallMsg{contact: c}
	}
}

func (m contactsModel) keyHelp(k KeyMap) help.KeyMap {
	if m.modal() {
		return m.dialogHelp()
	}
	// esc clears the search, then the list, then leaves the field
	esc := "clear"
	switch {
	case m.input.Value() != "":
	case m.list != "":
		esc = "every contact"
	case m.filtering:
		esc = "browse"
	}
	if m.filtering {
		return keyHelp{
			short: []key.Binding{hint("enter", "call"), hint("↑/↓", "move"), hint("ctrl+e", "edit"), hint("ctrl+l", "list"), hint("esc", esc), hint("ctrl+c", "quit")},
			full: [][]key.Binding{{hint("enter", "call"), hint("ctrl+e", "edit contact"), hint("ctrl+l", "show a list"), hint("alt+b", "callback"), hint("alt+p", "power-dial session"), hint("esc", "clear, then browse with vi keys")},
				{hint("↑/ctrl+k", "up"), hint("↓/ctrl+j", "down"), hint("pgup/pgdn", "page"), hint("home/end", "top/bottom")}, {k.NextTab, k.PrevTab, k.Jump}},
		}
	}
	clear := hint("esc", "clear")
	if m.input.Value() == "" && m.list != "" {
		clear = hint("esc", "every contact")
	}
	// Short words: two columns beside the screens' fit 80 columns.
	return keyHelp{
		// 80 columns: quit is in the full help
		short: []key.Binding{hint("enter", "call"), hint("/", "search"), hint("a/e", "add/edit"), hint("b", "callback"), hint("p", "session"), hint("l", "list"), hint("?", "more")},
		full: append([][]key.Binding{
			{hint("enter/c", "call"), hint("/", "search"), clear, hint("l", "list"), hint("a", "add"), hint("e", "edit")},
			{hint("d", "delete"), k.DoNotCall, hint("b", "callback"), hint("p", "power-dial session"), hint("↑↓ jk", "move"), hint("pgup/pgdn", "page"), hint("g/G", "top/bottom")}},
			screenHelp(k, true)...),
	}
}

// view draws only the rows that fit: its cost does not grow with the
// number of contacts.
func (m contactsModel) view(st Styles, w, h int, now time.Time) string {
	if m.modal() {
		return m.dialogView(st, w, h)
	}
	var b strings.Builder
	if m.list != "" {
		b.WriteString(st.Key.Render("List "+display.Line(m.list)) + st.Muted.Render(fmt.Sprintf(" (%d)", m.listCount)) + "  ")
	}
	b.WriteString(m.input.View())
	b.WriteString("\n")
	switch {
	case !m.ready:
		b.WriteString(st.Muted.Render("Indexing contacts…"))
		return b.String()
	case len(m.res.Matches) == 0:
		if m.input.Value() == "" && m.list != "" {
			b.WriteString(st.Muted.Render("No contacts on this list. Esc shows every contact."))
		} else if m.input.Value() == "" {
			b.WriteString(st.Muted.Render("No contacts yet. Press esc, then a to add one."))
		} else {
			b.WriteString(st.Muted.Render("No contact matches " + fmt.Sprintf("%q", m.input.Value()) + "."))
		}
		return b.String()
	}
	detailH := detailRowsFor(h)
	rows := listRowsFor(h)
	offset := clampOffset(m.offset, m.cursor, rows)
	count := fmt.Sprintf("%d of %d", m.cursor+1, m.res.Total)
	nameW, phoneW, compW, timeW := 24, 16, 18, 10
	if w >= 110 {
		nameW, compW = 30, 26
	}
	// The count takes what the columns leave: the note on a long result
	// when it fits, and the name column gives way to the bare count.
	room := w - (nameW + phoneW + compW + timeW + 4)
	if more := fmt.Sprintf(" (first %d shown; type to narrow)", len(m.res.Matches)); m.res.Total > len(m.res.Matches) && len(count)+len(more) <= room {
		count += more
	}
	if short := len(count) - room; short > 0 {
		nameW = max(nameW-short, 12)
	}
	b.WriteString(st.Muted.Render(pad("NAME", nameW)+" "+pad("PHONE", phoneW)+" "+pad("COMPANY", compW)+" "+pad("LOCAL", timeW)+" "+count) + "\n")
	for i := offset; i < len(m.res.Matches) && i < offset+rows; i++ {
		id := m.res.Matches[i].ID
		e, _ := m.entry(id)
		local, badges := "", callbackBadge(m.open[id], now)
		if zs := m.zones[id]; len(zs) > 0 {
			t := now.In(zs[0])
			local = t.Format("15:04 Mon")
			for _, z := range zs {
				if !m.hours.Contains(now.In(z)) {
					badges += "⏾ "
					break
				}
			}
		}
		if c, ok := m.cache[id]; ok && c.DoNotCall {
			badges += "DNC "
		}
		if o, ok := m.outcomes[id]; ok {
			badges += o.Phrase()
		}
		line := pad(e.Name, nameW) + " " + pad(m.phones.format(e.Phone), phoneW) + " " + pad(e.Company, compW) + " " + pad(local, timeW) + " " + badges
		if i == m.cursor {
			b.WriteString(st.Selected.Render(pad(line, w)))
		} else {
			b.WriteString(st.Row.Render(line))
		}
		b.WriteString("\n")
	}
	if detailH > 0 {
		for i := min(len(m.res.Matches), offset+rows) - offset; i < rows; i++ {
			b.WriteString("\n")
		}
		b.WriteString(m.detailView(st, w, detailH))
	}
	return b.String()
}

func (m contactsModel) entry(id int64) (search.Entry, bool) {
	if m.dir == nil {
		return search.Entry{}, false
	}
	return m.dir.Get(id)
}

func (m contactsModel) detailView(st Styles, w, h int) string {
	if m.detail == nil {
		return st.Muted.Render(strings.Repeat("─", max(0, w)))
	}
	c := m.detail.contact
	var lines []string
	lines = append(lines, st.Muted.Render(strings.Repeat("─", max(0, w))))
	// Stored text is shown inert; fit cuts each line to the width.
	head := st.Title.Render(display.Line(c.Name))
	if c.Company != "" {
		head += st.Muted.Render(" · " + display.Line(c.Company))
	}
	if c.DoNotCall {
		head += " " + st.Error.Render("do not call")
	}
	lines = append(lines, head)
	if c.DoNotCall {
		// why, by whom and when, from the organization's list
		why := ""
		if e := m.detail.dnc; e != nil {
			why = dncLine(*e)
		}
		lines = append(lines, st.Error.Render("Do not call: ")+why)
	}
	if c.Notes != "" {
		lines = append(lines, "Notes: "+display.Line(c.Notes))
	}
	for _, k := range slices.Sorted(maps.Keys(c.Fields)) {
		lines = append(lines, display.Line(k)+": "+display.Line(c.Fields[k]))
	}
	if len(m.detail.calls) == 0 {
		lines = append(lines, st.Muted.Render("No calls yet."))
	}
	for _, call := range m.detail.calls {
		line := localTime(call.StartedAt) + "  " + callOutcome(call)
		if call.Disposition != "" {
			line += " (" + display.Line(call.Disposition) + ")"
		}
		for _, l := range call.Legs {
			line += fmt.Sprintf("  %s %s %s", l.Role, clock(l.Duration), l.Price.StringOr("price pending"))
		}
		lines = append(lines, line)
	}
	if len(lines) > h {
		lines = lines[:h]
	}
	return strings.Join(lines, "\n")
}
