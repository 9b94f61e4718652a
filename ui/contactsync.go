package ui

import (
	"context"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/dialer/search"
)

// contactPollEvery is how often the UI asks the store for contacts changed
// by other programs (an import in another terminal, another agent).
var contactPollEvery = 2 * time.Second

// indexSync keeps the search index and the directory in step with the
// store, entry by entry: the UI's own changes are applied as soon as the
// store has them, and a poll of ContactKeys(since the last revision seen)
// brings in everyone else's. One mutex orders the two: a poll holds it from
// its read to its last update, so an older read never lands after a newer
// change.
type indexSync struct {
	ix  *search.Index
	dir *search.Directory

	mu    sync.Mutex
	rev   int64 // the revision the index holds every change up to
	known bool  // rev is known: the index is built (polls and updates apply)
}

func newIndexSync(d Deps) *indexSync {
	return &indexSync{ix: d.Index, dir: d.Directory}
}

// ready records that the index holds every contact up to revision rev.
func (s *indexSync) ready(rev int64) {
	s.mu.Lock()
	s.rev, s.known = rev, true
	s.mu.Unlock()
}

func entryOf(c dialer.Contact) search.Entry {
	return search.Entry{ID: c.ID, Name: c.Name, Company: c.Company, Phone: c.Phone}
}

// put indexes a contact the UI just saved. Before the index is built it
// does nothing: the build or the first poll brings the change.
func (s *indexSync) put(c dialer.Contact) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.known || s.ix == nil {
		return
	}
	e := entryOf(c)
	s.ix.Update(e)
	if s.dir != nil {
		s.dir.Update(e)
	}
}

// drop takes a contact the UI just deleted out of the index.
func (s *indexSync) drop(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.known || s.ix == nil {
		return
	}
	s.ix.Remove(id)
	if s.dir != nil {
		s.dir.Remove(id)
	}
}

// poll applies the changes made after the last revision seen and returns
// the ids of the contacts they touched.
func (s *indexSync) poll(ctx context.Context, st dialer.ContactStore) ([]int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.known || s.ix == nil {
		return nil, nil
	}
	var (
		ids     []int64
		changed []search.Entry
		removed []int64
	)
	rev, err := st.ContactKeys(ctx, s.rev, func(k dialer.ContactKey) error {
		ids = append(ids, k.ID)
		if k.Deleted {
			removed = append(removed, k.ID)
		} else {
			changed = append(changed, search.Entry{ID: k.ID, Name: k.Name, Company: k.Company, Phone: k.Phone})
		}
		return nil
	})
	// What was read is applied even after an error; the next poll reads
	// again from s.rev.
	search.Apply(s.ix, s.dir, changed, removed)
	if err != nil {
		return ids, err
	}
	s.rev = rev
	return ids, nil
}

// contactPollMsg asks for a poll of the store's changes. tick: it is the
// timer's, and the poll's answer sets the next timer (one chain of them).
type contactPollMsg struct{ tick bool }

// contactsChangedMsg reports the contacts a poll found changed.
type contactsChangedMsg struct {
	ids  []int64
	err  error
	tick bool
}

// startSync learns the index's revision once it is built and starts the
// poll.
func (m contactsModel) startSync(d Deps) tea.Cmd {
	if m.sync == nil || d.IndexRev == nil {
		return nil // nobody said which revision the index holds: no poll
	}
	s := m.sync
	return func() tea.Msg {
		s.ready(d.IndexRev())
		return contactPollMsg{tick: true}
	}
}

// nextPoll waits for the next poll.
func nextPoll() tea.Cmd {
	return tea.Tick(contactPollEvery, func(time.Time) tea.Msg { return contactPollMsg{tick: true} })
}

// poll reads the changes since the last one, off the Update goroutine.
func (m contactsModel) poll(d Deps, tick bool) tea.Cmd {
	s := m.sync
	return func() tea.Msg {
		ids, err := s.poll(d.Context, d.Store)
		return contactsChangedMsg{ids: ids, err: err, tick: tick}
	}
}
