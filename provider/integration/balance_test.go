package integration

import (
	"context"
	"strings"
	"testing"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/provider/twilioemu"
)

// A subaccount's balance is null in Twilio's answer: the adapter says it
// is unknown, and the call guards go ahead without the balance check
// (logged once) instead of refusing every call. The emulator's balance is
// negative underneath, so a guard that still looked would refuse.
func TestNullBalanceSkipsTheBalanceGuard(t *testing.T) {
	w := newCallWorld(t, opts{emu: twilioemu.Config{Balance: "-5.00"}})
	ctx := context.Background()
	set, err := w.db.Settings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ann := w.contact(t, "Ann", "+12125550143")
	// As it is, the negative balance refuses the call. (A Calls of its
	// own: Calls caches the balance, and w.calls must ask afresh below.)
	before := &dialer.Calls{Store: w.db, Provider: w.prov, Clock: w.clock}
	if err := before.Check(ctx, dialer.CallOptions{Contact: ann, Agent: w.agent}, set); dialer.ErrorKind(err) != dialer.EREFUSED {
		t.Fatalf("negative balance: %v, want refused", err)
	}

	w.emu.SetNullBalance(true)
	_, err = w.prov.Balance(ctx)
	if dialer.ErrorKind(err) != dialer.EBALANCEUNKNOWN || !strings.Contains(dialer.ErrorMessage(err), "subaccounts") {
		t.Fatalf("adapter Balance with balance null: %v (kind %s), want balance_unknown", err, dialer.ErrorKind(err))
	}
	for range 2 {
		if err := w.calls.Check(ctx, dialer.CallOptions{Contact: ann, Agent: w.agent}, set); err != nil {
			t.Fatalf("guards with an unknown balance: %v", err)
		}
	}
	call, _, err := w.place(t, dialer.CallOptions{Contact: ann, Confirm: dialer.ConfirmAuto}, nil)
	if err != nil {
		t.Fatalf("call with an unknown balance: %v", err)
	}
	if call.Outcome != dialer.OutcomeAnswered {
		t.Errorf("call outcome %s, want answered", call.Outcome)
	}
	if n := strings.Count(w.logs.String(), "the account balance is unknown"); n != 1 {
		t.Errorf("the unknown balance was logged %d times, want once:\n%s", n, w.logs)
	}
}
