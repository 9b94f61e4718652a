package main

import (
	"context"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/dialer/display"
	"github.com/dialer-dev/dialer/store"
)

type agentJSON struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Phone     string    `json:"phone"`
	Role      string    `json:"role"`
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at"`
}

func toAgentJSON(a dialer.Agent) agentJSON {
	return agentJSON{ID: a.ID, Name: a.Name, Phone: a.Phone, Role: string(a.Role), Active: a.Active, CreatedAt: a.CreatedAt}
}

// newAgentsCmd is the team: supervisors add, edit and remove agents.
func newAgentsCmd(e *env) *cobra.Command {
	return newGroup("agents", "The team's agents and supervisors.",
		newAgentsAddCmd(e),
		readOnly(newAgentsListCmd(e)),
		newAgentsEditCmd(e),
		newAgentsRmCmd(e),
	)
}

// withSupervisor opens the database and runs fn if this machine's agent
// may do what (a supervisor, or anyone on a database with no agents yet).
func withSupervisor(cmd *cobra.Command, e *env, what string, fn func(ctx context.Context, db *store.DB) error) error {
	ctx := cmd.Context()
	db, _, closeAll, err := openStore(ctx, e)
	if err != nil {
		return err
	}
	defer closeAll()
	if err := requireSupervisor(ctx, e, db, what); err != nil {
		return err
	}
	return fn(ctx, db)
}

func newAgentsAddCmd(e *env) *cobra.Command {
	var name, phone, role string
	var asJSON bool
	c := &cobra.Command{
		Use:     "add",
		Short:   "Add an agent (supervisors only; the first agent of a database is a supervisor).",
		Example: `dialer agents add --name "Ann Agent" --phone +14155550123 --role agent`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 || name == "" || phone == "" {
				return usageError{"agents add needs --name NAME --phone NUMBER [--role agent|supervisor]"}
			}
			a, err := dialer.NewAgent(name, phone)
			if err != nil {
				return err
			}
			if a.Role, err = dialer.ParseRole(role); err != nil {
				return usageError{"--role: " + dialer.ErrorMessage(err)}
			}
			return withSupervisor(cmd, e, "add agents", func(ctx context.Context, db *store.DB) error {
				a.CreatedAt = time.Now()
				rec, err := db.CreateAgent(ctx, a)
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(e.stdout, toAgentJSON(rec))
				}
				_, err = fmt.Fprintf(e.stdout, "Added %s (id %d, %s), phone %s. On their machine: dialer agent use %q\n",
					display.Line(rec.Name), rec.ID, rec.Role, rec.Phone, display.Line(rec.Name))
				return err
			})
		},
	}
	c.Flags().StringVar(&name, "name", "", "the agent's name")
	c.Flags().StringVar(&phone, "phone", "", "the agent's own phone number")
	c.Flags().StringVar(&role, "role", "agent", "agent or supervisor")
	jsonFlag(c, &asJSON)
	c.RegisterFlagCompletionFunc("role", cobra.FixedCompletions([]string{"agent", "supervisor"}, cobra.ShellCompDirectiveNoFileComp))
	return c
}

func newAgentsListCmd(e *env) *cobra.Command {
	var all, asJSON bool
	c := &cobra.Command{
		Use:   "list",
		Short: "List the team's agents.",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError{"agents list takes no arguments"}
			}
			db, _, closeAll, err := openStore(cmd.Context(), e)
			if err != nil {
				return err
			}
			defer closeAll()
			agents, err := db.Agents(cmd.Context(), all)
			if err != nil {
				return err
			}
			if asJSON {
				out := make([]agentJSON, 0, len(agents))
				for _, a := range agents {
					out = append(out, toAgentJSON(a))
				}
				return writeJSON(e.stdout, out)
			}
			if len(agents) == 0 {
				_, err := fmt.Fprintln(e.stdout, "No agents yet: dialer agent set --name NAME --phone NUMBER makes you the first (a supervisor).")
				return err
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tPHONE\tROLE\tSTATUS")
			for _, a := range agents {
				status := "active"
				if !a.Active {
					status = "removed"
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", a.ID, display.Line(a.Name), a.Phone, a.Role, status)
			}
			return tw.Flush()
		},
	}
	c.Flags().BoolVar(&all, "all", false, "include removed agents")
	jsonFlag(c, &asJSON)
	return c
}

func newAgentsEditCmd(e *env) *cobra.Command {
	var name, phone, role string
	c := &cobra.Command{
		Use:               "edit NAME|ID",
		Short:             "Change an agent's name, phone or role (supervisors only).",
		Example:           `dialer agents edit "Ann Agent" --role supervisor`,
		ValidArgsFunction: completeAgents(e),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 || (name == "" && phone == "" && role == "") {
				return usageError{"agents edit needs one agent and at least one of --name, --phone, --role"}
			}
			var r dialer.Role
			if role != "" {
				var err error
				if r, err = dialer.ParseRole(role); err != nil {
					return usageError{"--role: " + dialer.ErrorMessage(err)}
				}
			}
			return withSupervisor(cmd, e, "edit agents", func(ctx context.Context, db *store.DB) error {
				a, err := findAgent(ctx, db, args[0], false)
				if err != nil {
					return err
				}
				n, p := a.Name, a.Phone
				if name != "" {
					n = name
				}
				if phone != "" {
					p = phone
				}
				checked, err := dialer.NewAgent(n, p)
				if err != nil {
					return err
				}
				a.Name, a.Phone = checked.Name, checked.Phone
				if r != "" {
					a.Role = r
				}
				if a, err = db.UpdateAgent(ctx, a); err != nil {
					return err
				}
				_, err = fmt.Fprintf(e.stdout, "Agent %d: %s (%s), phone %s.\n", a.ID, display.Line(a.Name), a.Role, a.Phone)
				return err
			})
		},
	}
	c.Flags().StringVar(&name, "name", "", "new name")
	c.Flags().StringVar(&phone, "phone", "", "new phone number")
	c.Flags().StringVar(&role, "role", "", "agent or supervisor")
	c.RegisterFlagCompletionFunc("role", cobra.FixedCompletions([]string{"agent", "supervisor"}, cobra.ShellCompDirectiveNoFileComp))
	return c
}

func newAgentsRmCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:               "rm NAME|ID",
		Short:             "Remove an agent from the team (supervisors only); their calls keep their name.",
		Example:           `dialer agents rm "Ann Agent"`,
		ValidArgsFunction: completeAgents(e),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{"agents rm needs one agent's name or id"}
			}
			return withSupervisor(cmd, e, "remove agents", func(ctx context.Context, db *store.DB) error {
				a, err := findAgent(ctx, db, args[0], false)
				if err != nil {
					return err
				}
				a.Active = false
				if _, err := db.UpdateAgent(ctx, a); err != nil {
					return err
				}
				_, err = fmt.Fprintf(e.stdout, "Removed %s (agent %d); their %s.\n", display.Line(a.Name), a.ID, "calls stay in the history")
				return err
			})
		},
	}
}

// completeAgents offers the active agents' names (with id and role).
func completeAgents(e *env) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		out := withStore(cmd, e, func(ctx context.Context, db *store.DB) []cobra.Completion {
			agents, err := db.Agents(ctx, false)
			if err != nil {
				return nil
			}
			var c []cobra.Completion
			for _, a := range agents {
				c = append(c, cobra.CompletionWithDesc(display.Line(a.Name), "agent "+strconv.FormatInt(a.ID, 10)+", "+string(a.Role)))
			}
			return c
		})
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}
