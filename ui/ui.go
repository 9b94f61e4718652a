// Package ui is dialer's terminal interface on Bubble Tea v2: contacts with
// instant search, the Call key, the live call, the number inventory, the
// call history and the settings. It talks to the dialer services only; it
// does no I/O in Update (every read or write is a tea.Cmd that returns a
// typed message).
package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/dialer/display"
	"github.com/dialer-dev/dialer/dialer/search"
)

// Deps are the services the UI drives.
type Deps struct {
	Store   dialer.Store
	Calls   *dialer.Calls
	Numbers *dialer.Reservations
	// Pricing tells a number's monthly price and the balance (the buy
	// dialog's review). nil: they show as not known.
	Pricing dialer.PricingProvider
	Index   *search.Index
	// Directory holds every contact's display text for the rows on screen.
	Directory *search.Directory
	// IndexReady is closed once Index holds every contact (it may be built
	// in the background while the first frame shows).
	IndexReady <-chan struct{}
	// IndexRev, read once IndexReady is closed, is the contacts revision
	// the index was built at (what ContactKeys(0, …) returned): the UI
	// polls the changes after it. nil: no poll.
	IndexRev func() int64
	Sandbox  bool
	Agent    dialer.Agent // zero on first run: the UI asks
	// SaveAgent makes or updates this machine's agent record (name and
	// phone) and remembers it; it returns the record (with its role).
	SaveAgent func(dialer.Agent) (dialer.Agent, error)
	// Changes is the database's change feed (nil: none): commits by any
	// agent's dialer, which the screen in front re-reads.
	Changes <-chan dialer.Change
	// TeamAgents are the names of a team database's agents when this
	// machine is none of them yet: the first-run screen picks one, and
	// UseAgent makes this machine that agent.
	TeamAgents []string
	UseAgent   func(name string) (dialer.Agent, error)
	Clock      dialer.Clock    // nil: the system clock
	Context    context.Context // cancelled when the program stops

	sync *indexSync // set by New: keeps Index and Directory in step with the store
}

type tab int

const (
	tabContacts tab = iota
	tabNumbers
	tabCalls
	tabSettings
	tabTeam
)

var tabNames = []string{"Contacts", "Numbers", "Calls", "Settings", "Team"}

// Model is the root model.
type Model struct {
	d        Deps
	keys     KeyMap
	st       Styles
	help     help.Model
	w, h     int
	tab      tab
	fullHelp bool
	status   string // last error or notice, in plain words
	statusN  uint64 // counts the status lines shown: a fade clears only its own

	setup    *setupModel // first run: the agent's profile
	contacts contactsModel
	call     *callModel // the Call key's flow, while it runs
	numbers  numbersModel
	history  historyModel
	team     teamModel
	// refreshing: a change came in and the screen in front is re-read
	// shortly (changes in a burst are read once).
	refreshing bool
	settings   settingsModel
	day        dayModel       // the header's figures and the open callbacks
	session    *sessionModel  // a power-dial session, while it runs
	dialog     *callbackModel // the callback picker opened from the contacts

	quitAsk bool // a call is live and the user pressed quit
	quit    bool
}

// New builds the root model.
func New(d Deps) Model {
	if d.Context == nil {
		d.Context = context.Background()
	}
	d.sync = newIndexSync(d)
	m := Model{d: d, keys: DefaultKeyMap(), st: NewStyles(true), help: help.New(), w: 80, h: 24}
	m.help.Styles = help.DefaultStyles(true)
	m.contacts = newContacts(d)
	m.numbers = numbersModel{phones: phoneCache{}}
	m.settings = newSettings(d)
	m.day = newDay()
	if d.Agent.Phone == "" {
		m.setup = newSetup()
		m.setup.team = d.TeamAgents
	}
	return m
}

// Init starts what the first frame does not wait for.
func (m Model) Init() tea.Cmd {
	cmds := []tea.Cmd{tea.RequestBackgroundColor, m.contacts.waitIndex(m.d), loadSettings(m.d), tickEvery(), m.day.refresh(m.d), dayTick(),
		waitChange(m.d)}
	if m.setup != nil {
		cmds = append(cmds, m.setup.focus())
	}
	return tea.Batch(cmds...)
}

type tickMsg time.Time

func tickEvery() tea.Cmd {
	return tea.Tick(time.Second, func(t time.Time) tea.Msg { return tickMsg(t) })
}

// statusMsg shows a sentence on the status line.
type statusMsg string

// errorStatusMsg shows an error on the status line: it stays longer.
type errorStatusMsg string

func errStatus(err error) tea.Msg { return errorStatusMsg(dialer.ErrorMessage(err)) }

// How long a notice and an error stay on the status line.
var noticeFade, errorFade = 5 * time.Second, 15 * time.Second

// statusFadeMsg clears the status line if it still shows status line n.
type statusFadeMsg struct{ n uint64 }

// fadeStatus clears the status line just set after d, unless a newer one
// has replaced it by then.
func (m *Model) fadeStatus(d time.Duration) tea.Cmd {
	m.statusN++
	n := m.statusN
	return tea.Tick(d, func(time.Time) tea.Msg { return statusFadeMsg{n} })
}

// Update routes messages: global keys first, then the screen in front.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	var fade tea.Cmd // the status line set here fades
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.w, m.h = msg.Width, msg.Height
		m.help.SetWidth(msg.Width)
		m.contacts.resize(m.bodyHeight())
		return m, m.contacts.loadVisible(m.d, m.contacts.rows)
	case tea.BackgroundColorMsg:
		m.st = NewStyles(msg.IsDark())
		m.help.Styles = help.DefaultStyles(msg.IsDark())
		return m, nil
	case tickMsg:
		// The call screen's timers read the clock in View. The Team screen
		// also re-reads every 5 s: an agent whose dialer died goes offline
		// without a commit to say so.
		if m.front(tabTeam) && time.Time(msg).Second()%5 == 0 {
			return m, tea.Batch(tickEvery(), m.team.load(m.d))
		}
		return m, tickEvery()
	case statusMsg:
		m.status = string(msg)
		fade = m.fadeStatus(noticeFade) // before the return reads m
		return m, fade
	case errorStatusMsg:
		m.status = string(msg)
		fade = m.fadeStatus(errorFade)
		return m, fade
	case statusFadeMsg:
		if msg.n == m.statusN {
			m.status = ""
		}
		return m, nil
	case settingsAppliedMsg:
		if msg.saved {
			m.status = "Settings saved."
			fade = m.fadeStatus(noticeFade)
		}
		// and on to the screens that follow the settings
	case agentSavedMsg:
		m.d.Agent = msg.agent
		m.setup = nil
		m.status = "Welcome, " + msg.agent.Name + ". Calls ring " + msg.agent.Phone + " first."
		m.settings.agent = msg.agent
		fade = m.fadeStatus(noticeFade)
		return m, fade
	case callEndedMsg:
		// back to the contacts (or the session's next card) after the
		// disposition was picked; the called contact's row and detail
		// show the new call
		m.call = nil
		if id, ok := m.contacts.selected(); ok {
			delete(m.contacts.cache, id)
		}
		var next tea.Cmd
		if m.session != nil {
			s, cmd := m.session.update(msg, m.d)
			m.session, next = &s, cmd
		}
		return m, tea.Batch(next, m.day.refresh(m.d), m.contacts.loadDetail(m.d), m.contacts.loadVisible(m.d, m.contacts.rows), m.history.load(m.d))
	case dayTickMsg:
		return m, tea.Batch(m.day.refresh(m.d), dayTick())
	case changeMsg:
		// Another agent's (or this one's) commit: re-read the screen in
		// front once the burst has passed (a tenth of a second).
		next := waitChange(m.d)
		if m.refreshing {
			return m, next
		}
		m.refreshing = true
		return m, tea.Batch(next, tea.Tick(100*time.Millisecond, func(time.Time) tea.Msg { return refreshMsg{} }))
	case refreshMsg:
		m.refreshing = false
		return m, m.refreshFront()
	case dayMsg:
		if !m.day.apply(msg) {
			return m, nil
		}
		// and on to the contacts: badges and the due-first order
	case callbackOpenMsg, callbackClosedMsg, sessionPlannedMsg, cardPreviewMsg:
		return m.dayUpdate(msg)
	}
	if k, ok := msg.(tea.KeyPressMsg); ok {
		if m.quitAsk {
			return m.answerQuit(k)
		}
		if key.Matches(k, key.NewBinding(key.WithKeys("ctrl+c"))) {
			return m.askQuit()
		}
		if m.setup == nil && m.call == nil {
			switch {
			case m.dialog != nil:
				c, cmd := m.dialog.update(k, m.d, m.keys)
				m.dialog = &c
				return m, cmd
			case m.session != nil:
				return m.sessionKey(k)
			}
		}
		if m.setup == nil && m.call == nil && !m.settings.editing && !m.contactsDialog() && !m.numbersDialog() {
			// Tab moves between screens even while the search field has
			// the keyboard; letters and digits are text there.
			switch {
			case key.Matches(k, m.keys.NextTab):
				return m.switchTab((m.tab + 1) % tab(len(tabNames)))
			case key.Matches(k, m.keys.PrevTab):
				return m.switchTab((m.tab + tab(len(tabNames)) - 1) % tab(len(tabNames)))
			case key.Matches(k, m.keys.Jump):
				return m.switchTab(tab(k.Code - '1'))
			}
		}
		// Tab and shift+tab never get here: !typing() implies the block
		// above ran and answered them.
		if m.setup == nil && m.call == nil && !m.typing() {
			switch {
			case key.Matches(k, m.keys.Quit):
				return m.askQuit()
			case key.Matches(k, m.keys.Help):
				m.fullHelp = !m.fullHelp
				m.contacts.resize(m.bodyHeight())
				return m, nil
			case key.Matches(k, m.keys.Contacts):
				return m.switchTab(tabContacts)
			case key.Matches(k, m.keys.Numbers):
				return m.switchTab(tabNumbers)
			case key.Matches(k, m.keys.Calls):
				return m.switchTab(tabCalls)
			case key.Matches(k, m.keys.Settings):
				return m.switchTab(tabSettings)
			case key.Matches(k, m.keys.Team):
				return m.switchTab(tabTeam)
			}
		}
	}
	// Keys go to the screen in front; every other message goes to whoever
	// it is for (a search result lands even while the setup form is open).
	_, isKey := msg.(tea.KeyPressMsg)
	cmds := []tea.Cmd{fade}
	if m.setup != nil {
		s, cmd := m.setup.update(msg, m.d)
		m.setup = &s
		cmds = append(cmds, cmd)
	}
	if m.call != nil && (!isKey || m.setup == nil) {
		c, cmd := m.call.update(msg, m.d, m.keys)
		m.call = &c
		cmds = append(cmds, cmd)
	}
	if !isKey || (m.setup == nil && m.call == nil) {
		var c1, c2, c3, c4, c5 tea.Cmd
		m.contacts, c1 = m.contacts.update(msg, m.d, m.keys, m.front(tabContacts))
		m.numbers, c2 = m.numbers.update(msg, m.d, m.keys, m.front(tabNumbers))
		m.history, c3 = m.history.update(msg, m.d, m.keys, m.front(tabCalls))
		m.settings, c4 = m.settings.update(msg, m.d, m.keys, m.front(tabSettings))
		m.team, c5 = m.team.update(msg, m.d, m.keys, m.front(tabTeam))
		cmds = append(cmds, c1, c2, c3, c4, c5)
	}
	if start, ok := msg.(startCallMsg); ok && m.call == nil {
		c := newCall(start, m.d)
		cmd := c.init(m.d)
		if start.preview != nil { // a power-dial card showed the preview: dial
			c, cmd = c.startNow(m.d, *start.preview)
		}
		m.call = &c
		cmds = append(cmds, cmd)
	}
	cmd := tea.Batch(cmds...)
	if m.quit {
		return m, tea.Quit
	}
	return m, cmd
}

// typing reports whether a text field has the keyboard, so that letters
// are text, not commands.
func (m Model) typing() bool {
	return m.tab == tabContacts && m.contacts.filtering || m.settings.editing || m.contactsDialog() || m.numbersDialog()
}

// numbersDialog reports whether a dialog of the Numbers screen (the name
// field, the buy dialog) has the keyboard: letters are text or its keys
// there, and tab moves between its fields.
func (m Model) numbersDialog() bool {
	return m.tab == tabNumbers && (m.numbers.naming != nil || m.numbers.buy != nil)
}

// contactsDialog reports whether a dialog of the contacts screen (the
// contact form, a confirmation) has the keyboard: tab moves between its
// fields there.
func (m Model) contactsDialog() bool { return m.tab == tabContacts && m.contacts.modal() }

// front reports whether screen t has the keyboard.
func (m Model) front(t tab) bool {
	return m.setup == nil && m.call == nil && m.session == nil && m.dialog == nil && m.tab == t
}

func (m Model) switchTab(t tab) (tea.Model, tea.Cmd) {
	m.tab = t
	switch t {
	case tabNumbers:
		return m, m.numbers.load(m.d)
	case tabCalls:
		return m, m.history.load(m.d)
	case tabSettings:
		return m, m.settings.load(m.d)
	case tabTeam:
		return m, m.team.load(m.d)
	}
	return m, nil
}

// changeMsg is a commit the change feed reported; refreshMsg re-reads the
// screen in front once a burst of changes has passed.
type (
	changeMsg  dialer.Change
	refreshMsg struct{}
)

// waitChange waits for the change feed's next change.
func waitChange(d Deps) tea.Cmd {
	if d.Changes == nil {
		return nil
	}
	return func() tea.Msg {
		c, ok := <-d.Changes
		if !ok {
			return nil
		}
		return changeMsg(c)
	}
}

// refreshFront re-reads what the screen in front shows, and the header's
// figures.
func (m Model) refreshFront() tea.Cmd {
	cmds := []tea.Cmd{m.day.refresh(m.d)}
	switch m.tab {
	case tabNumbers:
		cmds = append(cmds, m.numbers.load(m.d))
	case tabCalls:
		cmds = append(cmds, m.history.load(m.d))
	case tabTeam:
		cmds = append(cmds, m.team.load(m.d))
	}
	return tea.Batch(cmds...)
}

func (m Model) askQuit() (tea.Model, tea.Cmd) {
	if m.call != nil && m.call.live() {
		m.quitAsk = true
		return m, nil
	}
	return m, tea.Quit
}

func (m Model) answerQuit(k tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	m.quitAsk = false
	if k.String() != "y" {
		return m, nil
	}
	// Hang up cleanly, then quit once the session has ended.
	m.call.session.Hangup()
	m.call.quitAfter = true
	return m, nil
}

// bodyHeight is the rows between the header (two lines) and the status
// line and help.
func (m Model) bodyHeight() int {
	h := m.h - 5
	if m.fullHelp {
		h -= 6
	}
	return max(h, 3)
}

// View draws the header, the screen in front, the status line and help.
func (m Model) View() tea.View {
	var b strings.Builder
	b.WriteString(m.header())
	b.WriteString("\n")
	bodyH := m.bodyHeight()
	var body string
	var keys help.KeyMap
	switch {
	case m.setup != nil:
		body, keys = m.setup.view(m.st, m.w), keyHelp{short: []key.Binding{m.keys.Save, hint("ctrl+c", "quit")}} // q is text here
	case m.call != nil:
		body, keys = m.call.view(m.st, m.w, bodyH, m.now()), m.call.keyHelp(m.keys)
	case m.dialog != nil:
		body, keys = m.dialog.view(m.st, m.w), m.dialog.keyHelp(m.keys)
	case m.session != nil:
		body, keys = m.session.view(m.st, m.w, bodyH), m.session.keyHelp(m.keys)
	default:
		switch m.tab {
		case tabContacts:
			body, keys = m.contacts.view(m.st, m.w, bodyH, m.now()), m.contacts.keyHelp(m.keys)
		case tabNumbers:
			body, keys = m.numbers.view(m.st, m.w, bodyH, m.now()), m.numbers.keyHelp(m.keys)
		case tabCalls:
			body, keys = m.history.view(m.st, m.w, bodyH), m.history.keyHelp(m.keys)
		case tabSettings:
			body, keys = m.settings.view(m.st, m.w), m.settings.keyHelp(m.keys)
		case tabTeam:
			body, keys = m.team.view(m.st, m.d, m.w, m.now()), m.team.keyHelp(m.keys)
		}
	}
	b.WriteString(fit(body, m.w, bodyH))
	b.WriteString("\n")
	switch {
	case m.quitAsk:
		b.WriteString(m.st.Warn.Render("A call is live. Hang up and quit? (y/n)"))
	case m.status != "":
		b.WriteString(m.st.Muted.Render(display.Truncate(m.status, m.w))) // may quote a contact's name
	}
	b.WriteString("\n")
	if m.fullHelp {
		m.help.ShowAll = true
	}
	b.WriteString(m.help.View(keys))
	v := tea.NewView(b.String())
	v.AltScreen = true
	return v
}

func (m Model) now() time.Time { return m.d.now() }

func (d Deps) now() time.Time {
	if d.Clock != nil {
		return d.Clock.Now()
	}
	return time.Now()
}

func (m Model) header() string {
	var parts []string
	parts = append(parts, m.st.Header.Render("dialer"))
	if m.d.Sandbox {
		parts = append(parts, m.st.Sandbox.Render("SANDBOX"))
	}
	// The digits pick screens only where no text field has the keyboard:
	// the header shows them only there.
	away := m.setup != nil || m.call != nil || m.session != nil || m.dialog != nil // no screen is in front
	digits := !away && !m.typing()
	for i, name := range tabNames {
		label := name
		if digits {
			label = fmt.Sprintf("%d %s", i+1, name)
		}
		if tab(i) == m.tab && !away {
			parts = append(parts, m.st.ActiveTab.Render(label))
		} else {
			parts = append(parts, m.st.Tab.Render(label))
		}
	}
	if m.d.Agent.Name != "" {
		parts = append(parts, m.st.Muted.Render(display.Line(m.d.Agent.Name)))
	}
	return truncate(strings.Join(parts, " "), m.w) + "\n" + m.figures()
}

// fit pads or cuts text to exactly h lines no wider than w.
func fit(s string, w, h int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		lines[i] = truncate(l, w)
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// truncate cuts a (possibly styled) line to w cells.
func truncate(s string, w int) string {
	if lipgloss.Width(s) <= w {
		return s
	}
	return ansiTruncate(s, w)
}
