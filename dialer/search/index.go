// Package search is the contact search index: every keystroke of the
// contact filter is answered from it, at a million contacts within a frame.
//
// Layout: entries live in slots kept in ascending ID order, as columns. Each
// slot has an ID; a 64-bit mask of the byte classes in its key (a term whose
// mask is not contained in it cannot match, so most entries are rejected
// without touching their text); hashed sets of the key's byte pairs and of
// the pairs that begin a word (bounds on a term's score tier, so that only
// entries that could rank are scored); the first and last position of each
// letter a-z in the key (one byte each, 52 per entry: with them a word of
// letters is matched as a subsequence mostly without reading the key); and
// an offset/length pair into one byte slab holding every key: folded name,
// 0, folded company, 0, phone digits. No per-entry pointers, so the garbage
// collector never scans the index. At a million contacts it holds about
// 130 MB.
//
// Matching is case- and accent-insensitive (keys and queries are folded the
// same way, once per entry at Add). A query is split into words that must all
// match. Each word scores by tier: name prefix (ScorePrefix) > start of a word
// in name, company or phone digits (ScoreWordStart) > substring
// (ScoreSubstring) > subsequence (ScoreFuzzy). Ties go to the shorter name,
// then the smaller ID. Phone queries ("4155", "(415) 5", "+1 415") match the
// digits contiguously.
//
// Search scans in parallel chunks (GOMAXPROCS workers), each in passes of
// short loops that mostly do arithmetic on the columns rather than branch,
// keeps a top-K heap per worker and checks its context between chunks. A
// Searcher adds what a typing user needs: each query cancels the one before,
// and a query that extends an earlier one scans only that one's matches,
// going on from where each one's match of the last word ended.
package search

import (
	"bytes"
	"cmp"
	"context"
	"runtime"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
)

// Entry is one contact as the index sees it.
type Entry struct {
	ID      int64
	Name    string
	Company string
	Phone   string // E.164 or as stored; only its digits are indexed
}

// Match is one ranked result.
type Match struct {
	ID    int64
	Score int // sum over query words of ScorePrefix…ScoreFuzzy; 0 for the empty query
}

// Result is the answer to one query.
type Result struct {
	Query   string
	Matches []Match // best first, at most limit
	Total   int     // number of matching entries
}

// Key size caps: longer names and companies are truncated for matching.
const (
	maxFieldLen = 1024
	maxPhoneLen = 64
	deadName    = 0xFFFF // the name length of a removed slot
)

type meta struct {
	start uint32 // offset of the key in slab
	klen  uint16 // key length
	head  byte   // key[0]
	dlen  byte   // length of the phone digits at the key's end
}

// sig summarises a key for filtering and bounding without reading it.
type sig struct {
	has    uint64 // maskOf(key): byte classes present
	starts uint64 // pairs (and lone bytes) that begin a word, hashed: see sigOf
	pairs  uint64 // pairsOf(key): adjacent byte pairs present, hashed
	nlen   uint16 // folded name length (tie-break); deadName if removed
	pos    letterPos
}

// letterPos holds where each letter a-z first and last occurs in a key:
// with them most subsequence tests of a word of letters are a few byte
// loads, no read of the key (see subseqCols). A position of farPos or more
// is stored as farPos, which means "not known".
type letterPos struct{ first, last [26]uint8 }

const farPos = 255

// Index is safe for concurrent use: Search holds a read lock for the scan
// (a few milliseconds at 1M entries); Add, Update and Remove take the write
// lock and so wait for scans in flight.
type Index struct {
	mu sync.RWMutex
	slots
	version uint64 // bumped by every change; invalidates Searcher caches
}

// slots are the index's entries, a column per field.
type slots struct {
	ids     []int64     // ascending
	has     []uint64    // sig.has per slot; 0 for removed slots
	starts  []uint64    // sig.starts per slot
	pairs   []uint64    // sig.pairs per slot
	nlens   []uint16    // sig.nlen per slot
	first   [26][]uint8 // sig.pos.first per letter, per slot
	last    [26][]uint8 // sig.pos.last per letter, per slot
	metas   []meta
	slab    []byte
	live    int
	dead    int // removed slots not yet compacted away
	garbage int // slab bytes no longer referenced
}

// New returns an empty index with room for capacity entries.
func New(capacity int) *Index {
	if capacity < 0 {
		capacity = 0
	}
	return newIndex(capacity, capacity*40)
}

func newIndex(capacity, slabCap int) *Index {
	ix := &Index{slots: slots{
		ids:    make([]int64, 0, capacity),
		has:    make([]uint64, 0, capacity),
		starts: make([]uint64, 0, capacity),
		pairs:  make([]uint64, 0, capacity),
		nlens:  make([]uint16, 0, capacity),
		metas:  make([]meta, 0, capacity),
		slab:   make([]byte, 0, slabCap),
	}}
	for c := range ix.first {
		ix.first[c] = make([]uint8, 0, capacity)
		ix.last[c] = make([]uint8, 0, capacity)
	}
	return ix
}

// setSig stores g as slot s's signature.
func (ix *Index) setSig(s int, g *sig) {
	ix.has[s], ix.starts[s], ix.pairs[s], ix.nlens[s] = g.has, g.starts, g.pairs, g.nlen
	for c := range ix.first {
		ix.first[c][s], ix.last[c][s] = g.pos.first[c], g.pos.last[c]
	}
}

// appendSig appends g as the signature of a new last slot.
func (ix *Index) appendSig(g *sig) {
	ix.has = append(ix.has, g.has)
	ix.starts = append(ix.starts, g.starts)
	ix.pairs = append(ix.pairs, g.pairs)
	ix.nlens = append(ix.nlens, g.nlen)
	for c := range ix.first {
		ix.first[c] = append(ix.first[c], g.pos.first[c])
		ix.last[c] = append(ix.last[c], g.pos.last[c])
	}
}

// appendSigs appends gs as the signatures of new last slots, a column at a
// time over blocks that stay in cache.
func (ix *Index) appendSigs(gs []sig) {
	const block = 2048
	for lo := 0; lo < len(gs); lo += block {
		b := gs[lo:min(lo+block, len(gs))]
		for i := range b {
			ix.has = append(ix.has, b[i].has)
			ix.starts = append(ix.starts, b[i].starts)
			ix.pairs = append(ix.pairs, b[i].pairs)
			ix.nlens = append(ix.nlens, b[i].nlen)
		}
		for c := range ix.first {
			f, l := ix.first[c], ix.last[c]
			for i := range b {
				f = append(f, b[i].pos.first[c])
				l = append(l, b[i].pos.last[c])
			}
			ix.first[c], ix.last[c] = f, l
		}
	}
}

// insertSig inserts g as the signature of a new slot s.
func (ix *Index) insertSig(s int, g *sig) {
	ix.has = slices.Insert(ix.has, s, g.has)
	ix.starts = slices.Insert(ix.starts, s, g.starts)
	ix.pairs = slices.Insert(ix.pairs, s, g.pairs)
	ix.nlens = slices.Insert(ix.nlens, s, g.nlen)
	for c := range ix.first {
		ix.first[c] = slices.Insert(ix.first[c], s, g.pos.first[c])
		ix.last[c] = slices.Insert(ix.last[c], s, g.pos.last[c])
	}
}

// sigAt returns slot s's signature.
func (ix *Index) sigAt(s int) sig {
	g := sig{has: ix.has[s], starts: ix.starts[s], pairs: ix.pairs[s], nlen: ix.nlens[s]}
	for c := range ix.first {
		g.pos.first[c], g.pos.last[c] = ix.first[c][s], ix.last[c][s]
	}
	return g
}

// Len returns the number of entries.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.live
}

// appendKey appends e's key to slab and returns the slab, the key's meta and
// its signature.
func appendKey(slab []byte, e *Entry) ([]byte, meta, sig) {
	start := len(slab)
	slab = appendFold(slab, e.Name)
	slab = truncate(slab, start)
	nlen := len(slab) - start
	slab = append(slab, 0)
	cstart := len(slab)
	slab = appendFold(slab, e.Company)
	slab = truncate(slab, cstart)
	slab = append(slab, 0)
	pstart := len(slab)
	slab = appendDigits(slab, e.Phone)
	if len(slab)-pstart > maxPhoneLen {
		slab = slab[:pstart+maxPhoneLen]
	}
	key := slab[start:]
	m := meta{start: uint32(start), klen: uint16(len(key)), head: key[0], dlen: byte(len(slab) - pstart)}
	g := sigOf(key)
	g.nlen = uint16(nlen)
	return slab, m, g
}

// truncate cuts the field starting at start to maxFieldLen bytes, at a rune
// boundary.
func truncate(b []byte, start int) []byte {
	if len(b)-start <= maxFieldLen {
		return b
	}
	end := start + maxFieldLen
	for end > start && b[end]&0xC0 == 0x80 {
		end--
	}
	return b[:end]
}

func (ix *Index) key(s int) []byte {
	m := ix.metas[s]
	return ix.slab[m.start : m.start+uint32(m.klen)]
}

// find returns the slot of id and whether it is present (possibly removed).
func (ix *Index) find(id int64) (int, bool) {
	n := len(ix.ids)
	if n > 0 && ix.ids[n-1] < id {
		return n, false
	}
	return slices.BinarySearch(ix.ids, id)
}

// Add inserts e, or replaces the entry with the same ID.
func (ix *Index) Add(e Entry) { ix.Update(e) }

// Update replaces the entry with e's ID (inserting it if absent).
func (ix *Index) Update(e Entry) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.upsertLocked(&e)
	ix.version++
	ix.maybeCompactLocked()
}

func (ix *Index) upsertLocked(e *Entry) {
	s, found := ix.find(e.ID)
	var m meta
	var mask sig
	if found {
		if ix.nlens[s] != deadName {
			ix.garbage += int(ix.metas[s].klen)
		} else {
			ix.dead--
			ix.live++
		}
		ix.slab, m, mask = appendKey(ix.slab, e)
		ix.setSig(s, &mask)
		ix.metas[s] = m
		return
	}
	ix.slab, m, mask = appendKey(ix.slab, e)
	ix.live++
	if s == len(ix.ids) {
		ix.ids = append(ix.ids, e.ID)
		ix.appendSig(&mask)
		ix.metas = append(ix.metas, m)
		return
	}
	ix.ids = slices.Insert(ix.ids, s, e.ID)
	ix.insertSig(s, &mask)
	ix.metas = slices.Insert(ix.metas, s, m)
}

// Remove deletes the entry with id, if present.
func (ix *Index) Remove(id int64) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	s, found := ix.find(id)
	if !found || ix.nlens[s] == deadName {
		return
	}
	ix.garbage += int(ix.metas[s].klen)
	ix.setSig(s, &sig{nlen: deadName})
	ix.metas[s] = meta{}
	ix.live--
	ix.dead++
	ix.version++
	ix.maybeCompactLocked()
}

// AddBatch adds or replaces many entries at once; this is the start-up build.
// Entries in ascending ID order above the current largest ID are appended
// directly (keys folded in parallel); others are merged in one pass.
func (ix *Index) AddBatch(es []Entry) {
	if len(es) == 0 {
		return
	}
	if !slices.IsSortedFunc(es, func(a, b Entry) int { return cmp.Compare(a.ID, b.ID) }) {
		es = slices.Clone(es)
		// Stable, so among duplicate IDs the last one given wins below.
		slices.SortStableFunc(es, func(a, b Entry) int { return cmp.Compare(a.ID, b.ID) })
	}
	// Drop duplicate IDs, keeping the last (copying only if there are any).
	for i := 0; i+1 < len(es); i++ {
		if es[i+1].ID != es[i].ID {
			continue
		}
		uniq := slices.Clone(es[:i])
		for ; i < len(es); i++ {
			if i+1 < len(es) && es[i+1].ID == es[i].ID {
				continue
			}
			uniq = append(uniq, es[i])
		}
		es = uniq
		break
	}

	// Fold outside the lock, in parallel.
	keys, metas, masks := foldBatch(es)

	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.version++
	if n := len(ix.ids); n == 0 || ix.ids[n-1] < es[0].ID {
		base := uint32(len(ix.slab))
		ix.slab = append(ix.slab, keys...)
		for i := range es {
			metas[i].start += base
		}
		ix.ids = slices.Grow(ix.ids, len(es))
		for i := range es {
			ix.ids = append(ix.ids, es[i].ID)
		}
		ix.appendSigs(masks)
		ix.metas = append(ix.metas, metas...)
		ix.live += len(es)
		return
	}
	ix.rebuildLocked(es, keys, metas, masks)
}

// foldBatch folds es (sorted, unique) into one key slab, in parallel.
func foldBatch(es []Entry) ([]byte, []meta, []sig) {
	metas := make([]meta, len(es))
	masks := make([]sig, len(es))
	workers := runtime.GOMAXPROCS(0)
	if len(es) < 4096 {
		workers = 1
	}
	parts := make([][]byte, workers)
	per := (len(es) + workers - 1) / workers
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		lo, hi := w*per, min((w+1)*per, len(es))
		if lo >= hi {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			slab := make([]byte, 0, (hi-lo)*40)
			for i := lo; i < hi; i++ {
				slab, metas[i], masks[i] = appendKey(slab, &es[i])
			}
			parts[w] = slab
		}()
	}
	wg.Wait()
	total := 0
	for _, p := range parts {
		total += len(p)
	}
	keys := make([]byte, 0, total)
	for w, p := range parts {
		base := uint32(len(keys))
		keys = append(keys, p...)
		lo, hi := w*per, min((w+1)*per, len(es))
		for i := lo; i < hi; i++ {
			metas[i].start += base
		}
	}
	return keys, metas, masks
}

// rebuildLocked merges the sorted batch (with its folded keys) into the
// index, dropping removed slots and unreferenced slab bytes.
func (ix *Index) rebuildLocked(es []Entry, keys []byte, bm []meta, bmask []sig) {
	n := ix.live + len(es)
	nx := newIndex(n, len(ix.slab)-ix.garbage+len(keys)+64)
	put := func(id int64, key []byte, m meta, mask *sig) {
		m.start = uint32(len(nx.slab))
		nx.slab = append(nx.slab, key...)
		nx.ids = append(nx.ids, id)
		nx.appendSig(mask)
		nx.metas = append(nx.metas, m)
		nx.live++
	}
	i, j := 0, 0
	for i < len(ix.ids) || j < len(es) {
		if j == len(es) || (i < len(ix.ids) && ix.ids[i] < es[j].ID) {
			if ix.nlens[i] != deadName {
				g := ix.sigAt(i)
				put(ix.ids[i], ix.key(i), ix.metas[i], &g)
			}
			i++
			continue
		}
		if i < len(ix.ids) && ix.ids[i] == es[j].ID {
			i++ // replaced by the batch entry
		}
		m := bm[j]
		put(es[j].ID, keys[m.start:m.start+uint32(m.klen)], m, &bmask[j])
		j++
	}
	ix.slots = nx.slots // dead and garbage are 0 there
	ix.version++
}

func (ix *Index) maybeCompactLocked() {
	if (ix.dead > 1024 && ix.dead > len(ix.ids)/4) ||
		(ix.garbage > 1<<20 && ix.garbage > len(ix.slab)/2) {
		ix.rebuildLocked(nil, nil, nil, nil)
	}
}

// Search ranks the entries matching query and returns the best limit of them
// (limit <= 0: none, only Total). The empty query returns all entries in ID
// order. It returns ctx.Err() promptly (between chunks of a few thousand
// entries) when ctx is cancelled.
func (ix *Index) Search(ctx context.Context, query string, limit int) (Result, error) {
	q := parseQuery(query)
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	res, _, _, err := ix.searchLocked(ctx, &q, limit, &scan{resume: -1})
	res.Query = query
	return res, err
}

const chunkSize = 8192

// hit is a scored candidate. Slots are in ID order, so the slot breaks ties
// as the ID would.
type hit struct {
	slot  int32
	score int32
	nlen  uint16
}

// better reports whether a ranks before b.
func better(a, b *hit) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	if a.nlen != b.nlen {
		return a.nlen < b.nlen
	}
	return a.slot < b.slot
}

// topK is a bounded heap with the worst kept hit at the root.
type topK struct {
	h     []hit
	limit int
}

func (t *topK) push(x hit) {
	if len(t.h) < t.limit {
		t.h = append(t.h, x)
		// sift up
		i := len(t.h) - 1
		for i > 0 {
			p := (i - 1) / 2
			if !better(&t.h[p], &t.h[i]) {
				break
			}
			t.h[p], t.h[i] = t.h[i], t.h[p]
			i = p
		}
		return
	}
	if t.limit == 0 || !better(&x, &t.h[0]) {
		return
	}
	t.h[0] = x
	i, n := 0, len(t.h)
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		w := l // the worse child
		if r := l + 1; r < n && better(&t.h[l], &t.h[r]) {
			w = r
		}
		if !better(&t.h[i], &t.h[w]) {
			break
		}
		t.h[i], t.h[w] = t.h[w], t.h[i]
		i = w
	}
}

// scan describes the candidates of a search and what to collect.
type scan struct {
	cand []int32 // slot numbers in ascending order; nil = every slot
	// With resume >= 0, cand matched a query that next extends (see
	// extends): ends[i] is where cand[i]'s greedy match of the last term
	// ended, and only the last term's bytes from resume on are tested.
	ends   []uint16
	resume int

	collect bool    // return every matching slot (ascending) …
	buf     []int32 // … in buf, reused when large enough
	endBuf  []uint16
}

// searchLocked runs q over sc's candidates. With sc.collect it also returns
// every matching slot in ascending order and, if q.tracksEnd(), each one's
// greedy end of the last term. The caller holds ix.mu.
func (ix *Index) searchLocked(ctx context.Context, q *query, limit int, sc *scan) (Result, []int32, []uint16, error) {
	if err := ctx.Err(); err != nil {
		return Result{}, nil, nil, err
	}
	if len(q.terms) == 0 {
		return ix.allLocked(limit), nil, nil, nil
	}
	n := len(ix.ids)
	if sc.cand != nil {
		n = len(sc.cand)
	}
	trackEnds := sc.collect && q.tracksEnd()
	if sc.collect {
		if cap(sc.buf) < n {
			sc.buf = make([]int32, n)
		}
		sc.buf = sc.buf[:n]
		if trackEnds {
			if cap(sc.endBuf) < n {
				sc.endBuf = make([]uint16, n)
			}
			sc.endBuf = sc.endBuf[:n]
		}
	}
	nchunks := (n + chunkSize - 1) / chunkSize
	counts := make([]int, nchunks)
	workers := min(runtime.GOMAXPROCS(0), nchunks)
	heaps := make([]topK, max(workers, 1))
	var next atomic.Int64
	var failed atomic.Bool
	work := func(w int) {
		h := &heaps[w]
		h.limit = max(limit, 0)
		scratch, pos := make([]int32, chunkSize), make([]uint16, chunkSize)
		for {
			c := int(next.Add(1) - 1)
			if c >= nchunks || failed.Load() {
				return
			}
			if ctx.Err() != nil {
				failed.Store(true)
				return
			}
			lo, hi := c*chunkSize, min((c+1)*chunkSize, n)
			counts[c] = ix.scanChunk(q, h, sc, trackEnds, lo, hi, scratch, pos)
		}
	}
	if workers <= 1 {
		work(0)
	} else {
		var wg sync.WaitGroup
		for w := 1; w < workers; w++ {
			wg.Add(1)
			go func() { defer wg.Done(); work(w) }()
		}
		work(0)
		wg.Wait()
	}
	if failed.Load() {
		return Result{}, nil, nil, ctx.Err()
	}
	var res Result
	var all []hit
	for _, h := range heaps {
		all = append(all, h.h...)
	}
	sort.Slice(all, func(i, j int) bool { return better(&all[i], &all[j]) })
	if len(all) > limit {
		all = all[:max(limit, 0)]
	}
	res.Matches = make([]Match, len(all))
	for i, h := range all {
		res.Matches[i] = Match{ID: ix.ids[h.slot], Score: int(h.score)}
	}
	out := 0
	for c, k := range counts {
		res.Total += k
		if sc.collect {
			lo := c * chunkSize
			if out != lo {
				copy(sc.buf[out:out+k], sc.buf[lo:lo+k])
				if trackEnds {
					copy(sc.endBuf[out:out+k], sc.endBuf[lo:lo+k])
				}
			}
			out += k
		}
	}
	if !sc.collect {
		return res, nil, nil, nil
	}
	if !trackEnds {
		return res, sc.buf[:out], nil, nil
	}
	return res, sc.buf[:out], sc.endBuf[:out], nil
}

// scanChunk scans candidates lo..hi, pushing hits into h and, with collect,
// writing the matching slots (and greedy ends) from index lo of the
// buffers; it returns the number of matches. It works in passes over the
// chunk, each a short loop with few unpredictable branches: the signature
// test (exact for a lone letter or digit), then each term's test (a word of
// letters from the letter positions, mostly without reading the key), then
// ranking what is left (see rank). w and pos are scratch space of
// chunkSize.
func (ix *Index) scanChunk(q *query, h *topK, sc *scan, trackEnds bool, lo, hi int, w []int32, pos []uint16) int {
	need, has := q.need, ix.has
	resume := -1
	if sc.ends != nil {
		resume = sc.resume
	}
	n := 0
	switch {
	case sc.cand == nil:
		for s := lo; s < hi; s++ {
			w[n] = int32(s)
			n += b2i(need&^has[s] == 0)
		}
	case resume >= 0:
		for i, s := range sc.cand[lo:hi] {
			w[n], pos[n] = s, sc.ends[lo+i]
			switch {
			case pos[n] == endUnknown:
				pos[n] = endSettle
			case pos[n]&endAfter != 0:
				pos[n] = pos[n]&^endAfter | endPending
			}
			n += b2i(need&^has[s] == 0)
		}
	default:
		for _, s := range sc.cand[lo:hi] {
			w[n] = s
			n += b2i(need&^has[s] == 0)
		}
	}
	w = w[:n]
	last := len(q.terms) - 1
	for i := range q.terms {
		t := &q.terms[i]
		tracked := i == last && trackEnds
		switch {
		case resume >= 0 && i < last:
			// Unchanged since the remembered query: matched.
		case t.letters && (tracked || resume >= 0):
			w = ix.keepLetters(q, w, pos, t.b, max(resume, 0), trackEnds)
		case tracked || resume >= 0:
			w = ix.keepEnds(q, w, pos, t.b, max(resume, 0))
		case len(t.b) == 1 && isAlnum(t.b[0]):
			// The signature test was exact.
		case t.letters:
			w = ix.keepLetters(q, w, pos, t.b, 0, false)
		default:
			w = ix.keepMatching(w, q, t)
		}
	}
	if sc.collect {
		copy(sc.buf[lo:], w)
		if trackEnds {
			copy(sc.endBuf[lo:], pos[:len(w)])
		}
	}
	ix.rank(q, h, w)
	return len(w)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// searchKey returns slot s's key as q tests it: without the phone digits
// when q has none.
func (ix *Index) searchKey(q *query, s int32) []byte {
	m := ix.metas[s]
	end := m.start + uint32(m.klen)
	if q.noDigits {
		end -= 1 + uint32(m.dlen)
	}
	return ix.slab[m.start:end]
}

// keepPairs keeps the slots in which the two letters of ab occur in that
// order: the last b after the first a.
func (ix *Index) keepPairs(w []int32, ab []byte) []int32 {
	fa, lb := ix.first[ab[0]-'a'], ix.last[ab[1]-'a']
	k := 0
	for _, s := range w {
		f, l := fa[s], lb[s]
		ok := l > f
		if f == farPos { // both far: read the key
			ok = ix.subseqCols(int(s), ix.slab[ix.metas[s].start:ix.metas[s].start+uint32(ix.metas[s].klen)], ab)
		}
		w[k] = s
		k += b2i(ok)
	}
	return w[:k]
}

// Greedy ends of a word of letters, as keepLetters tracks them in pos:
// 1..farPos is the offset after the leftmost match of the letters so far;
// the flags below, or'ed with such an offset p, say what is not known yet.
const (
	endSettle  = 0      // the positions could not follow it: read the key
	endUnknown = 0xFFFF // matched; read the key to go on
	endAfter   = 0x8000 // matched: the last letter occurs at p or after
	endPending = 0x4000 // endAfter of the query before, about to be resolved
)

// keepLetters keeps the slots in which the letters b occur in order,
// following the leftmost match a letter at a time over all slots with their
// letter positions, as subseqCols does for one. With from > 0, b[:from]
// is known to match and pos holds each slot's greedy end of it (see the
// end constants; endAfter as endPending). On return pos holds the greedy end of
// all of b, endAfter|p where the final letter was placed without finding
// it, or endUnknown. Slots the positions cannot follow are settled at the
// end by reading their keys, for their ends when ends is set (so that the
// next keystroke goes on from them), else with subseqCols.
func (ix *Index) keepLetters(q *query, w []int32, pos []uint16, b []byte, from int, ends bool) []int32 {
	resumed := from
	unsettled := resumed > 0 // the remembered ends may hold some
	if from == 0 {
		f0 := ix.first[b[0]-'a']
		far := 0
		for i, s := range w {
			f := f0[s]
			far |= b2i(f == farPos)
			pos[i] = uint16(f+1) * uint16(b2i(f != farPos)) // endSettle if far
		}
		unsettled = far != 0
		from = 1
	}
	for j := from; j < len(b); j++ {
		fc, lc := ix.first[b[j]-'a'], ix.last[b[j]-'a']
		var final uint16
		if j == len(b)-1 {
			final = 1
		}
		k := 0
		// Arithmetic, not branches, on the data. For a slot being followed
		// (live: 1 <= p < endPending), b[j] occurs at or after p exactly
		// when its last occurrence does (p <= farPos, so a far last
		// counts); it is there at its first occurrence if that is at or
		// after p; otherwise it also occurs before p, and where the match
		// goes on is not known: endAfter|p after the final letter, before
		// it endSettle. Other slots are kept as they are.
		settles := uint16(0)
		for i, s := range w {
			p := pos[i]
			f := uint16(fc[s])
			live := uint16(b2i(p-1 < endPending-1))
			at := uint16(b2i(f >= p)&b2i(f != farPos)) & live
			w[k], pos[k] = s, at*(f+1)+(live-at)*final*(endAfter|p)+(1-live)*p
			settles |= (live - at) * (1 - final)
			k += b2i(uint16(lc[s]) >= p) | int(1-live)
		}
		w = w[:k]
		unsettled = unsettled || settles != 0
	}
	if !unsettled {
		return w
	}
	k := 0
	for i, s := range w {
		p := pos[i]
		switch {
		case p == endSettle && !ends:
			if !ix.subseqCols(int(s), ix.searchKey(q, s), b) {
				continue
			}
			p = endUnknown
		case p == endSettle:
			e, ok := subsequenceFrom(ix.searchKey(q, s), 0, b)
			if !ok {
				continue
			}
			p = farEnd(e)
		case p&endPending != 0 && p&endAfter == 0:
			// b[resumed-1] occurs at p or after: find it, then go on.
			key := ix.searchKey(q, s)
			e := bytes.IndexByte(key[p&^endPending:], b[resumed-1])
			if e < 0 {
				continue // cannot happen: the query before matched
			}
			e, ok := subsequenceFrom(key, int(p&^endPending)+e+1, b[resumed:])
			if !ok {
				continue
			}
			p = farEnd(e)
		}
		w[k], pos[k] = s, p
		k++
	}
	return w[:k]
}

// farEnd is the pos of a greedy end e found in the key.
func farEnd(e int) uint16 {
	if e > farPos { // past the positions' reach
		return endUnknown
	}
	return uint16(e)
}

// keepEnds keeps the slots in which the ASCII word b (not only letters)
// occurs as a subsequence, reading the key: from pos[i] for b[from:] when
// from > 0 (pos holds the greedy end of b[:from]). On return pos holds the
// greedy end of b.
func (ix *Index) keepEnds(q *query, w []int32, pos []uint16, b []byte, from int) []int32 {
	k := 0
	for i, s := range w {
		p := 0
		if from > 0 {
			p = int(pos[i])
		}
		e, ok := subsequenceFrom(ix.searchKey(q, s), p, b[from:])
		if !ok {
			continue
		}
		w[k], pos[k] = s, uint16(e)
		k++
	}
	return w[:k]
}

// keepMatching keeps the slots that match t: a fuzzy word as a
// subsequence, digits contiguously.
func (ix *Index) keepMatching(w []int32, q *query, t *term) []int32 {
	k := 0
	for _, s := range w {
		key := ix.searchKey(q, s)
		if t.fuzzy && t.subsequence(key) || !t.fuzzy && index(key, t.b) >= 0 {
			w[k] = s
			k++
		}
	}
	return w[:k]
}

// rank offers the matching slots w to h, scoring (reading the key of) only
// those whose score bound could enter it.
func (ix *Index) rank(q *query, h *topK, w []int32) {
	if h.limit == 0 {
		return
	}
	maxScore := int32(ScorePrefix * len(q.terms))
	metas, starts, pairs, nlens := ix.metas, ix.starts, ix.pairs, ix.nlens
	// Once the heap holds only entries that every word prefixes, only such
	// an entry can enter it: for a word of letters its first letter is at
	// position 0, one byte to look up.
	var heads [][]uint8
	for i := range q.terms {
		if t := &q.terms[i]; t.letters {
			heads = append(heads, ix.first[t.b[0]-'a'])
		}
	}
	for _, s := range w {
		x := hit{slot: s, score: maxScore, nlen: nlens[s]}
		if len(h.h) >= h.limit {
			if h.h[0].score == maxScore && !headsAt0(heads, s) {
				continue
			}
			if !better(&x, &h.h[0]) {
				continue
			}
			x.score = q.bound(starts[s], pairs[s], metas[s].head)
			if !better(&x, &h.h[0]) {
				continue
			}
		}
		x.score = int32(q.score(ix.searchKey(q, s)))
		if len(h.h) < h.limit || better(&x, &h.h[0]) {
			h.push(x)
		}
	}
}

func headsAt0(heads [][]uint8, s int32) bool {
	for _, col := range heads {
		if col[s] != 0 {
			return false
		}
	}
	return true
}

// allLocked answers the empty query: the first limit entries in ID order.
func (ix *Index) allLocked(limit int) Result {
	res := Result{Total: ix.live}
	if limit <= 0 {
		return res
	}
	res.Matches = make([]Match, 0, min(limit, ix.live))
	for s := 0; s < len(ix.ids) && len(res.Matches) < limit; s++ {
		if ix.nlens[s] != deadName {
			res.Matches = append(res.Matches, Match{ID: ix.ids[s]})
		}
	}
	return res
}
