package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/store"
)

// complete runs the shell's `dialer __complete ARGS...` and returns the
// candidates it printed (each "value" or "value\tdescription"), without
// the directive line that ends them.
func complete(t *testing.T, dataDir string, args ...string) []string {
	t.Helper()
	code, out, errOut := runCLI(t, dataDir, append([]string{"__complete"}, args...)...)
	if code != 0 {
		t.Fatalf("__complete %q: exit %d, stderr %q", args, code, errOut)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[len(lines)-1], ":") {
		t.Fatalf("__complete %q: no directive line:\n%s", args, out)
	}
	var got []string
	for _, l := range lines[:len(lines)-1] {
		if l != "" {
			got = append(got, l)
		}
	}
	return got
}

// values drops the descriptions of candidates.
func values(cands []string) []string {
	out := make([]string, len(cands))
	for i, c := range cands {
		out[i], _, _ = strings.Cut(c, "\t")
	}
	return out
}

// seedNamed writes contacts named as given (with phones +1212555NNNN by
// position) and returns them.
func seedNamed(t *testing.T, path string, names ...string) []dialer.Contact {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2026, 11, 2, 17, 4, 5, 0, time.UTC)
	var out []dialer.Contact
	for i, name := range names {
		c, err := db.CreateContact(ctx, dialer.Contact{Name: name, Phone: fmt.Sprintf("+1212555%04d", i), CreatedAt: now, UpdatedAt: now})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

func TestCompleteContactIDs(t *testing.T) {
	dir := t.TempDir()
	names := []string{"Walter Skinner"}
	for i := 2; i <= 120; i++ {
		names = append(names, fmt.Sprintf("Contact %d", i))
	}
	seedNamed(t, filepath.Join(dir, "dialer.db"), names...)

	got := complete(t, dir, "call", "--contact", "")
	if len(got) != completionLimit || got[0] != "1\tWalter Skinner (+12125550000)" || values(got)[9] != "10" {
		t.Errorf("call --contact '': %d candidates, want the first %d ids with names:\n%s", len(got), completionLimit, strings.Join(got, "\n"))
	}
	got = values(complete(t, dir, "call", "--contact", "1"))
	want := []string{"1"}
	for id := 10; id <= 19; id++ {
		want = append(want, fmt.Sprint(id))
	}
	for id := 100; id <= 120; id++ {
		want = append(want, fmt.Sprint(id))
	}
	if !slices.Equal(got, want) {
		t.Errorf("call --contact 1: %v, want %v", got, want)
	}
	// calls list --contact too; an argument that is no id offers nothing.
	if got := values(complete(t, dir, "calls", "list", "--contact", "11")); !slices.Equal(got, []string{"11", "110", "111", "112", "113", "114", "115", "116", "117", "118", "119"}) {
		t.Errorf("calls list --contact 11: %v", got)
	}
	for _, typed := range []string{"x", "0", "-1", "+1"} {
		if got := complete(t, dir, "call", "--contact", typed); len(got) != 0 {
			t.Errorf("call --contact %q: %v, want nothing", typed, got)
		}
	}
	// The global --db is honoured.
	other := filepath.Join(t.TempDir(), "other.db")
	seedNamed(t, other, "Dana Scully")
	if got := complete(t, dir, "--db", other, "call", "--contact", ""); len(got) != 1 || got[0] != "1\tDana Scully (+12125550000)" {
		t.Errorf("--db %s call --contact '': %v", other, got)
	}
}

func TestCompleteContactPhones(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "dialer.db")
	seedNamed(t, path, "Walter Skinner", "Eve\x1b]0;pwned\x07 Evil", "Fox Mulder")
	ctx := context.Background()
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	for _, c := range []dialer.Contact{{Name: "Hedy Lamarr", Phone: "+13105550133"}} {
		c.CreatedAt, c.UpdatedAt = now, now
		if _, err := db.CreateContact(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	got := complete(t, dir, "call", "--to", "+1212")
	want := []string{"+12125550000\tWalter Skinner", "+12125550001\tEve Evil", "+12125550002\tFox Mulder"}
	if !slices.Equal(got, want) {
		t.Errorf("call --to +1212:\n%q\nwant (phone order, each contact's name, inert)\n%q", got, want)
	}
	if got := values(complete(t, dir, "call", "--to", "")); len(got) != 4 || got[3] != "+13105550133" {
		t.Errorf("call --to '': %v", got)
	}
	if got := complete(t, dir, "call", "--to", "+44"); len(got) != 0 {
		t.Errorf("call --to +44: %v", got)
	}
}

func TestCompleteReleaseNumbersAndStatuses(t *testing.T) {
	dir := t.TempDir()
	seed(t, filepath.Join(dir, "dialer.db")) // one active number, one failed purchase
	if got := complete(t, dir, "numbers", "release", ""); !slices.Equal(got, []string{"+14155550100\ton-demand, area code 415"}) {
		t.Errorf("numbers release '': %q", got)
	}
	if got := complete(t, dir, "numbers", "release", "+1212"); len(got) != 0 {
		t.Errorf("numbers release +1212: %q", got)
	}
	if got := complete(t, dir, "numbers", "release", "+14155550100", ""); len(got) != 0 {
		t.Errorf("a second NUMBER: %q", got)
	}
	got := values(complete(t, dir, "numbers", "list", "--status", ""))
	if !slices.Equal(got, []string{"pending", "active", "past_due", "canceling", "released", "failed"}) {
		t.Errorf("numbers list --status: %v", got)
	}
	for _, s := range got {
		if !dialer.NumberStatus(s).Valid() {
			t.Errorf("--status candidate %q is refused by numbers list", s)
		}
	}
	if got := values(complete(t, dir, "call", "--confirm", "")); !slices.Equal(got, []string{"terminal", "auto", "keypad"}) {
		t.Errorf("call --confirm: %v", got)
	}
}

// Completion without a database offers nothing, creates nothing and says
// nothing on stderr beyond cobra's own note.
func TestCompleteWithoutADatabase(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := runCLI(t, dir, "__complete", "call", "--contact", "")
	if code != 0 || !strings.HasPrefix(out, ":") || strings.Contains(errOut, "SANDBOX") || strings.Contains(errOut, "dialer:") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("completion wrote into the data directory: %v", entries)
	}
}

func TestIDsWithPrefix(t *testing.T) {
	count := func(bs [][]int64) (n int) {
		for _, b := range bs {
			if len(b) > contactBatch {
				t.Errorf("batch of %d ids", len(b))
			}
			n += len(b)
		}
		return n
	}
	if bs, ok := idsWithPrefix(""); !ok || count(bs) != 9999 || bs[0][0] != 1 {
		t.Errorf("'': %d ids, ok %v", count(bs), ok)
	}
	if bs, ok := idsWithPrefix("7"); !ok || count(bs) != 1111 || bs[0][0] != 7 || bs[0][1] != 70 {
		t.Errorf("7: %d ids, ok %v", count(bs), ok)
	}
	// The largest id is offered; nothing past it.
	if bs, ok := idsWithPrefix(fmt.Sprint(int64(math.MaxInt64))); !ok || count(bs) != 1 || bs[0][0] != math.MaxInt64 {
		t.Errorf("MaxInt64: %v, ok %v", bs, ok)
	}
	if bs, ok := idsWithPrefix("92233720368547758"); !ok || slices.ContainsFunc(bs, func(b []int64) bool { return slices.ContainsFunc(b, func(id int64) bool { return id < 0 }) }) {
		t.Errorf("near MaxInt64: overflowed into %v", bs)
	}
}

func TestCompletionScriptsManPageAndVersion(t *testing.T) {
	dir := t.TempDir()
	for shell, want := range map[string]string{"bash": "__start_dialer", "zsh": "#compdef dialer", "fish": "complete -c dialer"} {
		code, out, errOut := runCLI(t, dir, "completion", shell)
		if code != 0 || !strings.Contains(out, want) || !strings.Contains(out, "__complete") {
			t.Errorf("completion %s: exit %d, stderr %q, script lacks %q", shell, code, errOut, want)
		}
	}
	code, out, _ := runCLI(t, dir, "man")
	if code != 0 || !strings.HasPrefix(out, ".TH DIALER 1") || !strings.Contains(out, "numbers") || !strings.Contains(out, "EXIT STATUS") {
		t.Errorf("man: exit %d\n%.400s", code, out)
	}
	if _, help, _ := runCLI(t, dir, "--help"); regexp.MustCompile(`(?m)^\s+man\s`).MatchString(help) {
		t.Errorf("the man command is listed in --help:\n%s", help)
	}
	_, version, _ := runCLI(t, dir, "version")
	code, out, _ = runCLI(t, dir, "--version")
	if code != 0 || out != version || !strings.HasPrefix(out, "dialer ") {
		t.Errorf("--version: exit %d, %q; version prints %q", code, out, version)
	}
}

// BenchmarkCompleteWithAMillionContacts measures one Tab (run of
// `dialer __complete ...`, without the process start) with 1,000,000
// contacts in the database: contact ids by prefix, and phone numbers by
// prefix (common and absent).
func BenchmarkCompleteWithAMillionContacts(b *testing.B) {
	dir := b.TempDir()
	seedContacts(b, dir, 1_000_000)
	envv := map[string]string{"HOME": dir, "DIALER_DATA_DIR": dir}
	for _, args := range [][]string{
		{"call", "--contact", ""},
		{"call", "--contact", "12"},
		{"call", "--to", "+1415"},
		{"call", "--to", "+1999"},
	} {
		b.Run(strings.Join(args[1:], "="), func(b *testing.B) {
			var out strings.Builder
			for b.Loop() {
				out.Reset()
				code := run(context.Background(), append([]string{"__complete"}, args...), strings.NewReader(""), &out, io.Discard, func(k string) string { return envv[k] })
				if code != 0 {
					b.Fatalf("exit %d", code)
				}
			}
			if n := strings.Count(out.String(), "\n") - 1; args[2] != "+1999" && n != completionLimit {
				b.Fatalf("%d candidates, want %d:\n%s", n, completionLimit, out.String())
			}
		})
	}
}

// CONTACT arguments complete live contacts' ids (with names) and, after a
// "+", their phones; --list and --unlist complete list names.
func TestCompleteContactArgsAndLists(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "dialer.db")
	cs := seedNamed(t, path, "Walter Skinner", "Eve\x1b]0;pwned\x07 Evil", "Fox Mulder", "Dana Scully")
	ctx := context.Background()
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	for list, members := range map[string][]int64{"October": {cs[0].ID, cs[2].ID}, "Octopus": {cs[1].ID}, "VIP": {cs[3].ID}} {
		if err := db.AddToList(ctx, list, members, now); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.DeleteContact(ctx, cs[2].ID, now); err != nil { // Fox: no longer offered
		t.Fatal(err)
	}
	db.Close()

	want := []string{"1\tWalter Skinner (+12125550000)", "2\tEve Evil (+12125550001)", "4\tDana Scully (+12125550003)"}
	for _, args := range [][]string{
		{"contacts", "show", ""}, {"contacts", "edit", ""}, {"contacts", "rm", ""},
		{"callbacks", "add", ""}, {"callbacks", "cancel", ""},
	} {
		if got := complete(t, dir, args...); !slices.Equal(got, want) {
			t.Errorf("%q:\n%q\nwant\n%q", args, got, want)
		}
	}
	if got := complete(t, dir, "contacts", "show", "2"); !slices.Equal(got, want[1:2]) {
		t.Errorf("contacts show 2: %q", got)
	}
	if got := complete(t, dir, "callbacks", "add", "+121255500"); !slices.Equal(got, []string{
		"+12125550000\tWalter Skinner", "+12125550001\tEve Evil", "+12125550003\tDana Scully"}) {
		t.Errorf("callbacks add +121255500: %q", got)
	}
	for _, args := range [][]string{{"contacts", "show", "1", ""}, {"contacts", "show", "x"}, {"contacts", "show", "+44"}} {
		if got := complete(t, dir, args...); len(got) != 0 {
			t.Errorf("%q: %q, want nothing", args, got)
		}
	}

	lists := []string{"October\t1 contact", "Octopus\t1 contact", "VIP\t1 contact"} // Fox left October with his deletion
	for _, args := range [][]string{
		{"contacts", "list", "--list", ""}, {"contacts", "add", "--list", ""}, {"contacts", "edit", "1", "--list", ""}, {"contacts", "edit", "1", "--unlist", ""},
	} {
		if got := complete(t, dir, args...); !slices.Equal(got, lists) {
			t.Errorf("%q:\n%q\nwant\n%q", args, got, lists)
		}
	}
	if got := values(complete(t, dir, "contacts", "list", "--list", "Oct")); !slices.Equal(got, []string{"October", "Octopus"}) {
		t.Errorf("--list Oct: %q", got)
	}
}
