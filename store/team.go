package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"

	"github.com/dialer-dev/dialer/dialer"
)

// Team is each active agent's state at now and figures since since: online
// (a dialer of theirs holds its presence lease), their call in progress
// (ringing their phone, or with whom and since when), calls, connects, talk
// time and spend in currency.
func (s *DB) Team(ctx context.Context, since, now time.Time, currency string) ([]dialer.AgentStatus, error) {
	agents, err := s.Agents(ctx, false)
	if err != nil {
		return nil, err
	}
	out := make([]dialer.AgentStatus, len(agents))
	index := make(map[int64]int, len(agents))
	for i, a := range agents {
		out[i] = dialer.AgentStatus{Agent: a, State: dialer.AgentOffline, Spend: dialer.Money{Currency: currency}}
		index[a.ID] = i
	}
	// Online: an unexpired presence lease.
	rows, err := s.db.QueryContext(ctx, "SELECT name FROM leases WHERE name LIKE 'presence:%' AND expires_at > ?", fmtTime(now))
	if err != nil {
		return nil, storeErr(err)
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return nil, storeErr(err)
		}
		id, _ := strconv.ParseInt(strings.TrimPrefix(name, "presence:"), 10, 64)
		if i, ok := index[id]; ok {
			out[i].State = dialer.AgentIdle
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, storeErr(err)
	}
	// Calls in progress (begun in the last 4 hours, the longest a call may
	// last): the newest of each agent.
	rows, err = s.db.QueryContext(ctx, `SELECT c.agent_id, c.started_at, coalesce(ct.name, ''), ct.phone, c.direction,
		coalesce((SELECT status FROM legs WHERE call_id = c.id AND role = 'agent'), ''),
		coalesce((SELECT status FROM legs WHERE call_id = c.id AND role = 'contact'), '')
		FROM calls c JOIN contacts ct ON ct.id = c.contact_id
		WHERE c.ended_at IS NULL AND c.agent_id IS NOT NULL AND c.started_at > ?
		ORDER BY c.started_at`, fmtTime(now.Add(-4*time.Hour)))
	if err != nil {
		return nil, storeErr(err)
	}
	for rows.Next() {
		var (
			id                    int64
			at                    sql.NullString
			name, phone, agentLeg string
			dir, contactLeg       string
		)
		if err := rows.Scan(&id, &at, &name, &phone, &dir, &agentLeg, &contactLeg); err != nil {
			rows.Close()
			return nil, storeErr(err)
		}
		i, ok := index[id]
		if !ok {
			continue
		}
		st := &out[i]
		if st.Since, err = parseTime(at); err != nil {
			rows.Close()
			return nil, err
		}
		st.Contact = name
		if st.Contact == "" {
			st.Contact = phone
		}
		ringing := agentLeg == "" || agentLeg == "queued" || agentLeg == "ringing"
		switch {
		case dir == string(dialer.Inbound):
			// The contact called in: the agent's phone rings, then they talk.
			st.Contact += " (calling in)"
			st.State = dialer.AgentOnCall
			if ringing {
				st.State = dialer.AgentRinging
			}
		case contactLeg == "" && ringing:
			st.State = dialer.AgentRinging
		case contactLeg == "" || contactLeg == "queued" || contactLeg == "ringing":
			st.State = dialer.AgentDialing
		default:
			st.State = dialer.AgentOnCall
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, storeErr(err)
	}
	// The day's figures, per agent.
	ended := dialer.EndedCallStatuses
	rows, err = s.db.QueryContext(ctx, `SELECT c.agent_id, count(*),
		coalesce(sum(CASE WHEN c.outcome = ? THEN 1 ELSE 0 END), 0),
		coalesce(sum(CASE WHEN c.outcome = ? THEN (SELECT duration_ms FROM legs WHERE call_id = c.id AND role = 'contact') END), 0),
		coalesce(sum((SELECT sum(price) FROM legs WHERE call_id = c.id AND price_currency = ?)), 0),
		coalesce(sum((SELECT count(*) FROM legs WHERE call_id = c.id AND price IS NULL AND status IN (`+placeholders(len(ended))+`))), 0)
		FROM calls c WHERE c.agent_id IS NOT NULL AND c.started_at >= ? GROUP BY c.agent_id`,
		append(append([]any{string(dialer.OutcomeAnswered), string(dialer.OutcomeAnswered), currency}, stringArgs(ended)...), fmtTime(since))...)
	if err != nil {
		return nil, storeErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, calls, connects, talk, spend, unpriced int64
		if err := rows.Scan(&id, &calls, &connects, &talk, &spend, &unpriced); err != nil {
			return nil, storeErr(err)
		}
		if i, ok := index[id]; ok {
			st := &out[i]
			st.Calls, st.Connects, st.Unpriced = int(calls), int(connects), int(unpriced)
			st.TalkTime = time.Duration(talk) * time.Millisecond
			st.Spend.Amount = dialer.Amount(spend)
		}
	}
	return out, storeErr(rows.Err())
}
