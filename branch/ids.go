package branch

import (
	"cmp"
	"hash/fnv"
	"strconv"
)

// hexID is the numeric form shared by security group and ENI IDs: up to 17
// hex digits, 68 bits, kept left-aligned (the first digit is always the
// top nibble, hi) with the digit count beside it. Left alignment makes the
// order by hi, lo, width agree with the order of the strings, even
// between an 8-digit and a 17-digit ID, so comparing needs no formatting.
// width 0 means no ID at all.
type hexID struct {
	lo    uint64 // digits 2..17, first of them in the top nibble
	hi    uint8  // first digit
	width uint8
}

// hexIDFromUint64 is the 17-digit ID that spells n, zero-padded.
func hexIDFromUint64(n uint64) hexID { return hexID{lo: n, width: 17} }

// parseHexID reads the digits after prefix. widths lists the digit counts
// the kind allows, in increasing order. It never allocates unless it fails.
func parseHexID(kind, prefix, s string, widths ...int) (hexID, error) {
	fail := func(why string) (hexID, error) {
		return hexID{}, &ParseError{Kind: kind, Input: s, Why: why}
	}
	if s == "" {
		return fail("empty string")
	}
	if len(s) < len(prefix) || s[:len(prefix)] != prefix {
		return fail("want prefix " + strconv.Quote(prefix))
	}
	digits := s[len(prefix):]
	ok := false
	for _, w := range widths {
		ok = ok || len(digits) == w
	}
	if !ok {
		return fail("want " + widthWords(widths) + " hex digits after " + strconv.Quote(prefix) +
			", got " + strconv.Itoa(len(digits)))
	}
	id := hexID{width: uint8(len(digits))}
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		var d uint8
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			return fail("character " + strconv.QuoteRune(rune(c)) + " at offset " +
				strconv.Itoa(len(prefix)+i) + " is uppercase; want lowercase hex")
		default:
			return fail("character " + strconv.QuoteRune(rune(c)) + " at offset " +
				strconv.Itoa(len(prefix)+i) + " is not a hex digit")
		}
		if i == 0 {
			id.hi = d
		} else {
			id.lo |= uint64(d) << (64 - 4*uint(i))
		}
	}
	return id, nil
}

func widthWords(widths []int) string {
	if len(widths) == 1 {
		return strconv.Itoa(widths[0])
	}
	return strconv.Itoa(widths[0]) + " or " + strconv.Itoa(widths[1])
}

const hexDigits = "0123456789abcdef"

// appendTo appends prefix and the digits; the caller checks width != 0.
func (id hexID) appendTo(b []byte, prefix string) []byte {
	b = append(b, prefix...)
	b = append(b, hexDigits[id.hi&0xf])
	for i := 1; i < int(id.width); i++ {
		b = append(b, hexDigits[(id.lo>>(64-4*uint(i)))&0xf])
	}
	return b
}

// format renders the ID with a single allocation, for the final string.
func (id hexID) format(prefix string) string {
	var buf [24]byte
	return string(id.appendTo(buf[:0], prefix))
}

// compare orders IDs as their strings order, the zero hexID first. With
// left-aligned digits, a shorter ID that is a prefix of a longer one ties
// on hi and lo only when the rest of the longer one is zeros, and the
// width then puts the shorter first, as string order does.
func (a hexID) compare(b hexID) int {
	switch {
	case a.hi != b.hi:
		return cmp.Compare(a.hi, b.hi)
	case a.lo != b.lo:
		return cmp.Compare(a.lo, b.lo)
	}
	return cmp.Compare(a.width, b.width)
}

const (
	sgPrefix  = "sg-"
	eniPrefix = "eni-"
)

// SecurityGroupID is an EC2 security group ID: "sg-" followed by 8 (older
// groups) or 17 lowercase hex digits. It is a small comparable value, usable
// with == and as a map key, and holds the number rather than the text, so
// comparing and copying are cheap. The zero SecurityGroupID is not a valid
// ID; [SecurityGroupID.IsValid] reports false for it.
type SecurityGroupID struct {
	id hexID
}

// ParseSecurityGroupID parses s, which must be exactly "sg-" and 8 or 17
// lowercase hex digits, the only form EC2 issues. Anything else, including
// upper-case digits, is a [*ParseError] wrapping [ErrMalformedID].
func ParseSecurityGroupID(s string) (SecurityGroupID, error) {
	id, err := parseHexID("security group ID", sgPrefix, s, 8, 17)
	return SecurityGroupID{id}, err
}

// MustParseSecurityGroupID is like [ParseSecurityGroupID] but panics when s
// is malformed. It is meant for tests and examples with hard-coded IDs, like
// regexp.MustCompile; never feed it input from outside the program.
func MustParseSecurityGroupID(s string) SecurityGroupID {
	id, err := ParseSecurityGroupID(s)
	if err != nil {
		panic(err)
	}
	return id
}

// SecurityGroupIDFromUint64 returns the 17-digit ID whose digits spell n in
// hex, so a simulator can mint distinct IDs from a counter. Every uint64
// fits, since 17 hex digits hold 68 bits.
func SecurityGroupIDFromUint64(n uint64) SecurityGroupID {
	return SecurityGroupID{hexIDFromUint64(n)}
}

// MalformedGroupID returns the stand-in for text, a group ID that is no ID
// at all (a placeholder such as "${POD_SG}" left in a manifest, which the
// SecurityGroupPolicy CRD stores, since it puts no pattern on groupIds),
// so that a [Policy], whose Groups are typed IDs, can carry it to EC2,
// where it fails. The stand-in is derived from the text alone, so two
// policies naming the same text name the same group: it is the 17-digit
// ID that spells the text's 64-bit FNV-1a hash
// ([SecurityGroupIDFromUint64]). A group EC2 issued has the same ID only
// by a 1 in 2^64 chance; whoever keeps the table from stand-ins back to
// text (the fake EC2, the scenario) refuses it then.
func MalformedGroupID(text string) SecurityGroupID {
	h := fnv.New64a()
	h.Write([]byte(text))
	return SecurityGroupIDFromUint64(h.Sum64())
}

// IsValid reports whether id is a real ID rather than the zero value.
func (id SecurityGroupID) IsValid() bool { return id.id.width != 0 }

// String returns the ID as EC2 spells it, or "invalid SecurityGroupID" for
// the zero value. It allocates once.
func (id SecurityGroupID) String() string {
	if !id.IsValid() {
		return "invalid SecurityGroupID"
	}
	return id.id.format(sgPrefix)
}

// Compare returns -1, 0 or +1 as id sorts before, equal to or after other.
// The order is the order of the strings, which is the canonical order of a
// [GroupSet]; the zero value sorts first.
func (id SecurityGroupID) Compare(other SecurityGroupID) int { return id.id.compare(other.id) }

// MarshalText implements encoding.TextMarshaler. The zero value is an error
// rather than text nobody could parse back.
func (id SecurityGroupID) MarshalText() ([]byte, error) {
	if !id.IsValid() {
		return nil, &ParseError{Kind: "security group ID", Why: "cannot marshal the zero SecurityGroupID"}
	}
	return id.id.appendTo(make([]byte, 0, len(sgPrefix)+int(id.id.width)), sgPrefix), nil
}

// UnmarshalText implements encoding.TextUnmarshaler with the rules of
// [ParseSecurityGroupID]. On error id is left unchanged.
func (id *SecurityGroupID) UnmarshalText(text []byte) error {
	parsed, err := ParseSecurityGroupID(string(text))
	if err != nil {
		return err
	}
	*id = parsed
	return nil
}

// ENIID is an EC2 network interface ID: "eni-" followed by 17 lowercase hex
// digits. Like [SecurityGroupID] it is small, comparable and holds the
// number. The simulator mints IDs with [ENIIDFromUint64] from a counter, so
// runs are reproducible. The zero ENIID is not a valid ID.
type ENIID struct {
	id hexID
}

// ParseENIID parses s, which must be exactly "eni-" and 17 lowercase hex
// digits. Anything else is a [*ParseError] wrapping [ErrMalformedID]. The
// legacy 8-digit form is not accepted: trunk and branch interfaces arrived
// (2020) after EC2 had moved network interfaces to 17-digit IDs (2018).
func ParseENIID(s string) (ENIID, error) {
	id, err := parseHexID("ENI ID", eniPrefix, s, 17)
	return ENIID{id}, err
}

// ENIIDFromUint64 returns the ID whose 17 hex digits spell n, zero-padded:
// ENIIDFromUint64(1) is "eni-00000000000000001". Every uint64 fits, and
// distinct n give distinct IDs.
func ENIIDFromUint64(n uint64) ENIID {
	return ENIID{hexIDFromUint64(n)}
}

// Uint64 returns the n for which ENIIDFromUint64(n) is id, and false
// when there is none: the zero value, or an ID whose first digit is not 0.
func (id ENIID) Uint64() (uint64, bool) {
	if id.id.width != 17 || id.id.hi != 0 {
		return 0, false
	}
	return id.id.lo, true
}

// IsValid reports whether id is a real ID rather than the zero value.
func (id ENIID) IsValid() bool { return id.id.width != 0 }

// String returns the ID as EC2 spells it, or "invalid ENIID" for the zero
// value. It allocates once.
func (id ENIID) String() string {
	if !id.IsValid() {
		return "invalid ENIID"
	}
	return id.id.format(eniPrefix)
}

// Compare returns -1, 0 or +1 as id sorts before, equal to or after other,
// in the order of the strings; the zero value sorts first.
func (id ENIID) Compare(other ENIID) int { return id.id.compare(other.id) }

// MarshalText implements encoding.TextMarshaler. The zero value is an
// error.
func (id ENIID) MarshalText() ([]byte, error) {
	if !id.IsValid() {
		return nil, &ParseError{Kind: "ENI ID", Why: "cannot marshal the zero ENIID"}
	}
	return id.id.appendTo(make([]byte, 0, len(eniPrefix)+int(id.id.width)), eniPrefix), nil
}

// UnmarshalText implements encoding.TextUnmarshaler with the rules of
// [ParseENIID]. On error id is left unchanged.
func (id *ENIID) UnmarshalText(text []byte) error {
	parsed, err := ParseENIID(string(text))
	if err != nil {
		return err
	}
	*id = parsed
	return nil
}
