package integration

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/provider/twilio"
	"github.com/dialer-dev/dialer/provider/twilioemu"
)

// endingWorld is a call world whose emulator keeps its state in a file, so
// that it can be stopped mid-call and started again, and whose calls stop
// following an unreachable provider quickly.
func endingWorld(t *testing.T) (*callWorld, string) {
	t.Helper()
	state := filepath.Join(t.TempDir(), "twilio.json")
	// At this scale a human talks for 4.5 s: long enough to be cut off.
	w := newCallWorld(t, opts{emu: twilioemu.Config{StatePath: state, TimeScale: 0.05}})
	w.calls.Account = accountSID
	w.calls.StopWithin = 300 * time.Millisecond
	w.calls.GiveUpAfter = 400 * time.Millisecond
	return w, state
}

// untilConnected steers a session: confirm, and once connected run f once.
func untilConnected(f func(*dialer.Session)) func(*dialer.Session, dialer.Event) {
	done := false
	return func(s *dialer.Session, e dialer.Event) {
		confirmWhenAsked(s, e)
		if e.Phase == dialer.PhaseConnected && !done {
			done = true
			f(s)
		}
	}
}

// restartEmulator starts a new emulator on the state file and returns a
// call service on the same store talking to it.
func restartEmulator(t *testing.T, w *callWorld, state string) *dialer.Calls {
	t.Helper()
	emu, err := twilioemu.New(twilioemu.Config{AccountSID: accountSID, AuthToken: authToken, StatePath: state, TimeScale: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	url, err := emu.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	prov, err := twilio.New(twilio.Config{AccountSID: accountSID, AuthToken: authToken, BaseURL: url,
		Retry: twilio.RetryPolicy{BaseDelay: 5 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	return &dialer.Calls{Store: w.db, Provider: prov, Numbers: w.res, Clock: w.clock, Account: accountSID}
}

func checkUnknownEnd(t *testing.T, w *callWorld, call dialer.Call, err error) {
	t.Helper()
	if dialer.ErrorKind(err) != dialer.EUNAVAILABLE {
		t.Fatalf("session error = %v (%s), want provider_unavailable", err, dialer.ErrorKind(err))
	}
	rec, rerr := w.db.Call(context.Background(), call.ID)
	if rerr != nil {
		t.Fatal(rerr)
	}
	if rec.EndedAt.IsZero() || rec.Outcome != dialer.OutcomeUnknown {
		t.Fatalf("record: outcome %q, ended %v; want unknown and an end time", rec.Outcome, rec.EndedAt)
	}
	if !strings.Contains(rec.EndReason, "provider unreachable; the call may still be live at Twilio: check it with `dialer calls show") {
		t.Fatalf("end reason %q does not say what is known", rec.EndReason)
	}
}

// The provider goes away mid-call and the agent hangs up: one bounded
// hang-up attempt, then the call is recorded as ended, end unconfirmed;
// Repair against the restarted provider records the real end.
func TestHangupWhileProviderIsGoneEndsAndRepairRecordsTheTruth(t *testing.T) {
	w, state := endingWorld(t)
	var hungUp time.Time
	call, _, err := w.place(t, dialer.CallOptions{Contact: w.contact(t, "Walter Skinner", "+12125550143")},
		untilConnected(func(s *dialer.Session) {
			w.emu.Close() // ends the emulated call and saves it
			hungUp = time.Now()
			s.Hangup()
		}))
	if took := time.Since(hungUp); took > 3*time.Second {
		t.Fatalf("the session took %v to end after the hang-up", took)
	}
	checkUnknownEnd(t, w, call, err)
	if !strings.HasPrefix(mustRecord(t, w, call.ID).EndReason, "agent hung up; ") {
		t.Fatalf("end reason %q lost why the call was stopped", mustRecord(t, w, call.ID).EndReason)
	}

	calls := restartEmulator(t, w, state)
	n, err := calls.Repair(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("Repair = %d, %v; want 1 call repaired", n, err)
	}
	rec := mustRecord(t, w, call.ID)
	if rec.Outcome != dialer.OutcomeAnswered {
		t.Fatalf("repaired outcome %q, want answered", rec.Outcome)
	}
	for _, role := range []dialer.LegRole{dialer.AgentLeg, dialer.ContactLeg} {
		l := mustLeg(t, rec, role)
		if l.Status != dialer.CallCompleted || l.EndedAt.IsZero() {
			t.Fatalf("repaired %s leg: %+v; want completed with an end", role, l)
		}
	}
	if l := mustLeg(t, rec, dialer.AgentLeg); l.Duration <= 0 {
		t.Fatalf("repaired agent leg has no duration: %+v", l)
	}
	if strings.Contains(rec.EndReason, "may still be live") {
		t.Fatalf("repaired end reason still says the call may be live: %q", rec.EndReason)
	}
	// Nothing is left to repair, and a second pass changes nothing.
	if n, err := calls.Repair(context.Background()); err != nil || n != 0 {
		t.Fatalf("second Repair = %d, %v; want 0", n, err)
	}
}

// Polls of a provider that stopped answering give up on their own.
func TestPollingAGoneProviderGivesUp(t *testing.T) {
	w, _ := endingWorld(t)
	var gone time.Time
	call, _, err := w.place(t, dialer.CallOptions{Contact: w.contact(t, "Walter Skinner", "+12125550143")},
		untilConnected(func(*dialer.Session) {
			w.emu.Close()
			gone = time.Now()
		}))
	if took := time.Since(gone); took > 3*time.Second {
		t.Fatalf("the session took %v to give up (GiveUpAfter 400 ms)", took)
	}
	checkUnknownEnd(t, w, call, err)
	if n := strings.Count(w.logs.String(), `msg="poll failed"`); n > 3 {
		t.Fatalf("%d poll failures logged in under a second: the log must not grow with every poll", n)
	}
}

// Ctrl-C (the context ends) while the provider is gone ends the session.
func TestCancelWhileProviderIsGoneEnds(t *testing.T) {
	w, _ := endingWorld(t)
	w.calls.GiveUpAfter = time.Hour // only the cancel can end it
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := w.calls.Start(ctx, dialer.CallOptions{Contact: w.contact(t, "Walter Skinner", "+12125550143"), Agent: w.agent})
	if err != nil {
		t.Fatal(err)
	}
	var canceled time.Time
	timeout := time.After(20 * time.Second)
	for {
		select {
		case e, ok := <-s.Events():
			if !ok {
				call, err := s.Wait()
				if took := time.Since(canceled); took > 3*time.Second {
					t.Fatalf("the session took %v to end after the cancel", took)
				}
				checkUnknownEnd(t, w, call, err)
				if got := mustRecord(t, w, call.ID).EndReason; !strings.HasPrefix(got, "stopped by the program; ") {
					t.Fatalf("end reason %q", got)
				}
				return
			}
			confirmWhenAsked(s, e)
			if e.Phase == dialer.PhaseConnected && canceled.IsZero() {
				w.emu.Close()
				canceled = time.Now()
				cancel()
			}
		case <-timeout:
			t.Fatal("the call did not end after the cancel")
		}
	}
}

// lockDatabase holds the database's write lock from another connection,
// as another program would, until the returned function is called.
func lockDatabase(t *testing.T, w *callWorld) func() {
	t.Helper()
	other, err := sql.Open("sqlite", "file:"+w.db.Path()+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := other.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	released := false
	release := func() {
		if !released {
			released = true
			conn.ExecContext(context.Background(), "ROLLBACK")
			conn.Close()
			other.Close()
		}
	}
	t.Cleanup(release)
	return release
}

// A lock held by another writer while the call ends is waited out: the
// record is complete and the session reports no error.
func TestCallWritesWaitOutALock(t *testing.T) {
	w, _ := endingWorld(t)
	w.calls.WriteRetryFor = 10 * time.Second
	call, _, err := w.place(t, dialer.CallOptions{Contact: w.contact(t, "Walter Skinner", "+12125550143")},
		untilConnected(func(s *dialer.Session) {
			release := lockDatabase(t, w)
			time.AfterFunc(1500*time.Millisecond, release)
			s.Hangup()
		}))
	if err != nil {
		t.Fatalf("call: %v", err)
	}
	rec := mustRecord(t, w, call.ID)
	if rec.Outcome != dialer.OutcomeAnswered || rec.EndedAt.IsZero() {
		t.Fatalf("record after the lock: outcome %q ended %v", rec.Outcome, rec.EndedAt)
	}
	if l := mustLeg(t, rec, dialer.ContactLeg); !l.Status.Ended() {
		t.Fatalf("contact leg still %s", l.Status)
	}
}

// A lock that outlasts the retries: the session says the record could not
// be saved (so the command exits non-zero), and Repair records the end
// once the database is free.
func TestCallWriteThatFailsIsReportedAndRepaired(t *testing.T) {
	w, _ := endingWorld(t)
	w.calls.WriteRetryFor = 300 * time.Millisecond
	var release func()
	call, _, err := w.place(t, dialer.CallOptions{Contact: w.contact(t, "Walter Skinner", "+12125550143")},
		untilConnected(func(s *dialer.Session) {
			release = lockDatabase(t, w)
			s.Hangup()
		}))
	if err == nil || !strings.Contains(dialer.ErrorMessage(err), "could not be saved") {
		t.Fatalf("session error = %v; want one saying the record could not be saved", err)
	}
	release()
	rec := mustRecord(t, w, call.ID)
	if !rec.EndedAt.IsZero() {
		t.Fatalf("the end was recorded under the lock? %+v", rec)
	}
	if n, err := w.calls.Repair(context.Background()); err != nil || n != 1 {
		t.Fatalf("Repair = %d, %v; want 1", n, err)
	}
	rec = mustRecord(t, w, call.ID)
	if rec.Outcome != dialer.OutcomeAnswered || rec.EndedAt.IsZero() || !mustLeg(t, rec, dialer.ContactLeg).Status.Ended() {
		t.Fatalf("repaired record: %+v", rec)
	}
}

// Hanging up while one's own phone rings is a cancel, not "no answer".
func TestHangupWhileAgentPhoneRingsIsCanceled(t *testing.T) {
	w, _ := endingWorld(t)
	call, _, err := w.place(t, dialer.CallOptions{Contact: w.contact(t, "Walter Skinner", "+12125550143")},
		func(s *dialer.Session, e dialer.Event) {
			if e.Phase == dialer.PhaseRingingAgent {
				s.Hangup()
			}
		})
	if err != nil {
		t.Fatal(err)
	}
	if call.Outcome != dialer.OutcomeCanceled {
		t.Fatalf("outcome %q, want canceled", call.Outcome)
	}
}

func mustRecord(t *testing.T, w *callWorld, id int64) dialer.Call {
	t.Helper()
	c, err := w.db.Call(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A call the provider has no record of (a sandbox emulator killed mid-call
// lost it) is closed once, with a reason, not asked about forever.
func TestRepairOfACallTheProviderLost(t *testing.T) {
	w, _ := endingWorld(t)
	call, _, err := w.place(t, dialer.CallOptions{Contact: w.contact(t, "Walter Skinner", "+12125550143")},
		untilConnected(func(s *dialer.Session) {
			w.emu.Close()
			s.Hangup()
		}))
	checkUnknownEnd(t, w, call, err)
	fresh := restartEmulator(t, w, filepath.Join(t.TempDir(), "empty.json")) // knows no calls
	if n, err := fresh.Repair(context.Background()); err != nil || n != 1 {
		t.Fatalf("Repair = %d, %v; want 1", n, err)
	}
	rec := mustRecord(t, w, call.ID)
	if rec.Outcome != dialer.OutcomeNoRecord || !strings.HasSuffix(rec.EndReason, "; the provider has no record of the call") {
		t.Fatalf("record: outcome %q, reason %q", rec.Outcome, rec.EndReason)
	}
	if open, err := w.db.OpenCalls(context.Background(), "", 0); err != nil || len(open) != 0 {
		t.Fatalf("still open: %v, %v", open, err)
	}
}

// A hang-up while a poll is stuck on a provider that stopped answering (a
// silent network, not a refused connection) is not held up by the poll.
func TestHangupDuringAStuckPollEnds(t *testing.T) {
	w, _ := endingWorld(t)
	var hungUp time.Time
	call, _, err := w.place(t, dialer.CallOptions{Contact: w.contact(t, "Walter Skinner", "+12125550143")},
		untilConnected(func(s *dialer.Session) {
			w.emu.SetLatency(time.Minute)
			time.Sleep(300 * time.Millisecond) // a poll is now waiting for an answer
			hungUp = time.Now()
			s.Hangup()
		}))
	if took := time.Since(hungUp); took > 2*time.Second {
		t.Fatalf("the session took %v to end after the hang-up (StopWithin 300 ms)", took)
	}
	if dialer.ErrorKind(err) != dialer.EUNAVAILABLE {
		t.Fatalf("session error = %v", err)
	}
	if rec := mustRecord(t, w, call.ID); rec.Outcome != dialer.OutcomeUnknown || rec.EndedAt.IsZero() {
		t.Fatalf("record: %+v", rec)
	}
}

// A database held by another writer while the call runs does not freeze
// it: the call goes on, a hang-up ends the session within seconds, and it
// says the record could not be saved.
func TestALockedDatabaseDoesNotHoldUpTheCall(t *testing.T) {
	w, _ := endingWorld(t)
	w.calls.WriteRetryFor = time.Minute
	var hungUp time.Time
	locked := false
	_, _, err := w.place(t, dialer.CallOptions{Contact: w.contact(t, "Walter Skinner", "+12125550143")},
		func(s *dialer.Session, e dialer.Event) {
			if e.Phase == dialer.PhaseRingingAgent && !locked {
				locked = true
				time.Sleep(100 * time.Millisecond) // the call's row is written
				lockDatabase(t, w)
			}
			untilConnected(func(s *dialer.Session) {
				hungUp = time.Now()
				s.Hangup()
			})(s, e)
		})
	if hungUp.IsZero() {
		t.Fatal("the call never connected while the database was locked")
	}
	if took := time.Since(hungUp); took > 4*time.Second {
		t.Fatalf("the session took %v to end after the hang-up", took)
	}
	if err == nil || !strings.Contains(dialer.ErrorMessage(err), "could not be saved") {
		t.Fatalf("session error = %v; want one saying the record could not be saved", err)
	}
}

// Live and sandbox calls share one database: a call placed through another
// account is never concluded lost by this one, however its provider answers.
func TestRepairLeavesCallsOfAnotherAccountAlone(t *testing.T) {
	w, _ := endingWorld(t)
	call, _, err := w.place(t, dialer.CallOptions{Contact: w.contact(t, "Walter Skinner", "+12125550143")},
		untilConnected(func(s *dialer.Session) {
			w.emu.Close()
			s.Hangup()
		}))
	checkUnknownEnd(t, w, call, err)
	other := restartEmulator(t, w, filepath.Join(t.TempDir(), "empty.json")) // knows no calls: 404
	other.Account = "ACffffffffffffffffffffffffffffffff"
	if n, err := other.Repair(context.Background()); err != nil || n != 0 {
		t.Fatalf("Repair through another account = %d, %v; want 0", n, err)
	}
	if _, err := other.RepairCall(context.Background(), call.ID); dialer.ErrorKind(err) != dialer.EINVALID {
		t.Fatalf("RepairCall through another account: %v", err)
	}
	if rec := mustRecord(t, w, call.ID); rec.Outcome != dialer.OutcomeUnknown || rec.Account != accountSID {
		t.Fatalf("record: outcome %q account %q; want unknown, %s", rec.Outcome, rec.Account, accountSID)
	}
}

// A call row with no leg (its process died before the provider answered
// the create) is closed once it is old enough, never asked about forever.
func TestRepairClosesCallsThatNeverReachedTheProvider(t *testing.T) {
	w, _ := endingWorld(t)
	ctx := context.Background()
	c := w.contact(t, "Walter Skinner", "+12125550143")
	old, err := w.db.StartCall(ctx, dialer.Call{ContactID: c.ID, AgentName: "Fox", AgentPhone: "+12025550199", CallerID: "+12125550100",
		Confirm: dialer.ConfirmAuto, StartedAt: w.clock.Now().Add(-11 * time.Minute), Account: accountSID})
	if err != nil {
		t.Fatal(err)
	}
	recent, err := w.db.StartCall(ctx, dialer.Call{ContactID: c.ID, AgentName: "Fox", AgentPhone: "+12025550199", CallerID: "+12125550100",
		Confirm: dialer.ConfirmAuto, StartedAt: w.clock.Now().Add(-time.Minute), Account: accountSID})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := w.calls.Repair(ctx); err != nil || n != 1 {
		t.Fatalf("Repair = %d, %v; want 1", n, err)
	}
	if rec := mustRecord(t, w, old.ID); rec.Outcome != dialer.OutcomeNoRecord || rec.EndedAt.IsZero() {
		t.Fatalf("old legless call: %+v", rec)
	}
	if rec := mustRecord(t, w, recent.ID); !rec.EndedAt.IsZero() {
		t.Fatalf("a call started a minute ago was closed: %+v", rec)
	}
}
