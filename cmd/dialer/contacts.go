package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/dialer/display"
)

// newContactsCmd is the agent's contacts and their lists.
func newContactsCmd(e *env) *cobra.Command {
	return newGroup("contacts", "Contacts: import, add, edit, remove, show, list and export.",
		newContactsImportCmd(e),
		newContactsExportCmd(e),
		newContactsAddCmd(e),
		newContactsEditCmd(e),
		newContactsRmCmd(e),
		newContactsShowCmd(e),
		newContactsListCmd(e),
	)
}

// contactRecord is a contact in --json output (calls' contactJSON is the
// short form a call names).
type contactRecord struct {
	ID        int64             `json:"id"`
	Name      string            `json:"name"`
	Phone     string            `json:"phone"`
	Company   string            `json:"company"`
	Email     string            `json:"email"`
	Notes     string            `json:"notes"`
	TimeZone  string            `json:"time_zone"`
	Fields    map[string]string `json:"fields"`
	Lists     []string          `json:"lists"`
	DoNotCall bool              `json:"do_not_call"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
	DeletedAt *time.Time        `json:"deleted_at,omitempty"`
}

func toContactRecord(c dialer.Contact) contactRecord {
	j := contactRecord{ID: c.ID, Name: c.Name, Phone: c.Phone, Company: c.Company, Email: c.Email, Notes: c.Notes,
		TimeZone: c.TimeZone, Fields: c.Fields, Lists: c.Lists, DoNotCall: c.DoNotCall,
		CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC()}
	if j.Fields == nil {
		j.Fields = map[string]string{}
	}
	if j.Lists == nil {
		j.Lists = []string{}
	}
	if !c.DeletedAt.IsZero() {
		t := c.DeletedAt.UTC()
		j.DeletedAt = &t
	}
	return j
}

// contactFlags are the fields a person sets on a contact from the command
// line; only the flags given change anything.
type contactFlags struct {
	name, phone, company, email, notes, timeZone string
	fields, lists, unlists                       []string
}

// fieldFlags are the flags that change a contact's own fields.
var fieldFlags = []string{"name", "phone", "company", "email", "notes", "time-zone", "field"}

func (f *contactFlags) add(c *cobra.Command, e *env, edit bool) {
	fl := c.Flags()
	fl.StringVar(&f.name, "name", "", "full name")
	fl.StringVar(&f.phone, "phone", "", `phone number ("(212) 555-0143", "+12125550143")`)
	fl.StringVar(&f.company, "company", "", "company or account")
	fl.StringVar(&f.email, "email", "", "email address")
	fl.StringVar(&f.notes, "notes", "", "notes")
	fl.StringVar(&f.timeZone, "time-zone", "", `IANA time zone ("America/Chicago"); "": the phone's area code decides`)
	fl.StringArrayVar(&f.fields, "field", nil, "a custom field KEY=VALUE (repeatable; an empty VALUE removes it)")
	fl.StringArrayVar(&f.lists, "list", nil, "put the contact on this list, made if need be (repeatable)")
	c.RegisterFlagCompletionFunc("list", completeLists(e))
	if edit {
		fl.StringArrayVar(&f.unlists, "unlist", nil, "take the contact off this list (repeatable)")
		c.RegisterFlagCompletionFunc("unlist", completeLists(e))
	}
}

// apply sets the flags that were given on c. It checks everything before
// anything is written: a mistake changes nothing.
func (f *contactFlags) apply(cmd *cobra.Command, c *dialer.Contact) error {
	ch := cmd.Flags().Changed
	for _, l := range slices.Concat(f.lists, f.unlists) {
		if strings.TrimSpace(l) == "" {
			return usageError{"a list needs a name: --list and --unlist take one"}
		}
	}
	for _, l := range f.unlists {
		if !slices.Contains(c.Lists, strings.TrimSpace(l)) {
			return dialer.Errorf(dialer.ENOTFOUND, "%s is not on the list %q", c.Label(), strings.TrimSpace(l))
		}
	}
	if ch("name") {
		c.Name = strings.TrimSpace(f.name)
	}
	if ch("phone") {
		p, err := dialer.ParsePhone(f.phone)
		if err != nil {
			return err
		}
		if why := p.NotLocal(); why != "" {
			return dialer.Errorf(dialer.EINVALID, "%s", why)
		}
		c.Phone = p.E164
	}
	if ch("company") {
		c.Company = strings.TrimSpace(f.company)
	}
	if ch("email") {
		c.Email = strings.TrimSpace(f.email)
	}
	if ch("notes") {
		c.Notes = f.notes
	}
	if ch("time-zone") {
		tz := strings.TrimSpace(f.timeZone)
		if tz != "" {
			if _, err := dialer.LoadZone(tz); err != nil {
				return dialer.Errorf(dialer.EINVALID, "time zone %q is not a known IANA time zone (such as America/Chicago)", tz)
			}
		}
		c.TimeZone = tz
	}
	for _, kv := range f.fields {
		k, v, ok := strings.Cut(kv, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return usageError{fmt.Sprintf("--field %q is not KEY=VALUE", kv)}
		}
		if c.Fields == nil {
			c.Fields = map[string]string{}
		}
		if v == "" {
			delete(c.Fields, k)
		} else {
			c.Fields[k] = v
		}
	}
	return nil
}

// applyLists puts the contact on --list lists and off --unlist ones.
func (f *contactFlags) applyLists(ctx context.Context, db dialer.ContactStore, id int64) error {
	now := time.Now().UTC()
	for _, l := range f.lists {
		if err := db.AddToList(ctx, strings.TrimSpace(l), []int64{id}, now); err != nil {
			return err
		}
	}
	for _, l := range f.unlists {
		if err := db.RemoveFromList(ctx, strings.TrimSpace(l), []int64{id}); err != nil {
			return err
		}
	}
	return nil
}

// printContact shows one contact, a field a line, with extra rows (label,
// value pairs) after its own fields. Every value is shown inert.
func printContact(e *env, c dialer.Contact, extra ...string) error {
	var tw table
	row := func(k, v string) {
		if v != "" {
			tw.row(k, v)
		}
	}
	row("ID", fmt.Sprint(c.ID))
	row("Name", c.Name)
	row("Phone", c.Phone)
	row("Company", c.Company)
	row("Email", c.Email)
	row("Time zone", c.TimeZone)
	row("Lists", strings.Join(c.Lists, ", "))
	keys := make([]string, 0, len(c.Fields))
	for k := range c.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		row(k, c.Fields[k])
	}
	row("Notes", strings.ReplaceAll(c.Notes, "\n", " / "))
	for i := 0; i+1 < len(extra); i += 2 {
		row(extra[i], extra[i+1])
	}
	if !c.DeletedAt.IsZero() {
		row("Deleted", localTime(c.DeletedAt)+" (its calls are kept)")
	}
	return tw.flush(e.stdout)
}

func newContactsAddCmd(e *env) *cobra.Command {
	var (
		f      contactFlags
		asJSON bool
	)
	c := &cobra.Command{
		Use:     "add --phone NUMBER [--name NAME] [flags]",
		Short:   "Add a contact.",
		Example: `dialer contacts add --name "Ann Smith" --phone "(212) 555-0143" --company Acme --list October`,
		Args:    noArgs("contacts add takes flags only, such as --name and --phone"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("phone") {
				return usageError{"contacts add needs --phone"}
			}
			now := time.Now().UTC()
			ct := dialer.Contact{CreatedAt: now, UpdatedAt: now}
			if err := f.apply(cmd, &ct); err != nil {
				return err
			}
			ctx := cmd.Context()
			db, _, closeAll, err := openStore(ctx, e)
			if err != nil {
				return err
			}
			defer closeAll()
			saved, err := db.CreateContact(ctx, ct)
			if err != nil {
				return err
			}
			if err := f.applyLists(ctx, db, saved.ID); err != nil {
				return err
			}
			if saved, err = db.Contact(ctx, saved.ID); err != nil {
				return err
			}
			if asJSON {
				return writeJSON(e.stdout, toContactRecord(saved))
			}
			_, err = fmt.Fprintf(e.stdout, "Added %s (%s) as contact %d.\n", display.Line(saved.Label()), saved.Phone, saved.ID)
			return err
		},
	}
	f.add(c, e, false)
	jsonFlag(c, &asJSON)
	return c
}

func newContactsEditCmd(e *env) *cobra.Command {
	var (
		f      contactFlags
		asJSON bool
	)
	c := &cobra.Command{
		Use:               "edit CONTACT [flags]",
		Short:             "Change a contact's fields and lists; only the flags given change.",
		Long:              "Change a contact's fields and lists; only the flags given change. " + contactArgHelp,
		Example:           `dialer contacts edit 42 --email ann@acme.example --field Plan=Enterprise --unlist October`,
		Args:              oneContactArg("contacts edit"),
		ValidArgsFunction: completeContactArgs(e),
		RunE: func(cmd *cobra.Command, args []string) error {
			fields := slices.ContainsFunc(fieldFlags, cmd.Flags().Changed)
			if !fields && len(f.lists)+len(f.unlists) == 0 {
				return usageError{"contacts edit needs something to change, such as --name, --phone or --list; see 'dialer contacts edit --help'"}
			}
			ctx := cmd.Context()
			db, ct, closeAll, err := openContact(ctx, e, args[0], false)
			if err != nil {
				return err
			}
			defer closeAll()
			if err := f.apply(cmd, &ct); err != nil {
				return err
			}
			if fields {
				ct.UpdatedAt = time.Now().UTC()
				if _, err := db.UpdateContact(ctx, ct); err != nil {
					return err
				}
			}
			if err := f.applyLists(ctx, db, ct.ID); err != nil {
				return err
			}
			saved, err := db.Contact(ctx, ct.ID)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(e.stdout, toContactRecord(saved))
			}
			_, err = fmt.Fprintf(e.stdout, "Saved %s (%s).\n", display.Line(saved.Label()), saved.Phone)
			return err
		},
	}
	f.add(c, e, true)
	jsonFlag(c, &asJSON)
	return c
}

func newContactsRmCmd(e *env) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:               "rm CONTACT",
		Short:             "Delete a contact; its calls and charges are kept.",
		Long:              "Delete a contact: it leaves lists, searches and sessions, and its open callback is canceled; its calls and charges are kept. " + contactArgHelp,
		Args:              oneContactArg("contacts rm"),
		ValidArgsFunction: completeContactArgs(e),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			db, ct, closeAll, err := openContact(ctx, e, args[0], false)
			if err != nil {
				return err
			}
			defer closeAll()
			now := time.Now().UTC()
			if err := db.DeleteContact(ctx, ct.ID, now); err != nil {
				return err
			}
			if asJSON {
				ct.DeletedAt = now
				return writeJSON(e.stdout, toContactRecord(ct))
			}
			_, err = fmt.Fprintf(e.stdout, "Deleted %s (%s); its calls are kept.\n", display.Line(ct.Label()), ct.Phone)
			return err
		},
	}
	jsonFlag(c, &asJSON)
	return c
}

// contactShowJSON is contacts show --json: the contact, its do-not-call
// entry and open callback (null when none), and its calls.
type contactShowJSON struct {
	contactRecord
	DoNotCallEntry *dncJSON      `json:"do_not_call_entry"`
	Callback       *callbackJSON `json:"callback"`
	Calls          struct {
		Attempts    int        `json:"attempts"`
		LastCalled  *time.Time `json:"last_called"`
		LastOutcome string     `json:"last_outcome"`
	} `json:"calls"`
}

func newContactsShowCmd(e *env) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:               "show CONTACT",
		Short:             "Show a contact: fields, lists, do-not-call, callback and calls.",
		Long:              "Show a contact: fields, lists, do-not-call, callback and calls. " + contactArgHelp + " A deleted contact is shown by its id.",
		Args:              oneContactArg("contacts show"),
		ValidArgsFunction: completeContactArgs(e),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			db, ct, closeAll, err := openContact(ctx, e, args[0], true)
			if err != nil {
				return err
			}
			defer closeAll()
			out := contactShowJSON{contactRecord: toContactRecord(ct)}
			if ct.DoNotCall {
				d, err := db.DNC(ctx, ct.Phone)
				if err != nil {
					return err
				}
				out.DoNotCallEntry = &dncJSON{d.Phone, d.Reason, d.AddedBy, d.AddedAt.UTC()}
			}
			cbs, err := db.Callbacks(ctx, dialer.CallbackFilter{ContactID: ct.ID, Open: true})
			if err != nil {
				return err
			}
			if len(cbs) > 0 {
				cb := toCallbackJSON(cbs[0], ct, time.Now())
				out.Callback = &cb
			}
			hs, err := db.ContactHistories(ctx, []int64{ct.ID})
			if err != nil {
				return err
			}
			h, called := hs[ct.ID]
			out.Calls.Attempts, out.Calls.LastCalled, out.Calls.LastOutcome = h.Attempts, utcOrNil(h.LastCalled), string(h.LastOutcome)
			if asJSON {
				return writeJSON(e.stdout, out)
			}
			var extra []string
			if d := out.DoNotCallEntry; d != nil {
				v := "yes, since " + localTime(d.AddedAt)
				if d.AddedBy != "" {
					v += " by " + d.AddedBy
				}
				if d.Reason != "" {
					v += ": " + d.Reason
				}
				extra = append(extra, "Do not call", v)
			}
			if cb := out.Callback; cb != nil {
				v := localTime(cb.Due)
				if cb.Note != "" {
					v += ": " + cb.Note
				}
				extra = append(extra, "Callback", v)
			}
			calls := "none yet"
			if called {
				calls = fmt.Sprintf("%d, the last %s (%s)", h.Attempts, localTime(h.LastCalled), h.LastOutcome.Phrase())
			}
			extra = append(extra, "Calls", calls)
			return printContact(e, ct, extra...)
		},
	}
	jsonFlag(c, &asJSON)
	return readOnly(c)
}

// listIndex says which lists a contact is on, for many contacts at once:
// each list's members, in id order (8 bytes a membership).
type listIndex struct {
	names   []string
	members [][]int64
}

func readListIndex(ctx context.Context, db dialer.ContactStore) (*listIndex, error) {
	ls, err := db.Lists(ctx)
	if err != nil {
		return nil, err
	}
	x := &listIndex{}
	for _, l := range ls {
		ids, err := db.ListMembers(ctx, l.Name)
		if err != nil {
			return nil, err
		}
		x.names, x.members = append(x.names, l.Name), append(x.members, ids)
	}
	return x, nil
}

// of is the lists contact id is on, by name.
func (x *listIndex) of(id int64) []string {
	var out []string
	for i, ids := range x.members {
		if _, ok := slices.BinarySearch(ids, id); ok {
			out = append(out, x.names[i])
		}
	}
	return out
}

func newContactsListCmd(e *env) *cobra.Command {
	var (
		asJSON, lists bool
		list          string
		limit         int
	)
	c := &cobra.Command{
		Use:   "list",
		Short: "List contacts, oldest first (--list NAME: one list's; --lists: the lists themselves).",
		Args:  noArgs("contacts list takes no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if lists && list != "" {
				return usageError{"contacts list takes --lists (the lists) or --list NAME (one list's contacts), not both"}
			}
			if limit < 0 {
				return usageError{fmt.Sprintf("--limit %d: want 0 (all) or more", limit)}
			}
			ctx := cmd.Context()
			db, _, closeAll, err := openStore(ctx, e)
			if err != nil {
				return err
			}
			defer closeAll()
			if lists {
				return printLists(ctx, e, db, asJSON)
			}
			var idx *listIndex
			if asJSON {
				if idx, err = readListIndex(ctx, db); err != nil {
					return err
				}
			}
			// Paged through the store: a million contacts stream in bounded
			// memory. The text table is laid out a page at a time.
			var (
				after int64
				n     int
				tw    table
				enc   = newJSONArray(e.stdout)
			)
			tw.row("ID", "NAME", "PHONE", "COMPANY", "")
			for {
				page := 1000
				if limit > 0 {
					page = min(page, limit-n)
				}
				if page <= 0 {
					break
				}
				cs, err := db.ListContacts(ctx, dialer.ContactFilter{List: list, AfterID: after, Limit: page})
				if err != nil {
					return err
				}
				for _, c := range cs {
					if asJSON {
						c.Lists = idx.of(c.ID)
						if err := enc.add(toContactRecord(c)); err != nil {
							return err
						}
						continue
					}
					dnc := ""
					if c.DoNotCall {
						dnc = "do not call"
					}
					tw.row(fmt.Sprint(c.ID), c.Name, c.Phone, c.Company, dnc)
				}
				n += len(cs)
				if !asJSON && len(tw.rows) >= 5000 {
					if err := tw.flush(e.stdout); err != nil {
						return err
					}
					tw.rows = tw.rows[:0]
				}
				if len(cs) < page {
					break
				}
				after = cs[len(cs)-1].ID
			}
			switch {
			case asJSON:
				return enc.close()
			case n == 0 && list != "":
				_, err := fmt.Fprintf(e.stdout, "No contacts on the list %s.\n", display.Line(list))
				return err
			case n == 0:
				_, err := fmt.Fprintln(e.stdout, "No contacts yet: dialer contacts import FILE, or dialer contacts add.")
				return err
			}
			return tw.flush(e.stdout)
		},
	}
	jsonFlag(c, &asJSON)
	c.Flags().StringVar(&list, "list", "", "only the contacts on this list")
	c.Flags().BoolVar(&lists, "lists", false, "show the lists and their counts of contacts instead")
	c.Flags().IntVar(&limit, "limit", 0, "show at most this many (0: all)")
	c.RegisterFlagCompletionFunc("list", completeLists(e))
	return readOnly(c)
}

type listJSON struct {
	Name      string    `json:"name"`
	Contacts  int       `json:"contacts"`
	CreatedAt time.Time `json:"created_at"`
}

// printLists shows the lists, by name, with their counts of contacts.
func printLists(ctx context.Context, e *env, db dialer.ContactStore, asJSON bool) error {
	ls, err := db.Lists(ctx)
	if err != nil {
		return err
	}
	if asJSON {
		out := make([]listJSON, 0, len(ls))
		for _, l := range ls {
			out = append(out, listJSON{l.Name, l.Count, l.CreatedAt.UTC()})
		}
		return writeJSON(e.stdout, out)
	}
	if len(ls) == 0 {
		_, err := fmt.Fprintln(e.stdout, "No lists yet: contacts add or edit with --list NAME makes one.")
		return err
	}
	var tw table
	tw.row("LIST", "CONTACTS")
	for _, l := range ls {
		tw.row(l.Name, commas(l.Count))
	}
	return tw.flush(e.stdout)
}

// jsonArray writes a JSON array an element at a time, each element inert
// as writeJSON makes it.
type jsonArray struct {
	w     io.Writer
	first bool
}

func newJSONArray(w io.Writer) *jsonArray { return &jsonArray{w: w, first: true} }

func (a *jsonArray) add(v any) error {
	sep := ",\n  "
	if a.first {
		sep, a.first = "[\n  ", false
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = io.WriteString(a.w, sep+string(inertJSON(b)))
	return err
}

func (a *jsonArray) close() error {
	end := "\n]\n"
	if a.first {
		end = "[]\n"
	}
	_, err := io.WriteString(a.w, end)
	return err
}
