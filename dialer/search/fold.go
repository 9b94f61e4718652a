package search

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// foldTableSize covers Latin, Greek, Cyrillic and Latin Extended Additional
// (Vietnamese); folds of runes above it are computed on demand.
const foldTableSize = 0x2000

// foldTable[r] is the folded form of rune r (r < foldTableSize, r >= 0x80).
var foldTable [foldTableSize]string

// special folds that are not plain "decompose and drop marks".
var specialFolds = map[rune]string{
	'ß': "ss", 'ẞ': "ss", 'æ': "ae", 'Æ': "ae", 'œ': "oe", 'Œ': "oe",
	'ø': "o", 'Ø': "o", 'đ': "d", 'Đ': "d", 'ð': "d", 'Ð': "d",
	'ł': "l", 'Ł': "l", 'þ': "th", 'Þ': "th", 'ı': "i", 'ħ': "h",
	'Ħ': "h", 'ŧ': "t", 'Ŧ': "t", 'ŀ': "l", 'Ŀ': "l", 'ĸ': "k",
	'ŋ': "n", 'Ŋ': "n", 'ſ': "s",
}

func init() {
	for r := rune(0x80); r < foldTableSize; r++ {
		foldTable[r] = computeFold(r)
	}
}

// computeFold lower-cases r, decomposes it (NFD) and drops combining marks.
// Spaces fold to " " and other invisible runes to "".
func computeFold(r rune) string {
	if s, ok := specialFolds[r]; ok {
		return s
	}
	if unicode.IsSpace(r) {
		return " "
	}
	if unicode.Is(unicode.Mn, r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
		return ""
	}
	r = unicode.ToLower(r)
	var buf [utf8.UTFMax]byte
	n := utf8.EncodeRune(buf[:], r)
	d := norm.NFD.Bytes(buf[:n])
	out := make([]byte, 0, len(d))
	for i := 0; i < len(d); {
		c, size := utf8.DecodeRune(d[i:])
		if !unicode.Is(unicode.Mn, c) {
			out = utf8.AppendRune(out, unicode.ToLower(c))
		}
		i += size
	}
	return string(out)
}

func foldRune(r rune) string {
	if r < foldTableSize {
		return foldTable[r]
	}
	return computeFold(r)
}

// appendFold appends the search key form of s to dst: lower case, diacritics
// stripped, every run of white space (and NUL) collapsed into one ' ', leading
// and trailing space trimmed. The result never contains a 0 byte.
func appendFold(dst []byte, s string) []byte {
	start := len(dst)
	space := true // suppress leading space
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case 'A' <= c && c <= 'Z':
				c += 'a' - 'A'
			case c <= ' ' || c == 0x7f:
				if !space {
					dst = append(dst, ' ')
					space = true
				}
				continue
			}
			dst = append(dst, c)
			space = false
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		f := foldRune(r)
		if f == " " {
			if !space {
				dst = append(dst, ' ')
				space = true
			}
			continue
		}
		if f != "" {
			dst = append(dst, f...)
			space = false
		}
	}
	if space && len(dst) > start {
		dst = dst[:len(dst)-1]
	}
	return dst
}

// Fold returns the search key form of s (lower case, accents stripped,
// white space collapsed). Exposed so callers can highlight or compare keys.
func Fold(s string) string { return string(appendFold(nil, s)) }

// appendDigits appends the ASCII digits of s to dst (a phone's search key).
func appendDigits(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; '0' <= c && c <= '9' {
			dst = append(dst, c)
		}
	}
	return dst
}

// maskOf returns the set of byte classes present in b: one bit per letter and
// digit, the rest hashed. A term can only match (as substring or subsequence)
// a key whose mask contains the term's mask.
func maskOf(b []byte) uint64 {
	var m uint64
	for _, c := range b {
		m |= byteBit[c]
	}
	return m
}

var byteBit [256]uint64

// sigOf returns key's signature: the classes of its bytes; the byte pairs
// (and the lone bytes) that begin a word (after a byte that is not a word
// byte, see isWordByte), consistent with term.score's tiers; all its byte
// pairs; where each letter first and last occurs.
func sigOf(key []byte) sig {
	var g sig
	prevWord := false
	seen := uint32(0) // letters seen
	for i, c := range key {
		g.has |= byteBit[c]
		if !prevWord {
			g.starts |= pairBit(c, 0) // any word beginning with c
			if i+1 < len(key) {
				g.starts |= pairBit(c, key[i+1])
			}
		}
		prevWord = isWordByte(c)
		if i > 0 {
			g.pairs |= pairBit(key[i-1], c)
		}
		if l := c - 'a'; l < 26 {
			p := uint8(min(i, farPos))
			if seen&(1<<l) == 0 {
				seen |= 1 << l
				g.pos.first[l] = p
			}
			g.pos.last[l] = p
		}
	}
	return g
}

// pairBit is the bit of the byte pair ab in a pairs signature: a term occurs
// contiguously in a key only if the key's pairs contain all the term's.
func pairBit(a, b byte) uint64 {
	return 1 << ((uint64(a)<<8 | uint64(b)) * 0x9E3779B97F4A7C15 >> 58)
}

// pairsOf returns the pairs signature of b.
func pairsOf(b []byte) uint64 {
	var m uint64
	for i := 1; i < len(b); i++ {
		m |= pairBit(b[i-1], b[i])
	}
	return m
}

func init() {
	for c := 0; c < 256; c++ {
		switch {
		case c == 0 || c == ' ':
			byteBit[c] = 0 // separators never occur in terms
		case 'a' <= c && c <= 'z':
			byteBit[c] = 1 << (c - 'a')
		case '0' <= c && c <= '9':
			byteBit[c] = 1 << (26 + c - '0')
		default:
			byteBit[c] = 1 << (36 + c%28)
		}
	}
}
