package search

import "testing"

func TestDirectoryGetUpdateRemove(t *testing.T) {
	d := NewDirectory(4)
	d.AddBatch([]Entry{{ID: 2, Name: "Zoë Ångström", Company: "Nordic", Phone: "+13035550112"}, {ID: 5, Name: "Bob", Phone: "+14155550100"}})
	d.AddBatch([]Entry{{ID: 9, Name: "Cy", Company: "", Phone: ""}})
	if e, ok := d.Get(2); !ok || e.Name != "Zoë Ångström" || e.Company != "Nordic" || e.Phone != "+13035550112" {
		t.Errorf("Get(2) = %+v, %v", e, ok)
	}
	if e, ok := d.Get(9); !ok || e.Name != "Cy" || e.Phone != "" {
		t.Errorf("Get(9) = %+v, %v", e, ok)
	}
	if _, ok := d.Get(3); ok {
		t.Error("Get(3) found an entry never added")
	}
	d.Update(Entry{ID: 5, Name: "Robert", Phone: "+14155550100"})
	d.AddBatch([]Entry{{ID: 7, Name: "late", Phone: "1"}}) // an id below the last: kept as an edit
	if e, _ := d.Get(5); e.Name != "Robert" {
		t.Errorf("after Update: %+v", e)
	}
	if e, ok := d.Get(7); !ok || e.Name != "late" {
		t.Errorf("out-of-order add: %+v %v", e, ok)
	}
	d.Remove(2)
	if _, ok := d.Get(2); ok {
		t.Error("removed entry still found")
	}
}
