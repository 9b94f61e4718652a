package display

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
	"github.com/hinshun/vt10x"
)

// nasty is the name the issue was filed with: it sets the terminal's
// title, clears the screen, turns what follows red and reverses it.
const nasty = "\x1b]0;pwned\x07Ann\x1b[2J\x1b[31m\u202eX"

func TestLine(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"Walter Skinner", "Walter Skinner"},
		{nasty, "AnnX"},
		{"Zoë Ångström", "Zoë Ångström"},
		{"日本語 👩‍👩‍👧 🇯🇵", "日本語 👩‍👩‍👧 🇯🇵"},
		{"a\nb\tc\r\nd\re", "a b c d e"},
		{"a\x00b\x07c\x08d\x7fe", "abcde"},
		{"C1 \u0085next \u009b31m red \u009d0;t", "C1 next 31m red 0;t"},
		{"raw C1 \x9b31m", "raw C1 \uFFFD31m"},
		{"bad \xff\xfe utf8 \xc3", "bad \uFFFD utf8 \uFFFD"},
		{"\xc3\x1b[2Jx", "\uFFFDx"}, // a stray lead byte does not shield the ESC after it
		{"bidi \u202aa\u202bb\u202cc\u202dd\u202ee\u2066f\u2067g\u2068h\u2069i\u200ej\u200fk\u061cl", "bidi abcdefghijkl"},
		{"link \x1b]8;;http://evil\x1b\\here\x1b]8;;\x1b\\", "link here"},
		{"dcs \x1bP1$r0m\x1b\\ apc \x1b_x\x1b\\ pm \x1b^x\x1b\\ sos \x1bXx\x1b\\ end", "dcs  apc  pm  sos  end"},
		{"reset \x1bc save \x1b7 alt \x1b[?1049h", "reset  save  alt "},
		{"open OSC \x1b]0;swallows the rest", "open OSC "},
		{"lone ESC \x1b", "lone ESC "},
		{"sep \u2028 para \u2029", "sep   para  "},
		{"zwj\u200dkept, soft\u00adhyphen", "zwj\u200dkept, soft\u00adhyphen"},
	} {
		if got := Line(c.in); got != c.want {
			t.Errorf("Line(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestText(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"one\ntwo\r\nthree\rfour\u2028five", "one\ntwo\nthree\nfour\nfive"},
		{"tab\there", "tab here"},
		{nasty + "\n\x1b[1mbold\x1b[0m", "AnnX\nbold"},
	} {
		if got := Text(c.in); got != c.want {
			t.Errorf("Text(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// Wide characters take the cells a terminal gives them, and Pad fills the
// cell a wide character left when it did not fit: the next column starts
// at the same place on every row.
func TestPadByDisplayWidth(t *testing.T) {
	for _, c := range []struct {
		in   string
		w    int
		want string
	}{
		{"Ann", 6, "Ann   "},
		{"日本語テキスト", 6, "日本… "}, // 語 would straddle the edge
		{"日本語", 6, "日本語"},
		{"👩‍👩‍👧 family", 4, "👩‍👩‍👧 …"},
		{"👩‍👩‍👧 family", 2, "… "},
		{"🇯🇵🇫🇷", 3, "🇯🇵…"},
		{nasty, 6, "AnnX  "},
		{"abcdef", 1, "…"},
		{"abc", 0, ""},
		{"abc", -3, ""},
	} {
		got := Pad(c.in, c.w)
		if got != c.want {
			t.Errorf("Pad(%q, %d) = %q, want %q", c.in, c.w, got, c.want)
		}
		if c.w > 0 && ansi.StringWidth(got) != c.w {
			t.Errorf("Pad(%q, %d) is %d cells wide", c.in, c.w, ansi.StringWidth(got))
		}
		if got := PadLeft(c.in, c.w); c.w > 0 && ansi.StringWidth(got) != c.w {
			t.Errorf("PadLeft(%q, %d) = %q, %d cells wide", c.in, c.w, got, ansi.StringWidth(got))
		}
	}
	if Width("日本語") != 6 || Width("👩‍👩‍👧") != 2 || Width(nasty) != 4 || Width("Zoë") != 3 {
		t.Errorf("widths %d %d %d %d", Width("日本語"), Width("👩‍👩‍👧"), Width(nasty), Width("Zoë"))
	}
}

func TestPlural(t *testing.T) {
	for _, c := range []struct {
		n    int
		want string
	}{{0, "0 calls' prices"}, {1, "1 call's price"}, {2, "2 calls' prices"}, {12, "12 calls' prices"}, {-1, "-1 call's price"}} {
		if got := Plural(c.n, "call's price", "calls' prices"); got != c.want {
			t.Errorf("Plural(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}

// A terminal (vt10x, not the parser Line is built on) shown Line's output
// between two marks keeps its title, its screen and its colours, and its
// cursor moves by exactly the printable runes.
func TestInertInATerminal(t *testing.T) {
	for _, in := range []string{nasty, "\x1b[2J\x1b[H\x1b[31;1;4mred\x1b[?25l", "\u009b2J\u009d0;t\u0007x", "a\x1bP+q\x1b\\b", "\x1b]2;title\x1b\\ok", "tab\tnl\nnl\rcr\x08bs"} {
		out := Line(in)
		vt := vt10x.New(vt10x.WithSize(200, 5))
		vt.Write([]byte("first row\r\n"))
		vt.Write([]byte("[" + out + "]"))
		vt.Lock()
		cur, title := vt.Cursor(), vt.Title()
		var first strings.Builder
		for x := range 9 {
			first.WriteRune(vt.Cell(x, 0).Char)
		}
		last := vt.Cell(cur.X-1, cur.Y)
		vt.Unlock()
		if title != "" || first.String() != "first row" || cur.Y != 1 || cur.X != utf8.RuneCountInString(out)+2 ||
			last.Char != ']' || last.FG != vt10x.DefaultFG || last.BG != vt10x.DefaultBG || last.Mode != 0 {
			t.Errorf("Line(%q) = %q: title %q, first row %q, cursor %+v, last cell %+v", in, out, title, first.String(), cur, last)
		}
	}
}

// sequences are complete escape sequences and controls: between two inert
// strings, Line removes them and nothing else.
var sequences = []string{
	"\x1b[31m", "\x1b[2J", "\x1b]0;pwned\x07", "\x1b]8;;http://x\x1b\\", "\x1bP1$r\x1b\\", "\x1b_apc\x1b\\",
	"\x1b^pm\x1b\\", "\x1bXsos\x1b\\", "\x1b[?1049h", "\x1b7", "\x1bc", "\x1b[38;2;1;2;3m", "\x07", "\x00", "\x7f",
	"\u0085", "\u009b", "\u009b31m"[:2], "\u202e", "\u2066", "\u200f", "\u061c", "\x1b[0m\x1b]0;\x07\u202e",
}

func FuzzLine(f *testing.F) {
	for _, s := range []string{"", "Ann", nasty, "日本語 👩‍👩‍👧", "\x9b31m", "\xc3\x1b[2J", "a\nb\tc", "\x1b]0;open", "\u202eabc\u202c"} {
		f.Add(s, "tail", byte(0))
	}
	f.Add("Zoë", "Ångström", byte(2))
	f.Add("", "", byte(5))
	f.Fuzz(checkLine)
}

// TestLineRandom runs FuzzLine's checks on a bounded number of random
// strings drawn mostly from the bytes that matter (ESC, C0, C1, the
// sequences' introducers and terminators, UTF-8 lead bytes), so that every
// go test explores beyond the seeds. go test -fuzz=FuzzLine goes further.
func TestLineRandom(t *testing.T) {
	alphabet := []string{"\x1b", "[", "]", "P", "_", "^", "X", "\\", "\x07", ";", "0", "2", "J", "m", "\n", "\t", "\r",
		"\x00", "\x7f", "\x9b", "\x9c", "\xc2", "\xe2", "\x80", "\xae", "\u202e", "\u2069", "\u009b", "\u0085",
		"a", "Z", " ", "é", "日", "👩", "\u200d", "\ufe0f", "\u0301", "🇯", "…"}
	rng := rand.New(rand.NewPCG(9, 9))
	n := 3000
	if testing.Short() {
		n = 300
	}
	for range n {
		var a, b strings.Builder
		for range rng.IntN(24) {
			a.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		for range rng.IntN(8) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		checkLine(t, a.String(), b.String(), byte(rng.IntN(256)))
	}
}

func checkLine(t *testing.T, a, b string, k byte) {
	{
		for _, in := range []string{a, a + b} {
			out := Line(in)
			checkInert(t, in, out, false)
			if Line(out) != out {
				t.Fatalf("Line(%q) = %q, not a fixed point", in, out)
			}
			// Nothing left open: text after it keeps its cells.
			if w := ansi.StringWidth(out); ansi.StringWidth(out+"|") != w+1 || ansi.Strip(out+"|") != out+"|" {
				t.Fatalf("Line(%q) = %q: a following | is not one more cell", in, out)
			}
			txt := Text(in)
			checkInert(t, in, txt, true)
			if Line(txt) != out {
				t.Fatalf("Line(Text(%q)) = %q, want Line's %q", in, Line(txt), out)
			}
			for _, w := range []int{1, 2, 5, 17} {
				if p := Pad(in, w); ansi.StringWidth(p) != w {
					t.Fatalf("Pad(%q, %d) = %q, %d cells", in, w, p, ansi.StringWidth(p))
				}
				if p := Truncate(in, w); ansi.StringWidth(p) > w {
					t.Fatalf("Truncate(%q, %d) = %q, %d cells", in, w, p, ansi.StringWidth(p))
				}
			}
		}
		// A complete sequence between two inert strings is removed and the
		// width is the printable text's.
		x, y := Line(a), Line(b)
		seq := sequences[int(k)%len(sequences)]
		if got := Line(x + seq + y); got != x+y || Width(x+seq+y) != ansi.StringWidth(x+y) {
			t.Fatalf("Line(%q + %q + %q) = %q, want %q", x, seq, y, got, x+y)
		}
	}
}

func checkInert(t *testing.T, in, out string, multiline bool) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Fatalf("(%q) = %q: invalid UTF-8", in, out)
	}
	for _, r := range out {
		if (Control(r) && !(multiline && r == '\n')) || r == 0x1b {
			t.Fatalf("(%q) = %q holds %U", in, out, r)
		}
	}
	if ansi.Strip(out) != out {
		t.Fatalf("(%q) = %q holds an escape sequence", in, out)
	}
}

// Text that is already inert comes back as it is, without a copy: a row
// of padded cells is padded again on every frame.
func TestInertTextIsNotCopied(t *testing.T) {
	for _, s := range []string{"Walter Skinner", "Contact 0000001 Núñez", "日本語 👩‍👩‍👧 🇯🇵", Line(nasty)} {
		if n := testing.AllocsPerRun(100, func() { _ = Line(s); _ = Text(s) }); n != 0 {
			t.Errorf("Line(%q) allocates %v times", s, n)
		}
		if got := Pad(s, 40); Pad(got, 40) != got {
			t.Errorf("Pad(Pad(%q)) changed it", s)
		}
	}
}

// Cutting a cell to its column allocates only the cut text: every row of
// every frame can be cut.
func TestCutAllocatesOnlyTheResult(t *testing.T) {
	for _, s := range []string{"San Francisco area, CA for 415", "Contact 0000001 Núñez of Acme Corporation"} {
		if n := testing.AllocsPerRun(100, func() { _ = Truncate(s, 20) }); n > 1 {
			t.Errorf("Truncate(%q, 20) allocates %v times", s, n)
		}
	}
}

func TestCSVCell(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Walter", "Walter"},
		{"", ""},
		{"=1+1", "'=1+1"},
		{"+14155550100", "'+14155550100"},
		{"-5", "'-5"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\x1b[0m=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"},
		{"a=b", "a=b"},
		{"two\r\nlines\x1b]0;t\x07", "two\nlines"},
		{"'quoted", "'quoted"},
	} {
		got := CSVCell(c.in)
		if got != c.want {
			t.Errorf("CSVCell(%q) = %q, want %q", c.in, got, c.want)
		}
		if back := UnCSVCell(got); back != Text(c.in) {
			t.Errorf("UnCSVCell(%q) = %q, want %q", got, back, Text(c.in))
		}
	}
}
