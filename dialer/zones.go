package dialer

import (
	"sync"
	"time"
	// Contacts' time zones are IANA names from imported files: the program
	// must know them on a machine without a zoneinfo database too.
	_ "time/tzdata"
)

// ContactZones are the time zones a contact may be in: its own TimeZone
// when set (an IANA name), otherwise the zones of its phone's area code
// (CalleeZones), of which there can be several (208 is both America/Boise
// and America/Los_Angeles). A contact may be called only when it is inside
// calling hours in every one of them.
func ContactZones(c Contact) ([]*time.Location, error) {
	if c.TimeZone != "" {
		return contactZones(c, "")
	}
	p, err := ParsePhone(c.Phone)
	if err != nil {
		return nil, Wrap(EINVALID, err, "contact "+c.Label())
	}
	return contactZones(c, p.E164)
}

// contactZones is ContactZones for a contact whose phone was parsed to
// e164 already (a call's guards have it).
func contactZones(c Contact, e164 string) ([]*time.Location, error) {
	if c.TimeZone != "" {
		loc, err := LoadZone(c.TimeZone)
		if err != nil {
			return nil, Errorf(EINVALID, "contact %s: time zone %q is not a known IANA time zone (such as America/Chicago)", c.Label(), c.TimeZone)
		}
		return []*time.Location{loc}, nil
	}
	zones, err := CalleeZones(e164)
	if err != nil {
		return nil, Wrap(EINVALID, err, "contact "+c.Label())
	}
	return zones, nil
}

// zoneCache keeps loaded time zones: time.LoadLocation reads and parses a
// file each time.
var zoneCache sync.Map // name -> *time.Location

// LoadZone is time.LoadLocation, remembered.
func LoadZone(name string) (*time.Location, error) {
	if l, ok := zoneCache.Load(name); ok {
		return l.(*time.Location), nil
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	zoneCache.Store(name, l)
	return l, nil
}
