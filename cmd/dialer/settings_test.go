package main

import (
	"strings"
	"testing"

	"github.com/dialer-dev/dialer/dialer"
)

// Every setting from the command line: listed with its value and what it
// is, read one by one, and set as the Settings screen sets it (checked;
// supervisors only).
func TestSettingsCommands(t *testing.T) { forEngines(t, testSettingsCommands) }

func testSettingsCommands(t *testing.T, eng cmdEngine) {
	c := newDayCLIOn(t, eng)
	var list []settingJSON
	c.json(&list, "settings", "list", "--json")
	keys := make([]string, len(list))
	for i, s := range list {
		keys[i] = s.Key + "=" + s.Value
		if s.Help == "" {
			t.Errorf("setting %s has no help", s.Key)
		}
	}
	if got := strings.Join(keys, " "); got != "reservation_fee=1.00 reservation_fee_currency=USD reservation_days=14 max_numbers=50 "+
		"region_fallback=true calling_hours=08:00-21:00 confirm=terminal daily_call_cap=300 balance_grace=30s attempt_limit=5 number_daily_cap=0 "+
		"inbound_fallback=message inbound_message="+dialer.DefaultInboundMessage+" webhook_url= rotate_at_risk=off" {
		t.Errorf("settings list: %s", got)
	}
	for _, set := range [][3]string{
		{"max_numbers", "25", "max_numbers: 25 (was 50)\n"},
		{"calling_hours", "09:00-20:00", "calling_hours: 09:00-20:00 (was 08:00-21:00)\n"},
		{"reservation_fee", "0.50", "reservation_fee: 0.50 (was 1.00)\n"},
		{"confirm", "auto", "confirm: auto (was terminal)\n"},
		{"balance_grace", "2m", "balance_grace: 2m0s (was 30s)\n"},
		{"inbound_fallback", "(415) 555-0100", "inbound_fallback: +14155550100 (was message)\n"},
		{"webhook_url", "https://dialer.example.com/", "webhook_url: https://dialer.example.com (was )\n"},
		{"rotate_at_risk", "on", "rotate_at_risk: on (was off)\n"},
	} {
		if out := c.ok("settings", "set", set[0], set[1]); out != set[2] {
			t.Errorf("settings set %s %s: %q, want %q", set[0], set[1], out, set[2])
		}
		if out := c.ok("settings", "get", set[0]); strings.TrimSpace(out) == "" || !strings.HasPrefix(set[2], set[0]+": "+strings.TrimSpace(out)) {
			t.Errorf("settings get %s: %q after setting %s", set[0], out, set[1])
		}
	}
	for _, bad := range [][3]string{
		{"max_numbers", "-3", "organization maximum -3 is negative"},
		{"max_numbers", "lots", `max_numbers "lots": want a whole number`},
		{"calling_hours", "21:00-08:00", `calling hours "21:00-08:00": the start must come before the end, within one day`},
		{"confirm", "shout", `confirmation mode "shout": want terminal, auto or keypad`},
		{"reservation_days", "400", "reservation days 400: want 1 to 365"},
		{"region_fallback", "maybe", `region_fallback "maybe": want true or false`},
		{"inbound_fallback", "the boss", `inbound_fallback "the boss": want a phone number, or "message"`},
		{"webhook_url", "ftp://dialer.example.com", `webhook URL "ftp://dialer.example.com": want an absolute https:// URL`},
		{"inbound_message", " ", "the inbound message is empty: callers nobody answers would hear nothing"},
		{"rotate_at_risk", "sometimes", `rotate_at_risk "sometimes": want on or off`},
		{"colour", "blue", `there is no setting "colour"; the settings are reservation_fee, reservation_fee_currency, reservation_days, max_numbers, region_fallback, calling_hours, confirm, daily_call_cap, balance_grace, attempt_limit, number_daily_cap, inbound_fallback, inbound_message, webhook_url, rotate_at_risk`},
	} {
		c.fails(1, bad[2], "settings", "set", bad[0], bad[1])
	}
	if out := c.ok("settings", "get", "max_numbers"); out != "25\n" {
		t.Errorf("a refused value changed the setting: max_numbers %q", out)
	}

	// With agents, only supervisors may.
	c.ok("agent", "set", "--name", "Sam Super", "--phone", "+14155550100")
	c.ok("agents", "add", "--name", "Ann Agent", "--phone", "+14155550101")
	ann := c.machine()
	ann.ok("agent", "use", "Ann Agent")
	ann.fails(1, "only a supervisor may change the organization's settings; Ann Agent is an agent", "settings", "set", "max_numbers", "99")
	if out := ann.ok("settings", "get", "max_numbers"); out != "25\n" {
		t.Errorf("an agent reading a setting: %q", out)
	}
	c.ok("settings", "set", "max_numbers", "30")
}
