package main

import (
	"testing"

	"github.com/dialer-dev/dialer/store/pgtest"
)

// cmdEngine is a database engine as the command tests see it: use points
// an environment at a new, empty database of the engine.
type cmdEngine struct {
	name string
	use  func(t *testing.T, envv map[string]string)
}

// cmdEngines are the engines every command must work the same on: SQLite
// (the default file in the data directory) and PostgreSQL (a new database
// named by DIALER_DATABASE_URL, as a team's machines would be set up).
var cmdEngines = []cmdEngine{
	{"sqlite", func(*testing.T, map[string]string) {}},
	{"postgres", func(t *testing.T, envv map[string]string) { envv["DIALER_DATABASE_URL"] = pgtest.URL(t) }},
}

// forEngines runs test once on each engine, as subtests named after them.
func forEngines(t *testing.T, test func(*testing.T, cmdEngine)) {
	for _, eng := range cmdEngines {
		t.Run(eng.name, func(t *testing.T) { test(t, eng) })
	}
}

func TestMain(m *testing.M) { pgtest.Main(m) }
