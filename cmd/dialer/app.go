package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/store"
)

// app is everything a command that talks to the provider needs.
type app struct {
	db      *store.DB
	log     *slog.Logger
	back    *backend
	numbers *dialer.Reservations
}

// openApp opens the database and the provider (Twilio, or the sandbox
// emulator), says SANDBOX on stderr when it is the emulator, and wires the
// reservation engine.
func openApp(ctx context.Context, e *env) (*app, func(), error) {
	db, log, closeStore, err := openStore(ctx, e)
	if err != nil {
		return nil, nil, err
	}
	p, _ := resolvePaths(e) // openStore resolved them already
	back, err := openBackend(ctx, e, p, log)
	if err != nil {
		closeStore()
		return nil, nil, err
	}
	a := &app{db: db, log: log, back: back,
		numbers: &dialer.Reservations{Store: db, Provider: back.provider, Logger: log}}
	return a, func() { back.close(); closeStore() }, nil
}

// sandboxBanner tells the user, on stderr so that --json output stays
// clean, that nothing real happens.
func sandboxBanner(e *env) {
	if sandbox, _, err := sandboxMode(e); err == nil && sandbox {
		fmt.Fprintln(e.stderr, "SANDBOX: Twilio is emulated on this machine; nothing is bought or dialed for real.")
	}
}
