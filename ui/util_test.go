package ui

import (
	"slices"
	"testing"

	"charm.land/bubbles/v2/key"

	"github.com/dialer-dev/dialer/dialer"
)

func TestSharedBindingsRenderAsTheHandWrittenOnes(t *testing.T) {
	k := DefaultKeyMap()
	for _, c := range []struct {
		got  key.Binding
		keys string
		desc string
	}{{k.Save, "enter", "save"}, {k.Cancel, "esc", "cancel"}} {
		want := hint(c.keys, c.desc)
		if !slices.Equal(c.got.Keys(), want.Keys()) || c.got.Help() != want.Help() || c.got.Enabled() != want.Enabled() {
			t.Errorf("%v/%v, want %v/%v", c.got.Keys(), c.got.Help(), want.Keys(), want.Help())
		}
	}
}

func TestDetailRowsFor(t *testing.T) {
	for h := 0; h <= 100; h++ {
		detailH := 0 // the rule as contacts' view and listRowsFor each wrote it
		if h >= 16 {
			detailH = min(8, h/3)
		}
		if detailRowsFor(h) != detailH || listRowsFor(h) != max(1, h-2-detailH) {
			t.Errorf("h=%d: detail %d, list %d", h, detailRowsFor(h), listRowsFor(h))
		}
	}
}

func TestOutcomeText(t *testing.T) {
	if got := dialer.Outcome("no_answer").Phrase(); got != "no answer" {
		t.Errorf("Phrase(no_answer) = %q", got)
	}
}

func TestPhoneCacheFormatsAsNationalFormat(t *testing.T) {
	c := phoneCache{}
	for _, n := range []string{"+14155552671", "+442079460958", "not a number", "", "+14155552671"} {
		if got, want := c.format(n), nationalFormat(n); got != want {
			t.Errorf("format(%q) = %q, want %q", n, got, want)
		}
		if got, want := phoneCache(nil).format(n), nationalFormat(n); got != want {
			t.Errorf("nil cache: format(%q) = %q, want %q", n, got, want)
		}
	}
	if len(c) != 4 {
		t.Errorf("%d numbers cached, want 4", len(c))
	}
}
