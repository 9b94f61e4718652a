package search

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// Scores of one query term; an entry's Match.Score is the sum over the
// query's terms, so with one term the score is the tier.
const (
	ScorePrefix    = 4 // the name starts with the term
	ScoreWordStart = 3 // a word of the name, the company or the phone digits starts with it
	ScoreSubstring = 2 // the term occurs inside a word
	ScoreFuzzy     = 1 // the term's runes occur in order (fzf-like subsequence)
)

// term is one word of a parsed query.
type term struct {
	b       []byte   // folded text (digits only for a phone term)
	mask    uint64   // maskOf(b)
	pairs   uint64   // pairsOf(b)
	start   uint64   // the bit of b's first pair (or lone byte) in sig.starts
	fuzzy   bool     // subsequence matches allowed (false for phone digits)
	letters bool     // fuzzy and only a-z: tested on the letter positions
	pieces  [][]byte // per-rune pieces for a non-ASCII fuzzy term, else nil
}

// query is a parsed search string: all terms must match (AND).
type query struct {
	terms    []term
	need     uint64 // OR of the terms' masks
	noDigits bool   // no term contains a digit
}

func isPhoneByte(c byte) bool {
	switch c {
	case '+', '(', ')', '-', '.', '/':
		return true
	}
	return '0' <= c && c <= '9'
}

// phoneLike reports whether s holds only phone characters (digits,
// + ( ) - . /) and white space, with at least one digit when needDigit.
func phoneLike(s string, needDigit bool) bool {
	digit := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case '0' <= c && c <= '9':
			digit = true
		case isPhoneByte(c), c == ' ', c == '\t':
		default:
			return false
		}
	}
	return digit || !needDigit
}

// parseQuery splits s into terms. A query made only of phone characters
// ("(415) 55", "+1 415") is one digits term matched contiguously, so the
// spaces a user types inside a number do not split it. Otherwise each
// white-space separated word is a term: a word of phone characters becomes its
// digits (matched contiguously, never fuzzily); any other word is folded like
// the keys and may also match as a subsequence. Words that fold to nothing
// (e.g. a lone "+" or "-") are dropped.
func parseQuery(s string) query {
	var q query
	if phoneLike(s, true) {
		q.add(term{b: appendDigits(nil, s)})
		return q
	}
	for _, w := range strings.Fields(s) {
		if phoneLike(w, false) {
			if d := appendDigits(nil, w); len(d) > 0 {
				q.add(term{b: d})
			}
			continue
		}
		f := appendFold(nil, w)
		if len(f) == 0 {
			continue
		}
		// Folding never yields a space for a word without white space.
		t := term{b: f, fuzzy: true, letters: onlyLetters(f)}
		if !isASCII(f) {
			for i := 0; i < len(f); {
				_, size := utf8.DecodeRune(f[i:])
				t.pieces = append(t.pieces, f[i:i+size])
				i += size
			}
		}
		q.add(t)
	}
	return q
}

func (q *query) add(t term) {
	t.mask = maskOf(t.b)
	t.pairs = pairsOf(t.b)
	t.start = pairBit(t.b[0], 0)
	if len(t.b) > 1 {
		t.start = pairBit(t.b[0], t.b[1])
	}
	if len(q.terms) == 0 {
		q.noDigits = true
	}
	q.noDigits = q.noDigits && !bytes.ContainsAny(t.b, "0123456789")
	q.terms = append(q.terms, t)
	q.need |= t.mask
}

func isAlnum(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }

func onlyLetters(b []byte) bool {
	for _, c := range b {
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// narrows reports whether every entry matching next also matches prev, so
// next can be answered by scanning only prev's matches. It holds when each of
// prev's terms is a prefix of next's term at the same position (typing
// appends), a fuzzy term may grow into anything, and a contiguous (digits)
// term only into another contiguous term.
func narrows(prev, next *query) bool {
	if len(prev.terms) == 0 || len(next.terms) < len(prev.terms) {
		return false
	}
	for i := range prev.terms {
		p, n := &prev.terms[i], &next.terms[i]
		if !bytes.HasPrefix(n.b, p.b) {
			return false
		}
		if !p.fuzzy && n.fuzzy {
			return false
		}
	}
	return true
}

func (q *query) equal(o *query) bool {
	if len(q.terms) != len(o.terms) {
		return false
	}
	for i := range q.terms {
		if q.terms[i].fuzzy != o.terms[i].fuzzy || !bytes.Equal(q.terms[i].b, o.terms[i].b) {
			return false
		}
	}
	return true
}

// isWordByte: letters, digits and any byte of a non-ASCII rune continue a word.
func isWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c >= utf8.RuneSelf
}

func index(key, b []byte) int {
	if len(b) == 1 {
		return bytes.IndexByte(key, b[0])
	}
	return bytes.Index(key, b)
}

// score returns the term's tier score against key, which it matches: a
// term not found contiguously matched as a subsequence.
func (t *term) score(key []byte) int {
	idx := index(key, t.b)
	if idx < 0 {
		return ScoreFuzzy
	}
	if idx == 0 {
		return ScorePrefix
	}
	for {
		if !isWordByte(key[idx-1]) {
			return ScoreWordStart
		}
		next := index(key[idx+1:], t.b)
		if next < 0 {
			return ScoreSubstring
		}
		idx += 1 + next
	}
}

// subsequence reports whether every rune of t occurs in key in order.
func (t *term) subsequence(key []byte) bool {
	if t.pieces == nil {
		for _, c := range t.b {
			i := bytes.IndexByte(key, c)
			if i < 0 {
				return false
			}
			key = key[i+1:]
		}
		return true
	}
	for _, p := range t.pieces {
		i := bytes.Index(key, p)
		if i < 0 {
			return false
		}
		key = key[i+len(p):]
	}
	return true
}

// subseqCols reports whether the letters b occur in order in slot s's key,
// mostly from the slot's first and last position of each letter. The
// leftmost match is followed from the front while the first occurrence of
// the next letter lies after the point reached (then it is the match), and
// the rightmost from the back while the last occurrence of a letter lies
// before the point reached; a letter that the two cannot place needs an
// occurrence between them. The key is read only when that letter occurs on
// both sides of the gap, or a position is beyond farPos. Every letter of b
// is known to be in the key (the scan's mask test).
func (ix *Index) subseqCols(s int, key []byte, b []byte) bool {
	first, last := &ix.first, &ix.last
	p, j := 0, 0 // b[:j] matched leftmost, ending before p
	for ; j < len(b); j++ {
		c := b[j] - 'a'
		f := int(first[c][s])
		if f >= p && f != farPos {
			p = f + 1
			continue
		}
		// Here p <= farPos, so l = farPos also means "at p or after".
		if int(last[c][s]) < p {
			return false
		}
		if j == len(b)-1 {
			return true
		}
		break
	}
	if j == len(b) {
		return true
	}
	// b[j] occurs at or after p but also before it. Match b[j+1:] rightmost:
	// it starts at q.
	q := len(key)
	for i := len(b) - 1; i > j; i-- {
		c := b[i] - 'a'
		l := int(last[c][s])
		if l == farPos {
			return subsequenceTail(key, p, b[j:])
		}
		if l < q {
			q = l
			continue
		}
		if int(first[c][s]) >= q {
			return false
		}
		return subsequenceTail(key, p, b[j:]) // it occurs on both sides of q
	}
	// q < farPos now. b[j] occurs at or after p: is one before q?
	if int(last[b[j]-'a'][s]) < q {
		return true
	}
	return q > p && bytes.IndexByte(key[p:q], b[j]) >= 0
}

func subsequenceTail(key []byte, p int, b []byte) bool {
	_, ok := subsequenceFrom(key, p, b)
	return ok
}

// subsequenceFrom continues a greedy subsequence match of the ASCII bytes b
// in key from offset p, returning the offset after the last one matched.
func subsequenceFrom(key []byte, p int, b []byte) (int, bool) {
	for _, c := range b {
		i := bytes.IndexByte(key[p:], c)
		if i < 0 {
			return 0, false
		}
		p += i + 1
	}
	return p, true
}

// tracksEnd reports whether scans of q record the greedy end offset of its
// last term, so that typing more letters into it can resume from there.
func (q *query) tracksEnd() bool {
	t := &q.terms[len(q.terms)-1]
	return t.fuzzy && t.pieces == nil
}

// extends reports whether next only appends bytes to prev's last term (an
// ASCII fuzzy term in both), returning how many bytes of it prev had: an
// entry matching prev then matches next iff the appended bytes follow the
// greedy end of prev's last term.
func extends(prev, next *query) (int, bool) {
	n := len(prev.terms)
	if n == 0 || len(next.terms) != n || !prev.tracksEnd() || !next.tracksEnd() {
		return 0, false
	}
	for i := 0; i < n-1; i++ {
		p, q := &prev.terms[i], &next.terms[i]
		if p.fuzzy != q.fuzzy || !bytes.Equal(p.b, q.b) {
			return 0, false
		}
	}
	p, q := &prev.terms[n-1], &next.terms[n-1]
	// Ends of a word of letters come from the letter positions and may be
	// unknown (endUnknown); other words' are found by reading the key.
	if p.letters != q.letters || !bytes.HasPrefix(q.b, p.b) {
		return 0, false
	}
	return len(p.b), true
}

// bound is an upper bound of score for a key with the given signature
// (word starts, pairs) and first byte. A term whose byte pairs are not all
// in the key's cannot occur in it contiguously, so at best it matches as a
// subsequence; one whose first pair begins no word at best as a substring.
func (q *query) bound(starts, pairs uint64, head byte) int32 {
	var b int32
	for i := range q.terms {
		t := &q.terms[i]
		switch {
		case t.pairs&^pairs != 0:
			b += ScoreFuzzy
		case t.start&starts == 0:
			b += ScoreSubstring
		case t.b[0] == head:
			b += ScorePrefix
		default:
			b += ScoreWordStart
		}
	}
	return b
}

// score returns the score of an entry that matches q: the sum of its
// terms' scores.
func (q *query) score(key []byte) int {
	total := 0
	for i := range q.terms {
		total += q.terms[i].score(key)
	}
	return total
}
