package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/store"
)

// Two agents on one database never call one contact at once: while Fox
// talks to Walter, Dana's Call on Walter says Fox is on a call with him,
// and Dana's session skips him (saying so) and calls the next contact.
// Once Fox's call ends, Dana may call Walter.
func TestTwoAgentsNeverCallOneContactAtOnce(t *testing.T) {
	forEngines(t, testTwoAgentsNeverCallOneContactAtOnce)
}

func testTwoAgentsNeverCallOneContactAtOnce(t *testing.T, eng cmdEngine) {
	w := newSessionWorldOn(t, eng, time.Hour) // contacts talk until hung up
	fox := w.c
	var walter, ada dialer.Contact
	w.withStore(func(db *store.DB) {
		now, zone := time.Now(), zoneAt(12) // midday where they are: calling hours never refuse

		var err error
		if walter, err = db.CreateContact(context.Background(), dialer.Contact{Name: "Walter", Phone: "+12125550143", TimeZone: zone, CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
		if ada, err = db.CreateContact(context.Background(), dialer.Contact{Name: "Ada", Phone: "+13125550199", TimeZone: zone, CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
		if err := db.AddToList(context.Background(), "today", []int64{walter.ID, ada.ID}, now); err != nil {
			t.Fatal(err)
		}
	})
	if code, out, errOut := fox.run("", "agents", "add", "--name", "Dana Scully", "--phone", "+12025550177"); code != 0 {
		t.Fatalf("agents add: %d %s %s", code, out, errOut)
	}
	dana := &callEnv{t: t, envv: map[string]string{}}
	for k, v := range fox.envv {
		dana.envv[k] = v
	}
	dana.envv["HOME"], dana.envv["XDG_CONFIG_HOME"] = t.TempDir(), t.TempDir()
	if code, out, errOut := dana.run("", "agent", "use", "Dana Scully"); code != 0 {
		t.Fatalf("agent use: %d %s %s", code, out, errOut)
	}

	// Fox calls Walter; the call lives until Fox hangs up (--hangup-after).
	var wg sync.WaitGroup
	var foxOut string
	var foxCode int
	wg.Go(func() {
		foxCode, foxOut, _ = fox.run("", "call", "--contact", fmt.Sprint(walter.ID), "--confirm", "auto",
			"--hangup-after", "4s", "--override-hours", "test")
	})
	// Once Fox's call is recorded (it took its hold on Walter first) ...
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var placed bool
		w.withStore(func(db *store.DB) {
			calls, err := db.Calls(context.Background(), dialer.CallFilter{ContactID: walter.ID})
			placed = err == nil && len(calls) == 1
		})
		if placed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Fox's call was not placed in 20 s")
		}
	}
	code, _, errOut := dana.run("", "call", "--contact", fmt.Sprint(walter.ID), "--confirm", "auto", "--override-hours", "test")
	if line := errorLine(errOut); code != 1 || line != "dialer: Fox Mulder is on a call with this contact" {
		t.Fatalf("Dana's call on Walter while Fox talks to him: exit %d, %q", code, errOut)
	}
	// ... Dana's session skips him, saying why, and calls Ada.
	code, out, errOut := dana.run("", "session", "--list", "today", "--confirm", "auto", "--hangup-after", "100ms")
	if code != 0 || !strings.Contains(out+errOut, "Fox Mulder is on a call with this contact") {
		t.Errorf("Dana's session while Fox talks to Walter: exit %d\n%s\n%s", code, out, errOut)
	}
	wg.Wait()
	if foxCode != 0 {
		t.Fatalf("Fox's call: exit %d\n%s", foxCode, foxOut)
	}
	// Fox's call is over: Walter is free.
	if code, _, errOut := dana.run("", "call", "--contact", fmt.Sprint(walter.ID), "--confirm", "auto",
		"--hangup-after", "100ms", "--override-hours", "test"); code != 0 {
		t.Errorf("Dana's call on Walter after Fox's ended: exit %d %s", code, errOut)
	}
	w.withStore(func(db *store.DB) {
		calls, err := db.Calls(context.Background(), dialer.CallFilter{})
		if err != nil {
			t.Fatal(err)
		}
		who := map[string]int{}
		for _, c := range calls {
			who[fmt.Sprintf("%s->%d", c.AgentName, c.ContactID)]++
		}
		want := map[string]int{fmt.Sprintf("Fox Mulder->%d", walter.ID): 1, fmt.Sprintf("Dana Scully->%d", ada.ID): 1,
			fmt.Sprintf("Dana Scully->%d", walter.ID): 1}
		if fmt.Sprint(who) != fmt.Sprint(want) {
			t.Errorf("calls placed %v, want %v", who, want)
		}
	})
}
