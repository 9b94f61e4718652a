package ui

import (
	"maps"
	"slices"
	"strings"
	"sync/atomic"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/dialer/display"
)

// The contact form adds a contact or edits every field of one: from the
// contacts screen at any time, and from the call screen during a call (the
// same form). Its rows: the fixed fields, then one per custom field, then
// a row to add a custom field.
const (
	fName = iota
	fPhone
	fCompany
	fEmail
	fZone
	fLists
	fNotes
	fixedFields
)

var fieldLabels = [fixedFields]string{"Name", "Phone", "Company", "Email", "Time zone", "Lists", "Notes"}

// labelWidth is the width of the labels column (the widest label, "Time
// zone", and room for a custom field's name).
const labelWidth = 12

// formSerial numbers forms, so that a save's answer reaches only the form
// that asked (a form closed meanwhile, or another one, ignores it).
var formSerial atomic.Uint64

type contactForm struct {
	serial uint64
	orig   dialer.Contact // the contact as read (ID 0: a new one)
	shown  []string       // each row's starting value as shown (inert)
	inputs []textinput.Model
	custom []string // the custom fields' names, in row order after the fixed ones
	focus  int
	errs   map[int]string // a sentence under a row
	err    string         // a sentence under the form
	saving bool
}

// newContactForm opens the form on c (zero: a new contact) with row focus
// focused. Stored text enters the fields inert; a row left as shown keeps
// the stored value, whatever it holds.
func newContactForm(c dialer.Contact, focus int) *contactForm {
	f := &contactForm{serial: formSerial.Add(1), orig: c, errs: map[int]string{}}
	values := []string{c.Name, c.Phone, c.Company, c.Email, c.TimeZone, strings.Join(c.Lists, ", "), c.Notes}
	placeholders := []string{"Dana Scully", "+1 202 555 0177 or (202) 555-0177", "", "", "empty: from the phone's area code (or America/Chicago…)",
		"names, separated by commas", ""}
	labels := fieldLabels[:]
	f.custom = slices.Sorted(maps.Keys(c.Fields))
	for _, name := range f.custom {
		values = append(values, c.Fields[name])
		placeholders = append(placeholders, "empty: remove the field")
		labels = append(labels, name)
	}
	values = append(values, "")
	placeholders = append(placeholders, "name: value (a new custom field)")
	labels = append(labels, "New field")
	for i, v := range values {
		in := textinput.New()
		in.Prompt = display.Pad(display.Line(labels[i]), labelWidth)
		in.Placeholder = placeholders[i]
		in.SetWidth(56)
		shown := display.Line(v)
		in.SetValue(shown)
		f.shown = append(f.shown, in.Value())
		f.inputs = append(f.inputs, in)
	}
	f.focus = max(0, min(focus, len(f.inputs)-1))
	return f
}

// newFieldRow is the row that adds a custom field.
func (f *contactForm) newFieldRow() int { return len(f.inputs) - 1 }

func (f *contactForm) focusCmd() tea.Cmd {
	for i := range f.inputs {
		f.inputs[i].Blur()
	}
	return f.inputs[f.focus].Focus()
}

// value is row i's value: the stored one if the row was left as shown.
func (f *contactForm) value(i int, stored string) string {
	v := f.inputs[i].Value()
	if v == f.shown[i] {
		return stored
	}
	return strings.TrimSpace(v)
}

// contactSavedMsg: the form's contact was saved (and indexed).
type contactSavedMsg struct {
	serial  uint64
	contact dialer.Contact // with its lists
	created bool
}

// formErrMsg: the store or a check refused the form; row -1 is the form.
type formErrMsg struct {
	serial uint64
	row    int
	text   string
}

func (f *contactForm) keyHelp() help.KeyMap {
	b := []key.Binding{hint("enter", "save"), hint("tab/↓", "next field"), hint("shift+tab/↑", "previous"), hint("esc", "cancel")}
	return keyHelp{short: b, full: [][]key.Binding{b}}
}

// update runs a key on the form. done: the form closes (esc).
func (f contactForm) update(msg tea.Msg, d Deps, sync *indexSync) (contactForm, tea.Cmd, bool) {
	switch msg := msg.(type) {
	case formErrMsg:
		if msg.serial == f.serial {
			f.saving = false
			if msg.row >= 0 {
				f.errs[msg.row] = msg.text
				f.focus = msg.row
				return f, f.focusCmd(), false
			}
			f.err = msg.text
		}
		return f, nil, false
	case tea.KeyPressMsg:
		switch msg.String() {
		case "esc":
			return f, nil, true
		case "tab", "down":
			f.focus = (f.focus + 1) % len(f.inputs)
			return f, f.focusCmd(), false
		case "shift+tab", "up":
			f.focus = (f.focus + len(f.inputs) - 1) % len(f.inputs)
			return f, f.focusCmd(), false
		case "enter":
			if f.saving {
				return f, nil, false
			}
			c, err := f.contact()
			if err != nil {
				f.errs[err.row] = err.text
				f.focus = err.row
				return f, f.focusCmd(), false
			}
			f.saving, f.err = true, ""
			clear(f.errs)
			return f, saveContactForm(d, sync, f.serial, f.orig, c), false
		}
		var cmd tea.Cmd
		f.inputs[f.focus], cmd = f.inputs[f.focus].Update(msg)
		delete(f.errs, f.focus)
		return f, cmd, false
	}
	var cmd tea.Cmd
	f.inputs[f.focus], cmd = f.inputs[f.focus].Update(msg) // the cursor's blink
	return f, cmd, false
}

type rowErr struct {
	row  int
	text string
}

// contact is the contact the form says, checked for what needs no store
// or zone database (phone and time zone are checked when saving).
func (f *contactForm) contact() (dialer.Contact, *rowErr) {
	o := f.orig
	c := o
	c.Name = f.value(fName, o.Name)
	c.Phone = f.value(fPhone, o.Phone)
	c.Company = f.value(fCompany, o.Company)
	c.Email = f.value(fEmail, o.Email)
	c.TimeZone = f.value(fZone, o.TimeZone)
	c.Notes = f.value(fNotes, o.Notes)
	c.Lists = parseLists(f.value(fLists, strings.Join(o.Lists, ", ")))
	c.Fields = maps.Clone(o.Fields)
	for i, name := range f.custom {
		v := f.value(fixedFields+i, o.Fields[name])
		if v == "" {
			delete(c.Fields, name)
		} else {
			c.Fields[name] = v
		}
	}
	if nv := strings.TrimSpace(f.inputs[f.newFieldRow()].Value()); nv != "" {
		name, value, ok := strings.Cut(nv, ":")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if !ok || name == "" || value == "" {
			return c, &rowErr{f.newFieldRow(), "Write a field as name: value, such as Budget: 10k"}
		}
		if c.Fields == nil {
			c.Fields = map[string]string{}
		}
		c.Fields[name] = value
	}
	if c.Phone == "" {
		return c, &rowErr{fPhone, "A contact needs a phone number."}
	}
	if len(c.Fields) == 0 {
		c.Fields = nil
	}
	return c, nil
}

// parseLists reads comma-separated list names: trimmed, empty ones and
// repeats dropped, in the order written.
func parseLists(s string) []string {
	var out []string
	for _, n := range strings.Split(s, ",") {
		if n = strings.TrimSpace(n); n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// checkContactForm checks the phone and the time zone and writes the phone
// as E.164. A phone that changed must be one a local caller ID can call
// (dialer.LocalArea's sentences: toll-free, premium, outside the US and
// Canada); an unchanged one is kept as it is.
func checkContactForm(orig, c dialer.Contact) (dialer.Contact, *rowErr) {
	p, err := dialer.ParsePhone(c.Phone)
	if err != nil {
		if c.Phone == orig.Phone && orig.ID != 0 {
			return c, nil // as imported: the call screen says why it cannot be called
		}
		return c, &rowErr{fPhone, dialer.ErrorMessage(err)}
	}
	if p.E164 != orig.Phone || orig.ID == 0 {
		if _, err := dialer.LocalArea(dialer.Contact{Name: c.Name, Phone: p.E164}); err != nil {
			return c, &rowErr{fPhone, dialer.ErrorMessage(err)}
		}
		c.Phone = p.E164
	}
	if c.TimeZone != "" && c.TimeZone != orig.TimeZone {
		if _, err := dialer.LoadZone(c.TimeZone); err != nil {
			return c, &rowErr{fZone, "Time zone " + `"` + c.TimeZone + `"` + " is not a known IANA time zone (such as America/Chicago)."}
		}
	}
	return c, nil
}

// saveContactForm checks and writes the contact, then its lists (the
// difference from the lists it was on), then indexes it: searchable at
// once.
func saveContactForm(d Deps, sync *indexSync, serial uint64, orig, c dialer.Contact) tea.Cmd {
	return func() tea.Msg {
		ctx := d.Context
		c, rerr := checkContactForm(orig, c)
		if rerr != nil {
			return formErrMsg{serial: serial, row: rerr.row, text: rerr.text}
		}
		now := d.now().UTC()
		c.UpdatedAt = now
		var (
			saved dialer.Contact
			err   error
		)
		created := orig.ID == 0
		if created {
			c.CreatedAt = now
			saved, err = d.Store.CreateContact(ctx, c)
		} else {
			saved, err = d.Store.UpdateContact(ctx, c)
		}
		if err != nil {
			row := -1
			if dialer.ErrorKind(err) == dialer.ECONFLICT {
				row = fPhone // another contact has the number
			}
			return formErrMsg{serial: serial, row: row, text: dialer.ErrorMessage(err)}
		}
		if sync != nil {
			sync.put(saved)
		}
		for _, l := range c.Lists {
			if !slices.Contains(orig.Lists, l) {
				if err := d.Store.AddToList(ctx, l, []int64{saved.ID}, now); err != nil {
					return formErrMsg{serial: serial, row: fLists, text: dialer.ErrorMessage(err)}
				}
			}
		}
		for _, l := range orig.Lists {
			if !slices.Contains(c.Lists, l) {
				if err := d.Store.RemoveFromList(ctx, l, []int64{saved.ID}); err != nil {
					return formErrMsg{serial: serial, row: fLists, text: dialer.ErrorMessage(err)}
				}
			}
		}
		saved.Lists = c.Lists
		return contactSavedMsg{serial: serial, contact: saved, created: created}
	}
}

func (f contactForm) view(st Styles, w int) string {
	var b strings.Builder
	title := "New contact"
	if f.orig.ID != 0 {
		title = "Edit " + display.Line(f.orig.Label())
	}
	b.WriteString(st.Title.Render(title) + "\n\n")
	for i, in := range f.inputs {
		b.WriteString(in.View() + "\n")
		if e, ok := f.errs[i]; ok {
			// wrapped under the field: the sentence says what to do
			b.WriteString(st.Error.MarginLeft(labelWidth).Width(max(20, w-labelWidth)).Render(display.Line(e)) + "\n")
		}
	}
	b.WriteString("\n")
	switch {
	case f.saving:
		b.WriteString(st.Muted.Render("Saving…"))
	case f.err != "":
		b.WriteString(st.Error.Render(display.Line(f.err)))
	default:
		b.WriteString(st.Muted.Render("Lists: names separated by commas; a new name makes a new list."))
	}
	return b.String()
}
