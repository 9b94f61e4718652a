// Package display makes text inert for a terminal and lays it out by the
// cells it takes there.
//
// Contact names, companies, notes, agent names and provider text come from
// files and services people did not write: a name can hold ESC]0;…BEL
// (which sets the terminal's title), ESC[2J (which clears the screen), a
// colour that runs on into the rest of the row, C1 bytes, or a bidi override
// that reverses what follows it. Such text is stored as given; every place
// that shows it passes it through Line or Text first, and measures it with
// Width, never len.
package display

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// Line makes s inert on one line: escape sequences (CSI, OSC, DCS, SOS, PM,
// APC) are removed, C0 and C1 controls and bidi controls dropped, line
// breaks and tabs turned into spaces, and invalid UTF-8 replaced by U+FFFD.
func Line(s string) string { return clean(s, false) }

// Text is Line for text that may run over several lines: line breaks
// ("\n", "\r\n", "\r", U+2028, U+2029) are kept as "\n".
func Text(s string) string { return clean(s, true) }

// Width is the cells s takes on a terminal once inert: grapheme clusters
// (an emoji ZWJ sequence, a CJK character) are measured as a terminal draws
// them, not counted in bytes or runes.
func Width(s string) int { return width(Line(s)) }

// width is ansi.StringWidth of inert s, without its cost for plain ASCII
// (most names, every number): View runs on every keystroke.
func width(s string) int {
	if plain(s) {
		return len(s)
	}
	return ansi.StringWidth(s)
}

// Truncate makes s inert on one line and cuts it to at most w cells, ending
// in "…" when cut.
func Truncate(s string, w int) string {
	s, _ = fitIn(s, w)
	return s
}

// fitIn is Truncate with the width of what it returns.
func fitIn(s string, w int) (string, int) {
	if w <= 0 {
		return "", 0
	}
	s = Line(s)
	if n := width(s); n <= w {
		return s, n
	}
	s = cut(s, w)
	return s, ansi.StringWidth(s)
}

// Pad makes s inert on one line and cuts or pads it to exactly w cells. A
// wide character that would straddle the edge is cut, and the cell it
// leaves filled with a space, so the next column starts where it should.
func Pad(s string, w int) string {
	s, n := fitIn(s, w)
	if n < w {
		return s + strings.Repeat(" ", w-n)
	}
	return s
}

// PadLeft is Pad aligned right: the spaces go in front.
func PadLeft(s string, w int) string {
	s, n := fitIn(s, w)
	if n < w {
		return strings.Repeat(" ", w-n) + s
	}
	return s
}

// cut shortens inert s, wider than w, to whole grapheme clusters and "…",
// at most w cells as ansi.StringWidth counts them. (ansi.Truncate measures
// some clusters otherwise: ";" with U+FE0F is 2 cells to StringWidth and 1
// to Truncate.)
func cut(s string, w int) string {
	var buf [128]int // a column's worth: no allocation per cut row
	ends := buf[:0]  // where each cluster that fits ends
	for i, n := 0, 0; i < len(s); {
		c, cw := ansi.FirstGraphemeCluster(s[i:], ansi.GraphemeWidth)
		if len(c) == 0 || n+cw > w-1 {
			break
		}
		n, i = n+cw, i+len(c)
		ends = append(ends, i)
	}
	for k := len(ends) - 1; k >= 0; k-- {
		if t := s[:ends[k]] + "…"; ansi.StringWidth(t) <= w {
			return t
		}
	}
	return "…"
}

// Plural is n with the word that fits it: Plural(1, "leg", "legs") is
// "1 leg", Plural(3, "call's price", "calls' prices") is "3 calls' prices".
func Plural(n int, one, many string) string {
	w := many
	if n == 1 || n == -1 {
		w = one
	}
	return strconv.Itoa(n) + " " + w
}

// Control reports whether r must never reach a terminal as it is: a C0 or
// C1 control, DEL, or a bidi control (embeddings, overrides, isolates and
// the directional marks), which reorder the text around them.
func Control(r rune) bool {
	switch {
	case r < 0x20, r >= 0x7f && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069,
		r == 0x200e, r == 0x200f, r == 0x061c:
		return true
	case r == 0x2028, r == 0x2029: // line and paragraph separators
		return true
	}
	return false
}

// plain reports whether s is printable ASCII only: inert as it is.
func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// inert reports whether s is valid UTF-8 without a control: inert as it
// is, so Line and Text return it unchanged. Text is often made inert
// twice (a row of padded cells padded again), and names like "Núñez" are
// not plain: neither pays for a copy.
func inert(s string) bool {
	for _, r := range s {
		if r == utf8.RuneError || Control(r) { // RuneError: maybe an invalid byte
			return false
		}
	}
	return true
}

func clean(s string, multiline bool) string {
	if plain(s) || inert(s) {
		return s
	}
	// Invalid bytes first: a stray lead byte must not swallow an ESC that
	// follows it, and a raw C1 byte (0x9b is CSI) becomes U+FFFD.
	s = strings.ToValidUTF8(s, "\uFFFD")
	if strings.IndexByte(s, 0x1b) >= 0 {
		s = ansi.Strip(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == '\r' && i < len(s) && s[i] == '\n':
			// "\r\n" is one break: the "\n" makes it
		case r == '\r' && multiline:
			b.WriteByte('\n')
		case (r == '\n' || r == 0x2028 || r == 0x2029) && multiline:
			b.WriteByte('\n')
		case r == '\n', r == '\r', r == '\t', r == '\v', r == '\f', r == 0x2028, r == 0x2029:
			b.WriteByte(' ')
		case Control(r):
			// dropped
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// CSVCell is s for a cell of a CSV file a person will open in a
// spreadsheet or a terminal: inert as Text makes it (line breaks kept, for
// the CSV writer to quote), and a cell that would start = + - @ (a formula
// to a spreadsheet) starts with a ' instead, which spreadsheets show as
// text. A reader of such files takes the ' off again (UnCSVCell).
func CSVCell(s string) string {
	s = Text(s)
	if s != "" && strings.IndexByte("=+-@", s[0]) >= 0 {
		return "'" + s
	}
	return s
}

// UnCSVCell undoes CSVCell's guard: a cell that starts ' and then one of
// = + - @ loses the '.
func UnCSVCell(s string) string {
	if len(s) >= 2 && s[0] == '\'' && strings.IndexByte("=+-@", s[1]) >= 0 {
		return s[1:]
	}
	return s
}
