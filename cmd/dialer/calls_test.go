package main

import (
	"context"
	"strconv"
	"testing"

	"github.com/dialer-dev/dialer/dialer"
)

// fakeContacts holds contacts 1..n but one, and counts the queries.
type fakeContacts struct {
	dialer.ContactStore
	n, missing      int64
	batches, single int
}

func (f *fakeContacts) Contacts(ctx context.Context, ids []int64) ([]dialer.Contact, error) {
	f.batches++
	if len(ids) > contactBatch {
		return nil, dialer.Errorf(dialer.EINVALID, "%d ids in one query", len(ids))
	}
	var out []dialer.Contact
	for _, id := range ids {
		if id >= 1 && id <= f.n && id != f.missing {
			out = append(out, dialer.Contact{ID: id, Name: "C" + strconv.FormatInt(id, 10)})
		}
	}
	return out, nil
}

func (f *fakeContacts) Contact(ctx context.Context, id int64) (dialer.Contact, error) {
	f.single++
	if id >= 1 && id <= f.n && id != f.missing {
		return dialer.Contact{ID: id, Name: "C" + strconv.FormatInt(id, 10)}, nil
	}
	return dialer.Contact{}, dialer.Errorf(dialer.ENOTFOUND, "no contact with id %d", id)
}

func TestCallContactsBatches(t *testing.T) {
	var cs []dialer.Call
	for id := int64(1200); id >= 1; id-- {
		if id != 777 {
			cs = append(cs, dialer.Call{ContactID: id}, dialer.Call{ContactID: id})
		}
	}
	f := &fakeContacts{n: 1200, missing: 777}
	got, err := callContacts(context.Background(), f, cs)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1199 || got[42].Name != "C42" || f.batches != 3 || f.single != 0 {
		t.Errorf("%d contacts, %d batch queries, %d single ones", len(got), f.batches, f.single)
	}

	// A call whose contact is gone fails as Store.Contact does.
	cs = append(cs, dialer.Call{ContactID: 777})
	_, err = callContacts(context.Background(), &fakeContacts{n: 1200, missing: 777}, cs)
	if err == nil || err.Error() != "no contact with id 777" || dialer.ErrorKind(err) != dialer.ENOTFOUND {
		t.Errorf("missing contact: %v", err)
	}
}

func TestToCallJSONNewNumberFee(t *testing.T) {
	fee, err := dialer.ParseMoney("2.50", "USD")
	if err != nil {
		t.Fatal(err)
	}
	other, _ := dialer.ParseMoney("9.00", "USD")
	fees := feesByID([]dialer.Charge{{ID: 3, Amount: other}, {ID: 7, Amount: fee}})
	j := toCallJSON(dialer.Call{ID: 1, FeeChargeID: 7}, dialer.Contact{}, fees)
	if j.NewNumberFee == nil || *j.NewNumberFee != "2.50" {
		t.Errorf("fee of charge 7: %v", j.NewNumberFee)
	}
	for _, id := range []int64{0, 5} { // reused caller ID; a charge not read
		if j := toCallJSON(dialer.Call{ID: 1, FeeChargeID: id}, dialer.Contact{}, fees); j.NewNumberFee != nil {
			t.Errorf("FeeChargeID %d: fee %q", id, *j.NewNumberFee)
		}
	}
}

func TestFlagsOnlyCommandsRefuseArguments(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"dirs", "x"}, "dirs takes no arguments"},
		{[]string{"emulator", "x"}, "emulator takes flags only"},
		{[]string{"calls", "list", "x", "--json"}, "calls list takes no arguments"},
		{[]string{"calls", "export", "x"}, "calls export takes flags only"},
		{[]string{"numbers", "list", "x"}, "numbers list takes no arguments"},
		{[]string{"numbers", "search", "415"}, "numbers search takes flags only, e.g. --area-code 415"},
		{[]string{"numbers", "sweep", "x"}, "numbers sweep takes no arguments"},
		{[]string{"numbers", "reconcile", "x"}, "numbers reconcile takes no arguments"},
		{[]string{"charges", "list", "x"}, "charges list takes no arguments"},
	} {
		code, out, errOut := runCLI(t, dir, tc.args...)
		if code != 2 || out != "" || errOut != "dialer: "+tc.msg+"\n" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", tc.args, code, out, errOut)
		}
	}
	// A command without the rule still takes (and ignores) arguments.
	if code, out, _ := runCLI(t, dir, "version", "x"); code != 0 || out == "" {
		t.Errorf("version x: exit %d, %q", code, out)
	}
}
