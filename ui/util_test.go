package ui

import (
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// padLoop is pad as it was first written: one space at a time.
func padLoop(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if ansi.StringWidth(s) > w {
		return ansi.Truncate(s, w, "…")
	}
	for ansi.StringWidth(s) < w {
		s += " "
	}
	return s
}

func TestPadMatchesLoop(t *testing.T) {
	for _, s := range []string{"", "a", "NAME", "Contact 0000001 Núñez", "日本語テキスト", "emoji 👍 ok", "(415) 555-2671", "\x1b[1mbold\x1b[0m"} {
		for w := -1; w <= 30; w++ {
			if got, want := pad(s, w), padLoop(s, w); got != want {
				t.Errorf("pad(%q, %d) = %q, want %q", s, w, got, want)
			}
		}
	}
}
