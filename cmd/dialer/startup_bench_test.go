package main

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/store"
)

// seedContacts writes n generated contacts straight into a new database.
func seedContacts(b *testing.B, dir string, n int) {
	b.Helper()
	db, err := store.Open(context.Background(), filepath.Join(dir, "dialer.db"))
	if err != nil {
		b.Fatal(err)
	}
	db.Close()
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "dialer.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	tx, _ := raw.Begin()
	st, err := tx.Prepare(`INSERT INTO contacts (name, phone, company, created_at, updated_at, rev) VALUES (?, ?, ?, ?, ?, ?)`)
	if err != nil {
		b.Fatal(err)
	}
	first := []string{"Ada", "Grace", "Alan", "Zoë", "José", "Margaret", "Linus", "Dana", "Fox", "Walter", "Hedy", "Claude"}
	last := []string{"Lovelace", "Hopper", "Turing", "Ångström", "Núñez", "Hamilton", "Torvalds", "Scully", "Mulder", "Skinner", "Lamarr", "Shannon"}
	co := []string{"Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Wonka"}
	areas := []string{"212", "415", "303", "305", "617", "312", "206", "512"}
	rng := rand.New(rand.NewPCG(1, 2))
	now := time.Now().UTC().Format("2006-01-02T15:04:05.000000Z")
	for i := 0; i < n; i++ {
		name := first[rng.IntN(len(first))] + " " + last[rng.IntN(len(last))]
		// One phone per contact (a live phone belongs to one contact).
		phone := fmt.Sprintf("+1%s%07d", areas[rng.IntN(len(areas))], 2_000_000+i)
		if _, err := st.Exec(name, phone, co[rng.IntN(len(co))]+" "+strconv.Itoa(i%997), now, now, i+1); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkStartupWithAMillionContacts measures, with 1,000,000 contacts in
// the database, the time from opening the program's parts to its first
// frame (the index builds in the background) and the time until the index
// is ready. (The real program's memory is measured by
// BenchmarkTerminalWithAMillionContacts: this process also seeded the
// database.)
func BenchmarkStartupWithAMillionContacts(b *testing.B) {
	dir := b.TempDir()
	seedContacts(b, dir, 1_000_000)
	envv := map[string]string{"HOME": dir, "DIALER_DATA_DIR": dir, "XDG_CONFIG_HOME": dir + "/cfg"}
	e := &env{stdout: os.Stdout, stderr: os.Stderr, getenv: func(k string) string { return envv[k] }}
	snapshot := snapshotPath(filepath.Join(dir, "dialer.db"))
	for _, bc := range []struct {
		name         string
		fromSnapshot bool
	}{{"rows", false}, {"snapshot", true}} {
		b.Run(bc.name, func(b *testing.B) {
			var firstFrame, indexed time.Duration
			for b.Loop() {
				b.StopTimer()
				if !bc.fromSnapshot {
					os.Remove(snapshot)
				}
				ctx, cancel := context.WithCancel(context.Background())
				b.StartTimer()
				start := time.Now()
				a, closeAll, err := openApp(ctx, e)
				if err != nil {
					b.Fatal(err)
				}
				m, ready, err := startUI(ctx, e, a)
				if err != nil {
					b.Fatal(err)
				}
				_ = m.View()
				firstFrame += time.Since(start)
				<-ready
				indexed += time.Since(start)
				b.StopTimer()
				if n := a.index.ix.Len(); n != 1_000_000 {
					b.Fatalf("index holds %d contacts", n)
				}
				if err := a.index.Save(); err != nil { // waits for the save after a build
					b.Fatal(err)
				}
				cancel()
				closeAll()
				b.StartTimer()
			}
			b.ReportMetric(float64(firstFrame.Milliseconds())/float64(b.N), "ms-to-first-frame")
			b.ReportMetric(float64(indexed.Milliseconds())/float64(b.N), "ms-to-index-ready")
		})
	}
}
