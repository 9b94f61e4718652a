package contactcsv

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"testing"
)

var (
	millionOnce sync.Once
	million     []byte
)

// millionRows is a CSV file of 1,000,000 leads, as a CRM exports them:
// first and last names, phones written several ways, company, email,
// notes (some quoted, with commas), a time zone on some rows, two custom
// columns; one row in a hundred has a bad phone.
func millionRows() []byte {
	millionOnce.Do(func() {
		r := rand.New(rand.NewPCG(7, 7))
		areas := []int{212, 213, 303, 312, 404, 415, 512, 604, 617, 646, 702, 713, 801, 206, 416}
		zones := []string{"", "", "", "America/New_York", "America/Chicago", "America/Los_Angeles"}
		var b bytes.Buffer
		b.WriteString("First Name,Last Name,Phone Number,Company,Email,Notes,Time Zone,Industry,Score\r\n")
		for i := range 1_000_000 {
			area := areas[i%len(areas)]
			exch := 200 + (i/len(areas))/10000%700
			if exch%100 == 55 || exch%100 == 11 {
				exch++
			}
			line := (i / len(areas)) % 10000
			var phone string
			switch i % 4 {
			case 0:
				phone = fmt.Sprintf("(%d) %03d-%04d", area, exch, line)
			case 1:
				phone = fmt.Sprintf("%d-%03d-%04d", area, exch, line)
			case 2:
				phone = fmt.Sprintf("+1 %d %03d %04d", area, exch, line)
			default:
				phone = fmt.Sprintf("%d%03d%04d", area, exch, line)
			}
			if i%100 == 99 {
				phone = "n/a"
			}
			notes := "called once"
			if i%3 == 0 {
				notes = `"asked for a callback, ""after lunch"""`
			}
			fmt.Fprintf(&b, "Person%d,Lastname%d,%s,Company %d LLC,person%d@example.com,%s,%s,Retail,%d\r\n",
				i, r.IntN(5000), phone, i%9000, i, notes, zones[i%len(zones)], r.IntN(100))
		}
		million = b.Bytes()
	})
	return million
}

// BenchmarkParse1M reads, checks and classifies a million rows (phones to
// E.164, zones, duplicates within the file): everything Import does
// before the store.
func BenchmarkParse1M(b *testing.B) {
	data := millionRows()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	rows, bad := 0, 0
	for b.Loop() {
		rd, err := NewReader(bytes.NewReader(data), Options{})
		if err != nil {
			b.Fatal(err)
		}
		rows, bad = 0, 0
		for {
			row, err := rd.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			rows++
			if len(row.Problems) > 0 {
				bad++
			}
		}
	}
	if rows != 1_000_000 || bad != 10_000 {
		b.Fatalf("%d rows, %d rejected; want 1,000,000 and 10,000", rows, bad)
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
