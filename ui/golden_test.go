package ui

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/dialer-dev/dialer/dialer"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// golden compares a frame with testdata/<name>.golden: View().Content as
// the terminal receives it, styles included.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./ui -run Golden -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file; plain text now:\n%s", name, ansi.Strip(got))
	}
}

func TestGoldenScreens(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		w, h := size[0], size[1]
		t.Run(strings.Join([]string{itoa(w), itoa(h)}, "x"), func(t *testing.T) {
			first := newDriver(t, New(testDeps(t, dialer.Agent{})), w, h)
			first.until("Welcome to dialer")
			golden(t, "setup-"+itoa(w)+"x"+itoa(h), first.m.View().Content)

			d := newDriver(t, New(testDeps(t, agent)), w, h)
			d.until("Walter Skinner")
			d.until("No calls yet.") // the detail pane
			// Tab walks the screens (digits would be typed into the search).
			for _, name := range []string{"contacts", "numbers", "calls", "settings", "team"} {
				d.settle(50*time.Millisecond, 2*time.Second)
				golden(t, name+"-"+itoa(w)+"x"+itoa(h), d.m.View().Content)
				d.keys("tab")
			}
			d.until("1 of 4")
			d.typeText("zoe")
			d.until("1 of 1")
			d.keys("enter")
			d.until("will be bought")
			golden(t, "call-preview-"+itoa(w)+"x"+itoa(h), d.m.View().Content)
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// The contacts screen's dialogs: the new-contact form with a refused phone,
// the edit form, the delete confirmation, the do-not-call reason and the
// list picker.
func TestGoldenContactDialogs(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		w, h := size[0], size[1]
		t.Run(itoa(w)+"x"+itoa(h), func(t *testing.T) {
			noPoll(t)
			deps := testDeps(t, agent)
			walter, _ := deps.Store.ContactByPhone(context.Background(), people[0].Phone)
			if err := deps.Store.AddToList(context.Background(), "Federal", []int64{walter.ID}, fixedNow); err != nil {
				t.Fatal(err)
			}
			d := newDriver(t, New(deps), w, h)
			browse(t, d)
			sz := "-" + itoa(w) + "x" + itoa(h)
			d.keys("a")
			d.typeText("Mina Harker")
			d.keys("tab")
			d.typeText("+1 800 225 5288")
			d.keys("enter")
			d.until("toll-free")
			golden(t, "contact-new"+sz, d.m.View().Content)
			d.keys("esc")
			d.keys("e")
			d.until("Edit Walter Skinner")
			golden(t, "contact-edit"+sz, d.m.View().Content)
			d.keys("esc")
			d.keys("d")
			d.until("Delete Walter Skinner?")
			golden(t, "contact-delete"+sz, d.m.View().Content)
			d.keys("n")
			d.keys("!")
			d.until("Put Walter Skinner on the do-not-call list")
			golden(t, "contact-dnc"+sz, d.m.View().Content)
			d.keys("esc")
			d.keys("l")
			d.until("Federal")
			golden(t, "contact-lists"+sz, d.m.View().Content)
		})
	}
}
