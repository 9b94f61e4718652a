package search

import (
	"fmt"
	"math/rand"
)

var firstNames = []string{
	"James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda",
	"William", "Elizabeth", "David", "Barbara", "Richard", "Susan", "Joseph", "Jessica",
	"Thomas", "Sarah", "Charles", "Karen", "Christopher", "Nancy", "Daniel", "Lisa",
	"Matthew", "Betty", "Anthony", "Margaret", "Mark", "Sandra", "Donald", "Ashley",
	"Steven", "Kimberly", "Paul", "Emily", "Andrew", "Donna", "Joshua", "Michelle",
	"Kenneth", "Dorothy", "Kevin", "Carol", "Brian", "Amanda", "George", "Melissa",
	"Edward", "Deborah", "Ronald", "Stephanie", "Timothy", "Rebecca", "Jason", "Sharon",
	"Jeffrey", "Laura", "Ryan", "Cynthia", "Jacob", "Kathleen", "Gary", "Amy",
	"Nicholas", "Shirley", "Eric", "Angela", "Jonathan", "Helen", "Stephen", "Anna",
	"Larry", "Brenda", "Justin", "Pamela", "Scott", "Nicole", "Brandon", "Emma",
	"Zoë", "José", "Chloé", "François", "Søren", "Björn", "Agnès", "Inès",
	"Émile", "Jürgen", "Renée", "Łukasz", "Zoé", "Noël", "Mónica", "Ramón",
	"Siobhán", "Anaïs", "Dagný", "Håkon", "Çağla", "Nguyễn", "Žofia", "Mikuláš",
}

var surnames = []string{
	"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
	"Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas",
	"Taylor", "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White",
	"Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young",
	"Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
	"Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell",
	"Carter", "Roberts", "Gomez", "Phillips", "Evans", "Turner", "Diaz", "Parker",
	"Cruz", "Edwards", "Collins", "Reyes", "Stewart", "Morris", "Morales", "Murphy",
	"Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper", "Peterson", "Bailey",
	"Müller", "Gonçalves", "Dvořák", "Øster", "Pérez-Núñez", "Åberg", "O'Brien", "Straße",
	"Kowalczyk", "Lindqvist", "Fernández", "Yılmaz", "Kovačević", "Schäfer", "Lefèvre", "Brontë",
}

var companies = []string{
	"Acme Corp", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay Industries", "Stark Industries",
	"Wayne Enterprises", "Wonka Industries", "Cyberdyne Systems", "Soylent", "Tyrell Corporation",
	"Massive Dynamic", "Aperture Science", "Black Mesa", "Oscorp", "Pied Piper", "Dunder Mifflin",
	"Prestige Worldwide", "Gringotts", "Monsters Inc", "Bluth Company", "Sterling Cooper",
	"Los Pollos Hermanos", "Café Müller", "Société Générale", "Nestlé", "Škoda Auto", "Crème & Co",
	"Northwind Traders", "Contoso", "Fabrikam", "Adventure Works", "Tailspin Toys", "Wingtip Toys",
	"", "", "", "", // some contacts have no company
}

// genEntries returns n deterministic contacts with IDs 1..n.
func genEntries(n int, seed int64) []Entry {
	r := rand.New(rand.NewSource(seed))
	es := make([]Entry, n)
	for i := range es {
		npa := 200 + r.Intn(800)
		nxx := 200 + r.Intn(800)
		es[i] = Entry{
			ID:      int64(i + 1),
			Name:    firstNames[r.Intn(len(firstNames))] + " " + surnames[r.Intn(len(surnames))],
			Company: companies[r.Intn(len(companies))],
			Phone:   fmt.Sprintf("+1%03d%03d%04d", npa, nxx, r.Intn(10000)),
		}
	}
	return es
}

// entryText is the text fzf sees for an entry: name, company and phone.
func entryText(e *Entry) string {
	return e.Name + " " + e.Company + " " + e.Phone
}
