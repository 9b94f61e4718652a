package dialer

import (
	"context"
	"time"
)

// This file is the contract of the agent's day: contacts and their lists,
// the organization's do-not-call list, callbacks, and the figures of a day.
// Every store (SQLite today, PostgreSQL next) implements it and passes the
// same store tests.

// ContactKey is what the search index needs of a contact, with the
// contact's revision: every change to a contact (create, edit, delete)
// gives it a new revision, higher than every revision before it, so a
// reader that saw revisions up to R asks for the changes after R.
type ContactKey struct {
	ID      int64
	Rev     int64
	Name    string
	Company string
	Phone   string
	Deleted bool // the contact was deleted: drop it from the index
}

// ContactFilter narrows ListContacts. Zero fields do not filter.
type ContactFilter struct {
	List    string // only contacts on this list
	AfterID int64  // only contacts with a higher id (paging)
	Limit   int
}

// ImportBatch is one transaction of an import: contacts whose phones are
// E.164 and distinct within the batch.
type ImportBatch struct {
	Contacts []Contact
	// Update overwrites the name, company, email, notes, time zone and
	// custom fields of a contact that already has the phone (an empty
	// incoming value keeps the old one). Otherwise that row is skipped.
	Update bool
	// List, when set, puts every imported contact (new, updated or
	// skipped as a duplicate) on this list, creating it if need be.
	List string
	At   time.Time
}

// ImportResult is what an ImportBatch did, per contact in batch order.
type ImportResult struct {
	IDs      []int64 // the contact each row became or matched
	Created  int
	Updated  int
	Existing int // rows whose phone already had a contact and were not updated
}

// ContactStore keeps the people agents call. Deleted contacts are hidden
// from every read but Contact and Contacts (calls keep pointing at them,
// with the name and phone they had).
type ContactStore interface {
	// CreateContact records a new contact. ECONFLICT when a contact that
	// is not deleted has the same phone.
	CreateContact(ctx context.Context, c Contact) (Contact, error)
	// UpdateContact saves a contact's fields (not its lists, nor its
	// do-not-call status: the do-not-call list is by number). ECONFLICT
	// when another contact has the new phone.
	UpdateContact(ctx context.Context, c Contact) (Contact, error)
	// DeleteContact hides a contact; its calls and charges are kept.
	DeleteContact(ctx context.Context, id int64, at time.Time) error
	// Contact returns one contact, deleted or not (ENOTFOUND if none).
	Contact(ctx context.Context, id int64) (Contact, error)
	// Contacts returns the contacts with these ids, in id order; ids with
	// no contact are left out.
	Contacts(ctx context.Context, ids []int64) ([]Contact, error)
	// ContactByPhone finds the contact with this E.164 number that is not
	// deleted (ENOTFOUND if none).
	ContactByPhone(ctx context.Context, e164 string) (Contact, error)
	// ListContacts lists contacts that are not deleted, in id order.
	ListContacts(ctx context.Context, f ContactFilter) ([]Contact, error)
	// ContactKeys streams the contacts changed after revision since, in
	// revision order, deleted ones marked; with since 0, every contact that
	// is not deleted, in id order. It returns the revision to ask from next
	// time (since, if nothing changed).
	ContactKeys(ctx context.Context, since int64, fn func(k ContactKey) error) (int64, error)
	// ContactRevision is the highest revision of any contact (0: none).
	ContactRevision(ctx context.Context) (int64, error)
	// CountContacts counts contacts that are not deleted.
	CountContacts(ctx context.Context) (int, error)
	// ImportContacts writes one batch of an import in one transaction.
	ImportContacts(ctx context.Context, b ImportBatch) (ImportResult, error)
	// ContactIDsByPhone maps each of these E.164 phones that has a
	// contact (not deleted) to its id.
	ContactIDsByPhone(ctx context.Context, phones []string) (map[string]int64, error)
	// ContactsByPhonePrefix lists up to limit live contacts whose phone
	// starts with prefix, in phone order (shell completion asks it, so it
	// must stay cheap with a million contacts).
	ContactsByPhonePrefix(ctx context.Context, prefix string, limit int) ([]Contact, error)

	// Lists are named sets of contacts; a contact can be on several.
	// AddToList creates the list if need be; adding a member twice changes
	// nothing.
	AddToList(ctx context.Context, list string, contactIDs []int64, at time.Time) error
	RemoveFromList(ctx context.Context, list string, contactIDs []int64) error
	// Lists lists every list with its count of contacts (not deleted), by name.
	Lists(ctx context.Context) ([]List, error)
	// ListMembers returns the ids of the list's contacts (not deleted), in
	// id order; ENOTFOUND if there is no such list.
	ListMembers(ctx context.Context, list string) ([]int64, error)
}

// List is a named set of contacts.
type List struct {
	ID        int64
	Name      string
	Count     int
	CreatedAt time.Time
}

// DNCEntry is a number on the organization's do-not-call list.
type DNCEntry struct {
	Phone   string // E.164
	Reason  string
	AddedBy string
	AddedAt time.Time
}

// DNCAction is what a do-not-call event did.
type DNCAction string

const (
	DNCAdded   DNCAction = "added"
	DNCRemoved DNCAction = "removed"
)

// DNCEvent is one addition to or removal from the do-not-call list. Events
// are never deleted: they are who did what, when and why.
type DNCEvent struct {
	ID     int64
	Phone  string
	Action DNCAction
	Reason string
	By     string
	At     time.Time
}

// DNCStore keeps the organization's do-not-call list of phone numbers.
type DNCStore interface {
	// AddDNC puts numbers (E.164) on the list, recording an event for each
	// one not already on it, and returns how many were new. Numbers
	// already listed keep their first entry.
	AddDNC(ctx context.Context, phones []string, reason, by string, at time.Time) (int, error)
	// RemoveDNC takes a number off the list, recording the event.
	// ENOTFOUND if it is not on the list.
	RemoveDNC(ctx context.Context, phone, reason, by string, at time.Time) error
	// DNC returns the number's entry; ENOTFOUND if it is not listed.
	DNC(ctx context.Context, phone string) (DNCEntry, error)
	// DNCList lists the numbers on the list, newest first (limit 0: all).
	DNCList(ctx context.Context, limit int) ([]DNCEntry, error)
	// DNCEvents lists the events of one number (every number: ""), oldest first.
	DNCEvents(ctx context.Context, phone string) ([]DNCEvent, error)
}

// Callback is an agent's promise to call a contact again at a time.
type Callback struct {
	ID        int64
	ContactID int64
	Due       time.Time // UTC
	Note      string
	CreatedBy string
	AgentID   int64 // the agent it is for (0: whoever calls next); a missed inbound call's agent
	CreatedAt time.Time
	DoneAt    time.Time // zero while open
	DoneCall  int64     // the call that fulfilled it
}

// CallbackFilter narrows Callbacks. Zero fields do not filter.
type CallbackFilter struct {
	ContactID int64
	DueBy     time.Time // only callbacks due at or before this time
	Open      bool      // only callbacks not done yet
	Limit     int
}

// CallbackStore keeps callbacks. A contact has at most one open callback:
// scheduling another replaces it. StartCall completes the contact's open
// callback (a callback is done when the contact is called again), as
// CompleteCallback does when the contact calls in and is answered.
type CallbackStore interface {
	ScheduleCallback(ctx context.Context, cb Callback) (Callback, error)
	// CancelCallback removes the contact's open callback, if any.
	CancelCallback(ctx context.Context, contactID int64) error
	// Callbacks lists callbacks of contacts that are not deleted, soonest
	// due first.
	Callbacks(ctx context.Context, f CallbackFilter) ([]Callback, error)
	// CountDueCallbacks counts open callbacks due at or before t.
	CountDueCallbacks(ctx context.Context, t time.Time) (int, error)
	// CompleteCallback marks the contact's open callback, if any, done by
	// call callID at at.
	CompleteCallback(ctx context.Context, contactID, callID int64, at time.Time) error
}

// ContactHistory is what a power-dial session needs to know of a contact's
// calls.
type ContactHistory struct {
	Attempts    int // calls placed to the contact
	LastCalled  time.Time
	LastOutcome Outcome
}

// DayStats are the figures of a stretch of time (a day, usually).
type DayStats struct {
	Since      time.Time
	Calls      int           // calls placed
	Connects   int           // calls the contact answered (a person)
	TalkTime   time.Duration // the contact legs of connected calls
	NumberFees Money         // reservation fees charged
	CallSpend  Money         // priced legs (unpriced legs are not counted)
	Unpriced   int           // legs not priced yet
	PastDue    int           // numbers past due now (the balance is not positive): they place no calls
}

// ConnectRate is connects per call placed, 0 with no calls.
func (d DayStats) ConnectRate() float64 {
	if d.Calls == 0 {
		return 0
	}
	return float64(d.Connects) / float64(d.Calls)
}

// DayStore answers the questions of an agent's day.
type DayStore interface {
	// ContactHistories maps each of these contacts that has calls to its
	// history.
	ContactHistories(ctx context.Context, contactIDs []int64) (map[int64]ContactHistory, error)
	// Stats adds up calls placed and fees charged at or after since.
	Stats(ctx context.Context, since time.Time, currency string) (DayStats, error)
}
