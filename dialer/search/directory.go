package search

import (
	"slices"
	"strings"
	"sync"
)

// Directory keeps the display text of every entry (name, company, phone as
// written), so that a screen can draw the rows of a result without asking
// the database. One byte slab and an offset table: no per-entry pointers.
type Directory struct {
	mu    sync.RWMutex
	ids   []int64 // ascending
	offs  []uint32
	slab  []byte
	edits map[int64]*Entry // entries changed since the build; nil Entry: removed
}

// NewDirectory returns an empty directory with room for capacity entries.
func NewDirectory(capacity int) *Directory {
	return &Directory{ids: make([]int64, 0, capacity), offs: make([]uint32, 0, capacity),
		slab: make([]byte, 0, capacity*48), edits: map[int64]*Entry{}}
}

// AddBatch appends entries whose IDs ascend above every ID already held (the
// start-up build); any other entry is recorded as an edit.
func (d *Directory) AddBatch(es []Entry) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := range es {
		e := &es[i]
		if n := len(d.ids); n > 0 && d.ids[n-1] >= e.ID {
			c := *e
			d.edits[e.ID] = &c
			continue
		}
		d.appendLocked(e)
	}
}

// appendLocked appends e after every entry held; the caller holds d.mu (or
// owns d alone).
func (d *Directory) appendLocked(e *Entry) {
	d.ids = append(d.ids, e.ID)
	d.offs = append(d.offs, uint32(len(d.slab)))
	d.slab = append(d.slab, e.Name...)
	d.slab = append(d.slab, 0)
	d.slab = append(d.slab, e.Company...)
	d.slab = append(d.slab, 0)
	d.slab = append(d.slab, e.Phone...)
	d.slab = append(d.slab, 0)
}

// Update records an entry's new text.
func (d *Directory) Update(e Entry) {
	d.mu.Lock()
	d.edits[e.ID] = &e
	d.mu.Unlock()
}

// Remove forgets an entry.
func (d *Directory) Remove(id int64) {
	d.mu.Lock()
	d.edits[id] = nil
	d.mu.Unlock()
}

// Get returns the entry with id.
func (d *Directory) Get(id int64) (Entry, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if e, ok := d.edits[id]; ok {
		if e == nil {
			return Entry{}, false
		}
		return *e, true
	}
	i, found := slices.BinarySearch(d.ids, id)
	if !found {
		return Entry{}, false
	}
	end := len(d.slab)
	if i+1 < len(d.offs) {
		end = int(d.offs[i+1])
	}
	parts := strings.SplitN(string(d.slab[d.offs[i]:end-1]), "\x00", 3)
	if len(parts) != 3 {
		return Entry{}, false
	}
	return Entry{ID: id, Name: parts[0], Company: parts[1], Phone: parts[2]}, true
}
