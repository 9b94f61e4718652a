package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"time"

	tea "charm.land/bubbletea/v2"
	"golang.org/x/term"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/ui"
)

// uiMemoryLimit is the UI's soft limit on the Go runtime's memory. With a
// million contacts the search index and the rows' display text hold about
// 190 MB; left to GOGC=100 alone, the garbage of the start-up build (every
// contact read from SQLite) piles up to twice that before a collection
// runs, and the process peaked near 400 MB RSS. The limit makes the
// collector run before then: 260 MB peak. (Those collections are cheap:
// the index is pointer-free. At 230 MiB they came every few keystrokes
// and added 4-5 ms to the median keystroke.) GOMEMLIMIT in the
// environment overrides it.
const uiMemoryLimit = 260 << 20

// runTUI opens the terminal UI: the program's default when no subcommand is
// given. Nothing but the UI writes to the terminal while it runs: logs go
// to the log file.
func runTUI(ctx context.Context, e *env) error {
	if f, ok := e.stdout.(*os.File); !ok || !term.IsTerminal(int(f.Fd())) {
		return usageError{"the dialer UI needs a terminal; for scripts use a subcommand (see dialer --help)"}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	e.ui = true
	if e.getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(uiMemoryLimit)
	}
	a, closeAll, err := openApp(ctx, e)
	if err != nil {
		return err
	}
	defer closeAll()
	slog.SetDefault(a.log) // a library logging through slog lands in the file too

	m, _, err := startUI(ctx, e, a)
	if err != nil {
		return err
	}
	// A result is drawn on the renderer's next tick: at 120 frames a second
	// that adds at most 8 ms to a keystroke (at the default 60, 17 ms).
	// Frames that did not change are not written.
	p := tea.NewProgram(m, tea.WithContext(ctx), tea.WithFPS(120))
	_, err = p.Run()
	// The next start reads the index back instead of rebuilding it.
	if serr := a.index.Save(); serr != nil {
		a.log.Warn("contacts index snapshot not saved", "err", serr)
	}
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("terminal UI: %w", err)
	}
	return nil
}

// startUI prepares the first frame: demo contacts in an empty sandbox, the
// agent profile, the search index (built in the background: ready closes
// when it holds every contact) and the background housekeeping.
func startUI(ctx context.Context, e *env, a *app) (ui.Model, <-chan struct{}, error) {
	count, err := a.db.CountContacts(ctx)
	if err != nil {
		return ui.Model{}, nil, err
	}
	if a.back.sandbox && count == 0 {
		if count, err = seedDemo(ctx, a); err != nil {
			return ui.Model{}, nil, err
		}
	}
	agent, err := a.agent(ctx, e)
	if err != nil && dialer.ErrorKind(err) != dialer.ENOTFOUND {
		return ui.Model{}, nil, err
	}
	var team []string // a team's agents, when this machine is none of them yet
	if agent.ID == 0 {
		agents, err := a.db.Agents(ctx, false)
		if err != nil {
			return ui.Model{}, nil, err
		}
		for _, ag := range agents {
			team = append(team, ag.Name)
		}
	}
	a.index = openIndex(ctx, a.db, a.db.InstanceID(), a.paths.indexBase(a.db), count, a.log)
	ix, dir, ready := a.index.ix, a.index.dir, a.index.ready
	calls := a.calls()
	if set, err := a.db.Settings(ctx); err == nil {
		viaServe(calls, set)
	}
	go housekeeping(ctx, a, calls, agent.Name)
	go dialer.HoldPresence(ctx, a.db, agent, dialer.NewHolder("presence"))
	m := ui.New(ui.Deps{Store: a.db, Calls: calls, Numbers: a.numbers, Pricing: a.back.provider, Index: ix, Directory: dir, IndexReady: ready, IndexRev: a.index.rev.Load,
		Sandbox: a.back.sandbox, Agent: agent, TeamAgents: team, Context: ctx, Changes: a.db.Watch(ctx, 2*time.Second),
		SaveAgent: func(ag dialer.Agent) (dialer.Agent, error) {
			me, err := setAgent(ctx, e, a.db, ag.Name, ag.Phone)
			if err == nil {
				becameAgent(ctx, a, me)
			}
			return me, err
		},
		UseAgent: func(name string) (dialer.Agent, error) {
			me, err := findAgent(ctx, a.db, name, false)
			if err != nil {
				return me, err
			}
			pr, err := loadProfile(e)
			if err != nil {
				return me, err
			}
			if me, err = remember(e, a.db, pr, me); err == nil {
				becameAgent(ctx, a, me)
			}
			return me, err
		}})
	return m, ready, nil
}

// becameAgent is this machine becoming agent me in the UI's first run:
// purchases name them, and the team sees them online.
func becameAgent(ctx context.Context, a *app, me dialer.Agent) {
	if a.numbers.Agent == me.ID {
		return
	}
	a.numbers.Agent = me.ID
	go dialer.HoldPresence(ctx, a.db, me, dialer.NewHolder("presence"))
}

// housekeeping runs while the UI does: the team's chores (reconcile,
// monthly prices, sweeping hourly, repairs and price backfill every
// minute), done by one open dialer of the team at a time, the holder of
// the housekeeping lease. Failures are logged, never shown as crashes.
func housekeeping(ctx context.Context, a *app, calls *dialer.Calls, label string) {
	defer func() {
		if r := recover(); r != nil {
			a.log.Error("housekeeping panicked", "panic", r)
		}
	}()
	chores := &dialer.Chores{Store: a.db, Numbers: a.numbers, Calls: calls, Pricing: a.back.provider, Logger: a.log,
		Holder: dialer.NewHolder("housekeeping"), Label: label}
	chores.Run(ctx)
}

// demoContacts are seeded into an empty sandbox so that a first run shows
// a working dialer: several area codes, and the emulator's busy (…1111),
// no-answer (…2222) and voicemail (…3333) numbers.
var demoContacts = []dialer.Contact{
	{Name: "Walter Skinner", Phone: "+12125550143", Company: "Federal Supplies Inc.", Notes: "Prefers mornings."},
	{Name: "Dana Scully", Phone: "+12025550177", Company: "Bethesda Medical"},
	{Name: "Fox Mulder", Phone: "+14155552671", Company: "Spooky Analytics"},
	{Name: "Zoë Ångström", Phone: "+13035550112", Company: "Nordic Outdoor Co."},
	{Name: "José Núñez", Phone: "+13055550134", Company: "Miami Import Group"},
	{Name: "Margaret Hamilton", Phone: "+16175550188", Company: "Apollo Software", Fields: map[string]string{"Plan": "Enterprise"}},
	{Name: "Grace Hopper", Phone: "+17035550150", Company: "COBOL Consulting"},
	{Name: "Alan Turing", Phone: "+16475550163", Company: "Bletchley Labs (Toronto)"},
	{Name: "Katherine Johnson", Phone: "+17575550121", Company: "Langley Aero"},
	{Name: "Ada Lovelace", Phone: "+13125550199", Company: "Analytical Engines"},
	{Name: "Linus Busy", Phone: "+15125551111", Company: "Always On The Phone LLC", Notes: "Sandbox: this number is always busy."},
	{Name: "Nora Noanswer", Phone: "+16025552222", Company: "Out Of Office Ltd", Notes: "Sandbox: this number never answers."},
	{Name: "Victor Voicemail", Phone: "+12065553333", Company: "Machine Answering Co.", Notes: "Sandbox: voicemail picks up."},
	{Name: "Dee Enn-See", Phone: "+14045550155", Company: "Opted Out Corp", DoNotCall: true},
	{Name: "Hedy Lamarr", Phone: "+13105550133", Company: "Frequency Hopping Inc."},
	{Name: "Claude Shannon", Phone: "+16505550142", Company: "Information Theory Partners"},
	{Name: "Barbara Liskov", Phone: "+16175550111", Company: "Substitution Systems"},
	{Name: "Ken Thompson", Phone: "+19085550140", Company: "Unix Heritage"},
	{Name: "Frances Allen", Phone: "+19145550128", Company: "Optimizing Compilers Co."},
	{Name: "Donald Knuth", Phone: "+16505550166", Company: "TeX Typesetting"},
	{Name: "Radia Perlman", Phone: "+14255550130", Company: "Spanning Tree Networks"},
	{Name: "Edsger Dijkstra", Phone: "+15125550160", Company: "Shortest Path Logistics"},
	{Name: "Sophie Wilson", Phone: "+16045550147", Company: "ARM Design (Vancouver)"},
	{Name: "John Carmack", Phone: "+12145550175", Company: "Fast Inverse Games"},
}

// seedDemo writes the demo contacts and returns how many.
func seedDemo(ctx context.Context, a *app) (int, error) {
	now := time.Now().UTC()
	for _, c := range demoContacts {
		c.CreatedAt, c.UpdatedAt = now, now
		if _, err := a.db.CreateContact(ctx, c); err != nil {
			return 0, err
		}
		if c.DoNotCall {
			if _, err := a.db.AddDNC(ctx, []string{c.Phone}, "asked not to be called (demo)", "", now); err != nil {
				return 0, err
			}
		}
	}
	a.log.Info("demo contacts seeded", "count", len(demoContacts))
	return len(demoContacts), nil
}

// heapLiveMB is the Go heap that the last garbage collection found live.
func heapLiveMB() float64 {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return float64(sample[0].Value.Uint64()) / (1 << 20)
}
