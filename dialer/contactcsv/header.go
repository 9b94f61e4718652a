package contactcsv

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/dialer-dev/dialer/dialer"
)

// field is what a column of the file is read as.
type field int

const (
	fCustom field = iota // a custom field, under the column's name
	fName
	fFirst
	fLast
	fPhone
	fCompany
	fEmail
	fNotes
	fZone
	fIgnore
)

// Fields are the names --map takes, besides custom:<key>.
var Fields = []string{"name", "first_name", "last_name", "phone", "company", "email", "notes", "time_zone", "ignore"}

var fieldByName = map[string]field{
	"name": fName, "first_name": fFirst, "last_name": fLast, "phone": fPhone, "company": fCompany,
	"email": fEmail, "notes": fNotes, "time_zone": fZone, "ignore": fIgnore,
}

// aliases are the headers each field is recognised by, normalised (see
// fold), best first: when several columns could be the phone, the one
// with the better alias is; the others are kept as custom fields.
var aliases = []struct {
	f     field
	names []string
}{
	{fName, []string{"name", "fullname", "contactname", "contact"}},
	{fFirst, []string{"firstname", "first", "givenname"}},
	{fLast, []string{"lastname", "last", "surname", "familyname"}},
	{fPhone, []string{"phone", "phonenumber", "mobile", "mobilephone", "cell", "cellphone", "number",
		"telephone", "telephonenumber", "tel", "workphone"}},
	{fCompany, []string{"company", "companyname", "account", "accountname", "organization", "organisation"}},
	{fEmail, []string{"email", "emailaddress"}},
	{fNotes, []string{"notes", "note", "comments", "comment", "description"}},
	{fZone, []string{"timezone", "tz"}},
}

// fold is a header as aliases has it: lower-case letters and digits only,
// so "E-mail", "Phone #" and " Time Zone " are "email", "phone" and
// "timezone".
func fold(h string) string {
	var b strings.Builder
	for _, r := range h {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// rejectColumn reports whether h is a column a rejects file adds: an
// import ignores them, so a fixed rejects file imports as it is.
func rejectColumn(h string) bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(h)), "dialer_reject_")
}

// column is how one column of the file is read.
type column struct {
	f   field
	key string // custom field key
}

// layout is how the columns of a file are read.
type layout struct {
	header []string // as written, decoded
	cols   []column
	byF    map[field]int // column of each bound field
}

// parseMap reads --map values: "column=field".
func ParseMap(specs []string) (map[string]string, error) {
	m := map[string]string{}
	for _, s := range specs {
		col, f, ok := strings.Cut(s, "=")
		col, f = strings.TrimSpace(col), strings.TrimSpace(f)
		if !ok || col == "" || f == "" {
			return nil, dialer.Errorf(dialer.EINVALID, "--map %q: write it COLUMN=FIELD, such as \"Cell=phone\"", s)
		}
		m[col] = f
	}
	return m, nil
}

// newLayout binds the columns of header to fields: first the Map
// options, then the aliases, and the rest become custom fields.
func newLayout(header []string, mapping map[string]string) (*layout, error) {
	l := &layout{header: header, cols: make([]column, len(header)), byF: map[field]int{}}
	bound := make([]bool, len(header))
	for i, h := range header {
		if rejectColumn(h) {
			l.cols[i], bound[i] = column{f: fIgnore}, true
		}
	}
	for name, target := range mapping {
		i := findColumn(header, name)
		if i < 0 {
			return nil, dialer.Errorf(dialer.EINVALID, "--map %s=%s: the file has no column %q (its columns: %s)", name, target, name, quoteList(header))
		}
		var c column
		if key, ok := strings.CutPrefix(target, "custom:"); ok {
			if key = strings.TrimSpace(key); key == "" {
				return nil, dialer.Errorf(dialer.EINVALID, "--map %s=%s: custom: needs a field name, such as custom:Industry", name, target)
			}
			c = column{f: fCustom, key: key}
		} else if f, ok := fieldByName[strings.ToLower(target)]; ok {
			c = column{f: f}
		} else {
			return nil, dialer.Errorf(dialer.EINVALID, "--map %s=%s: %q is not a field; use one of %s, or custom:NAME", name, target, target, strings.Join(Fields, ", "))
		}
		if c.f != fCustom && c.f != fIgnore {
			if j, dup := l.byF[c.f]; dup && j != i {
				return nil, dialer.Errorf(dialer.EINVALID, "--map: two columns (%q and %q) are mapped to %s", header[j], header[i], target)
			}
			l.byF[c.f] = i
		}
		l.cols[i], bound[i] = c, true
	}
	folded := make([]string, len(header))
	for i, h := range header {
		folded[i] = fold(h)
	}
	for _, a := range aliases {
		if _, ok := l.byF[a.f]; ok {
			continue
		}
		if _, full := l.byF[fName]; full && (a.f == fFirst || a.f == fLast) {
			continue // a full name column: first and last names are custom fields
		}
	alias:
		for _, name := range a.names {
			for i := range header {
				if !bound[i] && folded[i] == name {
					l.cols[i], bound[i] = column{f: a.f}, true
					l.byF[a.f] = i
					break alias
				}
			}
		}
	}
	keys := map[string]bool{}
	for i := range header {
		if l.cols[i].f == fCustom && l.cols[i].key != "" {
			keys[l.cols[i].key] = true
		}
	}
	for i, h := range header {
		if bound[i] {
			continue
		}
		key := strings.TrimSpace(h)
		if key == "" {
			key = "column " + strconv.Itoa(i+1)
		}
		for n := 2; keys[key]; n++ {
			key = fmt.Sprintf("%s (%d)", strings.TrimSpace(h), n)
		}
		keys[key] = true
		l.cols[i] = column{f: fCustom, key: key}
	}
	if _, ok := l.byF[fPhone]; !ok {
		return nil, dialer.Errorf(dialer.EINVALID, "no phone column: the header has %s; name the phone column with --map COLUMN=phone", quoteList(header))
	}
	return l, nil
}

// findColumn finds the column named name: as written (ignoring case and
// surrounding spaces), else as fold has it.
func findColumn(header []string, name string) int {
	for i, h := range header {
		if strings.EqualFold(strings.TrimSpace(h), strings.TrimSpace(name)) {
			return i
		}
	}
	if f := fold(name); f != "" {
		for i, h := range header {
			if fold(h) == f {
				return i
			}
		}
	}
	return -1
}

func quoteList(header []string) string {
	const most = 20
	var b strings.Builder
	for i, h := range header {
		if i == most {
			fmt.Fprintf(&b, " and %d more", len(header)-most)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(h))
	}
	if len(header) == 0 {
		return "no columns"
	}
	return b.String()
}

// name is the header of column i, for messages.
func (l *layout) name(i int) string {
	if i < len(l.header) {
		if h := strings.TrimSpace(l.header[i]); h != "" {
			return h
		}
	}
	return "column " + strconv.Itoa(i+1)
}
