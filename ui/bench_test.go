package ui

import (
	"context"
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/dialer/search"
)

// BenchmarkContactsView draws the contacts screen with 1,000,000 contacts
// in the index: a frame costs the visible rows, whatever the list size.
func BenchmarkContactsView(b *testing.B) {
	for _, n := range []int{1_000, 1_000_000} {
		b.Run(fmt.Sprintf("contacts=%d", n), func(b *testing.B) {
			es := make([]search.Entry, n)
			for i := range es {
				es[i] = search.Entry{ID: int64(i + 1), Name: fmt.Sprintf("Contact %07d Núñez", i), Company: "Acme", Phone: fmt.Sprintf("+1212555%04d", i%10000)}
			}
			ix, dir := search.New(n), search.NewDirectory(n)
			ix.AddBatch(es)
			dir.AddBatch(es)
			m := New(Deps{Index: ix, Directory: dir, Agent: dialer.Agent{Name: "A", Phone: "+12025550199"}, Context: context.Background()})
			mm, _ := m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
			_, res, err := search.NewSearcher(ix).Query(context.Background(), "", resultLimit)
			if err != nil {
				b.Fatal(err)
			}
			mm, _ = mm.Update(searchMsg{s: mm.(Model).contacts.searcher, gen: 0, res: res})
			if !strings.Contains(mm.View().Content, "Contact 0000000") {
				b.Fatal("the frame shows no contacts")
			}
			for i := 0; i < 500; i++ { // somewhere down the list
				mm, _ = mm.Update(tea.KeyPressMsg{Code: tea.KeyDown})
			}
			b.ReportAllocs()
			for b.Loop() {
				_ = mm.View()
			}
		})
	}
}

// BenchmarkNumbersView draws the inventory screen, a frame of 36 rows.
func BenchmarkNumbersView(b *testing.B) {
	var ns []dialer.Number
	for i := range 60 {
		ns = append(ns, dialer.Number{ID: int64(i + 1), PhoneNumber: fmt.Sprintf("+1415555%04d", i), Status: dialer.StatusActive,
			Kind: dialer.OnDemand, AreaCode: "415", ServesAreaCode: "415", Region: "CA"})
	}
	m := New(Deps{Agent: dialer.Agent{Name: "A", Phone: "+12025550199"}, Context: context.Background()})
	mm, _ := m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	mm, _ = mm.Update(numbersMsg{numbers: ns, max: 100})
	mm, _ = mm.Update(tea.KeyPressMsg{Code: tea.KeyTab})
	if s := mm.View().Content; !strings.Contains(s, "(415) 555-0001") {
		b.Fatalf("not the numbers screen:\n%s", s)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = mm.View()
	}
}

// BenchmarkCallView draws a live call's frame (the spinner redraws it).
func BenchmarkCallView(b *testing.B) {
	m := New(Deps{Agent: dialer.Agent{Name: "A", Phone: "+12025550199"}, Context: context.Background()})
	mm, _ := m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	c := newCall(startCallMsg{contact: dialer.Contact{ID: 1, Name: "Walter Skinner", Phone: "+12125550143"}}, m.d)
	c.stage = stageLive
	c.preview = previewMsg{area: dialer.Phone{E164: "+12125550143", AreaCode: "212"}}
	c.number = &dialer.Number{PhoneNumber: "+12125550100", ServesAreaCode: "212"}
	root := mm.(Model)
	root.call = &c
	if s := root.View().Content; !strings.Contains(s, "(212) 555-0100") {
		b.Fatalf("not the call screen:\n%s", s)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = root.View()
	}
}
