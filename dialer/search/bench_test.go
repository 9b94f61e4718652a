package search

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/junegunn/fzf/src/algo"
	"github.com/junegunn/fzf/src/util"
)

// Benchmarks compare the index with fzf's matcher (algo.FuzzyMatchV2, case-
// insensitive, normalize on) over the same generated contacts; fzf sees each
// contact as "Name Company +1NPANXXXXXX". Run them all in one go:
//
//	go test ./dialer/search -run '^$' -bench . -benchmem

var sizes = []struct {
	name string
	n    int
}{{"10k", 10_000}, {"100k", 100_000}, {"1M", 1_000_000}}

type corpus struct {
	entries []Entry
	ix      *Index
	chars   []util.Chars // fzf's view of the same contacts
}

var (
	corporaMu sync.Mutex
	corpora   = map[int]*corpus{}
	fzfInit   sync.Once
)

func getCorpus(b *testing.B, n int) *corpus {
	b.Helper()
	corporaMu.Lock()
	defer corporaMu.Unlock()
	fzfInit.Do(func() { algo.Init("default") })
	if c, ok := corpora[n]; ok {
		return c
	}
	c := &corpus{entries: genEntries(n, 2026)}
	c.ix = New(n)
	c.ix.AddBatch(c.entries)
	c.chars = make([]util.Chars, n)
	for i := range c.entries {
		c.chars[i] = util.ToChars([]byte(entryText(&c.entries[i])))
	}
	corpora[n] = c
	return c
}

// typed is what a user types: 5-letter name prefixes, one key at a time.
var typed = []string{"micha", "jenni", "rober", "steph", "zoe k"}

// pageLimit is how many ranked results the contacts screen asks for
// (resultLimit in ui/contacts.go).
const pageLimit = 200

// BenchmarkKeystroke: ns/op is per keystroke (one Searcher.Query, ranked top
// pageLimit) while typing each word of typed into an emptied field. median-ms is the
// median keystroke; worst-ms the slowest one seen; slowest-query-ms the
// highest of the per-prefix medians (the prefix that is consistently the
// slowest, e.g. "ste", apart from one-off stalls of the machine).
func BenchmarkKeystroke(b *testing.B) {
	for _, sz := range sizes {
		b.Run(sz.name+"/index", func(b *testing.B) {
			c := getCorpus(b, sz.n)
			ctx := context.Background()
			s := NewSearcher(c.ix) // one search box, as on the contacts screen
			var all []time.Duration
			byPrefix := map[string][]time.Duration{}
			matches := 0
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				word := typed[(i/5)%len(typed)]
				k := i % 5
				if k == 0 && i > 0 {
					// The user clears the field (Esc) before the next
					// name: no remembered list narrows to it.
					b.StopTimer()
					if _, _, err := s.Query(ctx, "", pageLimit); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
				}
				start := time.Now()
				_, res, err := s.Query(ctx, word[:k+1], pageLimit)
				d := time.Since(start)
				if err != nil {
					b.Fatal(err)
				}
				all = append(all, d)
				byPrefix[word[:k+1]] = append(byPrefix[word[:k+1]], d)
				matches += res.Total
			}
			b.StopTimer()
			slices.Sort(all)
			slowest := time.Duration(0)
			for _, ds := range byPrefix {
				slices.Sort(ds)
				slowest = max(slowest, ds[len(ds)/2])
			}
			b.ReportMetric(ms(all[len(all)/2]), "median-ms")
			b.ReportMetric(ms(all[len(all)-1]), "worst-ms")
			b.ReportMetric(ms(slowest), "slowest-query-ms")
			b.ReportMetric(float64(matches)/float64(b.N), "matches/op")
		})
		for _, par := range []int{1, runtime.GOMAXPROCS(0)} {
			b.Run(fmt.Sprintf("%s/fzf-%d", sz.name, par), func(b *testing.B) {
				c := getCorpus(b, sz.n)
				m := newFzf(par)
				var prev []int32
				var worst time.Duration
				matches := 0
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					word := typed[(i/5)%len(typed)]
					k := i % 5
					if k == 0 {
						prev = nil
					}
					start := time.Now()
					// Like fzf's own cache, an extended query scans only
					// the previous matches.
					prev = m.match(c.chars, prev, word[:k+1])
					if d := time.Since(start); d > worst {
						worst = d
					}
					matches += len(prev)
				}
				b.ReportMetric(ms(worst), "worst-ms")
				b.ReportMetric(float64(matches)/float64(b.N), "matches/op")
			})
		}
	}
}

// BenchmarkCold: one query on a fresh index search (no Searcher cache) beside
// a full fzf scan.
func BenchmarkCold(b *testing.B) {
	queries := []struct{ name, q string }{
		{"first-letter", "m"},
		{"substring", "son"},
		{"fuzzy", "mchl"},
	}
	for _, sz := range sizes {
		for _, qq := range queries {
			b.Run(sz.name+"/"+qq.name+"/index", func(b *testing.B) {
				c := getCorpus(b, sz.n)
				ctx := context.Background()
				b.ResetTimer()
				var res Result
				for i := 0; i < b.N; i++ {
					var err error
					if res, err = c.ix.Search(ctx, qq.q, pageLimit); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(res.Total), "matches")
			})
			for _, par := range []int{1, runtime.GOMAXPROCS(0)} {
				b.Run(fmt.Sprintf("%s/%s/fzf-%d", sz.name, qq.name, par), func(b *testing.B) {
					c := getCorpus(b, sz.n)
					m := newFzf(par)
					var got []int32
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						got = m.match(c.chars, nil, qq.q)
					}
					b.ReportMetric(float64(len(got)), "matches")
				})
			}
		}
	}
}

// BenchmarkBuild1M: ns/op is the start-up build of 1M contacts (AddBatch);
// MB is the heap the index holds afterwards.
func BenchmarkBuild1M(b *testing.B) {
	c := getCorpus(b, 1_000_000)
	var ms runtime.MemStats
	var mb float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&ms)
		before := ms.HeapAlloc
		b.StartTimer()
		ix := New(len(c.entries))
		ix.AddBatch(c.entries)
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&ms)
		mb = float64(ms.HeapAlloc-before) / (1 << 20)
		if ix.Len() != len(c.entries) {
			b.Fatal("short index")
		}
		runtime.KeepAlive(ix)
		b.StartTimer()
	}
	b.ReportMetric(mb, "MB")
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// fzfMatcher runs algo.FuzzyMatchV2 over items split across par goroutines,
// each with its own slab, collecting the indexes (and scores) of matches.
// It does not rank: fzf's sort is extra work this side does not pay.
type fzfMatcher struct {
	par    int
	slabs  []*util.Slab
	parts  [][]int32
	scores [][]int32
}

func newFzf(par int) *fzfMatcher {
	m := &fzfMatcher{par: par, parts: make([][]int32, par), scores: make([][]int32, par)}
	for range par {
		m.slabs = append(m.slabs, util.MakeSlab(100*1024, 2048))
	}
	return m
}

func (m *fzfMatcher) match(items []util.Chars, cand []int32, q string) []int32 {
	pattern := algo.NormalizeRunes([]rune(strings.ToLower(q)))
	n := len(items)
	if cand != nil {
		n = len(cand)
	}
	per := (n + m.par - 1) / m.par
	var wg sync.WaitGroup
	for w := 0; w < m.par; w++ {
		lo, hi := w*per, min((w+1)*per, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, scores := m.parts[w][:0], m.scores[w][:0]
			for i := lo; i < hi; i++ {
				idx := int32(i)
				if cand != nil {
					idx = cand[i]
				}
				r, _ := algo.FuzzyMatchV2(false, true, true, &items[idx], pattern, false, m.slabs[w])
				if r.Start >= 0 {
					out = append(out, idx)
					scores = append(scores, int32(r.Score))
				}
			}
			m.parts[w], m.scores[w] = out, scores
		}()
	}
	wg.Wait()
	var all []int32
	for _, p := range m.parts {
		all = append(all, p...)
	}
	return all
}
