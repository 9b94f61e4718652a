package dialer_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/dialer/nanp"
	"github.com/dialer-dev/dialer/store"
	"github.com/dialer-dev/dialer/store/pgtest"
)

// seedInventory writes n active on-demand numbers spread over every area
// code straight into the database at target (a file, a postgres:// URL),
// in one transaction. On PostgreSQL it then analyzes the table, as
// autovacuum soon would: the decision is measured with the plan it has in
// steady state.
func seedInventory(b *testing.B, target string, n int, now time.Time) {
	b.Helper()
	driverName, dsn := "sqlite", "file:"+target+"?_pragma=busy_timeout(5000)"
	if store.IsURL(target) {
		driverName, dsn = "pgx", target // registered by the store's pgx stdlib import
	}
	db, err := sql.Open(driverName, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	// $n placeholders: PostgreSQL's, and SQLite reads $1 as the first argument.
	st, err := tx.Prepare(`INSERT INTO numbers (kind, status, country, phone_number, provider_sid, area_code,
		serves_area_code, region, reserved_until, last_used_at, created_at)
		VALUES ('on_demand', 'active', $1, $2, $3, $4, $5, $6, $7, $8, $9)`)
	if err != nil {
		b.Fatal(err)
	}
	codes := nanp.All()
	ts := func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }
	for i := 0; i < n; i++ {
		ac := codes[i%len(codes)]
		phone := fmt.Sprintf("+1%s%07d", ac.Code, 2000000+i)
		if _, err := st.Exec(ac.Country, phone, fmt.Sprintf("PN%032d", i), ac.Code, ac.Code, ac.Region,
			ts(now.Add(time.Duration(i%14)*24*time.Hour)), ts(now), ts(now)); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	if driverName == "pgx" {
		if _, err := db.Exec("ANALYZE numbers"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAcquireReuse is the Call key's caller-ID decision when the area
// code has a reserved number: one immediate transaction that finds it and
// extends its reservation, with the inventory at the given size.
func BenchmarkAcquireReuse(b *testing.B) {
	for _, size := range []int{1_000, 100_000} {
		b.Run(fmt.Sprintf("inventory=%d", size), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "dialer.db")
			e := newEnvAt(b, path, newFakeNumbers())
			e.settings(func(s *dialer.Settings) { s.MaxNumbers = size * 2 })
			seedInventory(b, path, size, e.clock.Now())
			ctx := context.Background()
			c := contact("+14155550100")
			b.ReportAllocs()
			cpu0, n := processCPU(), 0
			for b.Loop() {
				r, err := e.res.Acquire(ctx, c, nil)
				if err != nil || r.Bought {
					b.Fatalf("%+v %v", r, err)
				}
				n++
			}
			b.ReportMetric(float64((processCPU()-cpu0).Nanoseconds())/float64(n), "cpu-ns/op")
			if e.prov.purchases() != 0 {
				b.Fatalf("bought %d", e.prov.purchases())
			}
		})
	}
}

// BenchmarkCallerIDDecision is the Call key's caller-ID decision for a
// contact whose area code has a reserved number (the common case), with
// 1,000 numbers in the inventory, on SQLite and on PostgreSQL in one run.
// queries/op is the statements the store sent per decision (Options.Queries:
// on PostgreSQL each is a network round trip). op=AcquireArea is the Call
// key's path (settings already loaded for the guards); op=Acquire reads
// the settings too; op=AcquireAreaRotateAtRisk is the Call key's path with
// the rotate_at_risk setting on. op=select is one "SELECT $1 + 0" through
// database/sql and the same driver: the floor of one statement on that engine, for
// reading the others against.
func BenchmarkCallerIDDecision(b *testing.B) {
	const size = 1_000
	for _, eng := range []struct {
		name   string
		target func(*testing.B) string
	}{
		{"sqlite", func(b *testing.B) string { return filepath.Join(b.TempDir(), "dialer.db") }},
		{"postgres", func(b *testing.B) string { return pgtest.URL(b) }},
	} {
		b.Run("engine="+eng.name, func(b *testing.B) {
			target := eng.target(b)
			var q store.QueryCounter
			e := newEnvWith(b, target, newFakeNumbers(), store.Options{Create: true, Queries: &q})
			e.settings(func(s *dialer.Settings) { s.MaxNumbers = size * 2 })
			seedInventory(b, target, size, e.clock.Now())
			ctx := context.Background()
			c := contact("+14155550100")
			area, err := dialer.LocalArea(c)
			if err != nil {
				b.Fatal(err)
			}
			set, err := e.db.Settings(ctx)
			if err != nil {
				b.Fatal(err)
			}
			rotating := set
			rotating.RotateAtRisk = true
			// Warm up first (statement caches and plans, SQLite's WAL file
			// grown to its working size): without it the first op measured
			// ran up to twice as slow as the second.
			for range 3000 {
				if _, err := e.res.AcquireArea(ctx, area, set, nil); err != nil {
					b.Fatal(err)
				}
			}
			for _, op := range []struct {
				name string
				run  func() (dialer.Reservation, error)
			}{
				{"AcquireArea", func() (dialer.Reservation, error) { return e.res.AcquireArea(ctx, area, set, nil) }},
				{"Acquire", func() (dialer.Reservation, error) { return e.res.Acquire(ctx, c, nil) }},
				// rotate_at_risk on: the number is judged (its usage read)
				// before it is reused.
				{"AcquireAreaRotateAtRisk", func() (dialer.Reservation, error) { return e.res.AcquireArea(ctx, area, rotating, nil) }},
			} {
				b.Run("op="+op.name, func(b *testing.B) {
					b.ReportAllocs()
					q0, cpu0, n := q.Load(), processCPU(), 0
					for b.Loop() {
						r, err := op.run()
						if err != nil || r.Bought || r.Number.AreaCode != "415" {
							b.Fatalf("%+v %v", r, err)
						}
						n++
					}
					b.ReportMetric(float64(q.Load()-q0)/float64(n), "queries/op")
					b.ReportMetric(float64((processCPU()-cpu0).Nanoseconds())/float64(n), "cpu-ns/op")
				})
			}
			if e.prov.purchases() != 0 {
				b.Fatalf("bought %d", e.prov.purchases())
			}
			b.Run("op=select", func(b *testing.B) {
				driverName, dsn := "sqlite", "file:"+target
				if store.IsURL(target) {
					driverName, dsn = "pgx", target
				}
				db, err := sql.Open(driverName, dsn)
				if err != nil {
					b.Fatal(err)
				}
				defer db.Close()
				b.ReportAllocs()
				for b.Loop() {
					var v int
					if err := db.QueryRowContext(ctx, "SELECT $1 + 0", 1).Scan(&v); err != nil || v != 1 {
						b.Fatal(v, err)
					}
				}
				b.ReportMetric(1, "queries/op")
			})
		})
	}
}

// BenchmarkSimulatedMonth places 50,000 calls over 30 days across 300 area
// codes whose popularity follows a Zipf law (s=1.4, seeded), sweeping hourly,
// and reports what the month cost: numbers bought and fees.
func BenchmarkSimulatedMonth(b *testing.B) {
	const (
		calls = 50_000
		areas = 300
		days  = 30
	)
	var codes []string // area codes with a number libphonenumber accepts
	for _, ac := range nanp.All() {
		if p := validPhone(ac.Code); p != "" && len(codes) < areas {
			codes = append(codes, p[:len(p)-4])
		}
	}
	for b.Loop() {
		b.StopTimer()
		e := newEnv(b)
		e.settings(func(s *dialer.Settings) { s.MaxNumbers = areas * 2 })
		rng := rand.New(rand.NewPCG(2026, 11))
		zipf := rand.NewZipf(rng, 1.4, 1, areas-1)
		times := make([]time.Duration, calls)
		for i := range times {
			times[i] = time.Duration(rng.Int64N(int64(days * 24 * time.Hour)))
		}
		sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
		t0 := e.clock.Now()
		ctx := context.Background()
		b.StartTimer()

		start, cpu0 := time.Now(), processCPU()
		nextSweep := time.Hour
		released := 0
		for i, at := range times {
			for at >= nextSweep {
				e.clock.Set(t0.Add(nextSweep))
				sw, err := e.res.Sweep(ctx)
				if err != nil {
					b.Fatal(err)
				}
				released += len(sw.Released)
				nextSweep += time.Hour
			}
			e.clock.Set(t0.Add(at))
			prefix := codes[zipf.Uint64()]
			if _, err := e.res.Acquire(ctx, contact(fmt.Sprintf("%s%04d", prefix, 100+i%100)), nil); err != nil {
				b.Fatal(err)
			}
		}
		wall, cpu := time.Since(start), processCPU()-cpu0

		b.StopTimer()
		fees := dialer.Money{}
		for _, c := range e.charges() {
			fees, _ = fees.Add(c.Amount)
		}
		b.ReportMetric(float64(e.prov.purchases()), "bought")
		b.ReportMetric(float64(released), "released")
		b.ReportMetric(float64(fees.Amount)/dialer.AmountScale, "fees_USD")
		b.ReportMetric(wall.Seconds(), "wall_s")
		b.ReportMetric(cpu.Seconds(), "cpu_s")
		b.ReportMetric(float64(wall.Microseconds())/calls, "µs/call")
		if fees.Amount != dialer.Amount(e.prov.purchases())*dialer.AmountScale {
			b.Fatalf("fees %s for %d purchases", fees, e.prov.purchases())
		}
		b.StartTimer()
	}
}

// validPhone finds a number in area code ac that libphonenumber accepts
// (some codes accept only their assigned exchanges).
func validPhone(ac string) string {
	for exch := 200; exch <= 999; exch++ {
		p := fmt.Sprintf("+1%s%03d0100", ac, exch)
		if ph, err := dialer.ParsePhone(p); err == nil && ph.AreaCode == ac {
			return p
		}
	}
	return ""
}
