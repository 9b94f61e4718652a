package search

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func build(es ...Entry) *Index {
	ix := New(len(es))
	ix.AddBatch(es)
	return ix
}

func search(t *testing.T, ix *Index, q string, limit int) Result {
	t.Helper()
	res, err := ix.Search(context.Background(), q, limit)
	if err != nil {
		t.Fatalf("Search(%q): %v", q, err)
	}
	return res
}

func ids(res Result) []int64 {
	out := make([]int64, len(res.Matches))
	for i, m := range res.Matches {
		out[i] = m.ID
	}
	return out
}

func TestRankingTiers(t *testing.T) {
	ix := build(
		Entry{ID: 1, Name: "Alan Noble"},                   // subsequence a-n-n
		Entry{ID: 2, Name: "Joanna Lee", Company: "Acme"},  // substring
		Entry{ID: 3, Name: "Bob Annerson"},                 // word start in name
		Entry{ID: 4, Name: "Carl Ray", Company: "Annex"},   // word start in company
		Entry{ID: 5, Name: "Annabel Smith"},                // name prefix
		Entry{ID: 6, Name: "Zed", Company: "Nothing Here"}, // no match
	)
	res := search(t, ix, "ann", 10)
	want := []int64{5, 4, 3, 2, 1}
	if got := ids(res); !slices.Equal(got, want) {
		t.Fatalf("order = %v, want %v", got, want)
	}
	wantScores := []int{ScorePrefix, ScoreWordStart, ScoreWordStart, ScoreSubstring, ScoreFuzzy}
	for i, m := range res.Matches {
		if m.Score != wantScores[i] {
			t.Errorf("match %d (ID %d) score = %d, want %d", i, m.ID, m.Score, wantScores[i])
		}
	}
	if res.Total != 5 || res.Query != "ann" {
		t.Errorf("Total = %d, Query = %q", res.Total, res.Query)
	}
	// The limit keeps the best, Total counts all.
	res = search(t, ix, "ANN", 2)
	if got := ids(res); !slices.Equal(got, []int64{5, 4}) || res.Total != 5 {
		t.Errorf("limit 2: %v total %d", got, res.Total)
	}
	// limit <= 0: only the count.
	if res = search(t, ix, "ann", 0); len(res.Matches) != 0 || res.Total != 5 {
		t.Errorf("limit 0: %+v", res)
	}
}

func TestTieBreakShorterNameThenID(t *testing.T) {
	ix := build(
		Entry{ID: 1, Name: "Sam Longername"},
		Entry{ID: 2, Name: "Sam Short"},
		Entry{ID: 3, Name: "Sam Short"},
		Entry{ID: 4, Name: "Samantha"},
	)
	if got := ids(search(t, ix, "sam", 10)); !slices.Equal(got, []int64{4, 2, 3, 1}) {
		t.Fatalf("order = %v", got)
	}
}

func TestAccents(t *testing.T) {
	ix := build(
		Entry{ID: 1, Name: "Zoë Kravitz"},
		Entry{ID: 2, Name: "José Álvarez", Company: "Café Müller"},
		Entry{ID: 3, Name: "Søren Kierkegaard"},
		Entry{ID: 4, Name: "Hans Straße"},
		Entry{ID: 5, Name: "Zoe Plain"},
		Entry{ID: 6, Name: "ŁUKASZ DVOŘÁK"},
		Entry{ID: 7, Name: "Nguyễn Văn"},
	)
	cases := []struct {
		q    string
		want []int64
	}{
		{"zoe", []int64{5, 1}}, // both prefixes: shorter name first
		{"ZOË", []int64{5, 1}},
		{"jose", []int64{2}},
		{"josé álv", []int64{2}},
		{"alvarez", []int64{2}},
		{"muller", []int64{2}},
		{"soren", []int64{3}},
		{"strasse", []int64{4}},
		{"lukasz dvorak", []int64{6}},
		{"nguyen", []int64{7}},
	}
	for _, c := range cases {
		if got := ids(search(t, ix, c.q, 10)); !slices.Equal(got, c.want) {
			t.Errorf("%q: got %v, want %v", c.q, got, c.want)
		}
	}
	if got := Fold("  Zoë\tÉMILE  Straße "); got != "zoe emile strasse" {
		t.Errorf("Fold = %q", got)
	}
}

func TestPhoneQueries(t *testing.T) {
	ix := build(
		Entry{ID: 1, Name: "John Doe", Phone: "+14155551234"},
		Entry{ID: 2, Name: "Jane Roe", Phone: "(212) 415-0000"},
		Entry{ID: 3, Name: "Jim Poe", Phone: "+16505550199"},
		Entry{ID: 4, Name: "Room 415", Phone: "+19995550000"},
	)
	cases := []struct {
		q    string
		want []int64
	}{
		{"4155", []int64{1}},
		{"(415) 5", []int64{1}},
		{"+1 415-555", []int64{1}},
		{"555 1234", []int64{1}},
		{"415", []int64{4, 2, 1}}, // word start (name "415", digits "212415…"? no: 212415 is inside) — see below
		{"john 415", []int64{1}},
		{"jane 4150", []int64{2}},
		{"4156", nil},
		{"+", []int64{1, 2, 3, 4}}, // punctuation only: empty query
	}
	for _, c := range cases[:4] {
		if got := ids(search(t, ix, c.q, 10)); !slices.Equal(got, c.want) {
			t.Errorf("%q: got %v, want %v", c.q, got, c.want)
		}
	}
	// "415": room 415 is a word start; the phones hold it inside their
	// digits (substring), shorter name first.
	res := search(t, ix, "415", 10)
	if got := ids(res); !slices.Equal(got, []int64{4, 1, 2}) {
		t.Errorf("415: got %v", got)
	}
	if res.Matches[0].Score != ScoreWordStart || res.Matches[1].Score != ScoreSubstring {
		t.Errorf("415 scores: %+v", res.Matches)
	}
	// Digits never match fuzzily: "4150" is not in John's number in order
	// contiguously, so only Jane's.
	for _, c := range cases[5:] {
		if got := ids(search(t, ix, c.q, 10)); !slices.Equal(got, c.want) {
			t.Errorf("%q: got %v, want %v", c.q, got, c.want)
		}
	}
	// A number typed from its start is a word start of the digits.
	if res := search(t, ix, "+1650", 10); len(res.Matches) != 1 || res.Matches[0].Score != ScoreWordStart {
		t.Errorf("+1650: %+v", res)
	}
}

func TestANDOfWords(t *testing.T) {
	ix := build(
		Entry{ID: 1, Name: "John Smith", Company: "Acme"},
		Entry{ID: 2, Name: "John Doe", Company: "Globex"},
		Entry{ID: 3, Name: "Jane Smith", Company: "Acme"},
	)
	cases := []struct {
		q    string
		want []int64
	}{
		{"jo sm", []int64{1}},
		{"sm jo", []int64{1}},
		{"smith acme", []int64{1, 3}}, // same score and name length: ID
		{"john", []int64{2, 1}},
		{"john  globex ", []int64{2}},
		{"john xyz", nil},
	}
	for _, c := range cases {
		if got := ids(search(t, ix, c.q, 10)); !slices.Equal(got, c.want) {
			t.Errorf("%q: got %v, want %v", c.q, got, c.want)
		}
	}
	res := search(t, ix, "john sm", 10)
	if res.Matches[0].Score != ScorePrefix+ScoreWordStart {
		t.Errorf("score = %d", res.Matches[0].Score)
	}
}

func TestEmptyQuery(t *testing.T) {
	ix := New(0)
	ix.AddBatch([]Entry{{ID: 30, Name: "c"}, {ID: 10, Name: "a"}, {ID: 20, Name: "b"}})
	ix.Add(Entry{ID: 5, Name: "e"})
	ix.Remove(20)
	res := search(t, ix, "  ", 10)
	if got := ids(res); !slices.Equal(got, []int64{5, 10, 30}) || res.Total != 3 || ix.Len() != 3 {
		t.Fatalf("empty: %v total %d len %d", got, res.Total, ix.Len())
	}
	if got := ids(search(t, ix, "", 2)); !slices.Equal(got, []int64{5, 10}) {
		t.Fatalf("empty limit 2: %v", got)
	}
}

func TestUpdateRemoveVisible(t *testing.T) {
	ix := build(genEntries(1000, 1)...)
	ix.Update(Entry{ID: 500, Name: "Quentin Zyxwv"})
	if got := ids(search(t, ix, "zyxwv", 10)); !slices.Equal(got, []int64{500}) {
		t.Fatalf("after update: %v", got)
	}
	ix.Update(Entry{ID: 500, Name: "Quentin Other"})
	if got := ids(search(t, ix, "zyxwv", 10)); len(got) != 0 {
		t.Fatalf("old name still found: %v", got)
	}
	ix.Remove(500)
	if got := ids(search(t, ix, "quentin oth", 10)); len(got) != 0 || ix.Len() != 999 {
		t.Fatalf("after remove: %v len %d", got, ix.Len())
	}
	ix.Remove(500) // no-op
	ix.Add(Entry{ID: 500, Name: "Quentin Back"})
	ix.Add(Entry{ID: 5000, Name: "Quentin Last"})
	ix.Add(Entry{ID: -1, Name: "Quentin First"})
	if got := ids(search(t, ix, "quentin", 10)); !slices.Equal(got, []int64{500, 5000, -1}) || ix.Len() != 1002 {
		t.Fatalf("after re-add: %v len %d", got, ix.Len())
	}
	// Merge a batch into a non-empty index, replacing and inserting.
	ix.AddBatch([]Entry{{ID: 7, Name: "Quentin Seven"}, {ID: 1500, Name: "Quentin Mid"}, {ID: 500, Name: "Replaced"}})
	if got := ids(search(t, ix, "quentin", 10)); !slices.Equal(got, []int64{1500, 5000, -1, 7}) || ix.Len() != 1003 {
		t.Fatalf("after merge: %v len %d", got, ix.Len())
	}
	// Remove most entries: compaction keeps the survivors right.
	for id := int64(1); id <= 1000; id++ {
		if id%10 != 0 {
			ix.Remove(id)
		}
	}
	res := search(t, ix, "", 1000)
	if res.Total != ix.Len() || res.Total != 100+3 {
		t.Fatalf("after removals: total %d len %d", res.Total, ix.Len())
	}
	if got := ids(search(t, ix, "quentin", 10)); !slices.Equal(got, []int64{1500, 5000, -1}) {
		t.Fatalf("after compaction: %v", got)
	}
}

// refSearch is a naive reference: fold, test every position.
func refSearch(es map[int64]Entry, text string, limit int) Result {
	q := parseQuery(text)
	type scored struct {
		id          int64
		score, nlen int
	}
	var all []scored
	for _, e := range es {
		name := Fold(e.Name)
		key := name + "\x00" + Fold(e.Company) + "\x00" + string(appendDigits(nil, e.Phone))
		total := 0
		for _, t := range q.terms {
			tb := string(t.b)
			s := 0
			for p := 0; p+len(tb) <= len(key); p++ {
				if !strings.HasPrefix(key[p:], tb) {
					continue
				}
				switch {
				case p == 0:
					s = max(s, ScorePrefix)
				case !isWordByte(key[p-1]):
					s = max(s, ScoreWordStart)
				default:
					s = max(s, ScoreSubstring)
				}
			}
			if s == 0 && t.fuzzy {
				rest := []rune(key)
				ok := true
				for _, r := range []rune(tb) {
					i := slices.Index(rest, r)
					if i < 0 {
						ok = false
						break
					}
					rest = rest[i+1:]
				}
				if ok {
					s = ScoreFuzzy
				}
			}
			if s == 0 {
				total = 0
				break
			}
			total += s
		}
		if len(q.terms) == 0 {
			all = append(all, scored{e.ID, 0, 0}) // ID order
		} else if total > 0 {
			all = append(all, scored{e.ID, total, len(name)})
		}
	}
	slices.SortFunc(all, func(a, b scored) int {
		if a.score != b.score {
			return b.score - a.score
		}
		if a.nlen != b.nlen {
			return a.nlen - b.nlen
		}
		if a.id < b.id {
			return -1
		}
		return 1
	})
	res := Result{Query: text, Total: len(all)}
	for i := 0; i < len(all) && i < limit; i++ {
		res.Matches = append(res.Matches, Match{ID: all[i].id, Score: all[i].score})
	}
	if res.Matches == nil {
		res.Matches = []Match{}
	}
	return res
}

func randWord(r *rand.Rand, alphabet []string, n int) string {
	var b strings.Builder
	for range n {
		b.WriteString(alphabet[r.Intn(len(alphabet))])
	}
	return b.String()
}

func randEntry(r *rand.Rand, id int64) Entry {
	letters := []string{"a", "b", "c", "d", "é", "A", "n", " ", "-", "ø"}
	return Entry{
		ID:      id,
		Name:    randWord(r, letters, 1+r.Intn(10)),
		Company: randWord(r, letters, r.Intn(8)),
		Phone:   "+1" + randWord(r, []string{"1", "2", "3", "4"}, 1+r.Intn(10)),
	}
}

func randQuery(r *rand.Rand) string {
	alphabet := []string{"a", "b", "c", "d", "e", "n", "o", "1", "2", "3", " ", "é", "(", "+"}
	return randWord(r, alphabet, 1+r.Intn(7))
}

func normalize(res Result) Result {
	if res.Matches == nil {
		res.Matches = []Match{}
	}
	return res
}

// TestIncrementalEqualsFresh types random queries key by key (with
// backspaces and edits in between) through a Searcher and checks every result
// against a fresh Index.Search and a naive reference.
func TestIncrementalEqualsFresh(t *testing.T) {
	r := rand.New(rand.NewSource(42))
	ctx := context.Background()
	for corpus := 0; corpus < 20; corpus++ {
		n := 1 + r.Intn(3000)
		if corpus%5 == 0 {
			n = 20000 // several chunks, parallel workers
		}
		ref := map[int64]Entry{}
		es := make([]Entry, n)
		for i := range es {
			es[i] = randEntry(r, int64(r.Intn(4*n)))
			ref[es[i].ID] = es[i] // last duplicate wins, as in AddBatch
		}
		ix := New(n)
		ix.AddBatch(es)
		s := NewSearcher(ix)
		for typed := 0; typed < 8; typed++ {
			target := randQuery(r)
			var prefixes []string
			for i := 1; i <= len(target); i++ {
				prefixes = append(prefixes, target[:i])
			}
			// some backspaces
			for i := len(target) - 1; i > 0 && r.Intn(2) == 0; i-- {
				prefixes = append(prefixes, target[:i])
			}
			for _, q := range prefixes {
				if r.Intn(20) == 0 { // an edit between keystrokes
					e := randEntry(r, int64(r.Intn(4*n)))
					if r.Intn(3) == 0 {
						ix.Remove(e.ID)
						delete(ref, e.ID)
					} else {
						ix.Update(e)
						ref[e.ID] = e
					}
				}
				limit := []int{1, 5, 50, 100000}[r.Intn(4)]
				gen, got, err := s.Query(ctx, q, limit)
				if err != nil || gen != s.Latest() {
					t.Fatalf("Query(%q): gen %d/%d err %v", q, gen, s.Latest(), err)
				}
				fresh := search(t, ix, q, limit)
				if !reflect.DeepEqual(normalize(got), normalize(fresh)) {
					t.Fatalf("corpus %d query %q: incremental %+v != fresh %+v", corpus, q, got, fresh)
				}
				if n <= 3000 {
					if want := refSearch(ref, q, limit); !reflect.DeepEqual(normalize(fresh), want) {
						t.Fatalf("corpus %d query %q: got %+v, reference %+v", corpus, q, fresh, want)
					}
				}
			}
		}
	}
}

func TestNarrows(t *testing.T) {
	cases := []struct {
		prev, next string
		want       bool
	}{
		{"a", "ab", true},
		{"jo", "jo sm", true},
		{"jo s", "jo sm", true},
		{"415", "4155", true},
		{"(415) ", "(415) 5", true},
		{"415 5", "415 5j", false}, // "4155" contiguous vs "415" AND "5j"
		{"41", "41a", false},       // digits term cannot become fuzzy
		{"ab", "a", false},
		{"ab", "ac", false},
		{"", "a", false},
	}
	for _, c := range cases {
		p, n := parseQuery(c.prev), parseQuery(c.next)
		if got := narrows(&p, &n); got != c.want {
			t.Errorf("narrows(%q, %q) = %v", c.prev, c.next, got)
		}
	}
}

// countingCtx reports Canceled once Err has been called more than after times.
type countingCtx struct {
	context.Context
	mu    sync.Mutex
	calls int
	after int
}

func (c *countingCtx) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	if c.calls > c.after {
		return context.Canceled
	}
	return nil
}

func TestCancellation(t *testing.T) {
	ix := build(genEntries(100000, 7)...)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ix.Search(ctx, "a", 10); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled ctx: err = %v", err)
	}
	// Cancellation in the middle of the scan stops it at the next chunk.
	cc := &countingCtx{Context: context.Background(), after: 2}
	if _, err := ix.Search(cc, "a", 10); !errors.Is(err, context.Canceled) {
		t.Fatalf("mid-scan cancel: err = %v", err)
	}
	if chunks := (100000 + chunkSize - 1) / chunkSize; cc.calls > 2+2*2 || cc.calls >= chunks {
		t.Fatalf("scan went on after cancel: %d Err calls", cc.calls)
	}
	// A deadline: returns promptly.
	ctx, cancel = context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	start := time.Now()
	for ctx.Err() == nil {
		ix.Search(ctx, "mar", 10)
	}
	if _, err := ix.Search(ctx, "mar", 10); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("deadline: err = %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %v", d)
	}
}

func TestSearcherDropsStale(t *testing.T) {
	ix := build(genEntries(50000, 3)...)
	ctx := context.Background()
	for round := 0; round < 20; round++ {
		s := NewSearcher(ix)
		// Keystrokes begin in order (as in a UI's Update) and run in
		// goroutines that race each other.
		jobs := []Job{s.Begin("m", 20), s.Begin("ma", 20), s.Begin("mar", 20)}
		type out struct {
			gen uint64
			res Result
			err error
		}
		outs := make(chan out, len(jobs))
		var wg sync.WaitGroup
		for _, i := range rand.Perm(len(jobs)) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := jobs[i].Run(ctx)
				outs <- out{jobs[i].Gen(), res, err}
			}()
		}
		wg.Wait()
		close(outs)
		delivered := 0
		for o := range outs {
			if o.err != nil {
				if !errors.Is(o.err, ErrSuperseded) || !errors.Is(o.err, context.Canceled) {
					t.Fatalf("err = %v", o.err)
				}
				continue
			}
			delivered++
			if o.gen != s.Latest() || o.res.Query != "mar" {
				t.Fatalf("stale result delivered: gen %d latest %d query %q", o.gen, s.Latest(), o.res.Query)
			}
		}
		if delivered != 1 {
			t.Fatalf("delivered %d results", delivered)
		}
	}
}

func TestSearcherCallerCancel(t *testing.T) {
	ix := build(genEntries(1000, 3)...)
	s := NewSearcher(ix)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := s.Query(ctx, "a", 10); !errors.Is(err, context.Canceled) || errors.Is(err, ErrSuperseded) {
		t.Fatalf("err = %v", err)
	}
	// The next query still works and equals a fresh search.
	_, res, err := s.Query(context.Background(), "ab", 10)
	if err != nil || !reflect.DeepEqual(res, search(t, ix, "ab", 10)) {
		t.Fatalf("after cancel: %v %v", res, err)
	}
}

func TestConcurrentSearchAndUpdate(t *testing.T) {
	es := genEntries(20000, 5)
	ix := build(es...)
	s := NewSearcher(ix)
	ctx := context.Background()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewSource(int64(w)))
			for {
				select {
				case <-stop:
					return
				default:
				}
				q := []string{"m", "ma", "mar", "j", "jo", "zoe", "415", ""}[r.Intn(8)]
				if w == 0 {
					if _, _, err := s.Query(ctx, q, 20); err != nil && !errors.Is(err, ErrSuperseded) {
						t.Error(err)
						return
					}
				} else if _, err := ix.Search(ctx, q, 20); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	r := rand.New(rand.NewSource(9))
	for i := 0; i < 300; i++ {
		id := int64(1 + r.Intn(25000))
		switch r.Intn(3) {
		case 0:
			ix.Remove(id)
		default:
			ix.Update(Entry{ID: id, Name: fmt.Sprintf("Updated %d", i), Phone: "+1415555" + fmt.Sprint(i)})
		}
	}
	close(stop)
	wg.Wait()
	ix.Update(Entry{ID: 3, Name: "Unique Xylophone"})
	if got := ids(search(t, ix, "xylo", 10)); !slices.Equal(got, []int64{3}) {
		t.Fatalf("after concurrent edits: %v", got)
	}
	_, res, err := s.Query(ctx, "xylop", 10)
	if err != nil || !slices.Equal(ids(res), []int64{3}) {
		t.Fatalf("searcher after edits: %v %v", res, err)
	}
}

// TestLetterPositionsAgreeWithScan checks the column test of letter words
// (first and last positions, capped at farPos) against reading the key, on
// keys long enough to pass the cap and letters that repeat.
func TestLetterPositionsAgreeWithScan(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	letters := []string{"a", "b", "c", "d"}
	// Mostly filler, so that the query letters are sparse and their first
	// and last occurrences fall on either side of farPos.
	dense := append([]string{"e", " "}, letters...)
	sparse := append(slices.Repeat([]string{"e", "f", " "}, 20), letters...)
	var es []Entry
	for id := int64(1); id <= 3000; id++ {
		text := dense
		if id%2 == 0 {
			text = sparse
		}
		n := r.Intn(40)
		if id%3 == 0 {
			n = 200 + r.Intn(500) // beyond farPos
		}
		es = append(es, Entry{ID: id, Name: "x" + randWord(r, text, n), Company: randWord(r, text, r.Intn(300))})
	}
	ix := New(len(es))
	ix.AddBatch(es)

	// Typed a key at a time, each answer resumes from the greedy ends of the
	// one before (known, unknown or to be settled by reading the key).
	ref := map[int64]Entry{}
	for _, e := range es[:1500] {
		ref[e.ID] = e
	}
	small := New(len(ref))
	small.AddBatch(es[:1500])
	searcher := NewSearcher(small)
	for range 60 {
		word := randWord(r, letters, 1+r.Intn(6))
		if r.Intn(4) == 0 {
			word += " " + randWord(r, letters, 1+r.Intn(4))
		}
		for i := 1; i <= len(word); i++ {
			_, got, err := searcher.Query(context.Background(), word[:i], 20)
			if err != nil {
				t.Fatal(err)
			}
			if want := refSearch(ref, word[:i], 20); !reflect.DeepEqual(normalize(got), want) {
				t.Fatalf("typing %q: got %+v, reference %+v", word[:i], got, want)
			}
		}
	}

	checked, viaKey := 0, 0
	for range 3000 {
		q := parseQuery(randWord(r, letters, 2+r.Intn(5)))
		tm := &q.terms[0]
		if !tm.letters {
			t.Fatalf("%q is not a letters term", tm.b)
		}
		for s := range ix.ids {
			if q.need&^ix.has[s] != 0 {
				continue
			}
			key := ix.key(s)
			want := tm.subsequence(key)
			if got := ix.subseqCols(s, key, tm.b); got != want {
				t.Fatalf("slot %d (key %d bytes) term %q: columns say %v, the key says %v", s, len(key), tm.b, got, want)
			}
			checked++
			if len(key) > farPos {
				viaKey++
			}
		}
	}
	if checked < 10000 || viaKey < 1000 {
		t.Fatalf("too few cases: %d checked, %d with keys beyond farPos", checked, viaKey)
	}
}

// TestLettersPastFarPos: a letter first seen beyond the positions' reach is
// followed by reading the key, cold and while typing.
func TestLettersPastFarPos(t *testing.T) {
	far := strings.Repeat("e", 300)
	ix := build(
		Entry{ID: 1, Name: "b" + far + "a"}, // a is there, but no b after it
		Entry{ID: 2, Name: far + "ab"},
		Entry{ID: 3, Name: far + "a" + far + "b"},
	)
	for _, q := range []string{"ab", "a b", "eab"} {
		if got := ids(search(t, ix, q, 10)); !reflect.DeepEqual(got, []int64{2, 3}) && q != "a b" {
			t.Errorf("%q: %v, want [2 3]", q, got)
		}
	}
	s := NewSearcher(ix)
	for _, q := range []string{"a", "ab"} {
		_, res, err := s.Query(context.Background(), q, 10)
		if err != nil {
			t.Fatal(err)
		}
		want := []int64{1, 2, 3}
		if q == "ab" {
			want = []int64{2, 3}
		}
		if got := ids(res); !reflect.DeepEqual(got, want) || res.Total != len(want) {
			t.Errorf("typing %q: %v (total %d), want %v", q, got, res.Total, want)
		}
	}
}
