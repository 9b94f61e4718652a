package contract

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Spec file names inside @twilio/cli-core's services/twilio-api folder.
const (
	SpecAPI       = "twilio_api_v2010.json"
	SpecPricingV1 = "twilio_pricing_v1.json"
	SpecPricingV2 = "twilio_pricing_v2.json"
)

// Specs are the prepared specs written to a temporary folder, and an index
// of the parameters each operation declares.
type Specs struct {
	// APIPath serves api.twilio.com; PricingPath serves pricing.twilio.com
	// (v1 and v2 merged: they share the host, and a base URL is per host).
	APIPath, PricingPath string
	ops                  []operation
}

type operation struct {
	method   string
	template string
	re       *regexp.Regexp
	params   map[string]bool // query, path and form-body names
}

// PrepareSpecs loads Twilio's specs from specDir, fixes them up for Prism
// (see fixFormArrays), merges the two pricing specs, and writes the
// results into outDir.
func PrepareSpecs(specDir, outDir string) (*Specs, error) {
	load := func(name string) (*object, error) {
		f, err := os.Open(filepath.Join(specDir, name))
		if err != nil {
			return nil, err
		}
		defer f.Close()
		v, err := decodeOrdered(bufio.NewReader(f))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		doc, ok := v.(*object)
		if !ok {
			return nil, fmt.Errorf("%s: not a JSON object", name)
		}
		return doc, nil
	}
	api, err := load(SpecAPI)
	if err != nil {
		return nil, err
	}
	v1, err := load(SpecPricingV1)
	if err != nil {
		return nil, err
	}
	v2, err := load(SpecPricingV2)
	if err != nil {
		return nil, err
	}
	pricing, err := mergeSpecs(v1, v2)
	if err != nil {
		return nil, err
	}
	s := &Specs{APIPath: filepath.Join(outDir, "api.json"), PricingPath: filepath.Join(outDir, "pricing.json")}
	for _, f := range []struct {
		doc  *object
		path string
	}{{api, s.APIPath}, {pricing, s.PricingPath}} {
		fixFormArrays(f.doc)
		b, err := json.Marshal(f.doc)
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(f.path, b, 0o644); err != nil {
			return nil, err
		}
		s.ops = append(s.ops, indexOperations(f.doc)...)
	}
	return s, nil
}

func obj(v any) *object {
	o, _ := v.(*object)
	return o
}

// resolve follows a local "#/components/..." $ref.
func resolve(doc, v *object) *object {
	for range 8 {
		ref, ok := v.get("$ref").(string)
		if !ok || !strings.HasPrefix(ref, "#/") {
			return v
		}
		cur := doc
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			cur = obj(cur.get(part))
		}
		v = cur
	}
	return v
}

var methods = []string{"get", "post", "put", "patch", "delete"}

// fixFormArrays gives every array property of every form-encoded request
// body an encoding of style form, explode true (StatusCallbackEvent=a&
// StatusCallbackEvent=b), as twilio-go sends them. Twilio's specs leave
// the encoding out, and Prism then rejects repeated fields.
func fixFormArrays(doc *object) {
	paths := obj(doc.get("paths"))
	if paths == nil {
		return
	}
	for _, tmpl := range paths.keys {
		item := obj(paths.get(tmpl))
		for _, m := range methods {
			op := obj(item.get(m))
			media := formMedia(op)
			if media == nil {
				continue
			}
			props := obj(resolve(doc, obj(media.get("schema"))).get("properties"))
			if props == nil {
				continue
			}
			enc := obj(media.get("encoding"))
			for _, name := range props.keys {
				if resolve(doc, obj(props.get(name))).get("type") != "array" {
					continue
				}
				if enc == nil {
					enc = newObject()
					media.set("encoding", enc)
				}
				e := newObject()
				e.set("style", "form")
				e.set("explode", true)
				enc.set(name, e)
			}
		}
	}
}

func formMedia(op *object) *object {
	return obj(obj(obj(op.get("requestBody")).get("content")).get("application/x-www-form-urlencoded"))
}

// mergeSpecs joins specs served by one host: paths and components of all,
// the first's info and servers. A clash (one path or component name
// defined differently) is an error.
func mergeSpecs(docs ...*object) (*object, error) {
	if len(docs) == 0 {
		return nil, fmt.Errorf("no specs to merge")
	}
	out := newObject()
	for _, k := range docs[0].keys {
		out.set(k, docs[0].get(k))
	}
	paths, comps := newObject(), newObject()
	for _, d := range docs {
		dp := obj(d.get("paths"))
		for _, p := range keys(dp) {
			item := dp.get(p)
			if old := paths.get(p); old != nil && !sameJSON(old, item) {
				return nil, fmt.Errorf("path %s defined twice", p)
			}
			paths.set(p, item)
		}
		dc := obj(d.get("components"))
		for _, kind := range keys(dc) {
			set := obj(dc.get(kind))
			dst := obj(comps.get(kind))
			if dst == nil {
				dst = newObject()
				comps.set(kind, dst)
			}
			for _, name := range keys(set) {
				v := set.get(name)
				if old := dst.get(name); old != nil && !sameJSON(old, v) {
					return nil, fmt.Errorf("components.%s.%s defined twice, differently", kind, name)
				}
				dst.set(name, v)
			}
		}
	}
	out.set("paths", paths)
	out.set("components", comps)
	return out, nil
}

func keys(o *object) []string {
	if o == nil {
		return nil
	}
	return o.keys
}

func sameJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func indexOperations(doc *object) []operation {
	var ops []operation
	paths := obj(doc.get("paths"))
	for _, tmpl := range keys(paths) {
		item := obj(paths.get(tmpl))
		re := regexp.MustCompile("^" + regexp.MustCompile(`\\\{[^}]+\\\}`).ReplaceAllString(regexp.QuoteMeta(tmpl), `[^/]+`) + "$")
		for _, m := range methods {
			op := obj(item.get(m))
			if op == nil {
				continue
			}
			params := map[string]bool{}
			for _, list := range []any{item.get("parameters"), op.get("parameters")} {
				ps, _ := list.([]any)
				for _, p := range ps {
					if name, ok := resolve(doc, obj(p)).get("name").(string); ok {
						params[name] = true
					}
				}
			}
			for _, name := range keys(obj(resolve(doc, obj(formMedia(op).get("schema"))).get("properties"))) {
				params[name] = true
			}
			ops = append(ops, operation{method: strings.ToUpper(m), template: tmpl, re: re, params: params})
		}
	}
	// Literal paths before templated ones: /Calls/FeedbackSummary.json must
	// not match /Calls/{Sid}.json.
	sort.Slice(ops, func(i, j int) bool {
		ci, cj := strings.Count(ops[i].template, "{"), strings.Count(ops[j].template, "{")
		if ci != cj {
			return ci < cj
		}
		return ops[i].template < ops[j].template
	})
	return ops
}

// Undeclared returns the operation's template and the names in query and
// form that the spec operation for method and path does not declare.
// Prism silently ignores misspelled optional parameters; this does not.
func (s *Specs) Undeclared(method, path string, query, form url.Values) (template string, unknown []string, err error) {
	for _, op := range s.ops {
		if op.method != method || !op.re.MatchString(path) {
			continue
		}
		for _, vals := range []url.Values{query, form} {
			for name := range vals {
				if !op.params[name] {
					unknown = append(unknown, name)
				}
			}
		}
		sort.Strings(unknown)
		return op.template, unknown, nil
	}
	return "", nil, fmt.Errorf("no operation %s %s in Twilio's spec", method, path)
}
