package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/provider/twilio"
	"github.com/dialer-dev/dialer/store"
)

// app is everything a command that talks to the provider needs.
type app struct {
	paths   paths
	db      *store.DB
	log     *slog.Logger
	back    *backend
	numbers *dialer.Reservations
	index   *contactIndex // the UI's contacts index
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
	a := &app{paths: p, db: db, log: log, back: back,
		numbers: &dialer.Reservations{Store: db, Provider: back.provider, Logger: log}}
	return a, func() { back.close(); closeStore() }, nil
}

// agent is this machine's agent in the app's database; the reservation
// engine's purchases name them from then on.
func (a *app) agent(ctx context.Context, e *env) (dialer.Agent, error) {
	me, err := whoAmI(ctx, e, a.db)
	if err == nil && a.numbers != nil {
		a.numbers.Agent = me.ID
	}
	return me, err
}

// openStoreApp is an app without a provider, for commands that only read
// the database.
func openStoreApp(ctx context.Context, e *env) (*app, func(), error) {
	db, log, closeStore, err := openStore(ctx, e)
	if err != nil {
		return nil, nil, err
	}
	p, _ := resolvePaths(e) // openStore resolved them already
	return &app{paths: p, db: db, log: log}, closeStore, nil
}

// calls is the bridge-call service over the app's store and provider.
// viaServe makes keypad confirmation go through the team's `dialer serve`
// when one is recorded (the webhook_url setting) and this process serves
// no webhooks of its own.
func viaServe(calls *dialer.Calls, set dialer.Settings) {
	if set.WebhookURL == "" || calls.KeypadActionURL != "" {
		return
	}
	calls.KeypadActionURL = twilio.GatherURL(set.WebhookURL)
	calls.StatusCallbackURL = twilio.StatusURL(set.WebhookURL)
	calls.RemoteKeypad = true
}

func (a *app) calls() *dialer.Calls {
	scaled := func(d time.Duration) time.Duration {
		return max(time.Duration(float64(d)*a.back.timeScale), 5*time.Millisecond)
	}
	return &dialer.Calls{Store: a.db, Provider: a.back.provider, Numbers: a.numbers, Logger: a.log, Account: a.back.account,
		PollInterval: scaled(time.Second), MaxPollInterval: scaled(4 * time.Second), BalanceEvery: scaled(20 * time.Second)}
}
