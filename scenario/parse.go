package scenario

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/limits"
	"github.com/trunksim/trunksim/reach"
	"github.com/trunksim/trunksim/sim"
)

// Bounds that keep a scenario's arithmetic inside int64 nanoseconds and
// its size inside what a run can hold in memory.
const (
	// MaxTime is the latest simulated time a scenario may name.
	MaxTime = 365 * 24 * time.Hour
	// MaxCount bounds node-group sizes, replicas and event counts.
	MaxCount = 1_000_000
	// maxValues bounds the YAML values walked, aliases expanded, so a
	// small file cannot expand into an enormous one.
	maxValues = 1 << 20
)

// Policy apiVersion and kind, as a cluster's SecurityGroupPolicy objects
// carry them (apis/vpcresources/v1beta1 in the resource controller).
const (
	PolicyAPIVersion = "vpcresources.k8s.aws/v1beta1"
	PolicyKind       = "SecurityGroupPolicy"
)

// MaxBytes is the largest scenario Load and Read accept. Real scenarios
// are kilobytes; a larger input is refused before it is parsed, so a
// wrong file cannot take the memory its parse would need: a YAML tree
// takes some 50 times its text when the values are short (a 4 MiB file
// of one-line labels peaked at 212 MiB of heap), and a scenario, even with
// a cluster's policies after it, is far below 2 MiB.
const MaxBytes = 2 << 20

// Load reads and parses the scenario file at path.
func Load(path string) (*Scenario, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(path, f)
}

// Read reads a scenario from r, up to [MaxBytes], and parses it, naming
// it name in errors (Load uses the path; the CLI uses "<stdin>" for -).
// A larger input is an [*Error] wrapping [ErrTooLarge].
func Read(name string, r io.Reader) (*Scenario, error) {
	data, err := ReadBytes(name, r)
	if err != nil {
		return nil, err
	}
	return Parse(name, data)
}

// ReadBytes reads an input to its end, at most [MaxBytes] of it, for a
// caller that needs the bytes (to edit them, or to read objects from
// them); a larger input is an [*Error] wrapping [ErrTooLarge].
func ReadBytes(name string, r io.Reader) ([]byte, error) { return ReadBytesMax(name, r, MaxBytes) }

// ReadBytesMax is [ReadBytes] with a limit of max bytes, for inputs that
// are not scenarios, such as a cluster's objects to import.
func ReadBytesMax(name string, r io.Reader, max int) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, int64(max)+1))
	if err != nil {
		return nil, err
	}
	if len(data) > max {
		return nil, &Error{File: name, Err: fmt.Errorf("%w: more than %d MiB", ErrTooLarge, max>>20)}
	}
	return data, nil
}

// Parse parses a scenario, naming it name in errors. It is strict: an
// unknown key, a value of the wrong type, an out-of-range number, a
// malformed duration or security-group ID, an unknown instance type, a
// duplicate name or a reference to something the scenario does not
// declare is an [*Error] naming the file, the line and the field.
func Parse(name string, data []byte) (*Scenario, error) {
	return parse(name, data, maxValues)
}

// parse is Parse with the value budget as a parameter, for tests.
func parse(name string, data []byte, budget int) (*Scenario, error) {
	roots, err := parseYAML(name, data)
	if err != nil {
		return nil, err
	}
	d := &decoder{file: name, budget: budget, sc: &Scenario{File: name, lines: map[string]int{}}, settings: sim.Settings()}
	if err := d.scenario(roots[0]); err != nil {
		return nil, err
	}
	// Documents after the scenario are objects as kubectl prints them:
	// `kubectl get sgp -A -o yaml >> scenario.yaml` after a ---.
	for i, doc := range roots[1:] {
		path := fmt.Sprintf("documents[%d]", i+1)
		d.sc.lines[path] = doc.Line
		if doc.Kind != yaml.MappingNode || mappingValue(doc, "kind") == nil {
			return nil, &Error{File: name, Line: doc.Line, Err: fmt.Errorf("%w: a second YAML document that is not a Kubernetes object; "+
				"after the scenario a file holds only SecurityGroupPolicy, NodePool and EC2NodeClass objects and Lists of them", ErrSyntax)}
		}
		if err := d.trailing(doc, path); err != nil {
			return nil, err
		}
	}
	if err := d.crossCheck(); err != nil {
		return nil, err
	}
	if err := d.karpenterCrossCheck(); err != nil {
		return nil, err
	}
	return d.sc, nil
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseYAML returns the root values of the documents in data: the
// scenario, then any Kubernetes objects that follow it. Empty documents
// after the first (a trailing ---) are dropped.
func parseYAML(name string, data []byte) (roots []*yaml.Node, err error) {
	// A parser bug must not take the caller down: bad input gets an error.
	defer func() {
		if r := recover(); r != nil {
			roots, err = nil, &Error{File: name, Err: fmt.Errorf("%w: the YAML parser failed: %v", ErrSyntax, r)}
		}
	}()
	syntax := func(err error) error {
		msg := err.Error()
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			line, _ := strconv.Atoi(m[1])
			return &Error{File: name, Line: line, Err: fmt.Errorf("%w: %s", ErrSyntax, m[2])}
		}
		return &Error{File: name, Err: fmt.Errorf("%w: %s", ErrSyntax, strings.TrimPrefix(msg, "yaml: "))}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, syntax(err)
		}
		if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || isNull(doc.Content[0]) {
			if len(roots) == 0 {
				return nil, &Error{File: name, Err: fmt.Errorf("%w: the file is empty", ErrSyntax)}
			}
			continue
		}
		roots = append(roots, doc.Content[0])
	}
	if len(roots) == 0 {
		return nil, &Error{File: name, Err: fmt.Errorf("%w: the file is empty", ErrSyntax)}
	}
	return roots, nil
}

// decoder walks the YAML tree against the scenario format.
type decoder struct {
	file   string
	budget int
	sc     *Scenario
	// prune names the kind whose fields outside its CRD's schema are
	// dropped with a warning, as the API server drops them, rather than
	// refused; empty while decoding anything else.
	prune string
	// warned is set when a policy's decoding has already warned that the
	// controller cannot use it.
	warned bool
	// malformed holds the texts in sc.MalformedGroups, for lookups.
	malformed map[string]bool
	// cfg receives the simulator's settings, which sc holds section by
	// section; settings is their table.
	cfg      sim.Config
	settings []sim.Setting
}

// valueError carries its own message while matching both ErrInvalidValue
// and the error of the package that judged the value.
type valueError struct {
	msg  string
	errs []error
}

func (e *valueError) Error() string   { return e.msg }
func (e *valueError) Unwrap() []error { return e.errs }

func (d *decoder) fail(n *yaml.Node, path string, err error) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &Error{File: d.file, Line: line, Field: path, Err: err}
}

// invalid reports a bad value; cause, when not nil, is wrapped too.
// reason is an invalid's argument that is the program's words, not the
// input's, so it is never clipped.
type reason string

func (d *decoder) invalid(n *yaml.Node, path string, cause error, format string, args ...any) error {
	for i, a := range args {
		if s, ok := a.(string); ok {
			args[i] = clip(s)
		}
	}
	// A value goes after "invalid value "; a reason that is no value
	// starts with ": ", as a policy's "must set podSelector ..." does.
	msg := ErrInvalidValue.Error()
	if text := fmt.Sprintf(format, args...); strings.HasPrefix(text, ":") {
		msg += text
	} else {
		msg += " " + text
	}
	errs := []error{ErrInvalidValue}
	if cause != nil {
		errs = append(errs, cause)
	}
	return d.fail(n, path, &valueError{msg: msg, errs: errs})
}

// resolve follows an alias and charges one value against the budget.
func (d *decoder) resolve(n *yaml.Node, path string) (*yaml.Node, error) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	d.budget--
	if d.budget < 0 {
		return nil, d.fail(n, path, fmt.Errorf("%w: too many values: a scenario holds at most %d, aliases expanded", ErrInvalidValue, maxValues))
	}
	return n, nil
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" }

// describe names what a value is, for "want X, got Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "nothing"
		case "!!str":
			return "the string " + strconv.Quote(n.Value)
		case "!!int":
			return "the integer " + n.Value
		case "!!float":
			return "the number " + n.Value
		case "!!bool":
			return "the boolean " + n.Value
		}
		return n.ShortTag() + " " + strconv.Quote(n.Value)
	}
	return "an unexpected YAML node"
}

func (d *decoder) wrongType(n *yaml.Node, path, want string) error {
	msg := fmt.Sprintf("want %s, got %s", want, describe(n))
	if want == "a string" && n.Kind == yaml.ScalarNode && !isNull(n) {
		msg += " (quote it to make it a string)"
	}
	return d.fail(n, path, fmt.Errorf("%w: %s", ErrWrongType, msg))
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// field is one key of a mapping and how to decode its value.
type field struct {
	key      string
	required bool
	decode   func(v *yaml.Node, path string) error
}

// object decodes mapping n key by key, refusing unknown and repeated
// keys and reporting missing required ones. It returns the keys present.
// A null value counts as an empty mapping.
func (d *decoder) object(n *yaml.Node, path string, fields []field) (map[string]bool, error) {
	n, err := d.resolve(n, path)
	if err != nil {
		return nil, err
	}
	d.sc.lines[path] = n.Line
	if isNull(n) {
		n = &yaml.Node{Kind: yaml.MappingNode, Line: n.Line}
	}
	if n.Kind != yaml.MappingNode {
		return nil, d.wrongType(n, path, "a mapping")
	}
	seen := make(map[string]bool, len(fields))
	firstLine := make(map[string]int, len(fields))
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, err := d.resolve(n.Content[i], path)
		if err != nil {
			return nil, err
		}
		if k.ShortTag() == "!!merge" {
			return nil, d.fail(k, path, fmt.Errorf("%w: merge keys (<<) are not supported; repeat the keys or use an alias for the whole value", ErrUnknownField))
		}
		if k.Kind != yaml.ScalarNode {
			return nil, d.fail(k, path, fmt.Errorf("%w: keys must be plain names, got %s", ErrWrongType, describe(k)))
		}
		p := join(path, k.Value)
		if line, dup := firstLine[k.Value]; dup {
			return nil, d.fail(k, p, fmt.Errorf("%w key (first at line %d)", ErrDuplicate, line))
		}
		firstLine[k.Value] = k.Line
		var f *field
		for j := range fields {
			if fields[j].key == k.Value {
				f = &fields[j]
				break
			}
		}
		if f == nil && d.prune != "" {
			d.warn(k.Line, p, "unknown field, dropped: the API server prunes fields outside the "+d.prune+
				" CRD's schema (and warns, the default for clients that set no fieldValidation, such as Helm); kubectl apply, strict by default, refuses the object instead")
			continue
		}
		if f == nil {
			keys := make([]string, len(fields))
			for j, f := range fields {
				keys[j] = f.key
			}
			return nil, d.fail(k, p, fmt.Errorf("%w (want %s)", ErrUnknownField, orList(keys)))
		}
		seen[k.Value] = true
		d.sc.lines[p] = k.Line
		if err := f.decode(n.Content[i+1], p); err != nil {
			return nil, err
		}
	}
	for _, f := range fields {
		if f.required && !seen[f.key] {
			return nil, d.fail(n, join(path, f.key), ErrMissingField)
		}
	}
	return seen, nil
}

// list decodes each item of sequence n; a null value is an empty list.
func (d *decoder) list(n *yaml.Node, path string, each func(i int, item *yaml.Node, path string) error) error {
	n, err := d.resolve(n, path)
	if err != nil {
		return err
	}
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		return d.wrongType(n, path, "a list")
	}
	for i, item := range n.Content {
		p := fmt.Sprintf("%s[%d]", path, i)
		d.sc.lines[p] = item.Line
		if err := each(i, item, p); err != nil {
			return err
		}
	}
	return nil
}

// scalar resolves n and checks it is a scalar with one of the tags.
func (d *decoder) scalar(n *yaml.Node, path, want string, tags ...string) (*yaml.Node, error) {
	n, err := d.resolve(n, path)
	if err != nil {
		return nil, err
	}
	if n.Kind == yaml.ScalarNode {
		for _, t := range tags {
			if n.ShortTag() == t {
				return n, nil
			}
		}
	}
	return nil, d.wrongType(n, path, want)
}

func (d *decoder) str(n *yaml.Node, path string) (string, error) {
	n, err := d.scalar(n, path, "a string", "!!str")
	if err != nil {
		return "", err
	}
	return n.Value, nil
}

// name decodes a string that check accepts.
func (d *decoder) name(n *yaml.Node, path string, check func(string) error) (string, error) {
	s, err := d.str(n, path)
	if err != nil {
		return "", err
	}
	if err := check(s); err != nil {
		n, _ = d.resolve(n, path)
		return "", d.invalid(n, path, nil, "%q: %v", s, err)
	}
	return s, nil
}

// integer decodes an integer in [lo, hi].
func (d *decoder) integer(n *yaml.Node, path string, lo, hi int64) (int64, error) {
	n, err := d.scalar(n, path, "an integer", "!!int")
	if err != nil {
		return 0, err
	}
	var v int64
	if err := n.Decode(&v); err != nil {
		return 0, d.invalid(n, path, nil, "%s: does not fit in 64 bits", n.Value)
	}
	return v, d.inRange(n, path, v, lo, hi)
}

func (d *decoder) inRange(n *yaml.Node, path string, v, lo, hi int64) error {
	switch {
	case v < lo && lo == 0:
		return d.invalid(n, path, nil, "%d: must not be negative", v)
	case v < lo:
		return d.invalid(n, path, nil, "%d: must be at least %d", v, lo)
	case v > hi:
		return d.invalid(n, path, nil, "%d: must be at most %d", v, hi)
	}
	return nil
}

// count decodes an int in [lo, MaxCount] into *dst.
func (d *decoder) count(dst *int, lo int64) func(*yaml.Node, string) error {
	return func(n *yaml.Node, path string) error {
		v, err := d.integer(n, path, lo, MaxCount)
		*dst = int(v)
		return err
	}
}

// positive decodes a finite number greater than zero into *dst.
func (d *decoder) positive(dst *float64) func(*yaml.Node, string) error {
	return func(n *yaml.Node, path string) (err error) {
		*dst, err = d.positiveValue(n, path)
		return err
	}
}

func (d *decoder) positiveValue(n *yaml.Node, path string) (float64, error) {
	n, err := d.scalar(n, path, "a number", "!!int", "!!float")
	if err != nil {
		return 0, err
	}
	var v float64
	if err := n.Decode(&v); err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, d.invalid(n, path, nil, "%s: want a finite number", n.Value)
	}
	if v <= 0 {
		return 0, d.invalid(n, path, nil, "%s: must be greater than zero", n.Value)
	}
	return v, nil
}

func (d *decoder) boolean(dst *bool) func(*yaml.Node, string) error {
	return func(n *yaml.Node, path string) (err error) {
		*dst, err = d.boolValue(n, path)
		return err
	}
}

func (d *decoder) boolValue(n *yaml.Node, path string) (v bool, err error) {
	if n, err = d.scalar(n, path, "true or false", "!!bool"); err != nil {
		return false, err
	}
	err = n.Decode(&v)
	return v, err
}

// duration decodes a Go duration such as "90s" or "1m30s" in
// [0, MaxTime], or in (0, MaxTime] when positive is set. A bare 0 is
// accepted too.
func (d *decoder) duration(dst *time.Duration, positive bool) func(*yaml.Node, string) error {
	return func(n *yaml.Node, path string) (err error) {
		*dst, err = d.durationValue(n, path, positive)
		return err
	}
}

func (d *decoder) durationValue(n *yaml.Node, path string, positive bool) (time.Duration, error) {
	const want = "a duration such as 30s or 1m30s"
	n, err := d.scalar(n, path, want, "!!str", "!!int")
	if err != nil {
		return 0, err
	}
	var v time.Duration
	if n.ShortTag() == "!!int" {
		if n.Value != "0" {
			return 0, d.invalid(n, path, nil, "%s: want %s (a number needs a unit)", n.Value, want)
		}
	} else if v, err = time.ParseDuration(n.Value); err != nil {
		return 0, d.invalid(n, path, nil, "%q: want %s", n.Value, want)
	}
	switch {
	case v < 0:
		return 0, d.invalid(n, path, nil, "%s: must not be negative", n.Value)
	case v == 0 && positive:
		return 0, d.invalid(n, path, nil, "%s: must be greater than zero", n.Value)
	case v > MaxTime:
		return 0, d.invalid(n, path, nil, "%s: must be at most %v", n.Value, MaxTime)
	}
	return v, nil
}

// labels decodes a mapping of label keys to values; empty is nil.
func (d *decoder) labels(dst *map[string]string) func(*yaml.Node, string) error {
	return func(n *yaml.Node, path string) error {
		m, err := d.stringMap(n, path, checkLabelKey, checkLabelValue)
		*dst = m
		return err
	}
}

func (d *decoder) stringMap(n *yaml.Node, path string, checkKey, checkValue func(string) error) (map[string]string, error) {
	n, err := d.resolve(n, path)
	if err != nil {
		return nil, err
	}
	if isNull(n) {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, d.wrongType(n, path, "a mapping of strings")
	}
	var m map[string]string
	firstLine := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, err := d.str(n.Content[i], path)
		if err != nil {
			return nil, err
		}
		k, _ := d.resolve(n.Content[i], path)
		p := join(path, key)
		if line, dup := firstLine[key]; dup {
			return nil, d.fail(k, p, fmt.Errorf("%w key (first at line %d)", ErrDuplicate, line))
		}
		firstLine[key] = k.Line
		if err := checkKey(key); err != nil {
			return nil, d.invalid(k, p, nil, "%v", err)
		}
		value, err := d.str(n.Content[i+1], p)
		if err != nil {
			return nil, err
		}
		if err := checkValue(value); err != nil {
			return nil, d.invalid(n.Content[i+1], p, nil, "%v", err)
		}
		if m == nil {
			m = map[string]string{}
		}
		m[key] = value
	}
	return m, nil
}

func (d *decoder) strings(n *yaml.Node, path string) ([]string, error) {
	var out []string
	err := d.list(n, path, func(_ int, item *yaml.Node, p string) error {
		s, err := d.str(item, p)
		out = append(out, s)
		return err
	})
	return out, err
}

// scenario decodes the top-level mapping.
func (d *decoder) scenario(root *yaml.Node) error {
	sc := d.sc
	fields := d.settingFields(sim.SectionTop)
	for _, section := range fileSections {
		fields = append(fields, field{key: section.String(), decode: func(n *yaml.Node, p string) error {
			_, err := d.object(n, p, d.settingFields(section))
			return err
		}})
	}
	_, err := d.object(root, "", append(fields, []field{
		{key: "network", decode: d.network},
		{key: "dns", decode: d.dns},
		{key: "nodeGroups", decode: func(n *yaml.Node, p string) error {
			return d.list(n, p, func(_ int, item *yaml.Node, p string) error {
				g, err := d.nodeGroup(item, p)
				sc.NodeGroups = append(sc.NodeGroups, g)
				return err
			})
		}},
		{key: "serviceAccounts", decode: func(n *yaml.Node, p string) error {
			return d.list(n, p, func(_ int, item *yaml.Node, p string) error {
				var a ServiceAccount
				_, err := d.object(item, p, []field{
					{key: "name", required: true, decode: d.setName(&a.Name, checkDNSSubdomain)},
					{key: "namespace", decode: d.setName(&a.Namespace, checkDNSLabel)},
					{key: "labels", decode: d.labels(&a.Labels)},
				})
				if a.Namespace == "" {
					a.Namespace = "default"
				}
				sc.ServiceAccounts = append(sc.ServiceAccounts, a)
				return err
			})
		}},
		{key: "securityGroupPolicies", decode: d.policies},
		{key: "securityGroups", decode: func(n *yaml.Node, p string) error {
			return d.list(n, p, func(_ int, item *yaml.Node, p string) error {
				var g SecurityGroup
				seen, err := d.object(item, p, []field{
					{key: "id", required: true, decode: d.groupID(&g.ID)},
					{key: "name", decode: func(n *yaml.Node, p string) (err error) {
						g.Name, err = d.str(n, p)
						return err
					}},
					{key: "ingress", decode: d.rules(&g.Ingress)},
					{key: "egress", decode: d.rules(&g.Egress)},
				})
				if !seen["egress"] {
					// EC2 gives every new group this one outbound rule.
					g.Egress = []reach.Rule{reach.AllowAllEgress()}
				}
				sc.SecurityGroups = append(sc.SecurityGroups, g)
				return err
			})
		}},
		{key: "workloads", decode: func(n *yaml.Node, p string) error {
			return d.list(n, p, func(_ int, item *yaml.Node, p string) error {
				w, err := d.workload(item, p)
				sc.Workloads = append(sc.Workloads, w)
				return err
			})
		}},
		{key: "nodePools", decode: d.nodePools},
		{key: "ec2NodeClasses", decode: d.ec2NodeClasses},
		{key: "events", decode: func(n *yaml.Node, p string) error {
			return d.list(n, p, func(_ int, item *yaml.Node, p string) error {
				e, err := d.event(item, p)
				sc.Events = append(sc.Events, e)
				return err
			})
		}},
	}...))
	sc.setConfig(d.cfg)
	return err
}

func (d *decoder) setName(dst *string, check func(string) error) func(*yaml.Node, string) error {
	return func(n *yaml.Node, p string) (err error) {
		*dst, err = d.name(n, p, check)
		return err
	}
}

var ec2Code = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*$`)

func (d *decoder) fault(n *yaml.Node, path string) (sim.Fault, error) {
	var f sim.Fault
	_, err := d.object(n, path, []field{
		{key: "api", required: true, decode: func(n *yaml.Node, p string) error {
			s, err := d.str(n, p)
			if err != nil {
				return err
			}
			if f.API, err = sim.ParseAPI(s); err != nil {
				n, _ = d.resolve(n, p)
				return d.invalid(n, p, err, "%q: not an EC2 action the simulator models", s)
			}
			return nil
		}},
		{key: "code", decode: func(n *yaml.Node, p string) (err error) {
			if f.Code, err = d.str(n, p); err != nil {
				return err
			}
			if !ec2Code.MatchString(f.Code) {
				n, _ = d.resolve(n, p)
				return d.invalid(n, p, nil, "%q: want an EC2 error code such as %s", f.Code, sim.CodeNoFreeAddresses)
			}
			return nil
		}},
		{key: "probability", required: true, decode: func(n *yaml.Node, p string) error {
			if err := d.positive(&f.Probability)(n, p); err != nil {
				return err
			}
			if f.Probability > 1 {
				n, _ = d.resolve(n, p)
				return d.invalid(n, p, nil, "%s: must be at most 1", n.Value)
			}
			return nil
		}},
		{key: "from", decode: d.duration(&f.From, false)},
		{key: "until", decode: d.duration(&f.Until, true)},
		{key: "delay", decode: d.duration(&f.Delay, true)},
	})
	if err == nil && (f.Code == "") == (f.Delay == 0) {
		return f, d.invalidAt(path, "a fault needs exactly one of code (the call fails) and delay (the call is slow)")
	}
	if err == nil && f.Until != 0 && f.Until <= f.From {
		return f, d.invalidAt(join(path, "until"), "%v: must be after from (%v)", f.Until, f.From)
	}
	return f, err
}

// closest returns path, or the longest prefix of it that has a recorded
// line, so a problem found after decoding points as near as it can.
func (d *decoder) closest(path string) string {
	for p := path; p != ""; {
		if _, ok := d.sc.lines[p]; ok {
			return p
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return path
}

// invalidNear is invalidAt for a path that may have no line of its own.
func (d *decoder) invalidNear(path, format string, args ...any) error {
	return d.invalid(&yaml.Node{Line: d.sc.lines[d.closest(path)]}, path, nil, format, args...)
}

// invalidAt reports a bad value found after decoding, at the line
// recorded for path.
func (d *decoder) invalidAt(path, format string, args ...any) error {
	return d.invalid(&yaml.Node{Line: d.sc.lines[path]}, path, nil, format, args...)
}

func (d *decoder) instanceType(dst *string) func(*yaml.Node, string) error {
	return func(n *yaml.Node, p string) error {
		s, err := d.str(n, p)
		if err != nil {
			return err
		}
		// A type some release's table has is accepted even if the modelled
		// release lacks it: such a node joins without a trunk, as upstream.
		if _, known := limits.NewestReleaseWith(s); known {
			*dst = s
			return nil
		}
		if _, err := limits.Default().Lookup(s); err != nil {
			n, _ = d.resolve(n, p)
			var unknown *limits.UnknownTypeError
			if errors.As(err, &unknown) && len(unknown.Suggestions) > 0 {
				return d.invalid(n, p, err, "%q: not a known instance type; did you mean %s?", s, orList(unknown.Suggestions))
			}
			if errors.As(err, &unknown) {
				return d.invalid(n, p, err, "%q: not a known instance type", s)
			}
			return d.invalid(n, p, err, "%q: %v", s, err)
		}
		*dst = s
		return nil
	}
}

func (d *decoder) nodeGroup(n *yaml.Node, path string) (NodeGroup, error) {
	var g NodeGroup
	_, err := d.object(n, path, []field{
		{key: "name", required: true, decode: d.setName(&g.Name, checkDNSSubdomain)},
		{key: "instanceType", required: true, decode: d.instanceType(&g.InstanceType)},
		{key: "count", required: true, decode: d.count(&g.Count, 0)},
		{key: "trunkAttached", decode: d.count(&g.TrunkAttached, 0)},
		{key: "unownedBranches", decode: d.count(&g.UnownedBranches, 0)},
		{key: "os", decode: func(n *yaml.Node, p string) error {
			s, err := d.str(n, p)
			if err != nil {
				return err
			}
			if g.OS, err = limits.ParseOS(s); err != nil {
				n, _ = d.resolve(n, p)
				return d.invalid(n, p, err, "%q: want linux or windows", s)
			}
			return nil
		}},
		{key: "maxPods", decode: d.count(&g.MaxPods, 1)},
		{key: "labels", decode: d.labels(&g.Labels)},
		{key: "securityGroups", decode: d.groupIDs(&g.SecurityGroups)},
		{key: "subnet", decode: d.subnet(&g.Subnet)},
		{key: "autoscaling", decode: func(n *yaml.Node, p string) error {
			a := &Autoscaling{}
			g.Autoscaling = a
			_, err := d.object(n, p, []field{
				{key: "minSize", decode: d.count(&a.MinSize, 0)},
				{key: "maxSize", required: true, decode: d.count(&a.MaxSize, 1)},
				{key: "templatePodENI", decode: d.count(&a.TemplatePodENI, 0)},
			})
			return err
		}},
	})
	if g.OS == 0 {
		g.OS = limits.OSLinux
	}
	if a := g.Autoscaling; err == nil && a != nil {
		switch {
		case a.MinSize > a.MaxSize:
			return g, d.invalidAt(join(path, "autoscaling.minSize"), "%d: more than maxSize %d", a.MinSize, a.MaxSize)
		case g.Count < a.MinSize || g.Count > a.MaxSize:
			return g, d.invalidAt(join(path, "count"), "%d: an autoscaled group's count is its size at time zero, from minSize %d to maxSize %d", g.Count, a.MinSize, a.MaxSize)
		case g.TrunkAttached > 0:
			return g, d.invalidAt(join(path, "trunkAttached"), "%d: not modelled for an autoscaled group", g.TrunkAttached)
		}
	}
	switch {
	case err != nil || g.TrunkAttached == 0:
	case g.TrunkAttached > g.Count:
		return g, d.invalidAt(join(path, "trunkAttached"), "%d: more than the group's %d node(s)", g.TrunkAttached, g.Count)
	case g.OS != limits.OSLinux:
		return g, d.invalidAt(join(path, "trunkAttached"), "%d: %s nodes hold no trunk ENI", g.TrunkAttached, g.OS)
	}
	if err == nil && g.UnownedBranches > 0 && g.TrunkAttached == 0 {
		return g, d.invalidAt(join(path, "unownedBranches"), "%d: branches need trunks attached (trunkAttached)", g.UnownedBranches)
	}
	return g, err
}

func (d *decoder) groupID(dst *branch.SecurityGroupID) func(*yaml.Node, string) error {
	return func(n *yaml.Node, p string) error {
		s, err := d.str(n, p)
		if err != nil {
			return err
		}
		if *dst, err = branch.ParseSecurityGroupID(s); err != nil {
			n, _ = d.resolve(n, p)
			why := "want a security-group ID such as sg-0123456789abcdef0"
			var pe *branch.ParseError
			if errors.As(err, &pe) {
				why = pe.Why + " (a security-group ID looks like sg-0123456789abcdef0)"
			}
			return d.invalid(n, p, err, "%q: %s", s, why)
		}
		return nil
	}
}

// objects decodes Kubernetes objects as kubectl prints them: a list of
// them, a kind: List (or a typed List such as SecurityGroupPolicyList)
// holding them, or one alone, nested in any mix; one decodes each object.
// A List's apiVersion is v1 or one of versions, the objects' own.
func (d *decoder) objects(n *yaml.Node, path string, versions []string, one func(n *yaml.Node, path string) error) error {
	r, err := d.resolve(n, path)
	if err != nil {
		return err
	}
	switch {
	case r.Kind == yaml.SequenceNode:
		return d.list(n, path, func(_ int, item *yaml.Node, p string) error { return d.objects(item, p, versions, one) })
	case r.Kind == yaml.MappingNode && isList(r):
		_, err := d.object(n, path, []field{
			{key: "apiVersion", required: true, decode: func(n *yaml.Node, p string) error {
				s, err := d.str(n, p)
				if err == nil && s != "v1" && !slices.Contains(versions, s) {
					n, _ = d.resolve(n, p)
					return d.invalid(n, p, nil, "%q: want v1 or %s", s, orList(versions))
				}
				return err
			}},
			{key: "kind", required: true, decode: ignoreValue},
			{key: "metadata", decode: ignoreValue},
			{key: "items", required: true, decode: func(n *yaml.Node, p string) error {
				return d.list(n, p, func(_ int, item *yaml.Node, p string) error { return d.objects(item, p, versions, one) })
			}},
		})
		return err
	}
	return one(n, path)
}

// policies decodes the securityGroupPolicies key.
func (d *decoder) policies(n *yaml.Node, path string) error {
	return d.objects(n, path, []string{PolicyAPIVersion}, d.onePolicy)
}

func (d *decoder) onePolicy(n *yaml.Node, path string) error {
	pol, err := d.policy(n, path)
	d.sc.SecurityGroupPolicies = append(d.sc.SecurityGroupPolicies, pol)
	d.sc.policyPaths = append(d.sc.policyPaths, path)
	return err
}

// trailing decodes a document after the scenario: SecurityGroupPolicy,
// NodePool and EC2NodeClass objects, or Lists of them in any mix, as
// `kubectl get sgp,nodepools,ec2nodeclasses -A -o yaml` prints them.
func (d *decoder) trailing(n *yaml.Node, path string) error {
	return d.objects(n, path, []string{PolicyAPIVersion, NodePoolAPIVersion, NodeClassAPIVersion}, func(n *yaml.Node, path string) error {
		r, err := d.resolve(n, path)
		if err != nil {
			return err
		}
		kind := mappingValue(r, "kind")
		switch {
		case kind == nil || r.Kind != yaml.MappingNode:
			return d.fail(r, path, fmt.Errorf("%w: not a Kubernetes object (no kind)", ErrMissingField))
		case kind.Value == PolicyKind:
			return d.onePolicy(n, path)
		case kind.Value == "NodePool":
			return d.oneNodePool(n, path)
		case kind.Value == "EC2NodeClass":
			return d.oneNodeClass(n, path)
		}
		return d.invalid(kind, join(path, "kind"), nil, "%q: after the scenario a file holds only SecurityGroupPolicy, NodePool and EC2NodeClass objects and Lists of them", kind.Value)
	})
}

// isList reports whether a mapping is a Kubernetes list: kind List, or a
// kind ending in List as typed lists are, with items.
func isList(m *yaml.Node) bool {
	kind, items := mappingValue(m, "kind"), mappingValue(m, "items")
	return kind != nil && strings.HasSuffix(kind.Value, "List") && items != nil
}

// mappingValue returns the value of key in mapping m, or nil.
func mappingValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func (d *decoder) policy(n *yaml.Node, path string) (branch.Policy, error) {
	var p branch.Policy
	defer func(prune string) { d.prune, d.warned = prune, false }(d.prune)
	d.prune, d.warned = PolicyKind, false
	_, err := d.object(n, path, d.manifest(PolicyAPIVersion, PolicyKind, &p.Name, &p.Namespace, func(n *yaml.Node, path string) error {
		_, err := d.object(n, path, []field{
			{key: "podSelector", decode: d.selector(&p.PodSelector)},
			{key: "serviceAccountSelector", decode: d.selector(&p.ServiceAccountSelector)},
			// The CRD requires neither securityGroups nor groupIds; the
			// controller skips a policy without groups.
			{key: "securityGroups", decode: func(n *yaml.Node, path string) error {
				_, err := d.object(n, path, []field{
					{key: "groupIds", decode: func(n *yaml.Node, path string) error {
						if err := d.list(n, path, func(_ int, item *yaml.Node, path string) error {
							id, err := d.policyGroupID(item, path)
							p.Groups = append(p.Groups, id)
							return err
						}); err != nil {
							return err
						}
						if len(p.Groups) == 0 {
							n, _ = d.resolve(n, path)
							// The CRD sets minItems: 1.
							return d.invalid(n, path, nil, "[]: list at least one security group")
						}
						return nil
					}},
				})
				return err
			}},
		})
		return err
	}))
	if p.Namespace == "" {
		p.Namespace = "default"
	}
	if err != nil {
		return p, err
	}
	if err := p.Admit(); err != nil {
		var pe *branch.PolicyError
		if errors.As(err, &pe) && pe.Field != "" {
			return p, d.invalidNear(join(path, pe.Field), ": %s", pe.Why)
		}
		return p, d.invalidAt(path, "%v", err)
	}
	// What the API server stores and the controller cannot use runs as
	// it would in a cluster: the policy matches no pod
	// (pkg/utils/helper.go filterPodSecurityGroups).
	if err := p.Validate(); err != nil && !d.warned {
		field, why := path, err.Error()
		var pe *branch.PolicyError
		if errors.As(err, &pe) {
			field, why = join(path, pe.Field), pe.Why
		}
		d.warn(d.sc.lines[d.closest(field)], field, why+": the API server stores the policy, and the controller cannot use it, so it matches no pod")
	}
	return p, nil
}

// policyGroupID decodes one of a policy's groupIds. The CRD takes any
// string; one that is no security-group ID stands in the policy as
// [branch.MalformedGroupID], so that the pods it matches fail at EC2 as
// they would in a cluster, and the scenario keeps the text.
func (d *decoder) policyGroupID(n *yaml.Node, path string) (branch.SecurityGroupID, error) {
	s, err := d.str(n, path)
	if err != nil {
		return branch.SecurityGroupID{}, err
	}
	id, err := branch.ParseSecurityGroupID(s)
	if err == nil {
		return id, nil
	}
	id = branch.MalformedGroupID(s)
	if !d.malformed[s] {
		if d.malformed == nil {
			d.malformed = map[string]bool{}
		}
		d.malformed[s] = true
		d.sc.MalformedGroups = append(d.sc.MalformedGroups, s)
	}
	why := "no security-group ID"
	var pe *branch.ParseError
	if errors.As(err, &pe) {
		why = pe.Why
	}
	r, _ := d.resolve(n, path)
	d.warn(r.Line, path, fmt.Sprintf("%q: %s (an ID looks like sg-0123456789abcdef0); the CRD puts no pattern on groupIds, so the API server stores it, and every pod the policy matches fails CreateNetworkInterface with %s and stays ContainerCreating",
		clip(s), why, sim.CodeGroupIDMalformed))
	return id, nil
}

// warn records a warning at line of the file.
func (d *decoder) warn(line int, path, msg string) {
	d.sc.Warnings = append(d.sc.Warnings, fmt.Sprintf("%s:%d: %s: %s", d.sc.File, line, path, msg))
}

func (d *decoder) selector(dst **branch.LabelSelector) func(*yaml.Node, string) error {
	return func(n *yaml.Node, path string) error {
		r, err := d.resolve(n, path)
		if err != nil {
			return err
		}
		if isNull(r) {
			// A null selector is an absent one, as in the API.
			return nil
		}
		sel := &branch.LabelSelector{}
		// The CRD's schema types a selector's keys, values and operators
		// as strings and checks nothing more: what the controller cannot
		// convert is stored, and the policy then matches no pod.
		anyString := func(string) error { return nil }
		if _, err := d.object(n, path, []field{
			{key: "matchLabels", decode: func(n *yaml.Node, path string) (err error) {
				sel.MatchLabels, err = d.stringMap(n, path, anyString, anyString)
				return err
			}},
			// matchNames is in the controller's Go types (ServiceAccountSelector)
			// but not in the CRD's schema, which has the spec's selectors as
			// plain label selectors: the API server prunes it, and a
			// selector that had only matchNames matches everything.
			{key: "matchNames", decode: func(n *yaml.Node, p string) error {
				names, err := d.strings(n, p)
				if err == nil {
					d.sc.Warnings = append(d.sc.Warnings, fmt.Sprintf("%s:%d: %s %v: matchNames is not in the SecurityGroupPolicy CRD's schema (v1.8.2 config/crd/bases), so the API server drops it; what is left of the selector matches %s",
						d.sc.File, d.sc.lines[p], p, names, "every object its other terms match, and every one if it has none"))
				}
				return err
			}},
			{key: "matchExpressions", decode: func(n *yaml.Node, path string) error {
				return d.list(n, path, func(_ int, item *yaml.Node, path string) error {
					var req branch.Requirement
					_, err := d.object(item, path, []field{
						{key: "key", required: true, decode: func(n *yaml.Node, p string) (err error) {
							req.Key, err = d.str(n, p)
							return err
						}},
						{key: "operator", required: true, decode: func(n *yaml.Node, p string) error {
							s, err := d.str(n, p)
							if err != nil {
								return err
							}
							if req.Operator, err = branch.ParseOperator(s); err != nil {
								// The Operator type holds only the four the
								// controller knows, so the text is named here.
								n, _ = d.resolve(n, p)
								d.warn(n.Line, p, fmt.Sprintf("%q is not In, NotIn, Exists or DoesNotExist: the API server stores the policy, and the controller cannot convert the selector (metav1.LabelSelectorAsSelector), so the policy matches no pod", clip(s)))
								d.warned = true
							}
							return nil
						}},
						{key: "values", decode: func(n *yaml.Node, p string) (err error) {
							req.Values, err = d.strings(n, p)
							return err
						}},
					})
					sel.MatchExpressions = append(sel.MatchExpressions, req)
					return err
				})
			}},
		}); err != nil {
			return err
		}
		// A selector the controller cannot convert is kept: the policy's
		// Validate, after decoding, says so in a warning.
		*dst = sel
		return nil
	}
}

func (d *decoder) workload(n *yaml.Node, path string) (Workload, error) {
	var w Workload
	_, err := d.object(n, path, []field{
		{key: "name", required: true, decode: d.setName(&w.Name, checkDNSSubdomain)},
		{key: "namespace", decode: d.setName(&w.Namespace, checkDNSLabel)},
		{key: "labels", decode: d.labels(&w.Labels)},
		{key: "serviceAccount", decode: d.setName(&w.ServiceAccount, checkDNSSubdomain)},
		{key: "replicas", required: true, decode: d.count(&w.Replicas, 0)},
		{key: "running", decode: d.count(&w.Running, 0)},
		{key: "at", decode: d.duration(&w.At, false)},
		{key: "interval", decode: d.duration(&w.Interval, false)},
		{key: "lifetime", decode: d.duration(&w.Lifetime, true)},
		{key: "probes", decode: d.probes(&w.Probes)},
		{key: "talksTo", decode: d.traffic(&w.TalksTo, true)},
		{key: "receivesFrom", decode: d.traffic(&w.ReceivesFrom, false)},
	})
	if w.Namespace == "" {
		w.Namespace = "default"
	}
	switch {
	case err != nil || w.Running == 0:
	case w.Running > w.Replicas:
		return w, d.invalidAt(join(path, "running"), "%d: more than the workload's %d replicas", w.Running, w.Replicas)
	case w.At > 0:
		return w, d.invalidAt(join(path, "running"), "%d: pods running already are there at time zero, but the workload is created at %v", w.Running, w.At)
	}
	if err == nil && w.Interval > 0 && w.Replicas > 1 && time.Duration(w.Replicas-1) > (MaxTime-w.At)/w.Interval {
		return w, d.invalidAt(join(path, "interval"), "%v: the last of %d pods would be created after %v", w.Interval, w.Replicas, MaxTime)
	}
	return w, err
}

func (d *decoder) event(n *yaml.Node, path string) (Event, error) {
	var e Event
	seen, err := d.object(n, path, []field{
		{key: "at", required: true, decode: d.duration(&e.At, false)},
		{key: "action", required: true, decode: func(n *yaml.Node, p string) error {
			s, err := d.str(n, p)
			if err != nil {
				return err
			}
			if e.Action, err = ParseAction(s); err != nil {
				n, _ = d.resolve(n, p)
				return d.invalid(n, p, nil, "%q: want %s", s, orList(actionNames[1:]))
			}
			return nil
		}},
		{key: "node", decode: d.setName(&e.Node, checkDNSSubdomain)},
		{key: "nodeGroup", decode: d.setName(&e.NodeGroup, checkDNSSubdomain)},
		{key: "count", decode: d.count(&e.Count, 1)},
		{key: "workload", decode: d.setName(&e.Workload, checkDNSSubdomain)},
		{key: "instanceType", decode: d.instanceType(&e.InstanceType)},
		{key: "maxSurge", decode: d.count(&e.MaxSurge, 0)},
		{key: "maxUnavailable", decode: d.count(&e.MaxUnavailable, 0)},
		{key: "replicas", decode: d.count(&e.Replicas, 0)},
		{key: "policy", decode: func(n *yaml.Node, p string) (err error) {
			e.Policy, err = d.policy(n, p)
			return err
		}},
		{key: "policyName", decode: d.namespacedName(&e.Policy.Namespace, &e.Policy.Name)},
		{key: "cooldown", decode: d.duration(&e.Cooldown, false)},
		{key: "securityGroup", decode: d.groupID(&e.SecurityGroup)},
		{key: "serviceAccount", decode: d.namespacedName(&e.ServiceAccount.Namespace, &e.ServiceAccount.Name)},
		{key: "labels", decode: d.labels(&e.ServiceAccount.Labels)},
	})
	if err != nil {
		return e, err
	}
	uses := map[Action][]string{
		AddNode:           {"node", "nodeGroup", "count", "instanceType"},
		DeleteNode:        {"node", "nodeGroup", "count"},
		DeletePods:        {"workload", "count"},
		RolloutRestart:    {"workload", "maxSurge", "maxUnavailable"},
		RestartController: nil,
		Scale:             {"workload", "replicas"},
		ApplyPolicy:       {"policy"},
		DeletePolicy:      {"policyName"},

		SetBranchENICooldown: {"cooldown"},
		DeleteSecurityGroup:  {"securityGroup"},
		LabelServiceAccount:  {"serviceAccount", "labels"},
		EnablePodENI:         nil,
	}[e.Action]
	for _, key := range []string{"node", "nodeGroup", "count", "workload", "instanceType", "maxSurge", "maxUnavailable", "replicas", "policy", "policyName", "cooldown", "securityGroup", "serviceAccount", "labels"} {
		used := false
		for _, u := range uses {
			used = used || u == key
		}
		if seen[key] && !used {
			p := join(path, key)
			return e, d.fail(&yaml.Node{Line: d.sc.lines[p]}, p, fmt.Errorf("%w for action %s (it uses %s)", ErrUnknownField, e.Action, orList(append([]string{"at", "action"}, uses...))))
		}
	}
	missing := func(key, why string) error {
		return d.fail(&yaml.Node{Line: d.sc.lines[path]}, join(path, key), fmt.Errorf("%w: %s", ErrMissingField, why))
	}
	switch e.Action {
	case AddNode, DeleteNode:
		switch {
		case seen["node"] && seen["nodeGroup"]:
			return e, d.invalidAt(join(path, "nodeGroup"), "%q: give node or nodeGroup, not both", e.NodeGroup)
		case !seen["node"] && !seen["nodeGroup"]:
			return e, missing("nodeGroup", e.Action.String()+" needs node or nodeGroup")
		case seen["node"] && seen["count"]:
			return e, d.invalidAt(join(path, "count"), "%d: count goes with nodeGroup; node names one node", e.Count)
		case e.Action == AddNode && seen["node"] && !seen["instanceType"]:
			return e, missing("instanceType", "addNode with node needs the new node's instanceType")
		}
	case DeletePods, RolloutRestart, Scale:
		if !seen["workload"] {
			return e, missing("workload", e.Action.String()+" needs workload")
		}
		if e.Action == Scale && !seen["replicas"] {
			return e, missing("replicas", "scale needs replicas, the count to scale to")
		}
	case ApplyPolicy:
		if !seen["policy"] {
			return e, missing("policy", "applyPolicy needs policy, a SecurityGroupPolicy manifest")
		}
	case DeletePolicy:
		if !seen["policyName"] {
			return e, missing("policyName", "deletePolicy needs policyName, namespace/name")
		}
	case SetBranchENICooldown:
		if !seen["cooldown"] {
			return e, missing("cooldown", "setBranchENICooldown needs cooldown, the new branch-eni-cooldown")
		}
	case DeleteSecurityGroup:
		if !seen["securityGroup"] {
			return e, missing("securityGroup", "deleteSecurityGroup needs securityGroup, a group declared under securityGroups")
		}
	case LabelServiceAccount:
		if !seen["serviceAccount"] {
			return e, missing("serviceAccount", "labelServiceAccount needs serviceAccount, namespace/name of a declared account")
		}
	}
	if (seen["maxSurge"] || seen["maxUnavailable"]) && e.MaxSurge == 0 && e.MaxUnavailable == 0 {
		return e, d.invalidAt(join(path, "maxSurge"), "0: maxSurge and maxUnavailable cannot both be 0 (the rollout could not progress)")
	}
	return e, nil
}

// namespacedName decodes "namespace/name", or a name in namespace
// default, as kubectl names a namespaced object.
func (d *decoder) namespacedName(namespace, name *string) func(*yaml.Node, string) error {
	return func(n *yaml.Node, p string) error {
		s, err := d.str(n, p)
		if err != nil {
			return err
		}
		ns, nm, ok := strings.Cut(s, "/")
		if !ok {
			ns, nm = "default", s
		}
		if checkDNSLabel(ns) != nil || checkDNSSubdomain(nm) != nil {
			r, _ := d.resolve(n, p)
			return d.invalid(r, p, nil, "%q: want namespace/name, or a name in namespace default", s)
		}
		*namespace, *name = ns, nm
		return nil
	}
}

// crossCheck checks what spans sections: unique names and references.
func (d *decoder) crossCheck() error {
	sc := d.sc
	if sc.Until > 0 {
		// Something scheduled after until would never happen; saying so
		// beats dropping it without a word.
		for i, e := range sc.Events {
			if e.At > sc.Until {
				return d.invalidNear(fmt.Sprintf("events[%d].at", i), "%v is after until %v: the event would never run", e.At, sc.Until)
			}
		}
		for i, w := range sc.Workloads {
			if w.At > sc.Until {
				return d.invalidNear(fmt.Sprintf("workloads[%d].at", i), "%v is after until %v: the workload would never be created", w.At, sc.Until)
			}
		}
	}
	groups := map[string]int{}
	for i, g := range sc.NodeGroups {
		if j, ok := groups[g.Name]; ok {
			return d.duplicate(fmt.Sprintf("nodeGroups[%d].name", i), fmt.Sprintf("nodeGroups[%d]", j), "node group", g.Name)
		}
		groups[g.Name] = i
	}
	accounts := map[string]int{}
	for i, a := range sc.ServiceAccounts {
		key := a.Namespace + "/" + a.Name
		if j, ok := accounts[key]; ok {
			return d.duplicate(fmt.Sprintf("serviceAccounts[%d].name", i), fmt.Sprintf("serviceAccounts[%d]", j), "service account", key)
		}
		accounts[key] = i
	}
	policies := map[string]int{}
	for i, p := range sc.SecurityGroupPolicies {
		key := p.Namespace + "/" + p.Name
		if j, ok := policies[key]; ok {
			return d.duplicate(sc.policyPath(i)+".metadata.name", sc.policyPath(j), "policy", key)
		}
		policies[key] = i
	}
	groupIDs := map[branch.SecurityGroupID]int{}
	for i, g := range sc.SecurityGroups {
		if j, ok := groupIDs[g.ID]; ok {
			return d.duplicate(fmt.Sprintf("securityGroups[%d].id", i), fmt.Sprintf("securityGroups[%d]", j), "security group", g.ID.String())
		}
		groupIDs[g.ID] = i
	}
	workloads := map[string]int{}
	for i, w := range sc.Workloads {
		if j, ok := workloads[w.Name]; ok {
			return d.duplicate(fmt.Sprintf("workloads[%d].name", i), fmt.Sprintf("workloads[%d]", j), "workload", w.Name)
		}
		workloads[w.Name] = i
		if w.ServiceAccount != "" && w.ServiceAccount != "default" {
			if _, ok := accounts[w.Namespace+"/"+w.ServiceAccount]; !ok {
				return d.invalidAt(fmt.Sprintf("workloads[%d].serviceAccount", i), "%q: no such service account in namespace %s (declare it under serviceAccounts)", w.ServiceAccount, w.Namespace)
			}
		}
	}
	// A deletePods count is judged against the most replicas the workload
	// has at any time, scale events included.
	most := make([]int, len(sc.Workloads))
	for i, w := range sc.Workloads {
		most[i] = w.Replicas
	}
	for _, e := range sc.Events {
		if j, ok := workloads[e.Workload]; ok && e.Action == Scale {
			most[j] = max(most[j], e.Replicas)
		}
	}
	enabled := false
	for i, e := range sc.Events {
		if _, ok := groups[e.NodeGroup]; e.NodeGroup != "" && !ok {
			return d.invalidAt(fmt.Sprintf("events[%d].nodeGroup", i), "%q: no such node group", e.NodeGroup)
		}
		for _, g := range sc.NodeGroups {
			if g.Name == e.NodeGroup && g.Autoscaling != nil {
				return d.invalidAt(fmt.Sprintf("events[%d].nodeGroup", i), "%q: the group is autoscaled, so its size is cluster-autoscaler's", e.NodeGroup)
			}
		}
		j, ok := workloads[e.Workload]
		if e.Workload != "" && !ok {
			return d.invalidAt(fmt.Sprintf("events[%d].workload", i), "%q: no such workload", e.Workload)
		}
		if e.Action == DeletePods && e.Count > most[j] {
			return d.invalidAt(fmt.Sprintf("events[%d].count", i), "%d: workload %s has only %d replicas", e.Count, e.Workload, most[j])
		}
		if e.Action == Scale && sc.Workloads[j].Lifetime > 0 {
			return d.invalidAt(fmt.Sprintf("events[%d].workload", i), "%q: its pods complete (lifetime %v), as a Job's do; only a workload without a lifetime scales", e.Workload, sc.Workloads[j].Lifetime)
		}
		if _, ok := groupIDs[e.SecurityGroup]; e.Action == DeleteSecurityGroup && !ok {
			return d.invalidAt(fmt.Sprintf("events[%d].securityGroup", i), "%v: not declared under securityGroups (EC2 would answer InvalidGroup.NotFound)", e.SecurityGroup)
		}
		if _, ok := accounts[e.ServiceAccount.Namespace+"/"+e.ServiceAccount.Name]; e.Action == LabelServiceAccount && !ok {
			return d.invalidAt(fmt.Sprintf("events[%d].serviceAccount", i), "%q: not declared under serviceAccounts", e.ServiceAccount.Namespace+"/"+e.ServiceAccount.Name)
		}
		if e.Action == EnablePodENI && (!sc.CNI.DisablePodENI || enabled) {
			return d.invalidAt(fmt.Sprintf("events[%d].action", i), "enablePodENI: ENABLE_POD_ENI is on already (set cni.enablePodENI: false for a cluster that starts without it)")
		}
		enabled = enabled || e.Action == EnablePodENI
		if e.Action == RolloutRestart && sc.Workloads[j].Lifetime > 0 {
			return d.invalidAt(fmt.Sprintf("events[%d].workload", i), "%q: its pods complete (lifetime %v), as a Job's do; only a workload without a lifetime has a rolling update", e.Workload, sc.Workloads[j].Lifetime)
		}
	}
	if err := d.reachCheck(workloads); err != nil {
		return err
	}
	// sim.New judges the configuration as a whole; anything it refuses
	// that the checks above let through is reported at its section.
	if _, err := sim.New(sc.simConfig(sc.Seed)); err != nil {
		var ce *sim.ConfigError
		if !errors.As(err, &ce) {
			return d.invalid(&yaml.Node{}, "", err, "%v", err)
		}
		// The setting's own key when the file wrote it, else its section.
		for _, st := range d.settings {
			if st.Field == ce.Field {
				if line, ok := sc.lines[st.Key()]; ok {
					return d.invalid(&yaml.Node{Line: line}, st.Key(), err, "%v: %s", ce.Value, reason(ce.Why))
				}
			}
		}
		section := strings.ToLower(strings.SplitN(ce.Field, ".", 2)[0])
		return d.invalid(&yaml.Node{Line: sc.lines[section]}, section, err, "%s = %v: %s", reason(ce.Field), ce.Value, reason(ce.Why))
	}
	return nil
}

func (d *decoder) duplicate(path, first, what, name string) error {
	return d.fail(&yaml.Node{Line: d.sc.lines[path]}, path,
		fmt.Errorf("%w %s %q (first at %s, line %d)", ErrDuplicate, what, name, first, d.sc.lines[first]))
}

// ignoreValue accepts any value: for the server-written metadata of an
// exported object, which changes nothing the simulator models.
func ignoreValue(*yaml.Node, string) error { return nil }
