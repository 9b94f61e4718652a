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
	ready     bool // the index holds every contact
	searcher  *search.Searcher
	dir       *search.Directory
	gen       uint64        // newest search asked for
	raw       search.Result // the newest search's result
	res       search.Result // raw, with callbacks due first when the query is empty
	cursor    int
	offset    int // the first row shown
	rows      int // rows of contacts on screen (listRowsFor the body)

	cache    map[int64]dialer.Contact // contacts of rows shown, for badges and details
	phones   phoneCache               // formatted phone numbers: libphonenumber is slow per frame
	outcomes map[int64]dialer.Outcome // each shown contact's last call
	zones    map[int64][]*time.Location
	detail   *contactDetail
	hours    dialer.CallingHours
	open     map[int64]dialer.Callback // open callbacks by contact (the header's refresh)
	due      []int64                   // contacts with a callback due, most overdue first
}

type contactDetail struct {
	contact dialer.Contact
	calls   []dialer.Call
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
	return m
}

type indexReadyMsg struct{}

type searchMsg struct {
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
	if m.searcher == nil {
		return nil
	}
	job := m.searcher.Begin(q, resultLimit)
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
		return searchMsg{gen: job.Gen(), res: res, err: err}
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
	gen := m.gen
	return func() tea.Msg {
		if m.searcher != nil && m.searcher.Latest() != gen {
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
		return detailMsg{detail: contactDetail{contact: c, calls: calls}, err: err}
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
	switch msg := msg.(type) {
	case indexReadyMsg:
		return m, m.search(d, m.input.Value())
	case searchMsg:
		if msg.err != nil || msg.gen != m.gen {
			return m, nil // superseded: a newer keystroke's result is coming
		}
		m.ready = true
		m.raw = msg.res
		m.res = m.ordered()
		m.cursor, m.offset = 0, 0
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
		return m, nil
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
	if m.filtering {
		return keyHelp{
			short: []key.Binding{hint("enter", "call"), hint("↑/↓", "move"), hint("esc", "clear · browse"), hint("tab", "next screen"), hint("ctrl+c", "quit")},
			full: [][]key.Binding{{hint("enter", "call"), hint("alt+b", "callback"), hint("alt+p", "power-dial session"), hint("esc", "clear, then browse with vi keys")},
				{hint("↑/ctrl+k", "up"), hint("↓/ctrl+j", "down"), hint("pgup/pgdn", "page"), hint("home/end", "top/bottom")}, {k.NextTab, k.PrevTab, k.Jump}},
		}
	}
	return keyHelp{
		short: []key.Binding{k.Call, hint("b", "callback"), hint("p", "power dial"), k.Up, k.Down, k.Help, k.Quit},
		full: append([][]key.Binding{{k.Call, hint("b", "callback"), hint("p", "power-dial session"), k.Filter, k.ClearFilter}, {k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}},
			screenHelp(k, true)...),
	}
}

// view draws only the rows that fit: its cost does not grow with the
// number of contacts.
func (m contactsModel) view(st Styles, w, h int, now time.Time) string {
	var b strings.Builder
	b.WriteString(m.input.View())
	b.WriteString("\n")
	switch {
	case !m.ready:
		b.WriteString(st.Muted.Render("Indexing contacts…"))
		return b.String()
	case len(m.res.Matches) == 0:
		if m.input.Value() == "" {
			b.WriteString(st.Muted.Render("No contacts yet."))
		} else {
			b.WriteString(st.Muted.Render("No contact matches " + fmt.Sprintf("%q", m.input.Value()) + "."))
		}
		return b.String()
	}
	detailH := detailRowsFor(h)
	rows := listRowsFor(h)
	offset := clampOffset(m.offset, m.cursor, rows)
	count := fmt.Sprintf("%d of %d", m.cursor+1, m.res.Total)
	if m.res.Total > len(m.res.Matches) {
		count += fmt.Sprintf(" (first %d shown; type to narrow)", len(m.res.Matches))
	}
	nameW, phoneW, compW, timeW := 24, 16, 18, 10
	if w >= 110 {
		nameW, compW = 30, 26
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
		line := localTime(call.StartedAt) + "  " + call.Outcome.Phrase()
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
