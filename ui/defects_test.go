package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/dialer-dev/dialer/dialer"
)

// headerLine is the first line of the screen: the screens' names.
func (d *driver) headerLine() string { return strings.SplitN(d.screen(), "\n", 2)[0] }

// callThrough places the call the preview shows, confirms it, hangs up once
// connected and skips the outcome: back on the contacts' 4 rows.
func (d *driver) callThrough() {
	d.keys("enter")
	d.until("Confirm to dial")
	d.keys("enter")
	d.until("Connected.")
	d.keys("h")
	d.until("How did it go?")
	d.keys("esc")
	d.until("1 of 4")
}

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
		{"5", "No agents yet", "refresh"},
	} {
		d.keys(c.key)
		d.until(c.shows)
		d.keys("?")
		s := d.screen()
		if !strings.Contains(s, "alt+1…5") || !strings.Contains(s, c.full) || !strings.Contains(s, "screen by number") {
			t.Errorf("screen %s: ? showed no full help:\n%s", c.key, s)
		}
		d.keys("?")
		if s := d.screen(); strings.Contains(s, "alt+1…5") {
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

// A status line fades after a few seconds; a fade meant for an older line
// leaves a newer one alone.
func TestStatusLinesFade(t *testing.T) {
	defer func(n, e time.Duration) { noticeFade, errorFade = n, e }(noticeFade, errorFade)
	noticeFade, errorFade = time.Millisecond, time.Millisecond
	var m tea.Model = New(Deps{Agent: agent, Context: context.Background()})
	m, _ = m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	m, older := m.Update(statusMsg("Notes saved to Walter Skinner."))
	m, newer := m.Update(errStatus(dialer.Errorf(dialer.EINVALID, "Something failed here.")))
	if older == nil || newer == nil {
		t.Fatal("a status line asked for no fade")
	}
	m, _ = m.Update(older())
	if s := ansi.Strip(m.View().Content); !strings.Contains(s, "Something failed here.") {
		t.Errorf("the older line's fade cleared the newer line:\n%s", s)
	}
	m, _ = m.Update(newer())
	if s := ansi.Strip(m.View().Content); strings.Contains(s, "Something failed here.") {
		t.Errorf("the status line did not fade:\n%s", s)
	}
	// The welcome after setup and "Settings saved." fade too.
	m, cmd := m.Update(agentSavedMsg{agent: agent})
	if s := ansi.Strip(m.View().Content); !strings.Contains(s, "Welcome, Fox Mulder") || cmd == nil {
		t.Fatalf("welcome (fade %v):\n%s", cmd != nil, s)
	}
	m, _ = m.Update(cmd())
	if s := ansi.Strip(m.View().Content); strings.Contains(s, "Welcome") {
		t.Errorf("the welcome did not fade:\n%s", s)
	}
	m, cmd = m.Update(settingsAppliedMsg{set: dialer.DefaultSettings(), saved: true})
	if s := ansi.Strip(m.View().Content); !strings.Contains(s, "Settings saved.") {
		t.Fatalf("no notice:\n%s", s)
	}
	for _, msg := range runBatch(cmd) {
		m, _ = m.Update(msg)
	}
	if s := ansi.Strip(m.View().Content); strings.Contains(s, "Settings saved.") {
		t.Errorf("Settings saved. did not fade:\n%s", s)
	}
}

// runBatch runs a command and the commands of a batch it returns, one level
// deep, and returns their messages.
func runBatch(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	msg := cmd()
	b, ok := msg.(tea.BatchMsg)
	if !ok {
		return []tea.Msg{msg}
	}
	var out []tea.Msg
	for _, c := range b {
		if c != nil {
			if m := c(); m != nil {
				out = append(out, m)
			}
		}
	}
	return out
}

// The Numbers screen names a number by its friendly name, never by the
// internal tag it was bought under.
func TestNumbersShowFriendlyNamesNotTags(t *testing.T) {
	m := numbersModel{phones: phoneCache{}}
	m, _ = m.update(numbersMsg{max: 50, numbers: []dialer.Number{
		{ID: 1, Kind: dialer.OnDemand, Status: dialer.StatusActive, PhoneNumber: "+12125550100", AreaCode: "212", ServesAreaCode: "212",
			FriendlyName: dialer.Tag("0f3c9a", 1)},
		{ID: 2, Kind: dialer.Dedicated, Status: dialer.StatusActive, PhoneNumber: "+13035550100", AreaCode: "303", ServesAreaCode: "303",
			FriendlyName: "Denver sales line"},
	}}, Deps{}, DefaultKeyMap(), true)
	s := ansi.Strip(m.view(NewStyles(true), 120, 20, fixedNow))
	if strings.Contains(s, "dialer:") || !strings.Contains(s, "Denver sales line") || !strings.Contains(s, "—") {
		t.Errorf("numbers screen:\n%s", s)
	}
}

// The outcome picker starts on the disposition that fits how the call
// ended; when nobody was reached it is not asked at all.
func TestOutcomePickerFitsTheCall(t *testing.T) {
	// End to end: a busy contact, then an agent who does not answer.
	deps := testDeps(t, agent)
	d := newDriver(t, New(deps), 100, 30)
	d.until("Walter Skinner")
	d.typeText("linus")
	d.until("Linus Busy · Busy LLC") // the detail of the first row
	d.keys("enter")
	d.until("will be bought")
	d.keys("enter")
	d.until("Confirm to dial")
	d.keys("enter")
	s := d.until("How did it go?")
	if !strings.Contains(s, "› Busy") {
		t.Errorf("after a busy contact the picker does not start on Busy:\n%s", s)
	}
	d.keys("enter")
	d.until("1 of 2")
	calls, err := deps.Store.Calls(context.Background(), dialer.CallFilter{})
	if err != nil || len(calls) != 1 || calls[0].Outcome != dialer.OutcomeBusy || calls[0].Disposition != "Busy" {
		t.Fatalf("recorded %+v %v", calls, err)
	}

	away := dialer.Agent{Name: "Dana Scully", Phone: "+12025552222"} // the emulator never answers …2222
	deps = testDeps(t, away)
	d = newDriver(t, New(deps), 100, 30)
	d.until("Walter Skinner")
	d.keys("enter")
	d.until("will be bought")
	d.keys("enter")
	s = d.until("Nobody was reached")
	if strings.Contains(s, "How did it go?") {
		t.Errorf("the picker asks after a call nobody answered:\n%s", s)
	}
	d.keys("enter")
	d.until("1 of 4")
	calls, err = deps.Store.Calls(context.Background(), dialer.CallFilter{})
	if err != nil || len(calls) != 1 || calls[0].Outcome != dialer.OutcomeAgentNoAnswer || calls[0].Disposition != "" {
		t.Fatalf("recorded %+v %v", calls, err)
	}

	// Every outcome.
	for o, want := range map[dialer.Outcome]string{
		dialer.OutcomeAnswered: "Interested", dialer.OutcomeVoicemail: "Left voicemail", dialer.OutcomeBusy: "Busy",
		dialer.OutcomeNoAnswer: "No answer", dialer.OutcomeFailed: "Wrong number",
		dialer.OutcomeCanceled: "", dialer.OutcomeNotDialed: "", dialer.OutcomeAgentNoAnswer: "", dialer.OutcomeAgentFailed: "", "": "",
	} {
		pick, ok := suggestedDisposition(o)
		if got := Dispositions[pick]; ok != (want != "") || ok && got != want {
			t.Errorf("%q: picker %v on %q, want %q", o, ok, got, want)
		}
	}
}

// Settings offers only the confirmation modes the UI's calls can use: no
// keypad (it needs a webhook URL the UI does not have).
func TestSettingsOfferOnlyWorkingConfirmModes(t *testing.T) {
	deps := testDeps(t, agent)
	d := newDriver(t, New(deps), 120, 40)
	d.until("Walter Skinner")
	d.keys("esc", "4")
	d.until("Organization maximum")
	for range 5 { // to Confirmation
		d.keys("j")
	}
	d.keys("enter")
	s := d.until("dialed as soon as you answer")
	if strings.Contains(s, "  keypad") || strings.Contains(s, "› keypad") {
		t.Errorf("keypad offered:\n%s", s)
	}
	d.keys("down", "down", "down", "enter") // past the last mode: it stays on auto
	d.until("Settings saved.")
	if set, _ := deps.Store.Settings(context.Background()); set.Confirm != dialer.ConfirmAuto {
		t.Errorf("confirmation %q after picking the last mode, want auto", set.Confirm)
	}
}

// A stored keypad setting (from the command line) does not break the UI's
// calls: they confirm in the terminal, and the preview says so.
func TestKeypadSettingFallsBackToTerminalInTheUI(t *testing.T) {
	deps := testDeps(t, agent)
	set := dialer.DefaultSettings()
	set.Confirm = dialer.ConfirmKeypad
	if err := deps.Store.SaveSettings(context.Background(), set); err != nil {
		t.Fatal(err)
	}
	d := newDriver(t, New(deps), 100, 30)
	d.until("Walter Skinner")
	d.keys("enter")
	s := d.until("will be bought")
	if !strings.Contains(s, "set to keypad") || !strings.Contains(s, "you confirm here") {
		t.Errorf("preview does not say the call confirms here:\n%s", s)
	}
	d.callThrough()
	calls, err := deps.Store.Calls(context.Background(), dialer.CallFilter{})
	if err != nil || len(calls) != 1 || calls[0].Confirm != dialer.ConfirmTerminal || calls[0].Outcome != dialer.OutcomeAnswered {
		t.Fatalf("recorded %+v %v", calls, err)
	}
	d.keys("esc", "4")
	if s := d.until("Organization maximum"); !strings.Contains(s, "UI calls confirm here") {
		t.Errorf("settings do not say keypad falls back:\n%s", s)
	}
}

// At 80 columns the Calls screen keeps the TOTAL column whole: the name and
// the legs give way first. At 120 the legs show their rates.
func TestCallsScreenAlwaysShowsTheTotal(t *testing.T) {
	usd := func(s string) *dialer.Money {
		m, err := dialer.ParseMoney(s, "USD")
		if err != nil {
			t.Fatal(err)
		}
		return &m
	}
	call := dialer.Call{ID: 1, ContactID: 7, Outcome: dialer.OutcomeAnswered, StartedAt: fixedNow, Legs: []dialer.Leg{
		{Role: dialer.AgentLeg, Duration: 125 * time.Second, Rate: usd("0.0140"), Price: usd("0.0420")},
		{Role: dialer.ContactLeg, Duration: 118 * time.Second, Rate: usd("0.0140"), Price: usd("0.0280")},
	}}
	pending := call
	pending.ID, pending.Legs = 2, append([]dialer.Leg{}, call.Legs...)
	pending.Legs[1].Price = nil
	m := historyModel{}
	m, _ = m.update(historyMsg{calls: []dialer.Call{call, pending}, names: map[int64]string{7: "Bartholomew Fitzgerald-Worthington III"}},
		Deps{Clock: dialer.ClockFunc(func() time.Time { return fixedNow })}, DefaultKeyMap(), true)
	for _, w := range []int{80, 100, 120} {
		s := ansi.Strip(fit(m.view(NewStyles(true), w, 20), w, 20))
		lines := strings.Split(s, "\n")
		if !strings.HasSuffix(strings.TrimRight(lines[1], " "), "TOTAL") {
			t.Errorf("%d columns: TOTAL cut from the titles %q", w, lines[1])
		}
		if got := strings.TrimRight(lines[2], " "); !strings.HasSuffix(got, " 0.07 USD") {
			t.Errorf("%d columns: the total cut from %q", w, got)
		}
		if got := strings.TrimRight(lines[3], " "); !strings.HasSuffix(got, " pending") {
			t.Errorf("%d columns: the pending total cut from %q", w, got)
		}
		if rates := strings.Contains(s, "@0.014/m"); rates != (w >= 100) {
			t.Errorf("%d columns: rates shown %v:\n%s", w, rates, s)
		}
	}
}

// The Settings explanation is wrapped to the width, never cut.
func TestSettingsExplanationWraps(t *testing.T) {
	for _, w := range []int{80, 120} {
		m := settingsModel{loaded: true, set: dialer.DefaultSettings(), agent: agent}
		s := ansi.Strip(fit(m.view(NewStyles(true), w), w, 30))
		_, about, _ := strings.Cut(s, "Confirmation: terminal (")
		if strings.Contains(about, "…") || !strings.Contains(about, "local time.") || !strings.Contains(about, "hang up).") {
			t.Errorf("%d columns: the explanation is cut:\n%s", w, s)
		}
	}
}

// The preview checks the organization maximum: a call that would need a new
// number past it says it would be refused, before anything is bought; a call
// that reuses a number is not held back.
func TestPreviewChecksTheOrganizationMaximum(t *testing.T) {
	deps := testDeps(t, agent)
	set := dialer.DefaultSettings()
	set.MaxNumbers = 1
	if err := deps.Store.SaveSettings(context.Background(), set); err != nil {
		t.Fatal(err)
	}
	d := newDriver(t, New(deps), 100, 30)
	d.until("Walter Skinner")
	d.keys("enter") // 212: the one number allowed
	d.until("will be bought: fee")
	d.callThrough()
	d.keys("down", "enter") // Zoë, 303: a second number would pass the maximum
	s := d.until("would be refused")
	if strings.Contains(s, "will be bought") || !strings.Contains(s, "1 of its maximum 1") {
		t.Errorf("preview at the maximum:\n%s", s)
	}
	d.keys("enter") // nothing to go ahead with
	d.keys("esc")
	d.until("2 of 4")
	if ns, _ := deps.Store.Numbers(context.Background(), dialer.NumberFilter{}); len(ns) != 1 {
		t.Errorf("%d numbers after a refused preview", len(ns))
	}
	d.keys("up", "enter") // Walter again: the 212 number is reused
	s = d.until("No fee.")
	if strings.Contains(s, "refused") {
		t.Errorf("a reused number was refused:\n%s", s)
	}
}

// The first-run form's help names the quit key that works there: q is text
// in its fields.
func TestSetupHelpNamesAWorkingQuitKey(t *testing.T) {
	d := newDriver(t, New(testDeps(t, dialer.Agent{})), 80, 24)
	s := d.until("Welcome to dialer")
	if !strings.Contains(s, "ctrl+c quit") || strings.Contains(s, "• q quit") {
		t.Errorf("setup help:\n%s", s)
	}
	if _, cmd := d.m.Update(keyMsg("ctrl+c")); cmd == nil {
		t.Error("ctrl+c on the setup form does nothing")
	}
}
