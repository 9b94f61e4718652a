package twilio

import (
	"encoding/xml"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/dialer-dev/dialer/dialer"
)

// voiceDoc is the TwiML a created call runs, read back.
type voiceDoc struct {
	XMLName xml.Name `xml:"Response"`
	Say     []string `xml:"Say"`
	Pause   []struct {
		Length string `xml:"length,attr"`
	} `xml:"Pause"`
	Gather []struct {
		Action string   `xml:"action,attr"`
		Say    []string `xml:"Say"`
	} `xml:"Gather"`
	Dial []struct {
		CallerID string `xml:"callerId,attr"`
		Number   []struct {
			Text string `xml:",chardata"`
		} `xml:"Number"`
	} `xml:"Dial"`
}

// topLevel names the elements directly inside <Response>, in order.
func topLevel(t *testing.T, doc string) []string {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(doc))
	var names []string
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return names
		}
		switch el := tok.(type) {
		case xml.StartElement:
			if depth == 1 {
				names = append(names, el.Name.Local)
			}
			depth++
		case xml.EndElement:
			depth--
		}
	}
}

// FuzzCallTwiML builds the agent leg's TwiML from contact names and
// numbers full of markup, the way the call session does: the text spoken
// comes back exactly, nothing injected becomes a verb, and a bad number is
// refused rather than written.
func FuzzCallTwiML(f *testing.F) {
	for _, s := range [][3]string{
		{"Ada Lovelace", "+14155552671", "terminal"},
		{`</Say><Dial><Number>+19005550100</Number></Dial><Say>`, "+14155552671", "auto"},
		{`<![CDATA[x]]> & "quotes" 'single' <Hangup/>`, "+14155552671", "keypad"},
		{"Zoë Ångström-Ñúñez 李小龍", "+447911123456", "auto"},
		{"Bob", `+1415"/><Redirect>http://evil</Redirect>`, "auto"},
		{"\x00\x01 control", "+14155552671", "terminal"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, name, number, mode string) {
		if !utf8.ValidString(name) {
			t.Skip("names are UTF-8 text")
		}
		// The session only ever announces a number it has parsed; a raw
		// fuzzed string still goes to <Dial>, which must refuse it.
		spoken := number
		if !e164Re.MatchString(number) {
			spoken = "+14155552671"
		}
		say := dialer.Announcement(name, spoken)
		req := dialer.CallRequest{To: "+12025550199", From: "+14155550100", Say: say}
		switch mode {
		case "auto":
			req.Dial = &dialer.Dial{To: number, CallerID: "+14155550100", MachineDetection: true}
		case "keypad":
			req.Gather = &dialer.Gather{ActionURL: "https://hooks.example.com/twilio/gather?x=<y>&z=1", Prompt: "Press any key, " + name}
		}
		out, err := callTwiML(req)
		if err != nil {
			if req.Dial != nil && !e164Re.MatchString(number) {
				return // a number that is not E.164 is refused: fine
			}
			if len(say) > maxTwiML/2 {
				return // too long for Twilio: refused with a clear error
			}
			t.Fatalf("callTwiML(%q, %q): %v", name, number, err)
		}
		var doc voiceDoc
		if err := xml.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatalf("not XML: %v\n%s", err, out)
		}
		if len(doc.Say) != 1 || doc.Say[0] != say {
			t.Fatalf("spoken text changed:\n got %q\nwant %q\n%s", doc.Say, say, out)
		}
		if names := topLevel(t, out); len(names) != 2 || names[0] != "Say" || len(doc.Pause)+len(doc.Gather)+len(doc.Dial) != 1 {
			t.Fatalf("want Say and one verb, got %v:\n%s", names, out)
		}
		if req.Dial != nil && (len(doc.Dial[0].Number) != 1 || doc.Dial[0].Number[0].Text != number) {
			t.Fatalf("dialed %+v, want %s", doc.Dial[0].Number, number)
		}
		if req.Gather != nil && doc.Gather[0].Action != req.Gather.ActionURL {
			t.Fatalf("gather action %q", doc.Gather[0].Action)
		}
	})
}
