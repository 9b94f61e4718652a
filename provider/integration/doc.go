// Package integration holds tests only: the real Twilio adapter
// (provider/twilio) against the emulator (provider/twilioemu) over HTTP,
// with the reservation engine and the SQLite store, and the emulator's
// answers checked against Twilio's own OpenAPI spec through Prism.
package integration
