package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/dialer-dev/dialer/dialer"
)

const agentCols = "id, name, phone, role, active, created_at"

func scanAgent(r scanner) (dialer.Agent, error) {
	var (
		a       dialer.Agent
		active  int
		created sql.NullString
	)
	if err := r.Scan(&a.ID, &a.Name, &a.Phone, &a.Role, &active, &created); err != nil {
		return a, err
	}
	a.Active = active == 1
	var err error
	a.CreatedAt, err = parseTime(created)
	return a, err
}

// lockAgents serializes writes of agents: the first agent's role and the
// last supervisor's are decided by counting.
const lockAgents = "agents"

// CreateAgent records a new agent; the first of a database is a supervisor.
func (s *DB) CreateAgent(ctx context.Context, a dialer.Agent) (dialer.Agent, error) {
	var out dialer.Agent
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.lock(ctx, tx, lockAgents); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM agents").Scan(&n); err != nil {
			return err
		}
		role := a.Role
		if n == 0 || role == "" {
			role = dialer.RoleAgent
		}
		if n == 0 {
			role = dialer.RoleSupervisor
		}
		if err := nameFree(ctx, tx, a.Name, 0); err != nil {
			return err
		}
		var err error
		out, err = scanAgent(tx.QueryRowContext(ctx, `INSERT INTO agents (name, phone, role, active, created_at, updated_at)
			VALUES (?, ?, ?, 1, ?, ?) RETURNING `+agentCols, a.Name, a.Phone, string(role), fmtTime(a.CreatedAt), fmtTime(a.CreatedAt)))
		return err
	})
	return out, err
}

// nameFree says ECONFLICT when an active agent other than id has name.
func nameFree(ctx context.Context, tx *sql.Tx, name string, id int64) error {
	var other int64
	err := tx.QueryRowContext(ctx, "SELECT id FROM agents WHERE name = ? AND active = 1 AND id <> ?", name, id).Scan(&other)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return err
	}
	return dialer.Errorf(dialer.ECONFLICT, "there is already an agent named %s (agent %d)", name, other)
}

// UpdateAgent saves an agent's name, phone, role and active flag, keeping
// at least one active supervisor.
func (s *DB) UpdateAgent(ctx context.Context, a dialer.Agent) (dialer.Agent, error) {
	var out dialer.Agent
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.lock(ctx, tx, lockAgents); err != nil {
			return err
		}
		if a.Active {
			if err := nameFree(ctx, tx, a.Name, a.ID); err != nil {
				return err
			}
		}
		var err error
		out, err = scanAgent(tx.QueryRowContext(ctx, `UPDATE agents SET name = ?, phone = ?, role = ?, active = ?
			WHERE id = ? RETURNING `+agentCols, a.Name, a.Phone, string(a.Role), boolInt(a.Active), a.ID))
		if errors.Is(err, sql.ErrNoRows) {
			return dialer.Errorf(dialer.ENOTFOUND, "no agent with id %d", a.ID)
		}
		if err != nil {
			return err
		}
		var supervisors int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM agents WHERE role = 'supervisor' AND active = 1").Scan(&supervisors); err != nil {
			return err
		}
		if supervisors == 0 {
			return dialer.Errorf(dialer.EREFUSED, "%s is the team's last supervisor: make another agent a supervisor first", a.Name)
		}
		return nil
	})
	return out, err
}

// Agent returns one agent.
func (s *DB) Agent(ctx context.Context, id int64) (dialer.Agent, error) {
	a, err := scanAgent(s.db.QueryRowContext(ctx, "SELECT "+agentCols+" FROM agents WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return a, dialer.Errorf(dialer.ENOTFOUND, "no agent with id %d", id)
	}
	return a, storeErr(err)
}

// Agents lists agents by name (active ones first when all).
func (s *DB) Agents(ctx context.Context, all bool) ([]dialer.Agent, error) {
	q := "SELECT " + agentCols + " FROM agents WHERE active = 1 ORDER BY name, id"
	if all {
		q = "SELECT " + agentCols + " FROM agents ORDER BY active DESC, name, id"
	}
	rows, err := s.db.QueryContext(ctx, q)
	if err != nil {
		return nil, storeErr(err)
	}
	out, err := collect(rows, scanAgent)
	return out, storeErr(err)
}
