package branch

import "strconv"

// VLAN is the 802.1Q VLAN ID that tells a trunk's branches apart. The
// controller allocates IDs from [MinVLAN] to [MaxVLAN] per trunk: its bitmap
// has 121 slots (MaxAllocatableVlanIds in
// pkg/provider/branch/trunk/trunk.go) and slot 0 is never handed out. The
// zero VLAN is not valid.
type VLAN uint16

const (
	// MinVLAN is the lowest VLAN ID a branch can get.
	MinVLAN VLAN = 1
	// MaxVLAN is the highest VLAN ID a branch can get, and so the most
	// branches one trunk can carry.
	MaxVLAN VLAN = 120
)

// IsValid reports whether v lies in [MinVLAN]..[MaxVLAN].
func (v VLAN) IsValid() bool { return v >= MinVLAN && v <= MaxVLAN }

// String returns v in decimal, or "VLAN(N)" when v is out of range, so an
// invalid value never passes for a valid one in a log.
func (v VLAN) String() string {
	if !v.IsValid() {
		return "VLAN(" + strconv.Itoa(int(v)) + ")"
	}
	return strconv.Itoa(int(v))
}

// ParseVLAN parses the decimal form [VLAN.String] produces: digits only, no
// sign, no leading zero, value in [MinVLAN]..[MaxVLAN]. Anything else is a
// [*ParseError] wrapping [ErrMalformedID].
func ParseVLAN(s string) (VLAN, error) {
	fail := func(why string) (VLAN, error) {
		return 0, &ParseError{Kind: "VLAN ID", Input: s, Why: why}
	}
	if s == "" {
		return fail("empty string")
	}
	if len(s) > 3 {
		return fail("want 1.." + strconv.Itoa(int(MaxVLAN)))
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return fail("character " + strconv.QuoteRune(rune(c)) + " at offset " + strconv.Itoa(i) + " is not a decimal digit")
		}
		n = n*10 + int(c-'0')
	}
	if len(s) > 1 && s[0] == '0' {
		return fail("leading zero")
	}
	if v := VLAN(n); v.IsValid() {
		return v, nil
	}
	return fail("want 1.." + strconv.Itoa(int(MaxVLAN)))
}

// MarshalText implements encoding.TextMarshaler; an out-of-range VLAN is an
// error.
func (v VLAN) MarshalText() ([]byte, error) {
	if !v.IsValid() {
		return nil, &ParseError{Kind: "VLAN ID", Input: strconv.Itoa(int(v)), Why: "want 1.." + strconv.Itoa(int(MaxVLAN))}
	}
	return strconv.AppendInt(nil, int64(v), 10), nil
}

// UnmarshalText implements encoding.TextUnmarshaler with the rules of
// [ParseVLAN]. On error v is left unchanged.
func (v *VLAN) UnmarshalText(text []byte) error {
	parsed, err := ParseVLAN(string(text))
	if err != nil {
		return err
	}
	*v = parsed
	return nil
}
