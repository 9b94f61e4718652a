package dialer

import (
	"regexp/syntax"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/nyaruka/phonenumbers"
)

// The fast path of ParsePhoneIn for plain North American numbers.
//
// libphonenumber reads "(415) 555-0100" in ~100 µs, most of it matching
// the national number against the regular expressions of the metadata of
// every NANP region (US, CA and the Caribbean): which region, which type
// (fixed line, mobile, toll-free, premium...), where the area code ends.
// Importing a million leads would spend minutes there.
//
// For a number that is plainly ten NANP digits D (see nanpDigits), what
// libphonenumber answers depends on D only through which of those
// expressions match D: the general, per-type and leading-digits patterns
// and the formatting patterns of every region of country code 1. So the
// fast path runs all of them at once, as one deterministic automaton over
// the ten digits, built lazily (a state is made the first time a number
// reaches it, by simulating the expressions' programs from regexp/syntax)
// and shared by every caller. The state reached after the tenth digit is
// the set of expressions that match; the first number to reach a given
// set is read by libphonenumber itself, and its answer (valid or not,
// region, type, area code length) is kept for that set. Every later
// number with the same set gets the same answer: exactly libphonenumber's,
// at the version linked in, for ten table steps. TestNANPFastMatchesSlow
// checks that against libphonenumber over many generated numbers.

// nanpDigits finds the national number D of raw when raw is plainly a
// NANP number: digits and the punctuation people write between them
// (spaces, dashes, dots, parentheses), being either ten digits when the
// default country is the US or Canada, or 1 and ten digits, or "+1" and
// ten digits whatever the default country, with D starting 2-9.
// libphonenumber reads every such raw as country code 1 and national
// number D; other input is left to it.
func nanpDigits(raw, country string) (d [10]byte, ok bool) {
	i := 0
	for i < len(raw) && raw[i] == ' ' {
		i++
	}
	plus := i < len(raw) && raw[i] == '+'
	if plus {
		i++
		if i >= len(raw) || raw[i] != '1' {
			return d, false
		}
	}
	var all [11]byte
	n := 0
	for ; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c >= '0' && c <= '9':
			if n == len(all) {
				return d, false
			}
			all[n] = c
			n++
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')':
		default:
			return d, false
		}
	}
	switch {
	case n == 10 && !plus && (country == "US" || country == "CA"):
		copy(d[:], all[:10])
	case n == 11 && all[0] == '1' && (plus || country == "US" || country == "CA"):
		copy(d[:], all[1:11])
	default:
		return d, false
	}
	if d[0] < '2' {
		return d, false
	}
	return d, true
}

// plainNANP reports whether s is exactly "+1" and ten digits, the first
// 2-9: a North American number in the E.164 form libphonenumber itself
// writes, which it parses as country code 1 and those ten digits.
func plainNANP(s string) bool {
	if len(s) != 12 || s[0] != '+' || s[1] != '1' || s[2] < '2' || s[2] > '9' {
		return false
	}
	for i := 3; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseNANPFast is ParsePhoneIn for the numbers nanpDigits accepts; ok is
// false for any other raw (or if the automaton could not be built).
func parseNANPFast(raw, country string) (p Phone, err error, ok bool) {
	d, ok := nanpDigits(raw, country)
	if !ok {
		return Phone{}, nil, false
	}
	m := nanpAutomaton()
	if m == nil {
		return Phone{}, nil, false
	}
	r := m.answer(d)
	if !r.valid {
		return Phone{}, invalidPhone(raw), true
	}
	e164 := "+1" + string(d[:])
	p = Phone{E164: e164, Country: r.country, Type: r.typ}
	if r.areaLen > 0 {
		p.AreaCode = e164[2 : 2+r.areaLen]
	}
	return p, nil, true
}

// nanpAnswer is libphonenumber's reading of a class of national numbers.
type nanpAnswer struct {
	valid   bool
	country string
	typ     phonenumbers.PhoneNumberType
	areaLen int
}

// nanpMachine is the automaton: the expressions' programs and the states
// made so far.
type nanpMachine struct {
	progs  []*syntax.Prog
	prefix []bool // leading-digits patterns: a match of a prefix counts

	mu      sync.Mutex // guards states, classes and the making of states
	start   *nanpState
	states  map[string]*nanpState
	classes map[string]*nanpAnswer
}

// nanpState is a set of threads of the expressions' programs after depth
// digits. A thread is prog<<20|pc, at an instruction that reads a digit,
// or prog<<20|matchedBit: that expression has matched (a prefix pattern
// at any depth, a whole pattern after the tenth digit).
type nanpState struct {
	depth   int
	threads []uint32
	next    [10]atomic.Pointer[nanpState]
	answer  atomic.Pointer[nanpAnswer] // depth 10 only
}

const (
	nanpPCBits  = 20
	nanpPCMask  = 1<<nanpPCBits - 1
	nanpMatched = nanpPCMask // pc value meaning "matched"
)

var (
	nanpOnce sync.Once
	nanpM    *nanpMachine
)

// nanpAutomaton is the shared automaton, nil if the metadata holds an
// expression it cannot run (then every number takes the slow path).
func nanpAutomaton() *nanpMachine {
	nanpOnce.Do(func() { nanpM = newNANPMachine() })
	return nanpM
}

func newNANPMachine() *nanpMachine {
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		return nil
	}
	m := &nanpMachine{states: map[string]*nanpState{}, classes: map[string]*nanpAnswer{}}
	add := func(pattern string, prefix bool) bool {
		if pattern == "" {
			return true
		}
		expr := "^(?:" + pattern + ")$"
		if prefix {
			expr = "^(?:" + pattern + ")"
		}
		re, err := syntax.Parse(expr, syntax.Perl)
		if err != nil {
			return false
		}
		prog, err := syntax.Compile(re.Simplify())
		if err != nil || len(prog.Inst) >= nanpPCMask {
			return false
		}
		m.progs = append(m.progs, prog)
		m.prefix = append(m.prefix, prefix)
		return true
	}
	for _, md := range coll.GetMetadata() {
		if md.GetCountryCode() != 1 {
			continue
		}
		ok := add(md.GetLeadingDigits(), true)
		for _, desc := range []*phonenumbers.PhoneNumberDesc{
			md.GetGeneralDesc(), md.GetFixedLine(), md.GetMobile(), md.GetTollFree(),
			md.GetPremiumRate(), md.GetSharedCost(), md.GetPersonalNumber(), md.GetVoip(),
			md.GetPager(), md.GetUan(), md.GetEmergency(), md.GetVoicemail(),
			md.GetNoInternationalDialling(),
		} {
			ok = ok && add(desc.GetNationalNumberPattern(), false)
		}
		for _, f := range append(slices.Clone(md.GetNumberFormat()), md.GetIntlNumberFormat()...) {
			ok = ok && add(f.GetPattern(), false)
			for _, ld := range f.GetLeadingDigitsPattern() {
				ok = ok && add(ld, true)
			}
		}
		if !ok {
			return nil
		}
	}
	if len(m.progs) >= 1<<(32-nanpPCBits) {
		return nil
	}
	var threads []uint32
	seen := map[uint32]bool{}
	for i, prog := range m.progs {
		threads = m.follow(threads, seen, i, uint32(prog.Start), 0)
	}
	m.start = m.intern(0, threads)
	return m
}

// answer is libphonenumber's reading of national number d.
func (m *nanpMachine) answer(d [10]byte) *nanpAnswer {
	s := m.start
	for i, c := range d {
		n := s.next[c-'0'].Load()
		if n == nil {
			n = m.step(s, c, i+1)
		}
		s = n
	}
	if a := s.answer.Load(); a != nil {
		return a
	}
	return m.classify(s, d)
}

// step makes (or finds) the state after reading digit c from s.
func (m *nanpMachine) step(s *nanpState, c byte, depth int) *nanpState {
	m.mu.Lock()
	defer m.mu.Unlock()
	if n := s.next[c-'0'].Load(); n != nil {
		return n
	}
	var threads []uint32
	seen := map[uint32]bool{}
	for _, t := range s.threads {
		prog, pc := int(t>>nanpPCBits), t&nanpPCMask
		if pc == nanpMatched {
			threads = append(threads, t) // a prefix pattern that matched stays matched
			continue
		}
		inst := &m.progs[prog].Inst[pc]
		if inst.MatchRune(rune(c)) {
			threads = m.follow(threads, seen, prog, inst.Out, depth)
		}
	}
	n := m.intern(depth, threads)
	s.next[c-'0'].Store(n)
	return n
}

// follow adds to threads the instructions of prog reachable from pc
// without reading a digit, at depth digits read.
func (m *nanpMachine) follow(threads []uint32, seen map[uint32]bool, prog int, pc uint32, depth int) []uint32 {
	key := uint32(prog)<<nanpPCBits | pc
	if seen[key] {
		return threads
	}
	seen[key] = true
	inst := &m.progs[prog].Inst[pc]
	switch inst.Op {
	case syntax.InstAlt, syntax.InstAltMatch:
		threads = m.follow(threads, seen, prog, inst.Out, depth)
		return m.follow(threads, seen, prog, inst.Arg, depth)
	case syntax.InstCapture, syntax.InstNop:
		return m.follow(threads, seen, prog, inst.Out, depth)
	case syntax.InstEmptyWidth:
		var at syntax.EmptyOp
		if depth == 0 {
			at |= syntax.EmptyBeginText | syntax.EmptyBeginLine
		}
		if depth == 10 {
			at |= syntax.EmptyEndText | syntax.EmptyEndLine
		}
		// Word boundaries never occur in the metadata; between two
		// digits (or at either end next to one) \b and \B are decided
		// by the ends alone.
		if depth == 0 || depth == 10 {
			at |= syntax.EmptyWordBoundary
		} else {
			at |= syntax.EmptyNoWordBoundary
		}
		if syntax.EmptyOp(inst.Arg)&^at != 0 {
			return threads
		}
		return m.follow(threads, seen, prog, inst.Out, depth)
	case syntax.InstMatch:
		if m.prefix[prog] || depth == 10 {
			return append(threads, uint32(prog)<<nanpPCBits|nanpMatched)
		}
		return threads
	case syntax.InstFail:
		return threads
	case syntax.InstRune, syntax.InstRune1, syntax.InstRuneAny, syntax.InstRuneAnyNotNL:
		if depth == 10 {
			return threads // nothing left to read
		}
		return append(threads, key)
	}
	return threads
}

// intern finds the state of these threads at depth, making it if new. A
// prefix pattern that matched drops its other threads.
func (m *nanpMachine) intern(depth int, threads []uint32) *nanpState {
	slices.Sort(threads)
	threads = slices.Compact(threads)
	done := map[uint32]bool{}
	for _, t := range threads {
		if t&nanpPCMask == nanpMatched && m.prefix[t>>nanpPCBits] {
			done[t>>nanpPCBits] = true
		}
	}
	out := threads[:0]
	for _, t := range threads {
		if !done[t>>nanpPCBits] || t&nanpPCMask == nanpMatched {
			out = append(out, t)
		}
	}
	threads = out
	b := make([]byte, 0, 1+4*len(threads))
	b = append(b, byte(depth))
	for _, t := range threads {
		b = append(b, byte(t>>24), byte(t>>16), byte(t>>8), byte(t))
	}
	if s, ok := m.states[string(b)]; ok {
		return s
	}
	s := &nanpState{depth: depth, threads: slices.Clip(threads)}
	m.states[string(b)] = s
	return s
}

// classify finds the answer of final state s, asking libphonenumber about
// d, the first number to reach its class.
func (m *nanpMachine) classify(s *nanpState, d [10]byte) *nanpAnswer {
	m.mu.Lock()
	defer m.mu.Unlock()
	if a := s.answer.Load(); a != nil {
		return a
	}
	b := make([]byte, 0, 4*len(s.threads))
	for _, t := range s.threads {
		if t&nanpPCMask == nanpMatched {
			b = strconv.AppendUint(b, uint64(t>>nanpPCBits), 36)
			b = append(b, ',')
		}
	}
	a, ok := m.classes[string(b)]
	if !ok {
		a = slowNANPAnswer(d)
		m.classes[string(b)] = a
	}
	s.answer.Store(a)
	return a
}

// slowNANPAnswer is libphonenumber's reading of +1 d.
func slowNANPAnswer(d [10]byte) *nanpAnswer {
	nn, _ := strconv.ParseUint(string(d[:]), 10, 64)
	cc := int32(1)
	n := &phonenumbers.PhoneNumber{CountryCode: &cc, NationalNumber: &nn}
	t := phonenumbers.GetNumberType(n)
	if t == phonenumbers.UNKNOWN {
		return &nanpAnswer{}
	}
	a := &nanpAnswer{valid: true, typ: t, country: phonenumbers.GetRegionCodeForNumber(n)}
	if l := phonenumbers.GetLengthOfGeographicalAreaCode(n); l > 0 && l <= len(d) {
		a.areaLen = l
	}
	return a
}
