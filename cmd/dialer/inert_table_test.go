package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"text/tabwriter"

	"github.com/charmbracelet/x/ansi"
)

// For plain ASCII the table writes what text/tabwriter wrote (padding 2,
// left or right aligned): the commands' output is unchanged but for wide
// text.
func TestTableMatchesTabwriterForASCII(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	words := []string{"", "-", "ID", "Walter Skinner", "0.0140 USD", "completed 1m2s 0.028", "+14155550100", "x"}
	for range 300 {
		cols := 1 + rng.IntN(7)
		for _, right := range []bool{false, true} {
			var tb table
			tb.right = right
			var want bytes.Buffer
			var flags uint
			if right {
				flags = tabwriter.AlignRight
			}
			tw := tabwriter.NewWriter(&want, 0, 0, 2, ' ', flags)
			for range 1 + rng.IntN(5) {
				cells := make([]string, cols)
				for i := range cells {
					cells[i] = words[rng.IntN(len(words))]
				}
				tb.row(cells...)
				fmt.Fprintln(tw, strings.Join(cells, "\t"))
			}
			tw.Flush()
			var got bytes.Buffer
			if err := tb.flush(&got); err != nil {
				t.Fatal(err)
			}
			if got.String() != want.String() {
				t.Fatalf("right=%v:\n%q\nwant (tabwriter)\n%q", right, got.String(), want.String())
			}
		}
	}
}

// Wide names keep every row's later columns at the same cell, and escape
// sequences in a cell are not written.
func TestTableAlignsWideTextAndShowsItInert(t *testing.T) {
	var tb table
	tb.row("ID", "CONTACT", "OUTCOME", "TOTAL")
	tb.row("1", "Walter Skinner", "answered", "0.03 USD")
	tb.row("2", "山田太郎", "busy", "0.01 USD")
	tb.row("3", "👩‍👩‍👧 family", "no answer", "-")
	tb.row("4", "\x1b]0;pwned\x07Ann\x1b[2J\x1b[31m\u202eX", "voicemail", "pending")
	var b bytes.Buffer
	tb.flush(&b)
	out := b.String()
	if strings.ContainsAny(out, "\x1b\x07\u202e") {
		t.Errorf("control characters written: %q", out)
	}
	col := -1
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		i := -1 // where the third column starts
		for _, o := range []string{"OUTCOME", "answered", "busy", "no answer", "voicemail"} {
			if j := strings.Index(line, o); j >= 0 {
				i = j
			}
		}
		c := ansi.StringWidth(line[:i])
		if col == -1 {
			col = c
		}
		if c != col {
			t.Errorf("outcome at cell %d, not %d:\n%s", c, col, out)
		}
	}
}
