package search

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
)

// ErrSuperseded is returned for a query that a newer one replaced before its
// result was ready; errors.Is(err, context.Canceled) holds for it.
var ErrSuperseded = fmt.Errorf("search: superseded by a newer query: %w", context.Canceled)

// Searcher serialises the keystrokes of one search box over an Index.
//
// Each query gets a generation number, in the order Begin (or Query) is
// called; beginning a query cancels every older one still waiting or
// scanning, and an older query that finishes anyway returns ErrSuperseded
// instead of its result. Scans run one at a time. The Searcher remembers the
// full match lists of its last few queries: a query that extends one of them
// (letters appended to a word, words added) scans only those matches, so
// typing narrows quickly and backspace returns to a remembered list.
//
// Use from Bubble Tea: call Begin in Update (so generations follow key
// order), run Job.Run in a tea.Cmd, and on its message drop any result whose
// generation is not Latest(). Query is Begin followed by Run, for callers
// that issue queries in order from one goroutine.
type Searcher struct {
	ix  *Index
	gen atomic.Uint64

	mu          sync.Mutex // guards epochCancel
	epochCancel context.CancelFunc

	run   sync.Mutex // one scan at a time; guards cache and free
	cache []cached   // most recently used last
	free  []bufs     // recycled match-list buffers
}

const cacheEntries = 4

type cached struct {
	q       query
	version uint64
	slots   []int32  // all matching slots, ascending; non-nil
	ends    []uint16 // greedy end of the last term per slot, if q.tracksEnd()
}

// NewSearcher returns a Searcher over ix.
func NewSearcher(ix *Index) *Searcher { return &Searcher{ix: ix} }

// Latest returns the generation of the newest query begun.
func (s *Searcher) Latest() uint64 { return s.gen.Load() }

// Job is one begun query; run it with Run.
type Job struct {
	s     *Searcher
	gen   uint64
	query string
	limit int
	epoch context.Context // cancelled when a newer query begins
}

// Gen returns the job's generation.
func (j Job) Gen() uint64 { return j.gen }

// Begin registers q as the newest query, cancelling all older ones, and
// returns the job that computes it.
func (s *Searcher) Begin(q string, limit int) Job {
	epoch, cancel := context.WithCancel(context.Background())
	s.mu.Lock()
	if s.epochCancel != nil {
		s.epochCancel()
	}
	s.epochCancel = cancel
	gen := s.gen.Add(1)
	s.mu.Unlock()
	return Job{s: s, gen: gen, query: q, limit: limit, epoch: epoch}
}

// Query begins q and runs it: Begin(q, limit).Run(ctx).
func (s *Searcher) Query(ctx context.Context, q string, limit int) (gen uint64, res Result, err error) {
	j := s.Begin(q, limit)
	res, err = j.Run(ctx)
	return j.gen, res, err
}

// Run computes the job's result. It returns ErrSuperseded if a newer query
// began before the result was ready, or ctx.Err() if ctx was cancelled.
func (j Job) Run(ctx context.Context) (Result, error) {
	s := j.s
	if j.epoch.Err() != nil {
		return Result{}, ErrSuperseded
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(j.epoch, cancel)
	defer stop()

	s.run.Lock()
	defer s.run.Unlock()
	if j.epoch.Err() != nil {
		return Result{}, ErrSuperseded
	}
	res, err := s.searchLocked(ctx, j.query, j.limit)
	if j.epoch.Err() != nil {
		return Result{}, ErrSuperseded
	}
	return res, err
}

func (s *Searcher) searchLocked(ctx context.Context, text string, limit int) (Result, error) {
	q := parseQuery(text)
	ix := s.ix
	ix.mu.RLock()
	if len(q.terms) == 0 {
		res := ix.allLocked(limit)
		ix.mu.RUnlock()
		res.Query = text
		return res, ctx.Err()
	}
	// The base: the smallest remembered match list that next narrows,
	// preferring one whose last term next merely extends and, among those,
	// the one with the most of the word already matched: its ends are the
	// furthest on (and, where the letter positions could not place a
	// repeated letter, were found by reading the key, which starting from
	// a shorter one would do again).
	sc := scan{resume: -1}
	base, same, baseExt := -1, -1, false
	for i := range s.cache {
		c := &s.cache[i]
		if c.version != ix.version || !narrows(&c.q, &q) {
			continue
		}
		from, ext := extends(&c.q, &q)
		ext = ext && c.ends != nil
		better := base < 0 || (ext && !baseExt)
		if !better && ext == baseExt {
			if ext && from != sc.resume {
				better = from > sc.resume
			} else {
				better = len(c.slots) < len(s.cache[base].slots)
			}
		}
		if better {
			base, baseExt = i, ext
			sc.cand, sc.ends, sc.resume = c.slots, nil, -1
			if ext {
				sc.ends, sc.resume = c.ends, from
			}
		}
		if c.q.equal(&q) {
			same = i
		}
	}
	n := len(ix.ids)
	if sc.cand != nil {
		n = len(sc.cand)
	}
	sc.collect = true
	sc.buf, sc.endBuf = s.takeBuf(n)
	res, slots, ends, err := ix.searchLocked(ctx, &q, limit, &sc)
	version := ix.version
	ix.mu.RUnlock()
	res.Query = text
	if err != nil {
		s.recycle(sc.buf, sc.endBuf)
		return Result{}, err
	}
	if slots == nil {
		slots = []int32{}
	}
	if same >= 0 {
		s.recycle(s.cache[same].slots, s.cache[same].ends)
		s.cache = append(s.cache[:same], s.cache[same+1:]...)
	}
	if len(s.cache) == cacheEntries {
		s.recycle(s.cache[0].slots, s.cache[0].ends)
		s.cache = append(s.cache[:0], s.cache[1:]...)
	}
	s.cache = append(s.cache, cached{q: q, version: version, slots: slots, ends: ends})
	return res, nil
}

type bufs struct {
	slots []int32
	ends  []uint16
}

func (s *Searcher) recycle(slots []int32, ends []uint16) {
	if cap(slots) > 0 {
		s.free = append(s.free, bufs{slots[:0], ends[:0]})
	}
}

// takeBuf returns recycled buffers for n slots, or nils.
func (s *Searcher) takeBuf(n int) ([]int32, []uint16) {
	best := -1
	for i, b := range s.free {
		if cap(b.slots) >= n && (best < 0 || cap(b.slots) < cap(s.free[best].slots)) {
			best = i
		}
	}
	if best < 0 {
		if len(s.free) > cacheEntries {
			s.free = s.free[:0] // drop small buffers
		}
		return nil, nil
	}
	b := s.free[best]
	s.free = append(s.free[:best], s.free[best+1:]...)
	return b.slots, b.ends
}
