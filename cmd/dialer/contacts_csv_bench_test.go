package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/dialer-dev/dialer/dialer/contactcsv"
	"github.com/dialer-dev/dialer/store"
)

// leadAreas are US area codes in service, from every region: generated
// leads spread over them as a real list of leads does.
var leadAreas = []int{201, 202, 203, 205, 206, 207, 208, 209, 210, 212, 213, 214, 215, 216, 217, 218, 219, 224, 225, 228,
	229, 231, 234, 239, 240, 248, 251, 252, 253, 254, 256, 260, 262, 267, 269, 270, 272, 276, 281, 301, 302, 303, 304, 305,
	307, 308, 309, 310, 312, 313, 314, 315, 316, 317, 318, 319, 320, 321, 323, 325, 330, 331, 334, 336, 337, 339, 347, 351,
	352, 360, 361, 364, 385, 386, 401, 402, 404, 405, 406, 407, 408, 409, 410, 412, 413, 414, 415, 417, 419, 423, 424, 425,
	430, 432, 434, 435, 440, 442, 443, 458, 469, 470, 475, 478, 479, 480, 484, 501, 502, 503, 504, 505, 507, 508, 509, 510,
	512, 513, 515, 516, 517, 518, 520, 530, 531, 534, 539, 540, 541, 551, 559, 561, 562, 563, 564, 567, 570, 571, 573, 574,
	575, 580, 585, 586, 601, 602, 603, 605, 606, 607, 608, 609, 610, 612, 614, 615, 616, 617, 618, 619, 620, 623, 626, 628,
	629, 630, 631, 636, 641, 646, 650, 651, 657, 660, 661, 662, 667, 669, 678, 681, 682, 701, 702, 703, 704, 706, 707, 708,
	712, 713, 714, 715, 716, 717, 718, 719, 720, 724, 725, 727, 731, 732, 734, 737, 740, 743, 747, 754, 757, 760, 762, 763,
	765, 769, 770, 772, 773, 774, 775, 779, 781, 785, 786, 801, 802, 803, 804, 805, 806, 808, 810, 812, 813, 814, 815, 816,
	817, 818, 828, 830, 831, 832, 843, 845, 847, 848, 850, 854, 856, 857, 858, 859, 860, 862, 863, 864, 865, 870, 872, 878,
	901, 903, 904, 906, 907, 908, 909, 910, 912, 913, 914, 915, 916, 917, 918, 919, 920, 925, 928, 929, 930, 931, 934, 936,
	937, 938, 940, 941, 947, 949, 951, 952, 954, 956, 959, 970, 971, 972, 973, 978, 979, 980, 984, 985, 989}

// leadPhone is the i-th generated phone: distinct for every i below
// 2 million, a valid local US number, written as people write
// them.
func leadPhone(i int) string {
	a := leadAreas[i%len(leadAreas)]
	k := i / len(leadAreas)
	exch := 200 + k/10000 // below 900 while i < 2 million
	if exch%100 == 11 || exch == 555 || exch == 950 || exch == 958 || exch == 959 || exch == 976 {
		exch = 900 + exch/100 // N11 and special exchanges: 902 to 909, never reached otherwise
	}
	line := k % 10000
	switch i % 3 {
	case 0:
		return fmt.Sprintf("(%d) %03d-%04d", a, exch, line)
	case 1:
		return fmt.Sprintf("%d-%03d-%04d", a, exch, line)
	default:
		return fmt.Sprintf("+1 %d %03d %04d", a, exch, line)
	}
}

var (
	leadFirst = []string{"Ada", "Grace", "Alan", "Zoë", "José", "Margaret", "Linus", "Dana", "Fox", "Walter", "Hedy", "Claude",
		"Barbara", "Edsger", "Radia", "Ken", "Frances", "Dennis", "Katherine", "John"}
	leadLast = []string{"Lovelace", "Hopper", "Turing", "Ångström", "Núñez", "Hamilton", "Torvalds", "Scully", "Mulder",
		"Skinner", "Lamarr", "Shannon", "Liskov", "Dijkstra", "Perlman", "Thompson", "Allen", "Ritchie", "Johnson", "Backus"}
	leadCo = []string{"Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark Industries", "Wayne Enterprises", "Wonka",
		"Cyberdyne", "Soylent"}
)

// writeLeads writes a CSV file of n leads (name, phone, company, email),
// every row good, phones distinct.
func writeLeads(w io.Writer, n int) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	rng := rand.New(rand.NewPCG(3, 4))
	bw.WriteString("Name,Phone,Company,Email\n")
	for i := range n {
		first, last := leadFirst[rng.IntN(len(leadFirst))], leadLast[rng.IntN(len(leadLast))]
		fmt.Fprintf(bw, "%s %s,%s,%s %d,%s.%s%d@example.com\n", first, last, leadPhone(i),
			leadCo[rng.IntN(len(leadCo))], i%997, strings.ToLower(first[:1]), "lead", i)
	}
	return bw.Flush()
}

// leadsFile writes n leads to a file in dir.
func leadsFile(tb testing.TB, dir string, n int) string {
	tb.Helper()
	path := filepath.Join(dir, fmt.Sprintf("leads-%d.csv", n))
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	if err := writeLeads(f, n); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}

// BenchmarkImport1M imports a file of 1,000,000 leads into a new SQLite
// database per iteration through `dialer contacts import` (in process),
// beside the sqlite3 shell's own .import of the same file into a file
// database (a table of text columns, no checks, no index): the anchor of
// what writing these rows can cost.
func BenchmarkImport1M(b *testing.B) {
	const n = 1_000_000
	dir := b.TempDir()
	file := leadsFile(b, dir, n)
	b.Run("dialer", func(b *testing.B) {
		envv := map[string]string{"HOME": dir, "DIALER_DATA_DIR": dir}
		for i := 0; b.Loop(); i++ {
			db := filepath.Join(dir, fmt.Sprintf("dialer-%d.db", i))
			var out, errOut strings.Builder
			code := run(context.Background(), []string{"--db", db, "--create", "contacts", "import", file, "--batch-size", benchBatch()}, strings.NewReader(""),
				&out, &errOut, func(k string) string { return envv[k] })
			if code != 0 || !strings.HasPrefix(out.String(), "1,000,000 imported,") {
				b.Fatalf("exit %d: %s\n%s", code, out.String(), errOut.String())
			}
			b.StopTimer()
			checkCount(b, db, n)
			for _, suffix := range []string{"", "-wal", "-shm"} {
				os.Remove(db + suffix)
			}
			b.StartTimer()
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("sqlite3-cli", func(b *testing.B) {
		bin, err := exec.LookPath("sqlite3")
		if err != nil {
			b.Skip("no sqlite3 shell on PATH (Debian: apt-get install sqlite3): the anchor is not measured")
		}
		for i := 0; b.Loop(); i++ {
			db := filepath.Join(dir, fmt.Sprintf("cli-%d.db", i))
			out, err := exec.Command(bin, db, "PRAGMA journal_mode=WAL;", ".mode csv", ".import "+file+" leads",
				"SELECT count(*) FROM leads;").CombinedOutput()
			if err != nil || !strings.HasSuffix(strings.TrimSpace(string(out)), "1000000") {
				b.Fatalf("sqlite3 .import: %v\n%s", err, out)
			}
			b.StopTimer()
			os.Remove(db)
			b.StartTimer()
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}

// checkCount fails unless the database at path has n live contacts.
func checkCount(tb testing.TB, path string, n int) {
	tb.Helper()
	db, err := store.OpenWith(context.Background(), path, store.Options{ReadOnly: true})
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	if got, err := db.CountContacts(context.Background()); err != nil || got != n {
		tb.Fatalf("%s holds %d contacts (%v), want %d", path, got, err, n)
	}
}

// benchBatch is the --batch-size of the benchmark: DIALER_BENCH_BATCH, or
// the default.
func benchBatch() string {
	if v := os.Getenv("DIALER_BENCH_BATCH"); v != "" {
		return v
	}
	return strconv.Itoa(contactcsv.DefaultBatchSize)
}
