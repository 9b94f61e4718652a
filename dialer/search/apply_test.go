package search

import (
	"context"
	"fmt"
	"testing"
)

// Apply takes a store's changes into an index and its directory: new and
// edited contacts are found by their new text (not the old), deleted ones
// are gone, in both the entry-by-entry and the batch path.
func TestApply(t *testing.T) {
	for _, n := range []int{3, 100} { // a few changes; another program's import
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			base := []Entry{{ID: 1, Name: "Ann Old", Phone: "+12125550101"}, {ID: 2, Name: "Bob Stays", Phone: "+12125550102"},
				{ID: 3, Name: "Cat Leaves", Phone: "+12125550103"}}
			ix, dir := New(0), NewDirectory(0)
			ix.AddBatch(base)
			dir.AddBatch(base)
			changed := []Entry{{ID: 1, Name: "Ann Renamed", Phone: "+12125550101"}}
			for i := range n - 1 {
				changed = append(changed, Entry{ID: int64(10 + i), Name: fmt.Sprintf("Zed New %d", i), Phone: fmt.Sprintf("+1303555%04d", i)})
			}
			Apply(ix, dir, changed, []int64{3})

			if got, want := ix.Len(), 2+n-1; got != want {
				t.Errorf("index holds %d, want %d", got, want)
			}
			count := func(q string) int {
				t.Helper()
				res, err := NewSearcher(ix).Begin(q, 10).Run(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				return res.Total
			}
			for q, want := range map[string]int{"renamed": 1, "ann old": 0, "leaves": 0, "stays": 1, "zed new": n - 1} {
				if got := count(q); got != want {
					t.Errorf("%q: %d matches, want %d", q, got, want)
				}
			}
			if e, ok := dir.Get(1); !ok || e.Name != "Ann Renamed" {
				t.Errorf("directory entry 1: %+v %v", e, ok)
			}
			if _, ok := dir.Get(3); ok {
				t.Errorf("directory still holds the deleted contact")
			}
			if e, ok := dir.Get(10); n > 1 && (!ok || e.Name != "Zed New 0") {
				t.Errorf("directory entry 10: %+v %v", e, ok)
			}
		})
	}
}
