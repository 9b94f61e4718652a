package ui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/dialer/display"
)

// teamModel is the supervisors' Team screen: each agent's state (offline,
// idle, ringing their phone, on a call with whom and for how long) and the
// day's calls, connects, talk time and spend. It is live: the change feed
// (another agent's call starting or ending) and the clock re-read it.
type teamModel struct {
	agents []dialer.AgentStatus
	loaded bool
	at     time.Time // when it was read: the call timers count from it
}

type teamMsg struct {
	agents []dialer.AgentStatus
	at     time.Time
	err    error
}

func (m teamModel) load(d Deps) tea.Cmd {
	if d.Agent.ID != 0 && !d.Agent.Supervisor() {
		return nil
	}
	return func() tea.Msg {
		now := d.now()
		set, err := d.Store.Settings(d.Context)
		if err != nil {
			return teamMsg{err: err}
		}
		dayStart := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.Local)
		team, err := d.Store.Team(d.Context, dayStart.UTC(), now.UTC(), set.ReservationFee.Currency)
		return teamMsg{agents: team, at: now, err: err}
	}
}

func (m teamModel) update(msg tea.Msg, d Deps, k KeyMap, front bool) (teamModel, tea.Cmd) {
	switch msg := msg.(type) {
	case teamMsg:
		if msg.err != nil {
			return m, func() tea.Msg { return errStatus(msg.err) }
		}
		m.agents, m.at, m.loaded = msg.agents, msg.at, true
	case tea.KeyPressMsg:
		if front && key.Matches(msg, k.Refresh) {
			return m, m.load(d)
		}
	}
	return m, nil
}

func (m teamModel) keyHelp(k KeyMap) help.KeyMap {
	return keyHelp{
		short: []key.Binding{k.Refresh, k.NextTab, k.Help, k.Quit},
		full:  append([][]key.Binding{{k.Refresh}}, screenHelp(k, true)...),
	}
}

func (m teamModel) view(st Styles, d Deps, w int, now time.Time) string {
	if d.Agent.ID != 0 && !d.Agent.Supervisor() {
		return st.Muted.Render("The Team screen is for supervisors.")
	}
	if !m.loaded {
		return st.Muted.Render("Loading the team…")
	}
	if len(m.agents) == 0 {
		return st.Muted.Render("No agents yet. Add them with dialer agents add --name NAME --phone NUMBER.")
	}
	var b strings.Builder
	online, onCall := 0, 0
	for _, a := range m.agents {
		if a.State != dialer.AgentOffline {
			online++
		}
		if a.State == dialer.AgentOnCall || a.State == dialer.AgentRinging || a.State == dialer.AgentDialing {
			onCall++
		}
	}
	b.WriteString(st.Title.Render(fmt.Sprintf("Team today: %d of %d online, %d on a call", online, len(m.agents), onCall)) + "\n")
	// NAME and NOW give way to a narrow terminal; the figures stay whole.
	const figW = 5 + 1 + 4 + 1 + 7 + 1 + 9
	nameW := min(18, max(8, (w-figW-2)/3))
	nowW := max(10, w-figW-nameW-2)
	b.WriteString(st.Muted.Render(pad("AGENT", nameW)+" "+pad("NOW", nowW)+" "+padLeft("CALLS", 5)+" "+padLeft("CONN", 4)+" "+padLeft("TALK", 7)+" "+padLeft("SPEND", 9)) + "\n")
	for _, a := range m.agents {
		state := string(a.State)
		switch a.State {
		case dialer.AgentOnCall:
			state = "on call " + clock(now.Sub(a.Since)) + " with " + display.Line(a.Contact)
		case dialer.AgentRinging:
			state = "ringing their phone for " + display.Line(a.Contact)
		case dialer.AgentDialing:
			state = "dialing " + display.Line(a.Contact)
		}
		spend := a.Spend.Amount.String()
		if a.Unpriced > 0 {
			spend += "+"
		}
		line := pad(display.Line(a.Agent.Name), nameW) + " " + pad(state, nowW) + " " + padLeft(fmt.Sprint(a.Calls), 5) + " " +
			padLeft(fmt.Sprint(a.Connects), 4) + " " + padLeft(clock(a.TalkTime), 7) + " " + padLeft(spend, 9)
		switch a.State {
		case dialer.AgentOffline:
			b.WriteString(st.Muted.Render(line) + "\n")
		default:
			b.WriteString(line + "\n")
		}
	}
	b.WriteString(st.Muted.Render("Spend: priced call legs (+ some not priced yet)."))
	return b.String()
}

// padLeft right-aligns s in w cells.
func padLeft(s string, w int) string {
	if n := display.Width(s); n < w {
		return strings.Repeat(" ", w-n) + s
	}
	return s
}
