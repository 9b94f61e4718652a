package day

import (
	"cmp"
	"slices"
	"strconv"
	"time"

	"github.com/dialer-dev/dialer/dialer"
)

// Why says why an entry is where it is in a session's queue.
type Why string

const (
	WhyCallback Why = "callback"     // a callback is due: these come first, most overdue first
	WhyNew      Why = "never_called" // never called: next, by id
	WhyRetry    Why = "retry"        // called before: last, tried longest ago first
)

// Entry is a contact in a session's queue, with what the pre-dial card
// shows of it.
type Entry struct {
	Contact  dialer.Contact
	History  dialer.ContactHistory // zero for a contact never called
	Callback dialer.Callback       // the contact's open callback; ID 0 if none
	Why      Why
}

// SkipKind says why a contact was skipped, for a UI to badge and a script
// to count.
type SkipKind string

const (
	SkipDNC       SkipKind = "do_not_call"   // on the do-not-call list
	SkipInvalid   SkipKind = "invalid_phone" // no valid local phone (or time zone) to call
	SkipAttempts  SkipKind = "attempt_limit" // called as many times as the limit allows
	SkipHours     SkipKind = "outside_hours" // outside calling hours where the contact is
	SkipAgent     SkipKind = "agent"         // the agent skipped it
	SkipNotPlaced SkipKind = "not_placed"    // the call could not be placed (a guard refused, no caller ID)
)

// Skip is a contact left out of a session, and why.
type Skip struct {
	Contact dialer.Contact
	Kind    SkipKind
	Reason  string    // a sentence: "on the do-not-call list", "5 of 5 attempts", ...
	At      time.Time // when it was skipped (UTC)
	// Until is, for SkipHours, when calling hours open for the contact
	// (UTC); zero when unknown.
	Until time.Time
}

// Queue is a session's plan: whom to call, in order, and whom not.
type Queue struct {
	Entries []Entry
	// Later are contacts whose open callback is not due yet, soonest
	// first: a session leaves them alone until it is due, then brings them
	// up first.
	Later   []Entry
	Skipped []Skip
}

// Plan orders contacts for a power-dial session at now: contacts with a
// callback due first (most overdue first), then contacts never called (by
// id), then those tried before (tried longest ago first). hist holds the
// call history of contacts that have calls, callbacks the open callback of
// contacts that have one (one not yet due holds its contact back until it
// is: see Queue.Later).
//
// Contacts that cannot be called now are skipped with the reason:
// do-not-call, no valid local phone (dialer.LocalArea's sentence), the
// attempt limit reached (set.AttemptLimit, 0 for none: "5 of 5
// attempts"), outside calling hours (with their local time). A contact
// listed twice is planned once.
func Plan(contacts []dialer.Contact, hist map[int64]dialer.ContactHistory, callbacks map[int64]dialer.Callback,
	now time.Time, set dialer.Settings) Queue {
	var q Queue
	var news, retries []Entry
	seen := make(map[int64]bool, len(contacts))
	for _, c := range contacts {
		if seen[c.ID] {
			continue
		}
		seen[c.ID] = true
		e := Entry{Contact: c, History: hist[c.ID]}
		if cb, ok := callbacks[c.ID]; ok && cb.DoneAt.IsZero() {
			e.Callback, e.Why = cb, WhyCallback
		}
		if e.Why == WhyCallback && e.Callback.Due.After(now) {
			// Skip what can be known now (a do-not-call number stays
			// one); hours are checked when it comes due.
			if sk, bad := check(e, now, set, false); bad {
				q.Skipped = append(q.Skipped, sk)
				continue
			}
			q.Later = append(q.Later, e)
			continue
		}
		if sk, bad := check(e, now, set, true); bad {
			q.Skipped = append(q.Skipped, sk)
			continue
		}
		switch {
		case e.Why == WhyCallback:
			q.Entries = append(q.Entries, e)
		case e.History.Attempts == 0:
			e.Why = WhyNew
			news = append(news, e)
		default:
			e.Why = WhyRetry
			retries = append(retries, e)
		}
	}
	byDue := func(a, b Entry) int {
		return cmp.Or(a.Callback.Due.Compare(b.Callback.Due), cmp.Compare(a.Contact.ID, b.Contact.ID))
	}
	slices.SortFunc(q.Entries, byDue)
	slices.SortFunc(q.Later, byDue)
	slices.SortFunc(news, func(a, b Entry) int { return cmp.Compare(a.Contact.ID, b.Contact.ID) })
	slices.SortFunc(retries, func(a, b Entry) int {
		return cmp.Or(a.History.LastCalled.Compare(b.History.LastCalled), cmp.Compare(a.Contact.ID, b.Contact.ID))
	})
	q.Entries = append(append(q.Entries, news...), retries...)
	return q
}

// Check says whether e's contact may be called at now, and if not why: the
// checks of Plan, which a session repeats each time a contact comes up.
func Check(e Entry, now time.Time, set dialer.Settings) (Skip, bool) {
	return check(e, now, set, true)
}

func check(e Entry, now time.Time, set dialer.Settings, hours bool) (Skip, bool) {
	c := e.Contact
	sk := Skip{Contact: c, At: now.UTC()}
	if c.DoNotCall {
		sk.Kind, sk.Reason = SkipDNC, "on the do-not-call list"
		return sk, true
	}
	if _, err := dialer.LocalArea(c); err != nil {
		sk.Kind, sk.Reason = SkipInvalid, dialer.ErrorMessage(err)
		return sk, true
	}
	if set.AttemptLimit > 0 && e.History.Attempts >= set.AttemptLimit {
		sk.Kind, sk.Reason = SkipAttempts, strconv.Itoa(e.History.Attempts)+" of "+strconv.Itoa(set.AttemptLimit)+" attempts"
		return sk, true
	}
	if !hours {
		return sk, false
	}
	zones, err := Zones(c)
	if err != nil {
		sk.Kind, sk.Reason = SkipInvalid, dialer.ErrorMessage(err)
		return sk, true
	}
	z := outside(now, zones, set.CallingHours)
	if z == nil {
		return sk, false
	}
	sk.Kind = SkipHours
	sk.Reason = "outside calling hours (" + set.CallingHours.String() + "): it is " + now.In(z).Format(cardLayout) + " in " + z.String()
	if next, err := nextAllowed(now, zones, set.CallingHours, c); err == nil {
		sk.Until = next
		sk.Reason += "; callable from " + next.In(z).Format(cardLayout)
	}
	return sk, true
}
