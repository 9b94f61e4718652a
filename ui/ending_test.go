package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/dialer-dev/dialer/dialer"
)

// A call whose end the provider never confirmed: the whole reason shows
// (it says what to run), the legs say their end is unconfirmed, and their
// clocks stop at the recorded end instead of counting on.
func TestUnconfirmedEndShowsWhatToDo(t *testing.T) {
	started := fixedNow.Add(-time.Minute)
	ended := fixedNow.Add(-30 * time.Second)
	legs := []dialer.Leg{
		{Role: dialer.AgentLeg, Status: dialer.CallInProgress, StartedAt: started},
		{Role: dialer.ContactLeg, Status: dialer.CallInProgress, StartedAt: started.Add(10 * time.Second)},
	}
	rec := &dialer.Call{ID: 7, Outcome: dialer.OutcomeUnknown, EndedAt: ended, Legs: legs}
	m := callModel{contact: dialer.Contact{Name: "Ann", Phone: "+12125550143"}, stage: stageEnded, phase: dialer.PhaseEnded,
		message: "Call ended: end not confirmed. Cost so far: price pending (agent hung up; provider unreachable; the call may still be live at Twilio: check it with `dialer calls show 7`).",
		legs:    legs, record: rec, picking: true, phones: phoneCache{}}
	for _, w := range []int{80, 120} {
		frame := ansi.Strip(m.view(NewStyles(true), w, 24, fixedNow))
		flat := strings.Join(strings.Fields(frame), " ")
		if !strings.Contains(flat, "check it with `dialer calls show 7`") {
			t.Errorf("at %d columns the reason is cut:\n%s", w, frame)
		}
		for _, line := range strings.Split(frame, "\n") {
			if ansi.StringWidth(line) > w {
				t.Errorf("at %d columns a line is %d wide: %q", w, ansi.StringWidth(line), line)
			}
		}
		if strings.Contains(frame, "in-progress") || strings.Count(frame, "unconfirmed") != 2 {
			t.Errorf("at %d columns the legs do not say their end is unconfirmed:\n%s", w, frame)
		}
		if !strings.Contains(frame, "0:30") || !strings.Contains(frame, "0:20") {
			t.Errorf("at %d columns the clocks do not stop at the recorded end (want 0:30 and 0:20):\n%s", w, frame)
		}
	}
}

// The Calls screen shows an outcome's whole phrase where there is room
// ("agent didn't answer", "end not confirmed"), and never at the cost of
// the total or of the columns' fitting in the width.
func TestCallsOutcomeColumnFitsThePhrase(t *testing.T) {
	const totalW = len("0.028000 USD")
	for _, tc := range []struct{ w, outcome int }{{80, 11}, {100, 11}, {120, 20}, {200, 20}} {
		c := historyColumnsFor(tc.w, totalW)
		if c.outcome != tc.outcome {
			t.Errorf("at %d columns OUTCOME is %d wide, want %d", tc.w, c.outcome, tc.outcome)
		}
		if used := 12 + c.contact + c.outcome + 2*c.leg + totalW + 5; used > tc.w {
			t.Errorf("at %d columns the columns take %d", tc.w, used)
		}
	}
	for _, o := range []dialer.Outcome{dialer.OutcomeAgentNoAnswer, dialer.OutcomeAgentFailed, dialer.OutcomeUnknown, dialer.OutcomeNoRecord} {
		if n := len(o.Phrase()); n > 20 {
			t.Errorf("%q reads %q: %d wide, more than the column", o, o.Phrase(), n)
		}
	}
}
