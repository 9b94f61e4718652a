package ui

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/dialer/display"
)

type callStage int

const (
	stagePreview callStage = iota // what will happen, before anything does
	stageReason                   // outside calling hours: a reason to go ahead
	stageLive                     // the session runs
	stageFailed                   // it could not start or failed before dialing
	stageEnded                    // cost summary and disposition
)

// Dispositions the agent picks from when a call ends.
var Dispositions = []string{"Interested", "Call back", "Not interested", "Left voicemail", "No answer", "Busy", "Wrong number", "Do not call again"}

// suggestedDisposition is the disposition the picker starts on for how the
// call ended. ok is false when nobody was reached (the agent's phone was not
// answered or could not ring, the contact was never dialed, or the call was
// hung up while ringing): there is nothing to pick.
func suggestedDisposition(o dialer.Outcome) (pick int, ok bool) {
	want := ""
	switch o {
	case dialer.OutcomeAnswered, dialer.OutcomeUnknown: // unknown: the agent knows whom they reached
		want = "Interested"
	case dialer.OutcomeVoicemail:
		want = "Left voicemail"
	case dialer.OutcomeBusy:
		want = "Busy"
	case dialer.OutcomeNoAnswer:
		want = "No answer"
	case dialer.OutcomeFailed: // Twilio: most likely a number that does not exist
		want = "Wrong number"
	}
	pick = slices.Index(Dispositions, want)
	return max(pick, 0), pick >= 0
}

type callModel struct {
	contact   dialer.Contact
	stage     callStage
	preview   previewMsg
	reason    textinput.Model
	form      *contactForm // the contact form (contactform.go), open during the call
	spin      spinner.Model
	session   *dialer.Session
	phase     dialer.Phase
	number    *dialer.Number
	legs      []dialer.Leg
	message   string
	err       error
	record    *dialer.Call
	pick      int
	picking   bool // the call reached someone: the agent picks a disposition
	quitAfter bool
	phones    phoneCache // the numbers shown, formatted once (the spinner redraws often)
	// cb asks when to call back, after the "Call back" outcome was saved.
	cb *callbackModel
}

type previewMsg struct {
	area  dialer.Phone
	reuse *dialer.Number // the reserved number that will be used
	fee   dialer.Money   // the fee if a number is bought
	// rotate says why reuse is at risk and the call replaces it (the
	// rotate_at_risk setting): a new number is bought, with its fee.
	rotate     []string
	mode       dialer.ConfirmMode
	err        error
	needReason bool
	// keypadFallback: the setting is keypad, which needs a webhook URL the
	// UI does not have; its calls confirm in the terminal instead.
	keypadFallback bool
}

type sessionMsg struct {
	s   *dialer.Session
	err error
}
type callEventMsg struct{ ev dialer.Event }
type sessionDoneMsg struct{}

// savedWhat says what a save during a call changed: the notes alone, one
// custom field alone, or the contact.
func savedWhat(before, after dialer.Contact) string {
	label := after.Label()
	rest := before
	rest.Notes, rest.Fields = after.Notes, after.Fields
	if sameContact(rest, after) {
		if before.Notes != after.Notes && maps.Equal(before.Fields, after.Fields) {
			return "Notes saved to " + label + "."
		}
		var changed []string
		for _, k := range slices.Sorted(maps.Keys(after.Fields)) {
			if before.Fields[k] != after.Fields[k] {
				changed = append(changed, k)
			}
		}
		if len(changed) == 1 && before.Notes == after.Notes && len(before.Fields) <= len(after.Fields) {
			return "Field " + changed[0] + " saved to " + label + "."
		}
	}
	return "Saved " + label + "."
}

// sameContact compares what the form edits apart from notes and fields.
func sameContact(a, b dialer.Contact) bool {
	return a.Name == b.Name && a.Phone == b.Phone && a.Company == b.Company && a.Email == b.Email &&
		a.TimeZone == b.TimeZone && slices.Equal(a.Lists, b.Lists)
}

// callEndedMsg leaves the call's screen: call is the call placed (nil if
// none was), err why it failed or was not placed.
type callEndedMsg struct {
	call *dialer.Call
	err  error
}

// ended leaves the call's screen, saying what happened.
func (m callModel) ended() tea.Cmd {
	msg := callEndedMsg{call: m.record, err: m.err}
	if msg.call == nil && msg.err == nil {
		msg.err = dialer.Errorf(dialer.EINVALID, "the call to %s was canceled before it was placed", m.contact.Label())
	}
	return func() tea.Msg { return msg }
}

// startNow begins the call at once, with the preview a power-dial card
// already showed.
func (m callModel) startNow(d Deps, p previewMsg) (callModel, tea.Cmd) {
	m.preview, m.stage = p, stageLive
	return m, tea.Batch(m.start(d, ""), m.spin.Tick)
}

func newCall(start startCallMsg, d Deps) callModel {
	r := textinput.New()
	r.Prompt = "Reason: "
	r.Placeholder = "why call outside calling hours (recorded on the call)"
	r.SetWidth(60)
	return callModel{contact: start.contact, reason: r, spin: spinner.New(spinner.WithSpinner(spinner.Dot)), phones: phoneCache{}}
}

func (m callModel) init(d Deps) tea.Cmd {
	c := m.contact
	return func() tea.Msg {
		ctx := d.Context
		set, err := d.Store.Settings(ctx)
		if err != nil {
			return previewMsg{err: err}
		}
		p := previewMsg{mode: set.Confirm, fee: set.ReservationFee}
		if p.mode == dialer.ConfirmKeypad && !d.keypadWorks() {
			p.mode, p.keypadFallback = dialer.ConfirmTerminal, true
		}
		p.area, err = dialer.LocalArea(c)
		if err != nil {
			p.err = err
			return p
		}
		if err := d.Calls.Check(ctx, dialer.CallOptions{Contact: c, Agent: d.Agent}, set); err != nil {
			p.err, p.needReason = err, dialer.ErrorKind(err) == dialer.EHOURS
			if !p.needReason {
				return p
			}
		}
		// What the claim will pick: the agent's primary number in the area
		// code (a canceled one until its period ends), else an on-demand
		// number no agent has.
		ns, err := d.Store.Numbers(ctx, dialer.NumberFilter{AreaCode: p.area.AreaCode,
			Statuses: []dialer.NumberStatus{dialer.StatusActive, dialer.StatusCanceling}})
		if err == nil {
			now := time.Now()
			for i, n := range ns {
				switch {
				case n.AgentID != 0 && n.AgentID == d.Agent.ID && n.Primary &&
					(n.Status == dialer.StatusActive || n.BillingPeriodEnd.After(now)):
					p.reuse = &ns[i]
				case p.reuse == nil && n.Kind == dialer.OnDemand && n.AgentID == 0 && n.Status == dialer.StatusActive:
					p.reuse = &ns[i]
				}
			}
		}
		if p.reuse != nil && d.Numbers != nil && set.RotateAtRisk {
			// An at-risk number is replaced by the call, unless the
			// organization maximum leaves no room for the new one.
			if why, err := d.Numbers.Rotation(ctx, *p.reuse, set); err == nil && len(why) > 0 &&
				d.Numbers.CheckMaximum(ctx, set, "area code "+p.area.AreaCode) == nil {
				p.rotate = why
			}
		}
		if p.reuse == nil && d.Numbers != nil && !noPurchaseNeeded(ctx, d, p.area.AreaCode, &p) {
			// A number would be bought: the organization maximum may refuse it.
			if err := d.Numbers.CheckMaximum(ctx, set, "area code "+p.area.AreaCode); err != nil {
				p.err, p.needReason = err, false
				if dialer.ErrorKind(err) == dialer.ELIMIT {
					p.err = dialer.Wrap(dialer.ELIMIT, err, dialer.ErrorMessage(err)+
						" Raise the organization maximum in Settings, or release a number.")
				}
			}
		}
		return p
	}
}

// noPurchaseNeeded reports whether no purchase is needed for area code ac after
// all: an on-demand number bought for it elsewhere in the region is active
// (p.reuse is set to it), or another caller's purchase for it is under way.
func noPurchaseNeeded(ctx context.Context, d Deps, ac string, p *previewMsg) bool {
	ns, err := d.Store.Numbers(ctx, dialer.NumberFilter{Kind: dialer.OnDemand,
		Statuses: []dialer.NumberStatus{dialer.StatusActive, dialer.StatusPending}})
	if err != nil {
		return false
	}
	for i, n := range ns {
		if n.ServesAreaCode != ac {
			continue
		}
		if n.Status == dialer.StatusActive {
			p.reuse = &ns[i]
		}
		return true
	}
	return false
}

func (m callModel) live() bool { return m.stage == stageLive }

func (m callModel) start(d Deps, reason string) tea.Cmd {
	c, agent, mode := m.contact, d.Agent, m.preview.mode
	return func() tea.Msg {
		s, err := d.Calls.Start(d.Context, dialer.CallOptions{Contact: c, Agent: agent, Confirm: mode, OverrideReason: reason})
		return sessionMsg{s: s, err: err}
	}
}

func waitEvent(s *dialer.Session) tea.Cmd {
	return func() tea.Msg {
		ev, ok := <-s.Events()
		if !ok {
			return sessionDoneMsg{}
		}
		return callEventMsg{ev}
	}
}

func (m callModel) update(msg tea.Msg, d Deps, k KeyMap) (callModel, tea.Cmd) {
	switch msg := msg.(type) {
	case previewMsg:
		m.preview = msg
		if msg.err != nil && !msg.needReason {
			m.stage, m.err = stageFailed, msg.err
		}
		return m, nil
	case sessionMsg:
		if msg.err != nil {
			m.stage, m.err = stageFailed, msg.err
			return m, nil
		}
		m.session, m.stage = msg.s, stageLive
		return m, tea.Batch(waitEvent(msg.s), m.spin.Tick)
	case callEventMsg:
		ev := msg.ev
		m.phase = ev.Phase
		if ev.Message != "" {
			m.message = ev.Message
		}
		if ev.Number != nil {
			m.number = ev.Number
		}
		if len(ev.Legs) > 0 {
			m.legs = ev.Legs
		}
		if ev.Phase == dialer.PhaseEnded {
			m.record, m.err = ev.Call, ev.Err
			if ev.Call == nil {
				m.stage = stageFailed
			} else {
				m.stage = stageEnded
				m.pick, m.picking = suggestedDisposition(ev.Call.Outcome)
			}
			if m.quitAfter {
				return m, tea.Quit
			}
		}
		return m, waitEvent(m.session)
	case sessionDoneMsg:
		return m, nil
	case contactSavedMsg:
		if msg.contact.ID != m.contact.ID {
			return m, nil
		}
		before := m.contact
		m.contact = msg.contact
		if m.form != nil && m.form.serial == msg.serial {
			m.form = nil
			return m, func() tea.Msg { return statusMsg(savedWhat(before, msg.contact)) }
		}
		return m, nil
	case formErrMsg:
		if m.form != nil {
			f, cmd, _ := m.form.update(msg, d, d.sync)
			m.form = &f
			return m, cmd
		}
		return m, nil
	case spinner.TickMsg:
		if m.stage == stageLive && m.phase == dialer.PhaseProvisioning || m.stage == stageLive && m.phase == "" {
			var cmd tea.Cmd
			m.spin, cmd = m.spin.Update(msg)
			return m, cmd
		}
		return m, nil
	case tea.KeyPressMsg:
		return m.key(msg, d, k)
	}
	if m.form != nil {
		f, cmd, _ := m.form.update(msg, d, d.sync) // the cursor's blink
		m.form = &f
		return m, cmd
	}
	if m.stage == stageReason {
		var cmd tea.Cmd
		m.reason, cmd = m.reason.Update(msg)
		return m, cmd
	}
	return m, nil
}

func (m callModel) key(msg tea.KeyPressMsg, d Deps, k KeyMap) (callModel, tea.Cmd) {
	if m.cb != nil {
		cb, cmd := m.cb.update(msg, d, k)
		m.cb = &cb
		return m, cmd
	}
	s := msg.String()
	switch m.stage {
	case stagePreview:
		switch {
		case s == "esc" || s == "q":
			return m, m.ended()
		case s == "enter" && m.preview.needReason:
			m.stage = stageReason
			return m, m.reason.Focus()
		case s == "enter" && m.preview.err == nil && m.preview.area.E164 != "":
			m.stage = stageLive
			return m, tea.Batch(m.start(d, ""), m.spin.Tick)
		}
	case stageReason:
		switch s {
		case "esc":
			return m, m.ended()
		case "enter":
			if strings.TrimSpace(m.reason.Value()) == "" {
				return m, func() tea.Msg { return statusMsg("Type a reason: it is recorded on the call.") }
			}
			m.stage = stageLive
			return m, tea.Batch(m.start(d, m.reason.Value()), m.spin.Tick)
		}
		var cmd tea.Cmd
		m.reason, cmd = m.reason.Update(msg)
		return m, cmd
	case stageLive:
		if m.form != nil {
			f, cmd, done := m.form.update(msg, d, d.sync)
			if done {
				m.form = nil
				return m, nil
			}
			m.form = &f
			return m, cmd
		}
		switch {
		case key.Matches(msg, k.Hangup):
			if m.session != nil {
				m.session.Hangup()
				m.message = "Hanging up…"
			}
		case key.Matches(msg, k.Confirm) && m.phase == dialer.PhaseAwaitConfirm && m.preview.mode == dialer.ConfirmTerminal:
			m.session.Confirm()
			m.message = "Dialing " + m.contact.Label() + "…"
		case key.Matches(msg, k.Notes):
			m.form = newContactForm(m.contact, fNotes)
			return m, m.form.focusCmd()
		case s == "f":
			m.form = newContactForm(m.contact, fixedFields+len(m.contact.Fields)) // the new field's row
			return m, m.form.focusCmd()
		case key.Matches(msg, k.EditContact):
			m.form = newContactForm(m.contact, fName)
			return m, m.form.focusCmd()
		}
	case stageFailed:
		if s == "esc" || s == "enter" || s == "q" {
			return m, m.ended()
		}
	case stageEnded:
		switch {
		case !m.picking:
			if s == "enter" || s == "esc" || s == "q" {
				return m, m.ended()
			}
		case key.Matches(msg, k.Up):
			m.pick = max(0, m.pick-1)
		case key.Matches(msg, k.Down):
			m.pick = min(len(Dispositions)-1, m.pick+1)
		case s == "enter":
			id, pick, c, end := m.record.ID, Dispositions[m.pick], m.contact, m.ended()
			return m, func() tea.Msg {
				if err := d.Store.SetDisposition(d.Context, id, pick); err != nil {
					return errStatus(err)
				}
				if pick == "Call back" {
					return openCallback(d, c.ID)() // asks when: the picker opens in the call's screen
				}
				if pick == "Do not call again" {
					// The do-not-call list is by number, kept with who and why.
					if _, err := d.Store.AddDNC(d.Context, []string{c.Phone}, "asked during a call not to be called again",
						d.Agent.Name, time.Now().UTC()); err != nil {
						return errStatus(err)
					}
				}
				return end()
			}
		case s == "esc":
			return m, m.ended()
		}
	}
	return m, nil
}

func (m callModel) keyHelp(k KeyMap) help.KeyMap {
	if m.cb != nil {
		return m.cb.keyHelp(k)
	}
	switch m.stage {
	case stagePreview:
		if m.preview.err != nil && !m.preview.needReason {
			return keyHelp{short: []key.Binding{hint("esc", "back")}}
		}
		return keyHelp{short: []key.Binding{hint("enter", "call"), k.Cancel}}
	case stageReason:
		return keyHelp{short: []key.Binding{hint("enter", "call anyway"), k.Cancel}}
	case stageLive:
		if m.form != nil {
			return m.form.keyHelp()
		}
		short := []key.Binding{k.Hangup, k.Notes, hint("f", "add a field"), k.EditContact}
		if m.phase == dialer.PhaseAwaitConfirm && m.preview.mode == dialer.ConfirmTerminal {
			short = append([]key.Binding{k.Confirm}, short...)
		}
		return keyHelp{short: short}
	case stageEnded:
		if !m.picking {
			return keyHelp{short: []key.Binding{hint("enter", "back")}}
		}
		return keyHelp{short: []key.Binding{k.Up, k.Down, hint("enter", "save outcome"), hint("esc", "skip")}}
	}
	return keyHelp{short: []key.Binding{hint("esc", "back")}}
}

func (m callModel) view(st Styles, w, h int, now time.Time) string {
	var b strings.Builder
	c := m.contact
	// The contact's text, the session's messages (which name the contact)
	// and errors (which can quote it) are shown inert.
	b.WriteString(st.Title.Render("Call "+display.Line(c.Label())) + "  " + display.Line(m.phones.format(m.preview.area.E164OrRaw(c.Phone))))
	if c.Company != "" {
		b.WriteString(st.Muted.Render(" · " + display.Line(c.Company)))
	}
	b.WriteString("\n\n")
	switch m.stage {
	case stagePreview:
		p := m.preview
		switch {
		case p.err != nil && !p.needReason:
			b.WriteString(st.ErrorBox.Render(display.Text(dialer.ErrorMessage(p.err)) + "\nNothing was bought or dialed."))
		case p.area.E164 == "":
			b.WriteString(st.Muted.Render("Checking…"))
		default:
			if p.needReason {
				b.WriteString(st.Warn.Width(w).Render(display.Text(dialer.ErrorMessage(p.err))) + "\n")
			}
			b.WriteString(wrapCallerID(st, p, m.phones, w) + "\n")
			if p.keypadFallback {
				b.WriteString(st.Warn.Width(w).Render("Confirmation is set to keypad, which needs a webhook URL the UI does not have: you confirm here instead.") + "\n")
			}
			switch p.mode {
			case dialer.ConfirmAuto:
				b.WriteString(st.Muted.Render("Your phone rings first; the contact is dialed as soon as you answer.") + "\n\n")
			case dialer.ConfirmKeypad:
				b.WriteString(st.Muted.Render("Your phone rings first; the contact is dialed when you press a key on it.") + "\n\n")
			default:
				b.WriteString(st.Muted.Render("Your phone rings first; the contact is dialed when you confirm.") + "\n\n")
			}
			b.WriteString(st.Key.Render("enter") + " call   " + st.Key.Render("esc") + " cancel")
		}
	case stageReason:
		b.WriteString(st.Warn.Width(w).Render(display.Text(dialer.ErrorMessage(m.preview.err))) + "\n\n" + m.reason.View())
	case stageFailed:
		msg := display.Text(dialer.ErrorMessage(m.err))
		if m.record == nil && !saysWhatWasCharged(m.err) {
			msg += "\nNothing was charged."
		}
		b.WriteString(st.ErrorBox.Width(min(w, 80)).Render(msg))
	case stageLive, stageEnded:
		if m.phase == dialer.PhaseProvisioning || m.phase == "" {
			b.WriteString(m.spin.View() + " ")
		}
		// Wrapped: an ending's reason can be long and says what to do.
		b.WriteString(lipgloss.NewStyle().Width(max(w, 20)).Render(display.Line(m.message)) + "\n")
		switch {
		case m.number != nil && m.number.PhoneNumber != "":
			b.WriteString(st.Muted.Render("Caller ID ") + m.phones.format(m.number.PhoneNumber) + "\n")
		case m.number != nil:
			b.WriteString(st.Muted.Render("Caller ID: buying a local number for area code "+m.number.ServesAreaCode+"…") + "\n")
		}
		b.WriteString("\n")
		if m.stage == stageEnded && m.record != nil && !m.record.EndedAt.IsZero() {
			now = m.record.EndedAt // an ended call's clocks stop
		}
		for _, l := range m.legs {
			b.WriteString(m.legLine(st, l, now) + "\n")
		}
		if m.stage == stageEnded && m.record != nil {
			total, known, _ := m.record.Total()
			cost := "price pending"
			if known {
				cost = total.String()
			}
			b.WriteString("\n" + st.Title.Render("Total ") + cost + st.Muted.Render("  (Twilio prices calls minutes after they end)") + "\n\n")
			if !m.picking {
				b.WriteString(st.Muted.Render("Nobody was reached: no outcome to record.") + "\n")
				return b.String()
			}
			if m.cb != nil {
				b.WriteString(m.cb.view(st, w))
				return b.String()
			}
			b.WriteString(st.Title.Render("How did it go?") + "\n")
			for i, d := range Dispositions {
				if i == m.pick {
					b.WriteString(st.Selected.Render("› "+d) + "\n")
				} else {
					b.WriteString("  " + d + "\n")
				}
			}
		} else if m.form != nil {
			b.WriteString(m.form.view(st, w))
		} else {
			if m.contact.Notes != "" {
				b.WriteString("\n" + st.Muted.Render("Notes: ") + display.Line(m.contact.Notes))
			}
			for _, name := range slices.Sorted(maps.Keys(m.contact.Fields)) {
				b.WriteString("\n" + st.Muted.Render(display.Line(name)+": ") + display.Line(m.contact.Fields[name]))
			}
		}
	}
	return b.String()
}

// callerIDText says which caller ID a call would use: the number reserved
// for the contact's area code (no fee), or a new one and its fee.
func callerIDText(st Styles, p previewMsg, phones phoneCache) string {
	if p.reuse != nil && len(p.rotate) > 0 {
		return "Caller ID: buys a new number for " + p.area.AreaCode + " (fee " + st.Money.Render(p.fee.String()) + ", once): " +
			st.Title.Render(phones.format(p.reuse.PhoneNumber)) + " is at risk (" + strings.Join(p.rotate, "; ") +
			") and goes canceling."
	}
	if p.reuse != nil {
		local := ""
		if !p.reuse.Local() || p.reuse.AreaCode != p.area.AreaCode {
			local = " (not local: none was available in " + p.area.AreaCode + ")"
		}
		return "Caller ID: " + st.Title.Render(phones.format(p.reuse.PhoneNumber)) + ", reserved for area code " + p.area.AreaCode + local + ". No fee."
	}
	return "A new local number for area code " + p.area.AreaCode + " will be bought: fee " + st.Money.Render(p.fee.String()) + ", once."
}

// wrapCallerID is callerIDText wrapped to width w when it says the call
// rotates an at-risk number (its reasons make it long); else one line.
func wrapCallerID(st Styles, p previewMsg, phones phoneCache, w int) string {
	text := callerIDText(st, p, phones)
	if len(p.rotate) == 0 {
		return text
	}
	return lipgloss.NewStyle().Width(max(w, 20)).Render(text)
}

// saysWhatWasCharged reports whether err's own sentence already speaks of
// charges: the organization's maximum says "nothing was charged", an
// unconfirmed purchase that it is checked before anything is. The failure
// screen then adds no "Nothing was charged." of its own.
func saysWhatWasCharged(err error) bool {
	switch dialer.ErrorKind(err) {
	case dialer.ELIMIT, dialer.EPURCHASEUNKNOWN:
		return true
	}
	return false
}

func (m callModel) legLine(st Styles, l dialer.Leg, now time.Time) string {
	who := "You    "
	if l.Role == dialer.ContactLeg {
		who = "Contact"
	}
	d := l.Duration
	if l.Status == dialer.CallInProgress && !l.StartedAt.IsZero() {
		d = now.Sub(l.StartedAt)
	}
	status := display.Line(string(l.Status)) // provider text
	if m.stage == stageEnded && !l.Status.Ended() {
		status = "unconfirmed" // the provider never said how it ended
	}
	style := st.Row
	switch l.Status {
	case dialer.CallInProgress:
		style = st.OK
	case dialer.CallBusy, dialer.CallFailed, dialer.CallNoAnswer:
		style = st.Error
	}
	line := fmt.Sprintf("%s %-12s %6s", who, status, clock(d))
	if l.Rate != nil {
		line += "  " + l.Rate.String() + "/min"
	}
	if l.Status.Ended() {
		line += "  " + l.Price.StringOr("price pending")
	}
	return style.Render(line)
}
