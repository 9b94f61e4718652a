package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/dialer/day"
	"github.com/dialer-dev/dialer/dialer/display"
	"github.com/dialer-dev/dialer/store"
)

// newCallbacksCmd is the callbacks agents promised.
func newCallbacksCmd(e *env) *cobra.Command {
	return newGroup("callbacks", "Callbacks: when to call a contact again.",
		newCallbacksListCmd(e),
		newCallbacksAddCmd(e),
		newCallbacksCancelCmd(e),
	)
}

// contactArgHelp says what a CONTACT argument is.
const contactArgHelp = "CONTACT is a contact id (as contacts list shows) or the contact's phone number."

// contactArg reads a CONTACT argument: an id (digits, fewer than ten), or a
// phone number in any common formatting. The contact comes with its lists.
// A deleted contact is found by its id only, and only when deleted is
// true (contacts show): the others say it was deleted.
func contactArg(ctx context.Context, db dialer.ContactStore, arg string, deleted bool) (dialer.Contact, error) {
	arg = strings.TrimSpace(arg)
	if len(arg) < 10 && arg != "" && strings.Trim(arg, "0123456789") == "" {
		id, err := strconv.ParseInt(arg, 10, 64)
		if err != nil || id <= 0 {
			return dialer.Contact{}, dialer.Errorf(dialer.EINVALID, "%q is not a contact id: ids start at 1", arg)
		}
		c, err := db.Contact(ctx, id)
		if err != nil {
			return c, err
		}
		if !c.DeletedAt.IsZero() && !deleted {
			return c, dialer.Errorf(dialer.ENOTFOUND, "contact %d (%s) was deleted", c.ID, c.Label())
		}
		return c, nil
	}
	p, err := dialer.ParsePhone(arg)
	if err != nil {
		return dialer.Contact{}, dialer.Errorf(dialer.EINVALID, "%q is neither a contact id nor a phone number", arg)
	}
	c, err := db.ContactByPhone(ctx, p.E164)
	if dialer.ErrorKind(err) == dialer.ENOTFOUND {
		return c, dialer.Errorf(dialer.ENOTFOUND, "no contact has the phone number %s", p.E164)
	}
	if err != nil {
		return c, err
	}
	return db.Contact(ctx, c.ID) // with its lists
}

// openContact opens the database and finds the CONTACT argument in it (see
// contactArg).
func openContact(ctx context.Context, e *env, arg string, deleted bool) (*store.DB, dialer.Contact, func(), error) {
	db, _, closeAll, err := openStore(ctx, e)
	if err != nil {
		return nil, dialer.Contact{}, nil, err
	}
	c, err := contactArg(ctx, db, arg, deleted)
	if err != nil {
		closeAll()
		return nil, c, nil, err
	}
	return db, c, closeAll, nil
}

// oneContactArg is the Args of a leaf that takes one CONTACT.
func oneContactArg(what string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != 1 {
			return usageError{what + " takes one contact: an id or a phone number"}
		}
		return nil
	}
}

type callbackJSON struct {
	ID        int64     `json:"id"`
	ContactID int64     `json:"contact_id"`
	Contact   string    `json:"contact"`
	Phone     string    `json:"phone"`
	Due       time.Time `json:"due"`
	DueNow    bool      `json:"due_now"` // due at or before the time of the command
	TheirTime string    `json:"their_time"`
	Note      string    `json:"note"`
	CreatedBy string    `json:"created_by"`
	AgentID   int64     `json:"agent_id,omitempty"` // the agent it is for (a missed inbound call's)
	CreatedAt time.Time `json:"created_at"`
}

func toCallbackJSON(cb dialer.Callback, c dialer.Contact, now time.Time) callbackJSON {
	return callbackJSON{ID: cb.ID, ContactID: cb.ContactID, AgentID: cb.AgentID, Contact: c.Name, Phone: c.Phone, Due: cb.Due.UTC(),
		DueNow: !cb.Due.After(now), TheirTime: theirTime(cb.Due, c), Note: cb.Note, CreatedBy: cb.CreatedBy, CreatedAt: cb.CreatedAt.UTC()}
}

// theirTime is t in the contact's time zone: "Tue Dec 8 9:00 AM EST"; ""
// when the contact has no zone (an unreadable phone).
func theirTime(t time.Time, c dialer.Contact) string {
	z, err := day.Zone(c)
	if err != nil {
		return ""
	}
	return t.In(z).Format("Mon Jan 2 3:04 PM MST")
}

func newCallbacksListCmd(e *env) *cobra.Command {
	var asJSON, due bool
	c := &cobra.Command{
		Use:   "list",
		Short: "List open callbacks, soonest first (--due: those due now or overdue).",
		Args:  noArgs("callbacks list takes no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			db, _, closeAll, err := openStore(ctx, e)
			if err != nil {
				return err
			}
			defer closeAll()
			now := time.Now().UTC()
			f := dialer.CallbackFilter{Open: true}
			if due {
				f.DueBy = now
			}
			cbs, err := db.Callbacks(ctx, f)
			if err != nil {
				return err
			}
			ids := make([]int64, len(cbs))
			for i, cb := range cbs {
				ids[i] = cb.ContactID
			}
			cs, err := db.Contacts(ctx, ids)
			if err != nil {
				return err
			}
			byID := make(map[int64]dialer.Contact, len(cs))
			for _, c := range cs {
				byID[c.ID] = c
			}
			if asJSON {
				out := make([]callbackJSON, 0, len(cbs))
				for _, cb := range cbs {
					out = append(out, toCallbackJSON(cb, byID[cb.ContactID], now))
				}
				return writeJSON(e.stdout, out)
			}
			if len(cbs) == 0 {
				msg := "No callbacks scheduled."
				if due {
					msg = "No callbacks due."
				}
				_, err := fmt.Fprintln(e.stdout, msg)
				return err
			}
			// FOR: the agent a callback is meant for (a missed inbound
			// call's), when any is.
			names := map[int64]string{}
			if slices.ContainsFunc(cbs, func(cb dialer.Callback) bool { return cb.AgentID != 0 }) {
				as, err := db.Agents(ctx, true)
				if err != nil {
					return err
				}
				for _, a := range as {
					names[a.ID] = a.Name
				}
			}
			var tw table // names and notes shown inert
			if len(names) > 0 {
				tw.row("DUE", "", "FOR", "CONTACT", "PHONE", "THEIR TIME", "NOTE")
			} else {
				tw.row("DUE", "", "CONTACT", "PHONE", "THEIR TIME", "NOTE")
			}
			for _, cb := range cbs {
				c := byID[cb.ContactID]
				mark := ""
				switch late := now.Sub(cb.Due); {
				case late > time.Hour:
					mark = "overdue"
				case late >= 0:
					mark = "due"
				}
				if len(names) > 0 {
					who := names[cb.AgentID]
					if who == "" {
						who = "anyone"
					}
					tw.row(localTime(cb.Due), mark, who, c.Label(), c.Phone, theirTime(cb.Due, c), cb.Note)
					continue
				}
				tw.row(localTime(cb.Due), mark, c.Label(), c.Phone, theirTime(cb.Due, c), cb.Note)
			}
			return tw.flush(e.stdout)
		},
	}
	jsonFlag(c, &asJSON)
	c.Flags().BoolVar(&due, "due", false, "only callbacks due now or overdue")
	return readOnly(c)
}

// whenLayout is how a callback's time is written in messages.
const whenLayout = "Mon Jan 2 3:04 PM"

func newCallbacksAddCmd(e *env) *cobra.Command {
	var (
		at, note    string
		fit, asJSON bool
	)
	c := &cobra.Command{
		Use:   "add CONTACT --at WHEN",
		Short: "Schedule a callback (replacing the contact's open one).",
		Long: "Schedule a callback, replacing the contact's open one. " + contactArgHelp + "\n\n" +
			"WHEN is " + day.WhenHelp + ",\n" +
			"or one of: 1h (in an hour), morning (tomorrow morning), business (next business day).\n\n" +
			"A time outside the contact's calling hours is refused, naming the next allowed time;\n" +
			"--fit takes that time instead. 1h, morning and business always move into calling hours.",
		Example: `dialer callbacks add +12125550143 --at "tomorrow 10am" --note "wants the pricing sheet"
dialer callbacks add 42 --at "fri 8pm" --fit`,
		Args:              oneContactArg("callbacks add"),
		ValidArgsFunction: completeContactArgs(e),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(at) == "" {
				return usageError{`callbacks add needs --at WHEN, such as --at "tomorrow 10am"`}
			}
			ctx := cmd.Context()
			db, c, closeAll, err := openContact(ctx, e, args[0], false)
			if err != nil {
				return err
			}
			defer closeAll()
			set, err := db.Settings(ctx)
			if err != nil {
				return err
			}
			now := time.Now()
			var (
				choice day.Choice
				quick  = true
			)
			switch strings.ToLower(strings.TrimSpace(at)) {
			case "1h", "in 1 hour":
				choice, err = day.In1Hour(now, c, set.CallingHours)
			case "morning", "tomorrow morning":
				choice, err = day.TomorrowMorning(now, c, set.CallingHours)
			case "business", "next business day":
				choice, err = day.NextBusinessDay(now, c, set.CallingHours)
			default:
				quick = false
				choice, err = day.ParseWhen(at, now, c, set.CallingHours)
			}
			if err != nil {
				return err
			}
			if choice.Moved && !quick && !fit {
				z := choice.Closed
				return dialer.Errorf(dialer.EHOURS, "%s is outside calling hours (%s) for %s in %s; the next allowed time is %s there: add --fit to take it, or choose another time",
					choice.Asked.In(z).Format(whenLayout), set.CallingHours, c.Label(), z, choice.At.In(z).Format(whenLayout))
			}
			cb, err := db.ScheduleCallback(ctx, dialer.Callback{ContactID: c.ID, Due: choice.At.UTC(), Note: strings.TrimSpace(note),
				CreatedBy: who(e), CreatedAt: now.UTC()})
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(e.stdout, toCallbackJSON(cb, c, now))
			}
			msg := fmt.Sprintf("Callback for %s at %s their time (%s), %s your time.",
				c.Label(), choice.At.In(choice.Zone).Format(whenLayout), choice.Zone, localTime(cb.Due))
			if choice.Moved {
				fmt.Fprintln(e.stdout, display.Line("Moved into calling hours: "+choice.Note+"."))
			}
			_, err = fmt.Fprintln(e.stdout, display.Line(msg))
			return err
		},
	}
	c.Flags().StringVar(&at, "at", "", "when to call back, in the contact's time (see above)")
	c.Flags().StringVar(&note, "note", "", "what it is about")
	c.Flags().BoolVar(&fit, "fit", false, "take the next allowed time when WHEN is outside calling hours")
	jsonFlag(c, &asJSON)
	return c
}

func newCallbacksCancelCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:               "cancel CONTACT",
		Short:             "Cancel a contact's open callback.",
		Long:              "Cancel a contact's open callback. " + contactArgHelp,
		Args:              oneContactArg("callbacks cancel"),
		ValidArgsFunction: completeContactArgs(e),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			db, c, closeAll, err := openContact(ctx, e, args[0], false)
			if err != nil {
				return err
			}
			defer closeAll()
			open, err := db.Callbacks(ctx, dialer.CallbackFilter{ContactID: c.ID, Open: true})
			if err != nil {
				return err
			}
			if len(open) == 0 {
				return dialer.Errorf(dialer.ENOTFOUND, "%s has no open callback", c.Label())
			}
			if err := db.CancelCallback(ctx, c.ID); err != nil {
				return err
			}
			_, err = fmt.Fprintf(e.stdout, "Canceled the callback for %s at %s.\n", display.Line(c.Label()), localTime(open[0].Due))
			return err
		},
	}
}
