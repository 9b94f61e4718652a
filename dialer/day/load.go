package day

import (
	"context"
	"time"

	"github.com/dialer-dev/dialer/dialer"
)

// Source is what planning a session reads of the store (dialer.Store has
// it).
type Source interface {
	ListContacts(ctx context.Context, f dialer.ContactFilter) ([]dialer.Contact, error)
	Contacts(ctx context.Context, ids []int64) ([]dialer.Contact, error)
	ContactHistories(ctx context.Context, contactIDs []int64) (map[int64]dialer.ContactHistory, error)
	Callbacks(ctx context.Context, f dialer.CallbackFilter) ([]dialer.Callback, error)
}

// loadPage is how many contacts one read of a whole list asks for.
const loadPage = 1000

// Load reads the contacts a session is over, with their call histories
// and open callbacks, and plans it at now (see Plan): the contacts with
// these ids (deleted ones left out) or, when ids is nil, every contact on
// list ("": every contact). n is how many contacts were read.
func Load(ctx context.Context, st Source, ids []int64, list string, now time.Time, set dialer.Settings) (q Queue, n int, err error) {
	var contacts []dialer.Contact
	if ids == nil {
		for after := int64(0); ; {
			cs, err := st.ListContacts(ctx, dialer.ContactFilter{List: list, AfterID: after, Limit: loadPage})
			if err != nil {
				return Queue{}, 0, err
			}
			contacts = append(contacts, cs...)
			if len(cs) < loadPage {
				break
			}
			after = cs[len(cs)-1].ID
		}
		ids = make([]int64, len(contacts))
		for i, c := range contacts {
			ids[i] = c.ID
		}
	} else {
		cs, err := st.Contacts(ctx, ids)
		if err != nil {
			return Queue{}, 0, err
		}
		for _, c := range cs {
			if c.DeletedAt.IsZero() {
				contacts = append(contacts, c)
			}
		}
	}
	hist, err := st.ContactHistories(ctx, ids)
	if err != nil {
		return Queue{}, 0, err
	}
	open, err := st.Callbacks(ctx, dialer.CallbackFilter{Open: true})
	if err != nil {
		return Queue{}, 0, err
	}
	cbs := make(map[int64]dialer.Callback, len(open))
	for _, cb := range open {
		cbs[cb.ContactID] = cb // Plan looks up only the contacts it was given
	}
	return Plan(contacts, hist, cbs, now, set), len(contacts), nil
}
