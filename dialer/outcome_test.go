package dialer

import (
	"strings"
	"testing"
)

// Every outcome has one wording, in words: the CLI, the UI and the call's
// last line all show Phrase, never the stored snake_case value.
func TestOutcomePhrases(t *testing.T) {
	seen := map[string]Outcome{}
	for _, o := range []Outcome{OutcomeAnswered, OutcomeVoicemail, OutcomeBusy, OutcomeNoAnswer, OutcomeFailed,
		OutcomeCanceled, OutcomeNotDialed, OutcomeAgentNoAnswer, OutcomeAgentFailed, ""} {
		p := o.Phrase()
		if p == "" || strings.Contains(p, "_") {
			t.Errorf("%q.Phrase() = %q", o, p)
		}
		if other, dup := seen[p]; dup {
			t.Errorf("%q and %q are both %q", o, other, p)
		}
		seen[p] = o
	}
	if got := OutcomeAgentNoAnswer.Phrase(); got != "agent didn't answer" {
		t.Errorf("agent_no_answer: %q", got)
	}
	if got := describe(Call{Outcome: OutcomeAgentNoAnswer}); !strings.HasPrefix(got, "Call ended: agent didn't answer.") {
		t.Errorf("describe: %q", got)
	}
}
