package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/dialer/display"
)

// Agents are records in the database (dialer agents ...). The profile in
// the config directory says which record this machine is, in each database
// it has used (by the database's instance id), and keeps the name and phone
// given on this machine, from which the first agent of a new database is
// made.
func agentPath(p paths) string { return filepath.Join(p.Config, "agent.json") }

type profile struct {
	Name   string           `json:"name,omitempty"`
	Phone  string           `json:"phone,omitempty"`
	Agents map[string]int64 `json:"agents,omitempty"` // agent id by database instance id
}

// loadProfile reads this machine's profile; none yet is an empty one.
func loadProfile(e *env) (profile, error) {
	var pr profile
	p, err := resolvePaths(e)
	if err != nil {
		return pr, err
	}
	b, err := os.ReadFile(agentPath(p))
	if errors.Is(err, os.ErrNotExist) {
		return pr, nil
	}
	if err != nil {
		return pr, err
	}
	if err := json.Unmarshal(b, &pr); err != nil {
		return pr, fmt.Errorf("agent profile %s: %w", agentPath(p), err)
	}
	return pr, nil
}

func saveProfile(e *env, pr profile) error {
	p, err := resolvePaths(e)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(p.Config, 0o700); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(pr, "", "  ")
	tmp := agentPath(p) + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, agentPath(p))
}

// agentDB is what identifying the agent needs of the database.
type agentDB interface {
	dialer.AgentStore
	InstanceID() string
}

// whoAmI is the agent this machine is in db: the record its profile names
// there; else, on a database with no agents, the first agent made from the
// profile's name and phone (a supervisor); else the active agent with the
// profile's name. ENOTFOUND says what to run when none of these holds.
func whoAmI(ctx context.Context, e *env, db agentDB) (dialer.Agent, error) {
	pr, err := loadProfile(e)
	if err != nil {
		return dialer.Agent{}, err
	}
	if id := pr.Agents[db.InstanceID()]; id != 0 {
		a, err := db.Agent(ctx, id)
		switch {
		case err == nil && a.Active:
			return a, nil
		case err == nil:
			return dialer.Agent{}, dialer.Errorf(dialer.EREFUSED, "agent %s was removed from the team by a supervisor: run dialer agent use NAME to be another agent", a.Name)
		case dialer.ErrorKind(err) != dialer.ENOTFOUND:
			return dialer.Agent{}, err
		}
	}
	agents, err := db.Agents(ctx, false)
	if err != nil {
		return dialer.Agent{}, err
	}
	if pr.Name != "" && pr.Phone != "" {
		if len(agents) == 0 {
			return becomeAgent(ctx, e, db, pr, dialer.Agent{Name: pr.Name, Phone: pr.Phone})
		}
		for _, a := range agents {
			if a.Name == pr.Name {
				return remember(e, db, pr, a)
			}
		}
	}
	return dialer.Agent{}, notAnAgent(agents)
}

// notAnAgent says what to run on a machine that is no agent of the
// database yet.
func notAnAgent(agents []dialer.Agent) error {
	if len(agents) == 0 {
		return dialer.Errorf(dialer.ENOTFOUND, "no agent profile yet: run dialer agent set --name NAME --phone NUMBER (the first agent is the team's supervisor)")
	}
	names := make([]string, 0, len(agents))
	for _, a := range agents {
		names = append(names, display.Line(a.Name))
	}
	if len(names) > 5 {
		names = append(names[:5], "…")
	}
	return dialer.Errorf(dialer.ENOTFOUND, "this machine is not one of the team's agents yet: run dialer agent use NAME (agents: %s)",
		strings.Join(names, ", "))
}

// becomeAgent makes a new agent record from a (the first of a database is
// a supervisor) and remembers it as this machine's.
func becomeAgent(ctx context.Context, e *env, db agentDB, pr profile, a dialer.Agent) (dialer.Agent, error) {
	a.CreatedAt = time.Now()
	rec, err := db.CreateAgent(ctx, a)
	if err != nil {
		return dialer.Agent{}, err
	}
	return remember(e, db, pr, rec)
}

// remember saves a as this machine's agent in db.
func remember(e *env, db agentDB, pr profile, a dialer.Agent) (dialer.Agent, error) {
	if pr.Agents == nil {
		pr.Agents = map[string]int64{}
	}
	pr.Agents[db.InstanceID()] = a.ID
	pr.Name, pr.Phone = a.Name, a.Phone
	return a, saveProfile(e, pr)
}

// setAgent is `agent set` and the UI's first-run form: this machine's agent
// gets name and phone. A known agent's record is updated; on a database
// with no agents the first (a supervisor) is made; on a team's, the active
// agent of that name is taken as this machine's (a supervisor adds agents).
func setAgent(ctx context.Context, e *env, db agentDB, name, phone string) (dialer.Agent, error) {
	want, err := dialer.NewAgent(name, phone)
	if err != nil {
		return dialer.Agent{}, err
	}
	pr, err := loadProfile(e)
	if err != nil {
		return dialer.Agent{}, err
	}
	me, err := whoAmI(ctx, e, db)
	switch {
	case err == nil:
		if me.Name == want.Name && me.Phone == want.Phone {
			return me, nil
		}
		me.Name, me.Phone = want.Name, want.Phone
		if me, err = db.UpdateAgent(ctx, me); err != nil {
			return dialer.Agent{}, err
		}
		pr, _ = loadProfile(e)
		return remember(e, db, pr, me)
	case dialer.ErrorKind(err) != dialer.ENOTFOUND:
		return dialer.Agent{}, err
	}
	agents, err := db.Agents(ctx, false)
	if err != nil {
		return dialer.Agent{}, err
	}
	if len(agents) == 0 {
		return becomeAgent(ctx, e, db, pr, want)
	}
	for _, a := range agents {
		if a.Name != want.Name {
			continue
		}
		if a.Phone != want.Phone {
			a.Phone = want.Phone
			if a, err = db.UpdateAgent(ctx, a); err != nil {
				return dialer.Agent{}, err
			}
		}
		return remember(e, db, pr, a)
	}
	return dialer.Agent{}, dialer.Errorf(dialer.ENOTFOUND,
		"there is no agent named %s in this team's database: a supervisor adds agents (dialer agents add --name NAME --phone NUMBER)",
		display.Line(want.Name))
}

// findAgent finds an active agent (all: any agent) by id or exact name.
func findAgent(ctx context.Context, db dialer.AgentStore, arg string, all bool) (dialer.Agent, error) {
	agents, err := db.Agents(ctx, all)
	if err != nil {
		return dialer.Agent{}, err
	}
	id, _ := strconv.ParseInt(arg, 10, 64)
	for _, a := range agents {
		if a.ID == id || a.Name == arg {
			return a, nil
		}
	}
	return dialer.Agent{}, dialer.Errorf(dialer.ENOTFOUND, "no agent %q (see dialer agents list)", arg)
}

// requireSupervisor refuses, with a sentence, what only a supervisor may
// do (what: "buy a dedicated number") when this machine's agent is not
// one. A database with no agents yet has nobody to protect: its one user
// may do everything.
func requireSupervisor(ctx context.Context, e *env, db agentDB, what string) error {
	agents, err := db.Agents(ctx, false)
	if err != nil || len(agents) == 0 {
		return err
	}
	me, err := whoAmI(ctx, e, db)
	if err != nil {
		return err
	}
	if !me.Supervisor() {
		return dialer.Errorf(dialer.EREFUSED, "only a supervisor may %s; %s is an agent", what, display.Line(me.Name))
	}
	return nil
}

// newAgentCmd is who the person at this terminal is.
func newAgentCmd(e *env) *cobra.Command {
	return newGroup("agent", "You: your name and own phone (the phone dialer rings first), and which of the team's agents you are.",
		newAgentSetCmd(e),
		newAgentUseCmd(e),
		newAgentShowCmd(e),
	)
}

func newAgentSetCmd(e *env) *cobra.Command {
	var name, phone string
	c := &cobra.Command{
		Use:   "set",
		Short: "Set your name and phone number (on a new database, you become its first agent: a supervisor).",
		Example: `dialer agent set --name "Ann Agent" --phone +14155550123
`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 || name == "" || phone == "" {
				return usageError{"agent set needs --name NAME --phone NUMBER"}
			}
			if _, err := dialer.NewAgent(name, phone); err != nil {
				return err
			}
			db, _, closeAll, err := openStore(cmd.Context(), e)
			if err != nil {
				return err
			}
			defer closeAll()
			a, err := setAgent(cmd.Context(), e, db, name, phone)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(e.stdout, "Agent %s (%s), phone %s. Calls ring this phone first.\n", display.Line(a.Name), a.Role, a.Phone)
			return err
		},
	}
	c.Flags().StringVar(&name, "name", "", "your name")
	c.Flags().StringVar(&phone, "phone", "", "your own phone number, e.g. +14155550123")
	return c
}

func newAgentUseCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:               "use NAME|ID",
		Short:             "Be one of the team's agents on this machine.",
		Example:           `dialer agent use "Ann Agent"`,
		ValidArgsFunction: completeAgents(e),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{"agent use needs one agent's name or id (see dialer agents list)"}
			}
			db, _, closeAll, err := openStore(cmd.Context(), e)
			if err != nil {
				return err
			}
			defer closeAll()
			a, err := findAgent(cmd.Context(), db, args[0], false)
			if err != nil {
				return err
			}
			pr, err := loadProfile(e)
			if err != nil {
				return err
			}
			if _, err := remember(e, db, pr, a); err != nil {
				return err
			}
			_, err = fmt.Fprintf(e.stdout, "You are %s (%s) on this machine. Calls ring %s first.\n", display.Line(a.Name), a.Role, a.Phone)
			return err
		},
	}
}

func newAgentShowCmd(e *env) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "show",
		Short: "Show which agent you are.",
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, _, closeAll, err := openStore(cmd.Context(), e)
			if err != nil {
				return err
			}
			defer closeAll()
			a, err := whoAmI(cmd.Context(), e, db)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(e.stdout, toAgentJSON(a))
			}
			_, err = fmt.Fprintf(e.stdout, "%s\t%s\t%s\n", display.Line(a.Name), a.Phone, a.Role)
			return err
		},
	}
	jsonFlag(c, &asJSON)
	return c
}
