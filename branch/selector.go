package branch

import (
	"cmp"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Operator is the operator of a label selector requirement, as in
// k8s.io/apimachinery/pkg/apis/meta/v1 (LabelSelectorOperator). The zero
// Operator is not valid.
type Operator uint8

const (
	// OpIn matches when the label is present and its value is one of the
	// requirement's values.
	OpIn Operator = 1 + iota
	// OpNotIn matches when the label is absent, or present with a value
	// that is none of the requirement's values.
	OpNotIn
	// OpExists matches when the label is present, whatever its value.
	OpExists
	// OpDoesNotExist matches when the label is absent.
	OpDoesNotExist
)

var operatorNames = [...]string{OpIn: "In", OpNotIn: "NotIn", OpExists: "Exists", OpDoesNotExist: "DoesNotExist"}

// IsValid reports whether op is one of the four declared operators.
func (op Operator) IsValid() bool { return op >= OpIn && op <= OpDoesNotExist }

// String returns the Kubernetes spelling ("In", "NotIn", "Exists",
// "DoesNotExist"), or "Operator(N)" for an invalid value.
func (op Operator) String() string {
	if !op.IsValid() {
		return "Operator(" + strconv.Itoa(int(op)) + ")"
	}
	return operatorNames[op]
}

// ParseOperator parses the Kubernetes spelling of an operator. Kubernetes
// compares case-sensitively, so "in" is rejected like any other unknown
// text, with a [*SelectorError] wrapping [ErrInvalidSelector].
func ParseOperator(s string) (Operator, error) {
	for op := OpIn; op <= OpDoesNotExist; op++ {
		if s == operatorNames[op] {
			return op, nil
		}
	}
	return 0, &SelectorError{Field: "operator", Why: strconv.Quote(s) + " is not In, NotIn, Exists or DoesNotExist"}
}

// MarshalText implements encoding.TextMarshaler; an invalid operator is an
// error.
func (op Operator) MarshalText() ([]byte, error) {
	if !op.IsValid() {
		return nil, &SelectorError{Field: "operator", Why: op.String() + " is not In, NotIn, Exists or DoesNotExist"}
	}
	return []byte(op.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler with the rules of
// [ParseOperator]. On error op is left unchanged.
func (op *Operator) UnmarshalText(text []byte) error {
	parsed, err := ParseOperator(string(text))
	if err != nil {
		return err
	}
	*op = parsed
	return nil
}

// Requirement is one entry of a selector's matchExpressions.
type Requirement struct {
	// Key is the label key, a Kubernetes qualified name.
	Key string `json:"key" yaml:"key"`
	// Operator relates the key to Values.
	Operator Operator `json:"operator" yaml:"operator"`
	// Values must be non-empty for OpIn and OpNotIn and empty for
	// OpExists and OpDoesNotExist.
	Values []string `json:"values,omitempty" yaml:"values,omitempty"`
}

// LabelSelector is a Kubernetes label selector (metav1.LabelSelector):
// every matchLabels entry and every matchExpressions requirement must hold
// for a label set to match.
//
// A nil *LabelSelector matches nothing, as
// metav1.LabelSelectorAsSelector(nil) gives labels.Nothing(). A non-nil
// selector with no entries, {}, matches everything. A SecurityGroupPolicy
// gives nil a third meaning, "not set", which [Resolve] handles itself.
type LabelSelector struct {
	// MatchLabels requires each key to be present with exactly that
	// value.
	MatchLabels map[string]string `json:"matchLabels,omitempty" yaml:"matchLabels,omitempty"`
	// MatchExpressions lists further requirements.
	MatchExpressions []Requirement `json:"matchExpressions,omitempty" yaml:"matchExpressions,omitempty"`
}

// Validate checks s against the rules k8s.io/apimachinery enforces when it
// converts a LabelSelector (LabelSelectorAsSelector and
// labels.NewRequirement): keys are qualified names (an optional lowercase
// DNS subdomain prefix of at most 253 characters and a '/', then a name of
// 1 to 63 characters), values are valid label values (at most 63
// characters), In and NotIn carry at least one value, Exists and
// DoesNotExist carry none. The first problem found, in a fixed order
// (matchLabels by key, then matchExpressions by index), is returned as a
// [*SelectorError] whose Field names it, such as
// `matchExpressions[1].values`. A nil selector is valid.
func (s *LabelSelector) Validate() error {
	if s == nil {
		return nil
	}
	if len(s.MatchLabels) > 0 && !s.labelsValid() {
		// Map order is random; report the smallest bad key so the same
		// selector always yields the same error.
		for _, k := range slices.Sorted(maps.Keys(s.MatchLabels)) {
			if why := labelKeyProblem(k); why != "" {
				return &SelectorError{Field: "matchLabels", Why: "key " + strconv.Quote(k) + ": " + why}
			}
			if why := labelValueProblem(s.MatchLabels[k]); why != "" {
				return &SelectorError{Field: "matchLabels[" + strconv.Quote(k) + "]",
					Why: "value " + strconv.Quote(s.MatchLabels[k]) + ": " + why}
			}
		}
	}
	for i, r := range s.MatchExpressions {
		if field, why := r.problem(); why != "" {
			return &SelectorError{Field: "matchExpressions[" + strconv.Itoa(i) + "]" + field, Why: why}
		}
	}
	return nil
}

// labelsValid checks MatchLabels without allocating, for the match path.
func (s *LabelSelector) labelsValid() bool {
	for k, v := range s.MatchLabels {
		if labelKeyProblem(k) != "" || labelValueProblem(v) != "" {
			return false
		}
	}
	return true
}

// problem returns the field suffix and reason of r's first problem, or
// an empty reason. It allocates only when r is invalid.
func (r *Requirement) problem() (field, why string) {
	if why := labelKeyProblem(r.Key); why != "" {
		return ".key", "key " + strconv.Quote(r.Key) + ": " + why
	}
	switch r.Operator {
	case OpIn, OpNotIn:
		if len(r.Values) == 0 {
			return ".values", "must be non-empty for In and NotIn"
		}
	case OpExists, OpDoesNotExist:
		if len(r.Values) != 0 {
			return ".values", "must be empty for Exists and DoesNotExist, got " + quoteList(r.Values)
		}
	default:
		return ".operator", r.Operator.String() + " is not In, NotIn, Exists or DoesNotExist"
	}
	for j, v := range r.Values {
		if why := labelValueProblem(v); why != "" {
			return ".values[" + strconv.Itoa(j) + "]", "value " + strconv.Quote(v) + ": " + why
		}
	}
	return "", ""
}

func (s *LabelSelector) valid() bool {
	if !s.labelsValid() {
		return false
	}
	for i := range s.MatchExpressions {
		if _, why := s.MatchExpressions[i].problem(); why != "" {
			return false
		}
	}
	return true
}

// Matches reports whether labels satisfy s, with the semantics of
// k8s.io/apimachinery/pkg/labels (Requirement.Matches): a matchLabels
// entry needs the key present with that value; In needs the key present
// with a listed value; NotIn matches when the key is absent or its value is
// not listed; Exists and DoesNotExist test presence only. A nil selector
// matches nothing and {} matches everything, including nil labels. An
// invalid selector matches nothing, as the controller skips a selector
// that fails to convert. Matches does not allocate; to match many label
// sets against one selector, [LabelSelector.Compile] it once.
func (s *LabelSelector) Matches(labels map[string]string) bool {
	// A selector that fails on the labels fails whether or not it is
	// valid, so validity is checked only for a would-be match; most
	// selectors reject most label sets.
	return s != nil && s.rawMatches(labels) && s.valid()
}

func (s *LabelSelector) rawMatches(labels map[string]string) bool {
	for k, v := range s.MatchLabels {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	for i := range s.MatchExpressions {
		r := &s.MatchExpressions[i]
		if !requirementMatches(r.Key, r.Operator, r.Values, labels) {
			return false
		}
	}
	return true
}

func requirementMatches(key string, op Operator, values []string, labels map[string]string) bool {
	got, ok := labels[key]
	switch op {
	case OpIn:
		return ok && slices.Contains(values, got)
	case OpNotIn:
		return !ok || !slices.Contains(values, got)
	case OpExists:
		return ok
	case OpDoesNotExist:
		return !ok
	}
	return false
}

// Compile validates s and returns a [Selector] that evaluates it without
// re-checking. A nil s compiles to the zero Selector, which matches
// nothing. Errors are those of [LabelSelector.Validate].
func (s *LabelSelector) Compile() (Selector, error) {
	if s == nil {
		return Selector{}, nil
	}
	if err := s.Validate(); err != nil {
		return Selector{}, err
	}
	sel := Selector{all: true}
	if n := len(s.MatchLabels) + len(s.MatchExpressions); n > 0 {
		sel.reqs = make([]requirement, 0, n)
	}
	for k, v := range s.MatchLabels {
		sel.reqs = append(sel.reqs, requirement{key: k, op: OpIn, values: []string{v}, exact: true})
	}
	for _, r := range s.MatchExpressions {
		var values []string
		if len(r.Values) > 0 {
			values = slices.Compact(slices.Sorted(slices.Values(r.Values)))
		}
		sel.reqs = append(sel.reqs, requirement{key: r.Key, op: r.Operator, values: values})
	}
	slices.SortFunc(sel.reqs, compareRequirements)
	return sel, nil
}

// Selector is a compiled [LabelSelector]: validated once, then matched
// against any number of label sets. Requirements are kept in key order so
// String is canonical. The zero Selector matches nothing, like a nil
// *LabelSelector. A Selector is immutable and safe for concurrent use.
type Selector struct {
	reqs []requirement
	// all is false only for the zero Selector; with no reqs it means
	// "match everything".
	all bool
}

type requirement struct {
	key    string
	op     Operator
	values []string // sorted, distinct
	exact  bool     // from matchLabels; affects String only
}

func compareRequirements(a, b requirement) int {
	if c := strings.Compare(a.key, b.key); c != 0 {
		return c
	}
	if c := cmp.Compare(a.op, b.op); c != 0 {
		return c
	}
	return slices.Compare(a.values, b.values)
}

// Matches reports whether labels satisfy the selector, with the same
// semantics as [LabelSelector.Matches]. It does not allocate.
func (s Selector) Matches(labels map[string]string) bool {
	if !s.all {
		return false
	}
	for i := range s.reqs {
		r := &s.reqs[i]
		if !requirementMatches(r.key, r.op, r.values, labels) {
			return false
		}
	}
	return true
}

// MatchesNothing reports whether s is the zero Selector.
func (s Selector) MatchesNothing() bool { return !s.all }

// MatchesEverything reports whether s has no requirements, as compiled
// from {}.
func (s Selector) MatchesEverything() bool { return s.all && len(s.reqs) == 0 }

// String renders s in the kubectl selector syntax, requirements sorted by
// key: "app=web,env in (prod,qa),!legacy,tier,zone notin (a)". The
// selector that matches everything is "<all>" and the zero Selector is
// "<none>", since kubectl's own spelling of both is the empty string.
func (s Selector) String() string {
	switch {
	case !s.all:
		return "<none>"
	case len(s.reqs) == 0:
		return "<all>"
	}
	var b strings.Builder
	for i, r := range s.reqs {
		if i > 0 {
			b.WriteByte(',')
		}
		switch {
		case r.exact:
			b.WriteString(r.key + "=" + r.values[0])
		case r.op == OpIn || r.op == OpNotIn:
			b.WriteString(r.key)
			if r.op == OpIn {
				b.WriteString(" in (")
			} else {
				b.WriteString(" notin (")
			}
			b.WriteString(strings.Join(r.values, ","))
			b.WriteByte(')')
		case r.op == OpExists:
			b.WriteString(r.key)
		case r.op == OpDoesNotExist:
			b.WriteString("!" + r.key)
		}
	}
	return b.String()
}

func quoteList(values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = strconv.Quote(v)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}

// Label syntax, after k8s.io/apimachinery/pkg/api/validate/content
// (IsLabelKey, IsLabelValue, IsDNS1123Subdomain, IsDNS1123Label), written
// out by hand so that a valid key or value costs no allocation and no
// regular expression.

const (
	labelNameMaxLength      = 63
	dnsSubdomainMaxLength   = 253
	dnsLabelMaxLength       = 63
	labelNameCharsRule      = "must consist of alphanumeric characters, '-', '_' or '.', and start and end with an alphanumeric character"
	dnsCharsRule            = "must consist of lowercase alphanumeric characters, '-' or '.', with each dot-separated part starting and ending with an alphanumeric character"
	dnsLabelCharsRule       = "must consist of lowercase alphanumeric characters or '-', and start and end with an alphanumeric character"
	labelNameTooLong        = "name part must be no more than 63 characters"
	labelValueTooLongReason = "must be no more than 63 characters"
)

func isAlnum(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

func isLowerAlnum(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' }

// labelNameChars checks ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9] on a
// non-empty s.
func labelNameChars(s string) bool {
	if !isAlnum(s[0]) || !isAlnum(s[len(s)-1]) {
		return false
	}
	for i := 1; i < len(s)-1; i++ {
		if c := s[i]; !isAlnum(c) && c != '-' && c != '_' && c != '.' {
			return false
		}
	}
	return true
}

// dnsLabelChars checks [a-z0-9]([-a-z0-9]*[a-z0-9])? on s.
func dnsLabelChars(s string) bool {
	if s == "" || !isLowerAlnum(s[0]) || !isLowerAlnum(s[len(s)-1]) {
		return false
	}
	for i := 1; i < len(s)-1; i++ {
		if c := s[i]; !isLowerAlnum(c) && c != '-' {
			return false
		}
	}
	return true
}

// dnsSubdomainProblem returns why s is not an RFC 1123 subdomain, or "".
func dnsSubdomainProblem(s string) string {
	if s == "" {
		return "must be non-empty"
	}
	if len(s) > dnsSubdomainMaxLength {
		return "must be no more than 253 characters"
	}
	for rest := s; ; {
		part, tail, more := strings.Cut(rest, ".")
		if !dnsLabelChars(part) {
			return dnsCharsRule
		}
		if !more {
			return ""
		}
		rest = tail
	}
}

// dnsLabelProblem returns why s is not an RFC 1123 label, or "".
func dnsLabelProblem(s string) string {
	switch {
	case s == "":
		return "must be non-empty"
	case len(s) > dnsLabelMaxLength:
		return "must be no more than 63 characters"
	case !dnsLabelChars(s):
		return dnsLabelCharsRule
	}
	return ""
}

// labelKeyProblem returns why k is not a valid label key, or "".
func labelKeyProblem(k string) string {
	name := k
	if prefix, rest, ok := strings.Cut(k, "/"); ok {
		if strings.Contains(rest, "/") {
			return "must contain at most one '/'"
		}
		if prefix == "" {
			return "prefix part must be non-empty"
		}
		if why := dnsSubdomainProblem(prefix); why != "" {
			return "prefix part " + why
		}
		name = rest
	}
	switch {
	case name == "":
		return "name part must be non-empty"
	case len(name) > labelNameMaxLength:
		return labelNameTooLong
	case !labelNameChars(name):
		return "name part " + labelNameCharsRule
	}
	return ""
}

// labelValueProblem returns why v is not a valid label value, or "". The
// empty value is valid.
func labelValueProblem(v string) string {
	switch {
	case v == "":
		return ""
	case len(v) > labelNameMaxLength:
		return labelValueTooLongReason
	case !labelNameChars(v):
		return labelNameCharsRule
	}
	return ""
}
