package dialer_test

import (
	"testing"

	"github.com/dialer-dev/dialer/dialer"
)

func TestLocalAreaFindsCountryAndAreaCode(t *testing.T) {
	for _, c := range []struct{ in, e164, country, area string }{
		{"(415) 555-2671", "+14155552671", "US", "415"},
		{"+1 212 555 0143", "+12125550143", "US", "212"},
		{"1-303-555-0123", "+13035550123", "US", "303"},
		{"+1 647 555 0100", "+16475550100", "CA", "647"},
		{"604.555.0100", "+16045550100", "CA", "604"},
	} {
		p, err := dialer.LocalArea(dialer.Contact{Name: "X", Phone: c.in})
		if err != nil || p.E164 != c.e164 || p.Country != c.country || p.AreaCode != c.area {
			t.Errorf("LocalArea(%q) = %+v, %v; want %s %s %s", c.in, p, err, c.e164, c.country, c.area)
		}
	}
}

func TestTagRoundTrip(t *testing.T) {
	inst, id, ok := dialer.ParseTag(dialer.Tag("a1b2c3d4e5f6", 42))
	if !ok || inst != "a1b2c3d4e5f6" || id != 42 {
		t.Errorf("ParseTag(Tag) = %q %d %v", inst, id, ok)
	}
	for _, bad := range []string{"", "Main office", "dialer:", "dialer:abc", "dialer::1", "dialer:abc:x", "dialer:abc:-1", "(415) 555-0100"} {
		if _, _, ok := dialer.ParseTag(bad); ok {
			t.Errorf("ParseTag(%q) accepted", bad)
		}
	}
}

func TestCallStatusEnded(t *testing.T) {
	for st, want := range map[dialer.CallStatus]bool{
		dialer.CallQueued: false, dialer.CallRinging: false, dialer.CallInProgress: false, "": false,
		dialer.CallCompleted: true, dialer.CallBusy: true, dialer.CallFailed: true, dialer.CallNoAnswer: true, dialer.CallCanceled: true,
	} {
		if got := st.Ended(); got != want {
			t.Errorf("%q.Ended() = %v, want %v", st, got, want)
		}
	}
}
