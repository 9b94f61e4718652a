package store

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/dialer-dev/dialer/store/pgtest"
)

// The conformance suite: every test of the store's behaviour, written once
// (each a func(*testing.T, engine)), run on every engine. A new engine
// passes all of them or is not done; a new test is added here, not to one
// engine (the shape of riverqueue/river's riverdrivertest). Tests of what
// only one engine has (SQLite's file modes, WAL and busy errors;
// PostgreSQL's connection errors and migration lock) live beside it.
var conformance = []struct {
	name string
	test func(*testing.T, engine)
}{
	{"MigrationsRunOnceAndReopenKeepsData", testMigrationsRunOnceAndReopenKeepsData},
	{"SettingsRoundTripAndValidation", testSettingsRoundTripAndValidation},
	{"AttemptLimitRoundTrips", testAttemptLimitRoundTrips},
	{"ClaimActivateAndTimesRoundTripExactly", testClaimActivateAndTimesRoundTripExactly},
	{"ClaimRefusesOverTheMaximumAndCountsPending", testClaimRefusesOverTheMaximumAndCountsPending},
	{"ConstraintsHoldAgainstBuggyCallers", testConstraintsHoldAgainstBuggyCallers},
	{"SweepQueries", testSweepQueries},
	{"OnlyActiveNumbersAreHandedOut", testOnlyActiveNumbersAreHandedOut},
	{"ContactsByIDs", testContactsByIDs},
	{"ContactsByPhonePrefix", testContactsByPhonePrefix},
	{"ConstraintViolationsInWritesAreConflicts", testConstraintViolationsInWritesAreConflicts},
	{"WritesReturnTheStoredRow", testWritesReturnTheStoredRow},
	{"StatusListsInQueries", testStatusListsInQueries},
	{"SettingsStoredStrings", testSettingsStoredStrings},
	{"SettingsSeeOtherHandlesChanges", testSettingsSeeOtherHandlesChanges},
	{"SettingsKeptUntilTheirRevisionMoves", testSettingsKeptUntilTheirRevisionMoves},
	{"HotStatementsPrepare", testHotStatementsPrepare},
	{"ContactsOnePerPhoneAndDeleteKeepsCalls", testContactsOnePerPhoneAndDeleteKeepsCalls},
	{"ContactKeysFollowRevisions", testContactKeysFollowRevisions},
	{"ImportContactsSkipUpdateAndList", testImportContactsSkipUpdateAndList},
	{"ListsMembership", testListsMembership},
	{"DNCListKeepsWhoWhenAndWhy", testDNCListKeepsWhoWhenAndWhy},
	{"CallbacksReplaceAndCompleteOnCall", testCallbacksReplaceAndCompleteOnCall},
	{"StatsAndHistories", testStatsAndHistories},
	{"PendingPurchaseKeepsItsOwnerAndWhenItAsked", testPendingPurchaseKeepsItsOwnerAndWhenItAsked},
	{"RacingClaimsBuyOnceAndKeepTheMaximum", testRacingClaimsBuyOnceAndKeepTheMaximum},
	{"RacingContactWritesGetOrderedRevisions", testRacingContactWritesGetOrderedRevisions},
	{"RacingOpensMigrateOnce", testRacingOpensMigrateOnce},
	{"ActivationRacingClaimsNeverBuysTwice", testActivationRacingClaimsNeverBuysTwice},
	{"AgentsAreRecordsWithRoles", testAgentsAreRecordsWithRoles},
	{"LeasesOneHolderAtATime", testLeasesOneHolderAtATime},
	{"WatchSeesOtherProcessesCommits", testWatchSeesOtherProcessesCommits},
	{"TeamStatesAndFigures", testTeamStatesAndFigures},
	{"CancelAndTakeBack", testCancelAndTakeBack},
	{"AssignedNumbersArePrimary", testAssignedNumbersArePrimary},
	{"NumberUsage", testNumberUsage},
	{"ClaimRotatesAtRiskNumbers", testClaimRotatesAtRiskNumbers},
	{"ClaimKeepsAssignedAtRiskNumbers", testClaimKeepsAssignedAtRiskNumbers},
	{"RacingRotationsBuyOnce", testRacingRotationsBuyOnce},
}

// engine is one engine as the suite sees it: target gives a new, empty
// database's --db target (a file path, a postgres:// URL); open opens a
// new one.
type engine struct {
	name   string
	target func(t *testing.T) string
}

func (e engine) open(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), e.target(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

var engines = []engine{
	{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "sub", "dialer.db") }},
	{"postgres", func(t *testing.T) string { return pgtest.URL(t) }},
}

func TestConformance(t *testing.T) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			if e.name == "postgres" {
				e.target(t) // skips the engine at once when there is no server
			}
			for _, c := range conformance {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					c.test(t, e)
				})
			}
		})
	}
}

func TestMain(m *testing.M) { pgtest.Main(m) }
