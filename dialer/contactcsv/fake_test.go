package contactcsv

import (
	"context"
	"maps"
	"slices"
	"sync"

	"github.com/dialer-dev/dialer/dialer"
)

// memStore is an in-memory Store with dialer.ImportBatch's semantics: one
// batch is all or nothing.
type memStore struct {
	mu       sync.Mutex
	byPhone  map[string]int64
	contacts map[int64]dialer.Contact
	lists    map[string]map[int64]bool
	batches  []dialer.ImportBatch
	// failOn, when > 0, makes the failOn-th ImportContacts fail (after
	// beforeImport, if set, has run).
	failOn       int
	failErr      error
	beforeImport func(n int)
}

func newMemStore() *memStore {
	return &memStore{byPhone: map[string]int64{}, contacts: map[int64]dialer.Contact{}, lists: map[string]map[int64]bool{}}
}

func (m *memStore) ImportContacts(ctx context.Context, b dialer.ImportBatch) (dialer.ImportResult, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := len(m.batches) + 1
	if m.beforeImport != nil {
		m.beforeImport(n)
	}
	if err := ctx.Err(); err != nil {
		return dialer.ImportResult{}, err
	}
	if n == m.failOn {
		return dialer.ImportResult{}, m.failErr
	}
	m.batches = append(m.batches, b)
	var res dialer.ImportResult
	keep := func(o *string, n string) {
		if n != "" {
			*o = n
		}
	}
	for _, c := range b.Contacts {
		id, ok := m.byPhone[c.Phone]
		switch {
		case !ok:
			id = int64(len(m.contacts) + 1)
			c.ID = id
			c.Fields = maps.Clone(c.Fields)
			m.contacts[id] = c
			m.byPhone[c.Phone] = id
			res.Created++
		case b.Update:
			o := m.contacts[id]
			keep(&o.Name, c.Name)
			keep(&o.Company, c.Company)
			keep(&o.Email, c.Email)
			keep(&o.Notes, c.Notes)
			keep(&o.TimeZone, c.TimeZone)
			for k, v := range c.Fields {
				if o.Fields == nil {
					o.Fields = map[string]string{}
				}
				o.Fields[k] = v
			}
			m.contacts[id] = o
			res.Updated++
		default:
			res.Existing++
		}
		res.IDs = append(res.IDs, id)
		if b.List != "" {
			if m.lists[b.List] == nil {
				m.lists[b.List] = map[int64]bool{}
			}
			m.lists[b.List][id] = true
		}
	}
	return res, nil
}

func (m *memStore) ContactIDsByPhone(ctx context.Context, phones []string) (map[string]int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]int64{}
	for _, p := range phones {
		if id, ok := m.byPhone[p]; ok {
			out[p] = id
		}
	}
	return out, nil
}

func (m *memStore) Contacts(ctx context.Context, ids []int64) ([]dialer.Contact, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []dialer.Contact
	for _, id := range slices.Sorted(slices.Values(ids)) {
		if c, ok := m.contacts[id]; ok {
			c.Fields = maps.Clone(c.Fields)
			out = append(out, c)
		}
	}
	return out, nil
}

// all is every contact, in id order.
func (m *memStore) all() []dialer.Contact {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []dialer.Contact
	for _, id := range slices.Sorted(maps.Keys(m.contacts)) {
		out = append(out, m.contacts[id])
	}
	return out
}

var _ Store = (*memStore)(nil)
var _ Store = (dialer.ContactStore)(nil)
