package twilioemu

import (
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// node is one TwiML element.
type node struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Text    string     `xml:",chardata"`
	Nodes   []node     `xml:",any"`
}

func (n node) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// seconds reads an attribute in whole seconds, def when absent or invalid.
func (n node) seconds(name string, def int) time.Duration {
	v, err := strconv.Atoi(strings.TrimSpace(n.attr(name)))
	if err != nil || v < 0 {
		v = def
	}
	return time.Duration(v) * time.Second
}

// verbsAllowed are the verbs the emulator executes, with the nouns each
// may contain.
var verbsAllowed = map[string]map[string]bool{
	"Say":      nil,
	"Pause":    nil,
	"Play":     nil,
	"Hangup":   nil,
	"Reject":   nil,
	"Redirect": nil,
	"Gather":   {"Say": true, "Pause": true, "Play": true},
	"Dial":     {"Number": true},
}

// parseTwiML parses a <Response> document into its verbs. Verbs and nouns
// outside the emulated subset are an error.
func parseTwiML(doc string) ([]node, error) {
	var root node
	if err := xml.Unmarshal([]byte(doc), &root); err != nil {
		return nil, fmt.Errorf("invalid TwiML: %w", err)
	}
	if root.XMLName.Local != "Response" {
		return nil, fmt.Errorf("invalid TwiML: root element is <%s>, want <Response>", root.XMLName.Local)
	}
	for _, v := range root.Nodes {
		nouns, ok := verbsAllowed[v.XMLName.Local]
		if !ok {
			return nil, fmt.Errorf("TwiML verb <%s> is not emulated", v.XMLName.Local)
		}
		for _, c := range v.Nodes {
			if !nouns[c.XMLName.Local] {
				return nil, fmt.Errorf("TwiML <%s> inside <%s> is not emulated", c.XMLName.Local, v.XMLName.Local)
			}
		}
	}
	return root.Nodes, nil
}

// sayDuration is how long <Say> speaks text: one second per 15 characters
// (about 150 words a minute), at least one second, times its loop count.
func sayDuration(n node) time.Duration {
	chars := len([]rune(strings.TrimSpace(n.Text)))
	secs := max((chars+14)/15, 1)
	return time.Duration(secs*loops(n)) * time.Second
}

func loops(n node) int {
	l, err := strconv.Atoi(n.attr("loop"))
	if err != nil || l < 1 {
		return 1
	}
	return min(l, 10)
}

// playDuration is the emulated length of <Play>: 5 s per loop.
func playDuration(n node) time.Duration { return time.Duration(5*loops(n)) * time.Second }

// dialTarget returns the number a <Dial> calls and the <Number> noun
// carrying its callback attributes (a zero node for a bare number).
func dialTarget(n node) (string, node) {
	for _, c := range n.Nodes {
		if c.XMLName.Local == "Number" {
			return strings.TrimSpace(c.Text), c
		}
	}
	return strings.TrimSpace(n.Text), node{}
}
