package scenario

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// The checks below are Kubernetes' own (apimachinery validation): a
// scenario with a name the API server would refuse is refused here too,
// rather than simulating a cluster that could not exist.

// checkDNSLabel accepts an RFC 1123 label, as namespaces must be.
func checkDNSLabel(s string) error {
	if s == "" {
		return fmt.Errorf("is empty")
	}
	if len(s) > 63 {
		return fmt.Errorf("is %d characters; at most 63 are allowed", len(s))
	}
	if !isLowerAlnum(s[0]) || !isLowerAlnum(s[len(s)-1]) || strings.IndexFunc(s, func(r rune) bool {
		return r > 0x7f || !(isLowerAlnum(byte(r)) || r == '-')
	}) >= 0 {
		return fmt.Errorf("must be lower-case letters, digits and '-', starting and ending with a letter or digit")
	}
	return nil
}

// checkDNSSubdomain accepts an RFC 1123 subdomain, as most object names
// must be.
func checkDNSSubdomain(s string) error {
	if s == "" {
		return fmt.Errorf("is empty")
	}
	if len(s) > 253 {
		return fmt.Errorf("is %d characters; at most 253 are allowed", len(s))
	}
	for _, part := range strings.Split(s, ".") {
		if part == "" || !isLowerAlnum(part[0]) || !isLowerAlnum(part[len(part)-1]) || strings.IndexFunc(part, func(r rune) bool {
			return r > 0x7f || !(isLowerAlnum(byte(r)) || r == '-')
		}) >= 0 {
			return fmt.Errorf("must be lower-case letters, digits, '-' and '.', each dot-separated part starting and ending with a letter or digit")
		}
	}
	return nil
}

// checkLabelKey accepts a label key: an optional DNS subdomain prefix and
// a slash, then a name of at most 63 characters.
func checkLabelKey(k string) error {
	prefix, name, hasPrefix := strings.Cut(k, "/")
	if hasPrefix {
		if err := checkDNSSubdomain(prefix); err != nil {
			return fmt.Errorf("label key %q: prefix %v", k, err)
		}
	} else {
		name = prefix
	}
	if name == "" {
		return fmt.Errorf("label key %q: name is empty", k)
	}
	if err := checkLabelText(name); err != nil {
		return fmt.Errorf("label key %q: %v", k, err)
	}
	return nil
}

// checkLabelValue accepts a label value, which may be empty.
func checkLabelValue(v string) error {
	if v == "" {
		return nil
	}
	if err := checkLabelText(v); err != nil {
		return fmt.Errorf("label value %q: %v", v, err)
	}
	return nil
}

func checkLabelText(s string) error {
	if len(s) > 63 {
		return fmt.Errorf("is %d characters; at most 63 are allowed", len(s))
	}
	if !isAlnum(s[0]) || !isAlnum(s[len(s)-1]) || strings.IndexFunc(s, func(r rune) bool {
		return r > 0x7f || !(isAlnum(byte(r)) || r == '-' || r == '_' || r == '.')
	}) >= 0 {
		return fmt.Errorf("must be letters, digits, '-', '_' and '.', starting and ending with a letter or digit")
	}
	return nil
}

func isLowerAlnum(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }

func isAlnum(c byte) bool { return isLowerAlnum(c) || 'A' <= c && c <= 'Z' }

// orList joins words as "a", "a or b", or "a, b or c".
func orList(words []string) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// sortedKeys returns m's keys in order, so output never depends on map
// iteration order.
func sortedKeys(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}
