package ui

import (
	"context"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/dialer-dev/dialer/dialer"
	"github.com/dialer-dev/dialer/dialer/display"
)

// The buy dialog of the Numbers screen (supervisors only): a search form,
// the provider's numbers for sale, and the review of the one picked
// (Reservations.Review) before BuyDedicated spends money.
type buyStage int

const (
	buyForm      buyStage = iota // the search form has the keyboard
	buySearching                 // the provider is searched
	buyResults                   // the numbers found, one picked with enter
	buyReviewing                 // the review is read
	buyReview                    // the review, y to buy (when it may be bought)
)

// The search form's fields, the most used first.
const (
	buyAreaCode = iota
	buyContains
	buyRegion
	buyCountry
	buyFields
)

var (
	buyLabels = [buyFields]string{"Area code", "Digits in it", "State/region", "Country"}
	buyHints  = [buyFields]string{"three digits, such as 415", "such as 55, or 2*7", "two letters, such as CA or NY", "US or CA"}
)

type buyModel struct {
	stage  buyStage
	inputs [buyFields]textinput.Model
	focus  int
	spin   spinner.Model
	// seq numbers the searches and reviews: a result for an older one (or
	// one stopped with esc) is dropped.
	seq    int
	cancel context.CancelFunc
	query  dialer.NumberQuery
	found  []dialer.AvailableNumber
	price  *dialer.Money // the country's monthly price, nil when the provider did not say
	pick   int
	review dialer.PurchaseReview
	refuse error // why the number picked may not be bought (from Review)
	err    string
}

// buyFoundMsg is a search's result; buyReviewedMsg a review's; boughtMsg a
// purchase's.
type (
	buyFoundMsg struct {
		seq   int
		found []dialer.AvailableNumber
		price *dialer.Money
		err   error
	}
	buyReviewedMsg struct {
		seq int
		rv  dialer.PurchaseReview
		err error
	}
	boughtMsg struct {
		n   dialer.Number
		err error
	}
)

func newBuy() buyModel {
	b := buyModel{spin: spinner.New(spinner.WithSpinner(spinner.Dot))}
	limits := [buyFields]int{3, 10, 2, 2}
	for i := range b.inputs {
		in := textinput.New()
		in.Prompt = ""
		in.CharLimit = limits[i]
		in.SetWidth(limits[i] + 1)
		b.inputs[i] = in
	}
	b.inputs[buyCountry].SetValue("US")
	b.focus = buyAreaCode
	return b
}

func (b *buyModel) focusCmd() tea.Cmd {
	for i := range b.inputs {
		b.inputs[i].Blur()
	}
	return b.inputs[b.focus].Focus()
}

// typing reports whether a field of the form has the keyboard.
func (b buyModel) typing() bool { return b.stage == buyForm }

// query reads the form: what to search, or why it cannot be searched.
func (b buyModel) readQuery() (dialer.NumberQuery, error) {
	val := func(i int) string { return strings.TrimSpace(b.inputs[i].Value()) }
	q := dialer.NumberQuery{Country: strings.ToUpper(val(buyCountry)), Region: strings.ToUpper(val(buyRegion)),
		AreaCode: val(buyAreaCode), Contains: val(buyContains), Limit: 20}
	letters := func(s string) bool {
		for _, r := range s {
			if r < 'A' || r > 'Z' {
				return false
			}
		}
		return len(s) == 2
	}
	switch {
	case !letters(q.Country):
		return q, dialer.Errorf(dialer.EINVALID, "country %q: want its two-letter code, such as US or CA", q.Country)
	case q.Region != "" && !letters(q.Region):
		return q, dialer.Errorf(dialer.EINVALID, "state or region %q: want its two-letter code, such as CA or NY", q.Region)
	}
	if q.AreaCode != "" {
		if err := dialer.CheckAreaCode(q.AreaCode); err != nil {
			return q, err
		}
	}
	for _, r := range q.Contains {
		if !(r >= '0' && r <= '9' || r == '*' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return q, dialer.Errorf(dialer.EINVALID, "digits %q: want digits (letters as on a keypad, * for any digit)", q.Contains)
		}
	}
	return q, nil
}

// search asks the provider for numbers for sale, and the country's monthly
// price, off the update loop.
func (b *buyModel) search(d Deps, q dialer.NumberQuery) tea.Cmd {
	b.seq++
	ctx, cancel := context.WithCancel(d.Context)
	b.cancel, b.query, b.stage, b.err = cancel, q, buySearching, ""
	seq := b.seq
	return tea.Batch(b.spin.Tick, func() tea.Msg {
		defer cancel()
		found, err := d.Numbers.Provider.SearchNumbers(ctx, q)
		if err != nil {
			return buyFoundMsg{seq: seq, err: err}
		}
		msg := buyFoundMsg{seq: seq, found: found}
		if d.Pricing != nil {
			if p, err := d.Pricing.NumberMonthlyPrice(ctx, q.Country); err == nil {
				msg.price = &p
			}
		}
		return msg
	})
}

// reviewPick reads the review of the number picked, off the update loop.
func (b *buyModel) reviewPick(d Deps) tea.Cmd {
	b.seq++
	ctx, cancel := context.WithCancel(d.Context)
	b.cancel, b.stage, b.err, b.refuse = cancel, buyReviewing, "", nil
	seq, req := b.seq, dialer.DedicatedRequest{Country: b.query.Country, PhoneNumber: b.found[b.pick].PhoneNumber}
	return tea.Batch(b.spin.Tick, func() tea.Msg {
		defer cancel()
		rv, err := d.Numbers.Review(ctx, req, d.Pricing)
		return buyReviewedMsg{seq: seq, rv: rv, err: err}
	})
}

// stop stops a search or review under way.
func (b *buyModel) stop() {
	if b.cancel != nil {
		b.cancel()
		b.cancel = nil
	}
	b.seq++
}

// update runs the dialog; done: it is closed.
func (b buyModel) update(msg tea.Msg, d Deps, k KeyMap) (buyModel, tea.Cmd, bool) {
	switch msg := msg.(type) {
	case spinner.TickMsg:
		if b.stage == buySearching || b.stage == buyReviewing {
			var cmd tea.Cmd
			b.spin, cmd = b.spin.Update(msg)
			return b, cmd, false
		}
	case buyFoundMsg:
		if msg.seq != b.seq || b.stage != buySearching {
			return b, nil, false
		}
		b.cancel = nil
		if msg.err != nil {
			b.stage, b.err = buyForm, dialer.ErrorMessage(msg.err)
			cmd := b.focusCmd()
			return b, cmd, false
		}
		b.found, b.price, b.pick, b.stage = msg.found, msg.price, 0, buyResults
		if len(b.found) == 0 {
			b.stage, b.err = buyForm, "No numbers for sale match "+b.describe()+"; try fewer conditions."
			cmd := b.focusCmd()
			return b, cmd, false
		}
	case buyReviewedMsg:
		if msg.seq != b.seq || b.stage != buyReviewing {
			return b, nil, false
		}
		b.cancel = nil
		b.review, b.refuse, b.stage = msg.rv, msg.err, buyReview
	case tea.KeyPressMsg:
		return b.key(msg, d, k)
	}
	return b, nil, false
}

func (b buyModel) key(msg tea.KeyPressMsg, d Deps, k KeyMap) (buyModel, tea.Cmd, bool) {
	switch b.stage {
	case buyForm:
		switch msg.String() {
		case "esc":
			return b, nil, true
		case "enter":
			q, err := b.readQuery()
			if err != nil {
				b.err = dialer.ErrorMessage(err)
				return b, nil, false
			}
			return b, b.search(d, q), false
		case "tab", "down":
			b.focus = (b.focus + 1) % buyFields
			cmd := b.focusCmd()
			return b, cmd, false
		case "shift+tab", "up":
			b.focus = (b.focus + buyFields - 1) % buyFields
			cmd := b.focusCmd()
			return b, cmd, false
		}
		var cmd tea.Cmd
		b.inputs[b.focus], cmd = b.inputs[b.focus].Update(msg)
		return b, cmd, false
	case buySearching, buyReviewing:
		if msg.String() == "esc" {
			back := buyForm
			if b.stage == buyReviewing {
				back = buyResults
			}
			b.stop()
			b.stage = back
			if back == buyForm {
				cmd := b.focusCmd()
				return b, cmd, false
			}
		}
	case buyResults:
		switch {
		case msg.String() == "esc":
			b.stage = buyForm
			cmd := b.focusCmd()
			return b, cmd, false
		case msg.String() == "enter":
			return b, b.reviewPick(d), false
		case key.Matches(msg, k.Up):
			b.pick = max(0, b.pick-1)
		case key.Matches(msg, k.Down):
			b.pick = min(len(b.found)-1, b.pick+1)
		case key.Matches(msg, k.Top):
			b.pick = 0
		case key.Matches(msg, k.Bottom):
			b.pick = len(b.found) - 1
		}
	case buyReview:
		switch msg.String() {
		case "esc":
			b.stage = buyResults
		case "n":
			return b, func() tea.Msg { return statusMsg("Nothing was bought.") }, true
		case "y":
			if b.refuse != nil {
				return b, nil, false
			}
			req, price := b.review.Request, b.review.MonthlyPrice
			return b, tea.Batch(func() tea.Msg { return statusMsg("Buying " + req.PhoneNumber + "…") }, func() tea.Msg {
				n, err := d.Numbers.BuyDedicated(d.Context, req)
				if err == nil && price != nil && n.MonthlyPrice == nil {
					// the price the review showed, on the list at once (the
					// housekeeping would fill it in within minutes)
					if err := d.Store.SetMonthlyPrice(d.Context, n.ID, *price); err == nil {
						n.MonthlyPrice = price
					}
				}
				return boughtMsg{n: n, err: err}
			}), true
		}
	}
	return b, nil, false
}

// describe says what was searched: "area code 415 in CA containing 55".
func (b buyModel) describe() string {
	q := b.query
	var parts []string
	if q.AreaCode != "" {
		parts = append(parts, "area code "+q.AreaCode)
	}
	if q.Region != "" {
		parts = append(parts, "in "+q.Region)
	}
	if q.Contains != "" {
		parts = append(parts, "containing "+q.Contains)
	}
	if len(parts) == 0 {
		parts = append(parts, "anywhere")
	}
	return q.Country + " " + strings.Join(parts, " ")
}

// place is where a number for sale is: "San Francisco, CA" (inert).
func place(a dialer.AvailableNumber) string {
	return display.Line(strings.Trim(a.Locality+", "+a.Region, ", "))
}

func (b buyModel) view(st Styles, phones phoneCache, w, h int) string {
	var s strings.Builder
	title := func(t string) { s.WriteString(st.Title.Render(t) + "\n") }
	line := func(label, value string) { s.WriteString("  " + st.Muted.Render(pad(label, 15)) + value + "\n") }
	keys := func(t string) { s.WriteString(st.Muted.Render(t) + "\n") }
	problem := func(t string) {
		// the reason, wrapped to the width (it may name a place and a count)
		for _, l := range strings.Split(ansi.Wordwrap(display.Line(t), max(20, w-2), " "), "\n") {
			s.WriteString(st.Error.Render(l) + "\n")
		}
	}
	switch b.stage {
	case buyForm:
		title("Buy a dedicated number: it is kept until canceled, and costs its monthly price.")
		s.WriteString("\n")
		for i, in := range b.inputs {
			label := pad(buyLabels[i], 15)
			if i == b.focus {
				label = st.Key.Render("> ") + label
			} else {
				label = "  " + st.Muted.Render(label)
			}
			v := in.View() // the hints line up whatever each field's width
			v += strings.Repeat(" ", max(0, 12-lipgloss.Width(v)))
			s.WriteString(label + v + st.Muted.Render(buyHints[i]) + "\n")
		}
		s.WriteString("\n")
		if b.err != "" {
			problem(b.err)
		}
		keys("enter search · tab/↓ next field · esc leave it (empty fields: any)")
	case buySearching:
		title("Buy a dedicated number")
		s.WriteString("\n" + b.spin.View() + " Searching numbers for sale, " + display.Line(b.describe()) + "…\n\n")
		keys("esc stop")
	case buyResults:
		title(fmt.Sprintf("Numbers for sale, %s: %d", display.Line(b.describe()), len(b.found)))
		s.WriteString(st.Muted.Render(pad("NUMBER", 16)+" "+pad("LOCALITY", 24)+" "+pad("REGION", 6)+" "+pad("MONTHLY", 10)) + "\n")
		rows := max(1, h-3)
		offset := max(0, b.pick-rows+1)
		price := b.price.StringOr("not known")
		for i := offset; i < len(b.found) && i < offset+rows; i++ {
			a := b.found[i]
			row := pad(phones.format(a.PhoneNumber), 16) + " " + pad(a.Locality, 24) + " " + pad(a.Region, 6) + " " + pad(price, 10)
			if a.AddressRequired != "" && a.AddressRequired != "none" {
				row += " needs an address"
			}
			if i == b.pick {
				s.WriteString(st.Selected.Render(pad(row, w)) + "\n")
			} else {
				s.WriteString(row + "\n")
			}
		}
		keys("↑/↓ choose · enter review it · esc new search")
	case buyReviewing:
		title("Buy " + phones.format(b.found[b.pick].PhoneNumber) + "?")
		s.WriteString("\n" + b.spin.View() + " Reading the price, the organization's numbers and the balance…\n\n")
		keys("esc back to the list")
	case buyReview:
		rv, a := b.review, b.found[b.pick]
		title("Buy " + phones.format(a.PhoneNumber) + "?")
		what := display.Line(rv.Where) // "+14155550123, area code 415 (San Francisco, CA)"
		if what == "" {
			what = a.PhoneNumber
		}
		line("number", what)
		if where := place(a); where != "" {
			line("where", where)
		}
		monthly := rv.MonthlyPrice
		if monthly == nil {
			monthly = b.price // a refused review stops before it reads the price
		}
		price := "not known (the provider did not say)"
		if monthly != nil {
			price = st.Money.Render(monthly.String()) + " a month, until it is canceled"
		}
		line("monthly price", price)
		line("purchase fee", "none: a dedicated number carries no reservation fee")
		if rv.Max > 0 {
			line("numbers", fmt.Sprintf("%d in use of the organization's maximum %d", rv.Live, rv.Max))
		}
		switch {
		case rv.Balance != nil:
			line("balance", rv.Balance.String())
		case b.refuse == nil: // (a refused review may stop before it reads it)
			line("balance", "not known (the provider does not tell it)")
		}
		s.WriteString("\n")
		if b.refuse != nil {
			problem("It cannot be bought: " + dialer.ErrorMessage(b.refuse))
			keys("esc back to the list · n leave it")
		} else {
			s.WriteString(st.Warn.Render("Buy it? y buys it now · n leaves it · esc back to the list") + "\n")
		}
	}
	return s.String()
}
