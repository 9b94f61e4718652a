package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/dialer/display"
)

// The agent profile belongs to the person at this terminal, so it lives in
// their config directory, not in the (possibly shared) database.
func agentPath(p paths) string { return filepath.Join(p.Config, "agent.json") }

type agentJSON struct {
	Name  string `json:"name"`
	Phone string `json:"phone"`
}

func loadAgent(e *env) (dialer.Agent, error) {
	p, err := resolvePaths(e)
	if err != nil {
		return dialer.Agent{}, err
	}
	b, err := os.ReadFile(agentPath(p))
	if errors.Is(err, os.ErrNotExist) {
		return dialer.Agent{}, dialer.Errorf(dialer.ENOTFOUND, "no agent profile yet: run dialer agent set --name NAME --phone NUMBER")
	}
	if err != nil {
		return dialer.Agent{}, err
	}
	var a agentJSON
	if err := json.Unmarshal(b, &a); err != nil {
		return dialer.Agent{}, fmt.Errorf("agent profile %s: %w", agentPath(p), err)
	}
	return dialer.NewAgent(a.Name, a.Phone)
}

func saveAgent(e *env, a dialer.Agent) error {
	p, err := resolvePaths(e)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(p.Config, 0o700); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(agentJSON{a.Name, a.Phone}, "", "  ")
	tmp := agentPath(p) + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, agentPath(p))
}

// newAgentCmd is the agent profile of the person at this terminal.
func newAgentCmd(e *env) *cobra.Command {
	return newGroup("agent", "Your name and own phone: the phone dialer rings first.",
		newAgentSetCmd(e),
		newAgentShowCmd(e),
	)
}

func newAgentSetCmd(e *env) *cobra.Command {
	var name, phone string
	c := &cobra.Command{
		Use:     "set",
		Short:   "Remember your name and phone number.",
		Example: `dialer agent set --name "Ann Agent" --phone +14155550123`,
		RunE: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 || name == "" || phone == "" {
				return usageError{"agent set needs --name NAME --phone NUMBER"}
			}
			a, err := dialer.NewAgent(name, phone)
			if err != nil {
				return err
			}
			if err := saveAgent(e, a); err != nil {
				return err
			}
			_, err = fmt.Fprintf(e.stdout, "Agent %s, phone %s. Calls ring this phone first.\n", display.Line(a.Name), a.Phone)
			return err
		},
	}
	c.Flags().StringVar(&name, "name", "", "your name")
	c.Flags().StringVar(&phone, "phone", "", "your own phone number, e.g. +14155550123")
	return c
}

func newAgentShowCmd(e *env) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "show",
		Short: "Show your agent profile.",
		RunE: func(*cobra.Command, []string) error {
			a, err := loadAgent(e)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(e.stdout, agentJSON{a.Name, a.Phone})
			}
			_, err = fmt.Fprintf(e.stdout, "%s\t%s\n", display.Line(a.Name), a.Phone)
			return err
		},
	}
	jsonFlag(c, &asJSON)
	return c
}
