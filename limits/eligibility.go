package limits

import (
	"errors"
	"strconv"
)

// Reason says why a node cannot hold a trunk ENI. The zero value is not a
// valid reason.
type Reason uint8

const (
	// ReasonUnknownType: the table does not list the instance type, so the
	// controller cannot size a trunk for it.
	ReasonUnknownType Reason = 1 + iota
	// ReasonBurstable: the type belongs to a burstable family (t1, t2, t3,
	// t3a, t4g), none of which is trunking compatible.
	ReasonBurstable
	// ReasonXen: the type runs on the Xen hypervisor; trunk ENIs need the
	// Nitro system.
	ReasonXen
	// ReasonNotCompatible: the type is simply not listed as trunking
	// compatible, although it is neither burstable nor Xen (i4i.large,
	// u-6tb1.56xlarge).
	ReasonNotCompatible
	// ReasonWindows: the node runs Windows.
	ReasonWindows
)

// String returns a short stable token: "unknown-type", "burstable", "xen",
// "not-compatible" or "windows", or "Reason(N)" for an invalid value.
func (r Reason) String() string {
	switch r {
	case ReasonUnknownType:
		return "unknown-type"
	case ReasonBurstable:
		return "burstable"
	case ReasonXen:
		return "xen"
	case ReasonNotCompatible:
		return "not-compatible"
	case ReasonWindows:
		return "windows"
	}
	return "Reason(" + strconv.Itoa(int(r)) + ")"
}

// IneligibleError reports that a node of type Type running OS cannot hold a
// trunk ENI, and why.
type IneligibleError struct {
	// Type is the instance type name.
	Type string
	// OS is the node's operating system.
	OS OS
	// Reason is the first obstacle found, in the order of
	// [Table.CanTrunk].
	Reason Reason
	// family is the burstable family for the message; unknown holds the
	// lookup failure and its suggestions for ReasonUnknownType.
	family  string
	unknown *UnknownTypeError
}

// Error reads, for example, "limits: t3.large cannot hold a trunk ENI:
// burstable t3 family instances are not trunking compatible".
func (e *IneligibleError) Error() string {
	name := e.Type
	if name == "" {
		name = `""`
	}
	return "limits: " + name + " cannot hold a trunk ENI: " + e.Detail()
}

// Detail explains the reason in plain words, without naming the type.
func (e *IneligibleError) Detail() string {
	switch e.Reason {
	case ReasonUnknownType:
		if e.unknown != nil {
			return e.unknown.Message()
		}
		return "unknown instance type"
	case ReasonBurstable:
		return "burstable " + e.family + " family instances are not trunking compatible"
	case ReasonXen:
		return "it runs on the Xen hypervisor, and trunk ENIs need the Nitro system"
	case ReasonNotCompatible:
		return "the instance type is not listed as trunking compatible"
	case ReasonWindows:
		return "security groups for pods supports Linux nodes only, and this node runs " + e.OS.String()
	}
	return "reason " + e.Reason.String()
}

// Unwrap returns [ErrWindows] for ReasonWindows and [ErrNotTrunkCompatible]
// otherwise; for ReasonUnknownType it also returns the
// [*UnknownTypeError], so errors.Is(err, ErrUnknownType) holds and errors.As
// finds the suggestions.
func (e *IneligibleError) Unwrap() []error {
	switch {
	case e.Reason == ReasonWindows:
		return []error{ErrWindows}
	case e.unknown != nil:
		return []error{ErrNotTrunkCompatible, e.unknown}
	case e.Reason == ReasonUnknownType:
		return []error{ErrNotTrunkCompatible, ErrUnknownType}
	}
	return []error{ErrNotTrunkCompatible}
}

// CanTrunk returns nil when a node of this type running os can hold a trunk
// ENI, as the controller's IsInstanceSupported decides
// (pkg/provider/branch/provider.go): the OS must be Linux, checked first,
// and the type must be trunking compatible. Otherwise it returns an
// [*IneligibleError]; an undeclared os is a [*ValueError].
func (it InstanceType) CanTrunk(os OS) error {
	if !os.IsValid() {
		return &ValueError{Kind: "OS", Input: os.String(), Valid: "linux or windows"}
	}
	if os != OSLinux {
		return &IneligibleError{Type: it.Name, OS: os, Reason: ReasonWindows}
	}
	if it.TrunkingCompatible {
		return nil
	}
	e := &IneligibleError{Type: it.Name, OS: os, Reason: ReasonNotCompatible}
	switch {
	case isBurstableFamily(it.Family()):
		e.Reason, e.family = ReasonBurstable, it.Family()
	case it.Hypervisor == HypervisorXen:
		e.Reason = ReasonXen
	}
	return e
}

// isBurstableFamily reports a "t" family followed by a generation digit
// (t1, t2, t3, t3a, t4g), which excludes trn1 and similar names.
func isBurstableFamily(family string) bool {
	return len(family) >= 2 && family[0] == 't' && family[1] >= '0' && family[1] <= '9'
}

// CanTrunk looks name up and reports whether a node of that type running
// os can hold a trunk ENI, returning the type when it is known. A name the
// table lacks gives an [*IneligibleError] with [ReasonUnknownType] that
// matches both [ErrUnknownType] and [ErrNotTrunkCompatible]; it is checked
// before the OS, because a misspelt name is the more useful thing to report.
// Other refusals are those of [InstanceType.CanTrunk].
func (t *Table) CanTrunk(name string, os OS) (InstanceType, error) {
	if !os.IsValid() {
		return InstanceType{}, &ValueError{Kind: "OS", Input: os.String(), Valid: "linux or windows"}
	}
	it, err := t.Lookup(name)
	if err != nil {
		var unknown *UnknownTypeError
		errors.As(err, &unknown)
		return InstanceType{}, &IneligibleError{Type: name, OS: os, Reason: ReasonUnknownType, unknown: unknown}
	}
	return it, it.CanTrunk(os)
}
