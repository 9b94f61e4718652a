package ui

import "charm.land/bubbles/v2/key"

// KeyMap is every key the UI answers to.
type KeyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	Filter, ClearFilter, Call               key.Binding
	Confirm, Hangup, Notes, Save, Cancel    key.Binding
	NextTab, PrevTab, Contacts, Numbers     key.Binding
	Calls, Settings, Help, Quit, Refresh    key.Binding
	StatusFilter                            key.Binding
	// Session starts a power-dial session over the contacts listed;
	// Callback schedules or cancels the selected contact's callback. The
	// alt+ forms work while the search field has the keyboard.
	Session, Callback key.Binding
	// Jump picks a screen by its number from every screen, even while a
	// text field has the keyboard (where the digits alone are text).
	Jump key.Binding

	// the contacts screen's dialogs (contactactions.go)
	AddContact, EditContact, DeleteContact, Lists, DoNotCall key.Binding

	// Team is the supervisors' Team screen.
	Team key.Binding
	// CancelNumber cancels the selected number's subscription (or takes a
	// cancellation back) on the Numbers screen.
	CancelNumber key.Binding
	// AssignNumber makes the selected number an agent's primary number;
	// RenameNumber names it.
	AssignNumber, RenameNumber key.Binding
	// BuyNumber opens the buy dialog (supervisors); NumberDetails shows or
	// hides the selected number's details pane.
	BuyNumber, NumberDetails key.Binding

	// Mine shows the Calls screen's calls of this agent only, or every
	// agent's.
	Mine key.Binding
}

// DefaultKeyMap is the key map with arrows and vi keys.
func DefaultKeyMap() KeyMap {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return KeyMap{
		Up:            b("↑/k", "up", "up", "k"),
		Down:          b("↓/j", "down", "down", "j"),
		PageUp:        b("pgup", "page up", "pgup", "ctrl+b"),
		PageDown:      b("pgdn", "page down", "pgdown", "ctrl+f"),
		Top:           b("g/home", "top", "g", "home"),
		Bottom:        b("G/end", "bottom", "G", "end"),
		Filter:        b("/", "filter", "/"),
		ClearFilter:   b("esc", "clear filter", "esc"),
		Call:          b("enter/c", "call", "enter", "c"),
		Confirm:       b("enter/y", "dial contact", "enter", "y"),
		Hangup:        b("h/x", "hang up", "h", "x"),
		Notes:         b("n", "edit notes", "n"),
		Save:          b("enter", "save", "enter"),
		Cancel:        b("esc", "cancel", "esc"),
		NextTab:       b("tab", "next screen", "tab"),
		PrevTab:       b("shift+tab", "previous screen", "shift+tab"),
		Contacts:      b("1", "contacts", "1"),
		Numbers:       b("2", "numbers", "2"),
		Calls:         b("3", "calls", "3"),
		Settings:      b("4", "settings", "4"),
		Team:          b("5", "team", "5"),
		CancelNumber:  b("c", "cancel/undo", "c"),
		AssignNumber:  b("a", "assign", "a"),
		RenameNumber:  b("n", "name", "n"),
		BuyNumber:     b("b", "buy", "b"),
		NumberDetails: b("i/enter", "details", "i", "enter"),
		Help:          b("?", "help", "?"),
		Quit:          b("q", "quit", "q", "ctrl+c"),
		Refresh:       b("r", "refresh", "r"),
		Mine:          b("m", "mine/all", "m"),
		StatusFilter:  b("s", "status filter", "s"),
		Session:       b("p", "power-dial session", "p", "alt+p"),
		Callback:      b("b", "callback", "b", "alt+b"),
		Jump:          b("alt+1…5", "screen, even typing", "alt+1", "alt+2", "alt+3", "alt+4", "alt+5"),

		AddContact:    b("a", "add contact", "a"),
		EditContact:   b("e", "edit contact", "e"),
		DeleteContact: b("d", "delete contact", "d"),
		Lists:         b("l", "show a list", "l"),
		DoNotCall:     b("!", "do not call", "!"),
	}
}

// hint is a binding shown in help under its own keys' names.
func hint(keys, desc string) key.Binding {
	return key.NewBinding(key.WithKeys(keys), key.WithHelp(keys, desc))
}

// keyHelp is a help.KeyMap for one screen.
type keyHelp struct {
	short []key.Binding
	full  [][]key.Binding
}

func (k keyHelp) ShortHelp() []key.Binding  { return k.short }
func (k keyHelp) FullHelp() [][]key.Binding { return k.full }

// screenHelp is the full-help column every screen shares: moving between
// screens, help and quit. digits: the bare digits work there (no text field
// has the keyboard).
func screenHelp(k KeyMap, digits bool) [][]key.Binding {
	moves := []key.Binding{k.NextTab, k.PrevTab, k.Jump}
	if digits {
		moves = append(moves, hint("1…5", "screen by number"))
	}
	// one column: a second would not fit 80 columns beside the contacts'
	return [][]key.Binding{append(moves, k.Help, k.Quit)}
}
