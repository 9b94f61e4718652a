package main

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/dialer-dev/dialer/dialer/display"
)

// table lays rows out in columns by the cells their text takes on a
// terminal, two spaces apart, as text/tabwriter does for plain ASCII.
// tabwriter counts runes: a CJK name or an emoji pushed the rest of its row
// out of place. Every cell is made inert (display.Line): contact and agent
// names, notes and provider text are shown, never obeyed.
//
// Each row's cells but its last are padded to their column's width; the
// last is written as it is (end a row with "" to pad them all).
type table struct {
	rows  [][]string
	right bool // pad on the left: every column aligned right
}

func (t *table) row(cells ...string) {
	r := make([]string, len(cells))
	for i, c := range cells {
		r[i] = display.Line(c)
	}
	t.rows = append(t.rows, r)
}

func (t *table) flush(w io.Writer) error {
	var widths []int
	for _, r := range t.rows {
		for i := range len(r) - 1 {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], display.Width(r[i]))
		}
	}
	var b strings.Builder
	for _, r := range t.rows {
		for i, c := range r {
			switch {
			case i == len(r)-1:
				b.WriteString(c)
			case t.right:
				b.WriteString(display.PadLeft(c, widths[i]+2))
			default:
				b.WriteString(display.Pad(c, widths[i]+2))
			}
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// inertJSON escapes, as \uXXXX, the runes encoding/json writes raw that a
// terminal would obey: C1 controls, DEL and bidi controls. They can only be
// inside strings, where the escape means the same rune: a script reads the
// data as stored, and a person who prints it sees it inert. (encoding/json
// already escapes the other C0 controls, U+2028 and U+2029; the "\n" it
// indents with stays.)
func inertJSON(b []byte) []byte {
	obeyed := func(r rune) bool { return r != '\n' && display.Control(r) }
	if bytes.IndexFunc(b, obeyed) < 0 {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if obeyed(r) {
			out = fmt.Appendf(out, "\\u%04x", r)
		} else {
			out = append(out, b[:size]...)
		}
		b = b[size:]
	}
	return out
}
