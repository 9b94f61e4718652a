package ui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
)

// headerLine is the first line of the screen: the screens' names.
func (d *driver) headerLine() string { return strings.SplitN(d.screen(), "\n", 2)[0] }

// ? opens full help on every screen, listed from its key map: before, the
// Numbers, Calls and Settings screens had no full help and ? showed nothing.
func TestHelpOnEveryScreen(t *testing.T) {
	d := newDriver(t, New(testDeps(t, agent)), 120, 40)
	d.until("Walter Skinner")
	d.keys("esc") // leave the search field: ? is help, not text
	for _, c := range []struct{ key, shows, full string }{
		{"1", "NAME", "bottom"},
		{"2", "numbers in use", "bottom"},
		{"3", "No calls yet.", "refresh"},
		{"4", "Organization maximum", "edit the field"},
	} {
		d.keys(c.key)
		d.until(c.shows)
		d.keys("?")
		s := d.screen()
		if !strings.Contains(s, "alt+1…4") || !strings.Contains(s, c.full) || !strings.Contains(s, "screen by number") {
			t.Errorf("screen %s: ? showed no full help:\n%s", c.key, s)
		}
		d.keys("?")
		if s := d.screen(); strings.Contains(s, "alt+1…4") {
			t.Errorf("screen %s: a second ? left the full help open:\n%s", c.key, s)
		}
	}
}

// The header shows the digits only where they pick screens; alt+digit works
// everywhere, the search field included.
func TestScreenKeysShownWorkWhereShown(t *testing.T) {
	d := newDriver(t, New(testDeps(t, agent)), 80, 24)
	d.until("Walter Skinner")
	// The search field has the keyboard: a digit is text there.
	if h := d.headerLine(); strings.Contains(h, "1 Contacts") || strings.Contains(h, "2 Numbers") || !strings.Contains(h, "Numbers") {
		t.Errorf("header while typing promises the digits: %q", h)
	}
	d.send(tea.KeyPressMsg{Code: '2', Mod: tea.ModAlt})
	d.until("numbers in use")
	if h := d.headerLine(); !strings.Contains(h, "1 Contacts") {
		t.Errorf("header on Numbers hides the digits that work there: %q", h)
	}
	d.keys("3")
	d.until("No calls yet.")
	d.keys("1")
	d.until("Walter Skinner")
	d.typeText("wal")
	d.until("1 of 1")
	if h := d.headerLine(); strings.Contains(h, "3 Calls") {
		t.Errorf("header while typing promises the digits: %q", h)
	}
	d.send(tea.KeyPressMsg{Code: '4', Mod: tea.ModAlt})
	d.until("Organization maximum")
	d.keys("enter") // edit a field: digits are text again
	if h := d.headerLine(); strings.Contains(h, "1 Contacts") {
		t.Errorf("header while editing a setting promises the digits: %q", h)
	}
	d.keys("esc")
	d.send(tea.KeyPressMsg{Code: '1', Mod: tea.ModAlt})
	d.until("1 of 1")
}
