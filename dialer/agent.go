package dialer

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// NewAgent validates an agent's profile: a name, and a phone the provider
// can ring (any valid number, E.164 once read).
func NewAgent(name, phone string) (Agent, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return Agent{}, Errorf(EINVALID, "the agent's name is empty")
	case utf8.RuneCountInString(name) > 80:
		return Agent{}, Errorf(EINVALID, "the agent's name is longer than 80 characters")
	}
	p, err := ParsePhone(phone)
	if err != nil {
		return Agent{}, Wrap(EINVALID, err, "the agent's phone")
	}
	return Agent{Name: name, Phone: p.E164}, nil
}

// Speakable spells a phone number out for text-to-speech, digit by digit in
// groups: "+14155552671" is "4 1 5, 5 5 5, 2 6 7 1".
func Speakable(e164 string) string {
	d := strings.TrimPrefix(e164, "+")
	var groups []string
	if strings.HasPrefix(d, "1") && len(d) == 11 {
		groups = []string{d[1:4], d[4:7], d[7:]}
	} else {
		for len(d) > 4 {
			groups, d = append(groups, d[:3]), d[3:]
		}
		groups = append(groups, d)
	}
	for i, g := range groups {
		groups[i] = strings.Join(strings.Split(g, ""), " ")
	}
	return strings.Join(groups, ", ")
}

// Announcement is what the agent hears on answering: whom the program is
// about to dial, the number digit by digit. Control characters in a name
// (which XML cannot carry) are dropped.
func Announcement(name, e164 string) string {
	name = strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return ' '
		}
		return r
	}, name)), " ")
	if name == "" {
		name = "your contact"
	}
	return "Calling " + name + ", at " + Speakable(e164) + "."
}
