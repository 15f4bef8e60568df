package karpenter

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/trunksim/trunksim/limits"
)

// Operator is a node selector operator. The zero value is not a valid
// operator.
type Operator uint8

// The operators Karpenter accepts in requirements (core
// pkg/apis/v1/nodeclaim_validation.go SupportedNodeSelectorOps); Gte and Lte
// are Karpenter's own, since core v1.9.0.
const (
	// In holds when the label has one of the values.
	In Operator = 1 + iota
	// NotIn holds when the label is absent or has none of the values.
	NotIn
	// Exists holds when the label is present.
	Exists
	// DoesNotExist holds when the label is absent.
	DoesNotExist
	// Gt holds when the label is an integer greater than the value.
	Gt
	// Lt holds when the label is an integer less than the value.
	Lt
	// Gte holds when the label is an integer at least the value.
	Gte
	// Lte holds when the label is an integer at most the value.
	Lte
)

var operatorNames = [...]string{In: "In", NotIn: "NotIn", Exists: "Exists", DoesNotExist: "DoesNotExist", Gt: "Gt", Lt: "Lt", Gte: "Gte", Lte: "Lte"}

// String returns the Kubernetes spelling ("In", "NotIn", ...), or
// "Operator(N)" for an invalid value.
func (o Operator) String() string {
	if o.IsValid() {
		return operatorNames[o]
	}
	return "Operator(" + strconv.Itoa(int(o)) + ")"
}

// IsValid reports whether o is one of the declared operators.
func (o Operator) IsValid() bool { return o >= In && o <= Lte }

// ParseOperator parses the Kubernetes spelling of an operator, which is case
// sensitive. Anything else is a [*RequirementError] for the field
// "operator", with Index -1.
func ParseOperator(s string) (Operator, error) {
	for o := In; o <= Lte; o++ {
		if s == operatorNames[o] {
			return o, nil
		}
	}
	return 0, &RequirementError{Index: -1, Field: "operator",
		Err: fmt.Errorf("%q is not one of In, NotIn, Exists, DoesNotExist, Gt, Lt, Gte, Lte", s)}
}

// CapacityType is how an instance is bought. The zero value is not a valid
// capacity type.
type CapacityType uint8

const (
	// OnDemand is the list price, paid by the hour.
	OnDemand CapacityType = 1 + iota
	// Spot is spare capacity that EC2 can reclaim.
	Spot
	// Reserved is capacity in an EC2 capacity reservation. The simulator
	// models no reservations, so no reserved offering is ever allowed.
	Reserved
)

// String returns the karpenter.sh/capacity-type value ("on-demand", "spot"
// or "reserved"), or "CapacityType(N)" for an invalid value.
func (c CapacityType) String() string {
	switch c {
	case OnDemand:
		return "on-demand"
	case Spot:
		return "spot"
	case Reserved:
		return "reserved"
	}
	return "CapacityType(" + strconv.Itoa(int(c)) + ")"
}

// Offering is one way to buy an instance type.
type Offering struct {
	// Type is the instance type offered.
	Type limits.InstanceType
	// CapacityType is how it is bought.
	CapacityType CapacityType
}

// Requirement is one entry of a NodePool's spec.template.spec.requirements,
// a karpenter.sh/v1 NodeSelectorRequirementWithMinValues.
type Requirement struct {
	// Key is the label key; beta spellings are accepted (see
	// [NormalizeKey]).
	Key string
	// Operator relates the label to Values.
	Operator Operator
	// Values are label values; Gt, Lt, Gte and Lte take one integer.
	Values []string
	// MinValues, when not zero, is how many distinct values of Key the
	// instance types of a NodeClaim must still cover after filtering
	// (see [SatisfiesMinValues]).
	MinValues int
}

// Requirements is a NodePool's list of requirements; all must hold.
type Requirements []Requirement

// ErrBadRequirement is wrapped by every [*RequirementError].
var ErrBadRequirement = errors.New("bad requirement")

// RequirementError reports the first problem [Requirement.Validate] found.
// It wraps [ErrBadRequirement] and Err.
type RequirementError struct {
	// Index is the requirement's position in its list, or -1 when it was
	// validated on its own.
	Index int
	// Key is the requirement's key as written.
	Key string
	// Field is the YAML field at fault: "key", "operator", "values" or
	// "minValues".
	Field string
	// Err describes the problem; for a key whose data the instance table
	// lacks it is an [*UnmodelledKeyError].
	Err error
}

// Error names the requirement, the field and the problem, for example
// `requirements[2].values: key "kubernetes.io/arch" with operator In needs at least one value`.
func (e *RequirementError) Error() string {
	where := "requirement"
	if e.Index >= 0 {
		where = "requirements[" + strconv.Itoa(e.Index) + "]"
	}
	return where + "." + e.Field + ": " + e.Err.Error()
}

// Unwrap returns [ErrBadRequirement] and Err.
func (e *RequirementError) Unwrap() []error { return []error{ErrBadRequirement, e.Err} }

// UnmodelledKeyError is the cause of a [*RequirementError] for a
// well-known key that the simulator cannot answer because its instance
// table has no such data (vCPUs, memory, GPUs, bandwidth, ...).
type UnmodelledKeyError struct {
	// Key is the normalised key.
	Key string
}

// Error says that the key is not modelled and what to use instead.
func (e *UnmodelledKeyError) Error() string {
	return fmt.Sprintf("key %q is not modelled: the instance table has no such data; "+
		"constrain %s or %s instead", e.Key, keySize, keyInstanceType)
}

// NormalizeKey returns the stable spelling of a beta label key, as
// Karpenter does before using a requirement (core pkg/apis/v1/labels.go
// NormalizedLabels), and any other key unchanged.
func NormalizeKey(k string) string {
	switch k {
	case "beta.kubernetes.io/arch":
		return keyArch
	case "beta.kubernetes.io/os":
		return keyOS
	case "beta.kubernetes.io/instance-type":
		return keyInstanceType
	case "failure-domain.beta.kubernetes.io/zone":
		return keyZone
	case "failure-domain.beta.kubernetes.io/region":
		return keyRegion
	}
	return k
}

// keyKind sorts normalised keys by what the simulator can do with them.
type keyKind uint8

const (
	// kindCustom keys constrain only node labels.
	kindCustom keyKind = 1 + iota
	// kindLabel keys are answered from [Labels].
	kindLabel
	// kindCapacityType is karpenter.sh/capacity-type, answered from the
	// offering.
	kindCapacityType
	// kindUnchecked keys are well known but not modelled; every
	// requirement on them is taken as satisfied (zones and the region).
	kindUnchecked
	// kindAbsent keys are well known and never present on a simulated
	// node (node.kubernetes.io/windows-build: nodes are Linux).
	kindAbsent
	// kindUnmodelled keys are well known but their data is missing.
	kindUnmodelled
	// kindRestricted keys are rejected by Karpenter.
	kindRestricted
)

// kindOf classifies a normalised key. The restricted domains follow the
// NodePool CRD's rules (AWS pkg/apis/crds/karpenter.sh_nodepools.yaml),
// which reject at apply time any key whose domain ends in karpenter.sh or
// karpenter.k8s.aws unless it is listed, and karpenter.sh/nodepool and
// kubernetes.io/hostname outright.
func kindOf(key string) keyKind {
	switch key {
	case keyInstanceType, keyArch, keyOS, keyFamily, keySize, keyCategory, keyGeneration, keyHypervisor:
		return kindLabel
	case keyCapacityType:
		return kindCapacityType
	case keyZone, keyRegion:
		return kindUnchecked
	case keyWindowsBuild:
		return kindAbsent
	case keyZoneID:
		return kindUnmodelled
	case keyNodePool, keyHostname:
		return kindRestricted
	}
	domain, name, _ := strings.Cut(key, "/")
	switch {
	case strings.HasSuffix(domain, "karpenter.sh"):
		return kindRestricted
	case strings.HasSuffix(domain, awsDomain):
		if domain == awsDomain && awsListed(name) {
			return kindUnmodelled
		}
		return kindRestricted
	}
	return kindCustom
}

// awsListed reports whether name, after "karpenter.k8s.aws/", is one the
// NodePool CRD accepts in requirements (AWS
// pkg/apis/crds/karpenter.sh_nodepools.yaml); the answerable ones are
// matched before this is asked.
func awsListed(name string) bool {
	switch name {
	case "instance-tenancy", "capacity-reservation-type", "capacity-reservation-id",
		"capacity-reservation-interruptible", "ec2nodeclass", "instance-encryption-in-transit-supported",
		"instance-category", "instance-hypervisor", "instance-family", "instance-generation",
		"instance-local-nvme", "instance-size", "instance-cpu", "instance-cpu-manufacturer",
		"instance-cpu-sustained-clock-speed-mhz", "instance-memory", "instance-ebs-bandwidth",
		"instance-network-bandwidth", "instance-gpu-name", "instance-gpu-manufacturer",
		"instance-gpu-count", "instance-gpu-memory", "instance-accelerator-name",
		"instance-accelerator-manufacturer", "instance-accelerator-count", "instance-capability-flex",
		"placement-group-id", "placement-group-partition":
		return true
	}
	return false
}

// maxMinValues is the CRD's maximum for minValues.
const maxMinValues = 50

// Validate reports the first problem with r as a [*RequirementError] with
// Index -1. It applies the NodePool CRD's rules and core's
// ValidateRequirement (pkg/apis/v1/nodeclaim_validation.go), after
// normalising a beta key:
//
//   - the key is a qualified name, not in a restricted domain, not
//     karpenter.sh/nodepool or kubernetes.io/hostname, and not a
//     well-known key the simulator cannot answer ([*UnmodelledKeyError]);
//   - the operator is declared;
//   - In has at least one value; Gt, Lt, Gte and Lte exactly one
//     non-negative integer; Exists and DoesNotExist none (a Kubernetes
//     node selector rule that Karpenter does not itself check);
//   - every value is a valid label value;
//   - an In on karpenter.sh/capacity-type names at least one known
//     capacity type, and at least minValues of them (core
//     validateWellKnownValues; unknown values beside known ones are
//     ignored, as upstream only logs them);
//   - minValues is 0 (unset) or 1 to 50, and In has at least that many
//     values.
func (r Requirement) Validate() error {
	bad := func(field, format string, args ...any) error {
		return &RequirementError{Index: -1, Key: r.Key, Field: field, Err: fmt.Errorf(format, args...)}
	}
	key := NormalizeKey(r.Key)
	if problems := validation.IsQualifiedName(key); len(problems) > 0 {
		return bad("key", "%q is not a qualified name: %s", r.Key, strings.Join(problems, "; "))
	}
	switch kindOf(key) {
	case kindRestricted:
		return bad("key", "%q is restricted: Karpenter sets it or reserves its domain", key)
	case kindUnmodelled:
		return &RequirementError{Index: -1, Key: r.Key, Field: "key", Err: &UnmodelledKeyError{Key: key}}
	}
	if !r.Operator.IsValid() {
		return bad("operator", "%v is not one of In, NotIn, Exists, DoesNotExist, Gt, Lt, Gte, Lte", r.Operator)
	}
	switch r.Operator {
	case In:
		if len(r.Values) == 0 {
			return bad("values", "key %q with operator In needs at least one value", key)
		}
	case Exists, DoesNotExist:
		if len(r.Values) > 0 {
			return bad("values", "key %q with operator %v takes no values, got %q", key, r.Operator, r.Values)
		}
	case Gt, Lt, Gte, Lte:
		if len(r.Values) != 1 {
			return bad("values", "key %q with operator %v needs exactly one non-negative integer, got %q", key, r.Operator, r.Values)
		}
		if n, err := strconv.Atoi(r.Values[0]); err != nil || n < 0 {
			return bad("values", "key %q with operator %v needs a non-negative integer, got %q", key, r.Operator, r.Values[0])
		}
	}
	for _, v := range r.Values {
		if problems := validation.IsValidLabelValue(v); len(problems) > 0 {
			return bad("values", "%q is not a valid label value: %s", v, strings.Join(problems, "; "))
		}
	}
	if key == keyCapacityType && r.Operator == In {
		known := 0
		for ct := OnDemand; ct <= Reserved; ct++ {
			if slices.Contains(r.Values, ct.String()) {
				known++
			}
		}
		if known == 0 {
			return bad("values", "key %q has no known value in %q; want on-demand, spot or reserved", key, r.Values)
		}
		if known < r.MinValues {
			return bad("minValues", "key %q has %d known values, fewer than minValues %d", key, known, r.MinValues)
		}
	}
	if r.MinValues < 0 || r.MinValues > maxMinValues {
		return bad("minValues", "is %d; want 1 to %d, or unset", r.MinValues, maxMinValues)
	}
	if r.Operator == In && len(r.Values) < r.MinValues {
		return bad("minValues", "is %d but key %q lists only %d values", r.MinValues, key, len(r.Values))
	}
	return nil
}

// Validate checks every requirement with [Requirement.Validate] and
// returns the first problem, with its Index set.
func (rs Requirements) Validate() error {
	for i, r := range rs {
		if err := r.Validate(); err != nil {
			var re *RequirementError
			if errors.As(err, &re) {
				re.Index = i
			}
			return err
		}
	}
	return nil
}

// Unchecked returns the requirements that [Requirements.Allows] takes as
// satisfied without looking, because the simulator does not model what
// they constrain: zones (topology.kubernetes.io/zone) and the region. A
// caller should say so in its report.
func (rs Requirements) Unchecked() Requirements {
	var out Requirements
	for _, r := range rs {
		if kindOf(NormalizeKey(r.Key)) == kindUnchecked {
			out = append(out, r)
		}
	}
	return out
}

// Allows reports whether every requirement holds for the offering, as a
// Kubernetes node selector would on the node Karpenter launches for it:
// labels come from [WellKnownLabels] and the capacity type. A label the
// type lacks fails In, Exists, Gt, Lt, Gte and Lte and passes NotIn and
// DoesNotExist; Gt, Lt, Gte and Lte compare integers and fail on a label
// that is not one. Custom keys and the [Requirements.Unchecked] ones
// constrain nothing here. A reserved offering is never allowed, since no
// capacity reservations are modelled.
//
// rs should have passed [Requirements.Validate]; a key it would refuse is
// treated as a label the type lacks. Allows does not allocate.
func (rs Requirements) Allows(o Offering) bool {
	if o.CapacityType != OnDemand && o.CapacityType != Spot {
		return false
	}
	labels := WellKnownLabels(o.Type)
	for _, r := range rs {
		key := NormalizeKey(r.Key)
		var value string
		var present bool
		switch kindOf(key) {
		case kindCustom, kindUnchecked:
			continue
		case kindCapacityType:
			value, present = o.CapacityType.String(), true
		default:
			value, present = labels.Get(key)
		}
		if !r.holds(value, present) {
			return false
		}
	}
	return true
}

// holds evaluates r against one label.
func (r Requirement) holds(value string, present bool) bool {
	switch r.Operator {
	case In:
		return present && slices.Contains(r.Values, value)
	case NotIn:
		return !present || !slices.Contains(r.Values, value)
	case Exists:
		return present
	case DoesNotExist:
		return !present
	case Gt, Lt, Gte, Lte:
		if !present || len(r.Values) != 1 {
			return false
		}
		have, err1 := strconv.Atoi(value)
		want, err2 := strconv.Atoi(r.Values[0])
		if err1 != nil || err2 != nil {
			return false
		}
		switch r.Operator {
		case Gt:
			return have > want
		case Lt:
			return have < want
		case Gte:
			return have >= want
		default:
			return have <= want
		}
	}
	return false
}

// CapacityTypes returns the capacity types rs allows, in the order the AWS
// provider prefers them when it launches (reserved, then spot, then
// on-demand: pkg/providers/instance/instance.go getCapacityType). Reserved
// is never included, since no capacity reservations are modelled.
//
// With no capacity-type requirement both spot and on-demand are allowed:
// Karpenter v1 adds no default requirement (core NodePool.SetDefaults in
// pkg/apis/v1/nodepool_defaults.go is empty), so such a NodePool launches
// spot where it can.
func (rs Requirements) CapacityTypes() []CapacityType {
	var out []CapacityType
	for _, ct := range [...]CapacityType{Spot, OnDemand} {
		if rs.allowsCapacityType(ct) {
			out = append(out, ct)
		}
	}
	return out
}

func (rs Requirements) allowsCapacityType(ct CapacityType) bool {
	for _, r := range rs {
		if NormalizeKey(r.Key) == keyCapacityType && !r.holds(ct.String(), true) {
			return false
		}
	}
	return true
}

// NodeLabels returns the custom (not well-known) labels Karpenter stamps on
// the nodes of a NodePool with these requirements: each custom key whose
// requirements leave exactly one value of an In
// (core pkg/controllers/provisioning/scheduling/nodeclaimtemplate.go
// resolveCustomLabelsFromRequirements). It returns nil when there are
// none.
//
// Upstream also stamps a key whose In leaves several values, with one of
// them chosen by map order, and a key under NotIn or Exists with a random
// integer; the simulator stamps neither, to stay deterministic.
func (rs Requirements) NodeLabels() map[string]string {
	var out map[string]string
	for _, r := range rs {
		key := NormalizeKey(r.Key)
		if r.Operator != In || kindOf(key) != kindCustom {
			continue
		}
		if _, done := out[key]; done {
			continue
		}
		var only string
		count := 0
		for _, v := range r.Values {
			if v != only && rs.allowValue(key, v) {
				only = v
				count++
			}
		}
		if count == 1 {
			if out == nil {
				out = map[string]string{}
			}
			out[key] = only
		}
	}
	return out
}

// allowValue reports whether every requirement on key admits value.
func (rs Requirements) allowValue(key, value string) bool {
	for _, r := range rs {
		if NormalizeKey(r.Key) == key && !r.holds(value, true) {
			return false
		}
	}
	return true
}

// SatisfiesMinValues reports whether types, the instance types left after
// filtering, still cover at least minValues distinct values of every key
// that has minValues, counting only values that all requirements on the
// key admit (core pkg/cloudprovider/types.go SatisfiesMinValues). Several
// requirements on one key take the largest minValues, as upstream's
// intersection does. When one fails, it returns the first such key in
// requirement order.
//
// Every type is taken to offer both spot and on-demand, and zone and
// region requirements are taken as satisfied. A custom key has no values
// on instance types, so minValues on one always fails, as upstream.
func SatisfiesMinValues(types []limits.InstanceType, rs Requirements) (key string, ok bool) {
	for _, r := range rs {
		if r.MinValues == 0 {
			continue
		}
		key := NormalizeKey(r.Key)
		want := 0
		for _, other := range rs {
			if NormalizeKey(other.Key) == key {
				want = max(want, other.MinValues)
			}
		}
		if !coversMinValues(types, rs, key, want) {
			return key, false
		}
	}
	return "", true
}

func coversMinValues(types []limits.InstanceType, rs Requirements, key string, want int) bool {
	seen := map[string]bool{}
	switch kindOf(key) {
	case kindUnchecked:
		return true
	case kindCapacityType:
		if len(types) > 0 {
			for _, ct := range rs.CapacityTypes() {
				seen[ct.String()] = true
			}
		}
	case kindLabel:
		for _, it := range types {
			if v, ok := WellKnownLabels(it).Get(key); ok && rs.allowValue(key, v) {
				seen[v] = true
			}
		}
	}
	return len(seen) >= want
}
