package dialer_test

import (
	"encoding/json"
	"testing"

	"github.com/dialer-dev/dialer/dialer"
)

func TestParseAmountIsExact(t *testing.T) {
	good := []struct {
		in   string
		want dialer.Amount
		out  string
	}{
		{"1.00", 1_000_000, "1.00"},
		{"1", 1_000_000, "1.00"},
		{"-0.01300", -13_000, "-0.013"},
		{"0.0085", 8_500, "0.0085"},
		{".5", 500_000, "0.50"},
		{"+2.5", 2_500_000, "2.50"},
		{"0.000001", 1, "0.000001"},
		{"0.10000000", 100_000, "0.10"}, // trailing zeros past six places are fine
		{"9223372036854.775807", 9223372036854775807, "9223372036854.775807"},
		{" 3.10 ", 3_100_000, "3.10"},
	}
	for _, g := range good {
		got, err := dialer.ParseAmount(g.in)
		if err != nil || got != g.want || got.String() != g.out {
			t.Errorf("ParseAmount(%q) = %d (%q), %v; want %d (%q)", g.in, got, got.String(), err, g.want, g.out)
		}
	}
	for _, bad := range []string{"", "-", ".", "1.0000001", "abc", "1e3", "1,00", "0x10", "9223372036855", "--1", "1.2.3"} {
		if _, err := dialer.ParseAmount(bad); dialer.ErrorKind(err) != dialer.EINVALID {
			t.Errorf("ParseAmount(%q): %v, want an invalid error", bad, err)
		}
	}
}

func TestMoneyAddsExactlyAndRefusesMixedCurrencies(t *testing.T) {
	// 0.1 + 0.2 is 0.3 here, unlike in float64.
	a, b := dialer.MustMoney("0.1", "USD"), dialer.MustMoney("0.2", "usd")
	sum, err := a.Add(b)
	if err != nil || sum.String() != "0.30 USD" {
		t.Errorf("0.1 + 0.2 = %v, %v", sum, err)
	}
	var zero dialer.Money
	if s, _ := zero.Add(a); s != a {
		t.Errorf("zero + a = %v", s)
	}
	if _, err := a.Add(dialer.MustMoney("1", "CAD")); err == nil {
		t.Error("USD + CAD added")
	}
	if _, err := dialer.ParseMoney("1", "dollars"); err == nil {
		t.Error("currency 'dollars' accepted")
	}
	max := dialer.Money{Amount: 1<<63 - 1, Currency: "USD"}
	if _, err := max.Add(dialer.MustMoney("0.000001", "USD")); err == nil {
		t.Error("overflow not detected")
	}
}

func TestMoneyJSONIsDecimalStrings(t *testing.T) {
	m := dialer.MustMoney("-0.02800", "USD")
	b, err := json.Marshal(m)
	if err != nil || string(b) != `{"amount":"-0.028","currency":"USD"}` {
		t.Fatalf("marshal: %s, %v", b, err)
	}
	var back dialer.Money
	if err := json.Unmarshal(b, &back); err != nil || back != m {
		t.Errorf("round trip: %+v, %v", back, err)
	}
	if err := json.Unmarshal([]byte(`{"amount":0.1,"currency":"USD"}`), &back); err == nil {
		t.Error("a JSON number (a float) was accepted as an amount")
	}
}

func TestCallTotalKnowsWhenPricesArePending(t *testing.T) {
	p1, p2 := dialer.MustMoney("0.028", "USD"), dialer.MustMoney("0.014", "USD")
	c := dialer.Call{Legs: []dialer.Leg{{Role: dialer.AgentLeg, Price: &p1}, {Role: dialer.ContactLeg}}}
	total, known, err := c.Total()
	if err != nil || known || total != p1 {
		t.Errorf("one leg unpriced: %v known=%v %v", total, known, err)
	}
	c.Legs[1].Price = &p2
	total, known, _ = c.Total()
	if !known || total.String() != "0.042 USD" {
		t.Errorf("both priced: %v known=%v", total, known)
	}
}
