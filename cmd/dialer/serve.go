package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/provider/twilio"
)

func newServeCmd(e *env) *cobra.Command {
	var webhookURL, listen string
	c := &cobra.Command{
		Use:   "serve --webhook-url URL --listen ADDRESS",
		Short: "Answer Twilio's webhooks for the team: calls to our numbers, keypad confirmations, call status.",
		Long: "serve is the team's one long-running process behind Twilio's webhooks. A call to one of our numbers rings " +
			"the agent who last called that caller from it, else the number's assigned agent, else the inbound_fallback " +
			"phone, else says inbound_message and hangs up; every such call is recorded on the caller's contact, and a " +
			"missed one becomes a callback due now for its agent. Keypad confirmations of calls placed by any agent's " +
			"dialer are answered here too. serve records --webhook-url as the webhook_url setting: numbers bought or " +
			"assigned from then on point here, and `dialer numbers sync` points the others. It also does the team's " +
			"housekeeping while it runs. Every request must carry Twilio's signature (the account's auth token checks it).",
		Example: "dialer serve --webhook-url https://dialer.example.com --listen 127.0.0.1:8088",
		Args:    noArgs("serve takes flags only"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if webhookURL == "" || listen == "" {
				return usageError{"serve needs --webhook-url URL (what Twilio calls) and --listen ADDRESS (where this process listens)"}
			}
			if err := dialer.CheckWebhookURL(webhookURL); err != nil {
				return usageError{"--webhook-url: " + dialer.ErrorMessage(err)}
			}
			return runServe(cmd.Context(), e, webhookURL, listen)
		},
	}
	c.Flags().StringVar(&webhookURL, "webhook-url", "", "the public base URL Twilio reaches this process at, e.g. https://dialer.example.com")
	c.Flags().StringVar(&listen, "listen", "", "the local address to listen on, e.g. 127.0.0.1:8088")
	return c
}

func runServe(ctx context.Context, e *env, webhookURL, listen string) error {
	a, closeAll, err := openApp(ctx, e)
	if err != nil {
		return err
	}
	defer closeAll()
	if a.back.sandbox {
		return usageError{"serve answers Twilio's webhooks, and in sandbox mode nothing calls them: run it with Twilio credentials, or against `dialer emulator` (DIALER_TWILIO_BASE_URL)"}
	}
	set, err := a.db.Settings(ctx)
	if err != nil {
		return err
	}
	if set.WebhookURL != webhookURL {
		set.WebhookURL = webhookURL
		if err := a.db.SaveSettings(ctx, set); err != nil {
			// An agent's database login may not write settings: serve
			// still answers, but new numbers will not point here.
			fmt.Fprintf(e.stderr, "warning: the webhook_url setting could not be saved (%s): numbers bought from now on will not point here until a supervisor sets it\n", dialer.ErrorMessage(err))
		}
	}
	calls := a.calls()
	board := &dialer.Switchboard{Store: a.db, Provider: a.back.provider, Pricing: a.back.provider, Logger: a.log, Account: a.back.account}
	keypad := &remoteKeypad{calls: calls, log: a.log, asked: map[string]time.Time{}}

	// Webhooks return at once; the work they start (recording how an
	// inbound call goes) runs on one worker, in the order the callbacks
	// came, each step bounded, and is finished on the way out.
	type job struct {
		what string
		fn   func(context.Context) error
	}
	var wg sync.WaitGroup
	work, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	jobs := make(chan job, 1024)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for j := range jobs {
			wctx, cancel := context.WithTimeout(work, 30*time.Second)
			if err := j.fn(wctx); err != nil {
				a.log.Error(j.what, "err", err)
			}
			cancel()
		}
	}()
	var closing sync.Mutex // held while jobs is being closed
	closed := false
	background := func(what string, fn func(context.Context) error) {
		closing.Lock()
		defer closing.Unlock()
		if closed {
			return // housekeeping's repair records it later
		}
		select {
		case jobs <- job{what, fn}:
		default:
			a.log.Error(what + ": too much work queued; housekeeping's repair records it later")
		}
	}
	h, err := twilio.NewWebhookHandler(a.back.authToken, webhookURL, twilio.WebhookHooks{
		Digits: func(sid, digits string) (dialer.Dial, bool) {
			rctx, cancel := context.WithTimeout(work, 8*time.Second)
			defer cancel()
			return keypad.digits(rctx, sid)
		},
		Status: func(info dialer.CallInfo) {
			switch {
			case info.Direction == string(dialer.Inbound) && info.Status.Ended():
				background("recording an inbound call's end", func(ctx context.Context) error { return board.Ended(ctx, info.SID) })
			case info.ParentSID != "":
				background("recording an inbound call's progress", func(ctx context.Context) error { return board.Progress(ctx, info) })
			}
		},
		Inbound: func(in dialer.InboundCall) dialer.Route {
			rctx, cancel := context.WithTimeout(work, 8*time.Second)
			defer cancel()
			r, err := board.Route(rctx, in)
			if err != nil {
				a.log.Error("inbound call not recorded", "call", in.SID, "err", err)
			}
			return r
		},
		Unanswered: func(sid string) string {
			rctx, cancel := context.WithTimeout(work, 5*time.Second)
			defer cancel()
			set, err := a.db.Settings(rctx)
			if err != nil {
				return ""
			}
			return set.InboundMessage
		},
	}, a.log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return dialer.Wrap(dialer.EINVALID, err, "cannot listen on "+listen)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	go housekeeping(ctx, a, calls, "dialer serve")

	fmt.Fprintf(e.stdout, "Answering Twilio's webhooks at %s on %s.\n", webhookURL, ln.Addr())
	fmt.Fprintf(e.stdout, "Numbers send their calls to %s; `dialer numbers sync` points the ones that do not.\n", twilio.VoiceURL(webhookURL))
	fmt.Fprintln(e.stdout, "Stop with Ctrl-C.")
	select {
	case <-ctx.Done():
	case err := <-served:
		if !errors.Is(err, http.ErrServerClosed) {
			return dialer.Wrap(dialer.EUNAVAILABLE, err, "the webhook server stopped")
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	srv.Shutdown(sctx)
	closing.Lock()
	closed = true
	close(jobs)
	closing.Unlock()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		stopWork() // an end not recorded now is repaired by housekeeping
		<-done
	}
	return nil
}

// remoteKeypad answers keypad confirmations of calls placed by other
// processes (any agent's dialer): the call is found by its agent leg in the
// database, and dialed once.
type remoteKeypad struct {
	calls *dialer.Calls
	log   *slog.Logger
	mu    sync.Mutex
	asked map[string]time.Time // agent leg SIDs already answered
}

func (k *remoteKeypad) digits(ctx context.Context, sid string) (dialer.Dial, bool) {
	k.mu.Lock()
	now := time.Now()
	for s, at := range k.asked {
		if now.Sub(at) > time.Hour {
			delete(k.asked, s)
		}
	}
	if _, done := k.asked[sid]; done {
		k.mu.Unlock()
		return dialer.Dial{}, false
	}
	k.asked[sid] = now
	k.mu.Unlock()
	d, err := k.calls.KeypadFromRecord(ctx, sid)
	if err != nil {
		k.log.Warn("keypad confirmation not connected", "call", sid, "err", dialer.ErrorMessage(err))
		return dialer.Dial{}, false
	}
	return d, true
}

func newNumbersSyncCmd(e *env) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "sync",
		Short: "Point every number at the team's `dialer serve` (the webhook_url setting), so calls to them reach an agent.",
		Args:  noArgs("numbers sync takes no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			a, closeAll, err := openApp(ctx, e)
			if err != nil {
				return err
			}
			defer closeAll()
			if err := requireSupervisor(ctx, e, a.db, "point numbers at `dialer serve`"); err != nil {
				return err
			}
			res, err := a.numbers.Sync(ctx)
			if err != nil {
				return err
			}
			if asJSON {
				changed := []numberJSON{}
				for _, n := range res.Changed {
					changed = append(changed, toNumberJSON(n))
				}
				return writeJSON(e.stdout, struct {
					VoiceURL string       `json:"voice_url"`
					Held     int          `json:"held"`
					Changed  []numberJSON `json:"changed"`
				}{res.URL, res.Held, changed})
			}
			for _, n := range res.Changed {
				fmt.Fprintf(e.stdout, "%s now sends its calls to %s\n", n.PhoneNumber, res.URL)
			}
			_, err = fmt.Fprintf(e.stdout, "%d of %d numbers changed; all %d send their calls to %s.\n", len(res.Changed), res.Held, res.Held, res.URL)
			return err
		},
	}
	jsonFlag(c, &asJSON)
	return c
}
