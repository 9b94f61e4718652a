package store

import (
	"context"
	"database/sql"
	"testing"

	"github.com/dialer-dev/dialer/dialer"
)

// Options.Queries counts each statement sent to the database, at the
// driver (pgx's tracer; the SQLite driver interface), on both engines:
// what a benchmark reports as queries per operation. Here each step's count
// follows from the SQL it runs, not from the store's code.
func TestQueryCounterCountsStatements(t *testing.T) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			ctx := context.Background()
			var q QueryCounter
			db, err := OpenWith(ctx, e.target(t), Options{Create: true, Queries: &q})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if q.Load() == 0 {
				t.Fatal("opening the database (its migrations) counted no statement")
			}
			cl, err := db.ClaimNumber(ctx, dialer.ClaimRequest{Country: "US", AreaCode: "415", Now: t0, MaxNumbers: 10})
			if err != nil {
				t.Fatal(err)
			}
			id := cl.Number.ID
			price := dialer.Money{Amount: 1_150_000, Currency: "USD"}
			pg := func(postgres, sqlite int64) int64 {
				if db.Engine() == Postgres {
					return postgres
				}
				return sqlite
			}
			// A statement of no store method (the hot ones are prepared
			// when the store opens: prepared.go).
			phoneOf := func() error {
				var p sql.NullString
				return db.db.QueryRowContext(ctx, "SELECT phone_number FROM numbers WHERE id = ?", id).Scan(&p)
			}
			prepared := func() error {
				st, err := db.db.PrepareContext(ctx, "SELECT count(*) FROM numbers WHERE id = ?")
				if err != nil {
					return err
				}
				defer st.Close()
				for range 2 {
					var n int
					if err := st.QueryRowContext(ctx, id).Scan(&n); err != nil {
						return err
					}
					if n != 1 {
						t.Errorf("prepared count: %d rows, want 1", n)
					}
				}
				return nil
			}
			for _, step := range []struct {
				what string
				want int64
				run  func() error
			}{
				// pgx prepares a statement new to the connection (a round
				// trip) and caches it; SQLite's preparing runs nothing.
				{"a query new to the connection", pg(2, 1), phoneOf},
				{"the same query again", 1, phoneOf},
				{"BEGIN, UPDATE, COMMIT, once prepared", 3, func() error { return db.SetMonthlyPrice(ctx, id, price) }},
				{"BEGIN, UPDATE of no row, ROLLBACK", 3, func() error {
					if err := db.SetMonthlyPrice(ctx, id+1000, price); dialer.ErrorKind(err) != dialer.ENOTFOUND {
						t.Errorf("price of a missing number: %v, want ENOTFOUND", err)
					}
					return nil
				}},
				{"a statement prepared once and run twice", pg(3, 2), prepared},
			} {
				if step.what == "BEGIN, UPDATE, COMMIT, once prepared" {
					if err := step.run(); err != nil { // prepares the UPDATE on PostgreSQL
						t.Fatal(err)
					}
				}
				before := q.Load()
				if err := step.run(); err != nil {
					t.Fatalf("%s: %v", step.what, err)
				}
				if got := q.Load() - before; got != step.want {
					t.Errorf("%s: counted %d statements, want %d", step.what, got, step.want)
				}
			}

			// The counting connection passes everything else on: a
			// transaction of prepared inserts (SQLite's immediate lock
			// included) writes what it should.
			before := q.Load()
			added, err := db.AddDNC(ctx, []string{"+14155550100", "+14155550101"}, "asked", "test", t0)
			if err != nil || added != 2 {
				t.Fatalf("AddDNC through the counting connection: %d added, %v", added, err)
			}
			if _, err := db.DNC(ctx, "+14155550101"); err != nil {
				t.Fatalf("reading back a do-not-call entry: %v", err)
			}
			if q.Load()-before < 4 {
				t.Errorf("AddDNC and DNC counted %d statements; a transaction with inserts and a read is at least 4", q.Load()-before)
			}
		})
	}
}

// Without Options.Queries nothing is counted and nothing is wrapped.
func TestNoQueryCounterOpensThePlainDriver(t *testing.T) {
	db := openTemp(t)
	conn, err := db.db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.Raw(func(dc any) error {
		if _, wrapped := dc.(*countingConn); wrapped {
			t.Error("a store opened without Options.Queries counts statements")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
