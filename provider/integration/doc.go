// Package integration holds tests only: the real Twilio adapter
// (provider/twilio) against the emulator (provider/twilioemu) over HTTP,
// with the reservation engine and the SQLite store (a team of agents on
// one PostgreSQL database in BenchmarkTeamAgents), and the emulator's
// answers checked against Twilio's own OpenAPI spec through Prism.
package integration
