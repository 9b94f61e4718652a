package search

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// snapshotFixture is an index and directory that have seen every kind of
// change: a build, updates, removals and entries added after the build.
func snapshotFixture(t testing.TB) (*Index, *Directory, []Entry) {
	es := genEntries(20_000, 7)
	ix, d := New(len(es)), NewDirectory(len(es))
	ix.AddBatch(es)
	d.AddBatch(es)
	for i := 0; i < 300; i++ {
		e := es[i*17]
		e.Name = "Zebulon Quixote " + e.Name
		ix.Update(e)
		d.Update(e)
		es[i*17] = e
	}
	var removed []int64
	for i := 1; i < 200; i++ {
		id := es[i*31].ID
		ix.Remove(id)
		d.Remove(id)
		removed = append(removed, id)
	}
	next := es[len(es)-1].ID
	for i := 1; i <= 50; i++ {
		e := Entry{ID: next + int64(i), Name: "Newcomer Ångström", Company: "Late Arrivals", Phone: "+14155550" + string(rune('0'+i%10)) + "00"}
		ix.Add(e)
		d.Update(e)
		es = append(es, e)
	}
	live := es[:0:0]
	for _, e := range es {
		if !containsID(removed, e.ID) {
			live = append(live, e)
		}
	}
	return ix, d, live
}

func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func TestSnapshotRoundTrip(t *testing.T) {
	ix, d, live := snapshotFixture(t)
	var buf bytes.Buffer
	if err := SaveSnapshot(&buf, []byte("db-1 rev 42"), ix, d); err != nil {
		t.Fatal(err)
	}
	tag, ix2, d2, err := LoadSnapshot(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if string(tag) != "db-1 rev 42" {
		t.Fatalf("tag = %q", tag)
	}
	if ix2.Len() != len(live) {
		t.Fatalf("loaded index holds %d entries, want %d", ix2.Len(), len(live))
	}
	ctx := context.Background()
	for _, q := range []string{"", "zebulon", "ang", "newcomer late", "4155", "mar ham", "qx"} {
		want, err1 := ix.Search(ctx, q, 50)
		got, err2 := ix2.Search(ctx, q, 50)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if !reflect.DeepEqual(want, got) {
			t.Fatalf("query %q: loaded index answers %+v, the saved one %+v", q, got.Matches[:min(3, len(got.Matches))], want.Matches[:min(3, len(want.Matches))])
		}
	}
	for _, e := range live {
		got, ok := d2.Get(e.ID)
		if !ok || got != e {
			t.Fatalf("directory entry %d = %+v, %v; want %+v", e.ID, got, ok, e)
		}
	}
	if _, ok := d2.Get(live[0].ID - 1); ok && !containsID(idsOf(live), live[0].ID-1) {
		t.Fatal("removed entry came back")
	}
	// The loaded index keeps changing like a built one.
	e := Entry{ID: live[len(live)-1].ID + 1, Name: "Xerxes Afterload", Phone: "+12125550100"}
	ix2.Add(e)
	d2.Update(e)
	if res, _ := ix2.Search(ctx, "xerxes afterload", 5); len(res.Matches) == 0 || res.Matches[0].ID != e.ID || res.Matches[0].Score == 0 {
		t.Fatalf("entry added after load not found: %+v", res)
	}
	ix2.Remove(live[5].ID)
	if res, _ := ix2.Search(ctx, "", 0); res.Total != len(live) {
		t.Fatalf("after one add and one remove: %d entries, want %d", res.Total, len(live))
	}
}

func idsOf(es []Entry) []int64 {
	out := make([]int64, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

// A damaged or foreign file is refused, never half-trusted.
func TestSnapshotRefusesDamage(t *testing.T) {
	ix, d, _ := snapshotFixture(t)
	var buf bytes.Buffer
	if err := SaveSnapshot(&buf, []byte("tag"), ix, d); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	cases := map[string][]byte{
		"empty":     nil,
		"truncated": good[:len(good)/2],
		"no sum":    good[:len(good)-4],
		"flipped":   flip(good, len(good)/3),
		"not ours":  []byte("id,name,phone\n1,Ada,+14155550100\n"),
	}
	for name, b := range cases {
		if _, _, _, err := LoadSnapshot(bytes.NewReader(b)); !errors.Is(err, ErrSnapshot) {
			t.Errorf("%s: err = %v, want ErrSnapshot", name, err)
		}
	}
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x40
	return c
}

// BenchmarkSnapshotLoad1M: ns/op reads a snapshot of 1M contacts from a
// file (in the page cache, as at a restart), beside BenchmarkBuild1M's fold
// of the same contacts; MB is the file's size.
func BenchmarkSnapshotLoad1M(b *testing.B) {
	c := getCorpus(b, 1_000_000)
	ix, d := New(len(c.entries)), NewDirectory(len(c.entries))
	ix.AddBatch(c.entries)
	d.AddBatch(c.entries)
	path := filepath.Join(b.TempDir(), "contacts.idx")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := SaveSnapshot(f, nil, ix, d); err != nil {
		b.Fatal(err)
	}
	st, _ := f.Stat()
	f.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		_, ix2, _, err := LoadSnapshot(f)
		f.Close()
		if err != nil || ix2.Len() != len(c.entries) {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(st.Size())/(1<<20), "MB")
}
