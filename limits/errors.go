package limits

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

var (
	// ErrUnknownType means the table has no instance type by that name;
	// upstream the node's trunk initialisation fails the same way
	// (pkg/aws/ec2/instance.go, LoadDetails). Returned wrapped in an
	// [*UnknownTypeError].
	ErrUnknownType = errors.New("limits: unknown instance type")
	// ErrNotTrunkCompatible means the instance type cannot hold a trunk ENI.
	// Returned wrapped in an [*IneligibleError].
	ErrNotTrunkCompatible = errors.New("limits: instance type cannot hold a trunk ENI")
	// ErrWindows means the node runs Windows, where security groups for
	// pods do not exist. Returned wrapped in an [*IneligibleError].
	ErrWindows = errors.New("limits: Windows nodes cannot hold a trunk ENI")
	// ErrInvalidType means an [InstanceType] breaks a rule of
	// [InstanceType.Validate]. Returned wrapped in an [*InvalidTypeError].
	ErrInvalidType = errors.New("limits: invalid instance type")
	// ErrInvalidValue means a [Hypervisor] or [OS] argument, or the text
	// given to parse one, is not a declared value. Returned wrapped in a
	// [*ValueError].
	ErrInvalidValue = errors.New("limits: invalid value")
	// ErrUnknownRelease means [ForRelease] has no table for that
	// controller release. Returned wrapped in an [*UnknownReleaseError].
	ErrUnknownRelease = errors.New("limits: unknown controller release")
)

// UnknownReleaseError reports a controller release with no table, and the
// releases that have one.
type UnknownReleaseError struct {
	// Release is the name asked for, exactly as given.
	Release string
	// Known lists every release [ForRelease] accepts, in version order.
	Known []string
}

// Error reads, for example, `limits: unknown controller release "v1.9.0"
// (known: v1.7.19, v1.7.20, ..., master)`.
func (e *UnknownReleaseError) Error() string { return "limits: " + e.Message() }

// Message is the error text without the "limits: " prefix, for command-line
// output.
func (e *UnknownReleaseError) Message() string {
	return "unknown controller release " + strconv.Quote(e.Release) + " (known: " + strings.Join(e.Known, ", ") + ")"
}

// Unwrap returns [ErrUnknownRelease].
func (e *UnknownReleaseError) Unwrap() error { return ErrUnknownRelease }

// UnknownTypeError reports a name the table does not hold, with the closest
// names it does hold.
type UnknownTypeError struct {
	// Name is the name looked up, exactly as given.
	Name string
	// Suggestions are table names the caller probably meant, best first;
	// empty when nothing is close.
	Suggestions []string
}

// Error reads, for example,
// `limits: unknown instance type "m5.larg"; did you mean m5.large?`.
func (e *UnknownTypeError) Error() string {
	if e.Name == "" {
		return "limits: empty instance type name"
	}
	return "limits: " + e.Message()
}

// Message is the error text without the "limits: " prefix, for command-line
// output.
func (e *UnknownTypeError) Message() string {
	if e.Name == "" {
		return "empty instance type name"
	}
	// No type name is longer than a few dozen bytes: a longer one is
	// quoted in part, so a hostile argument makes a short message.
	msg := "unknown instance type " + strconv.Quote(e.Name)
	if len(e.Name) > maxQuoted {
		msg = fmt.Sprintf("unknown instance type %q... (%d bytes)", e.Name[:maxQuoted], len(e.Name))
	}
	if len(e.Suggestions) > 0 {
		msg += "; did you mean " + orList(e.Suggestions) + "?"
	}
	return msg
}

// maxQuoted is the most of an unknown name an error quotes.
const maxQuoted = 64

// Unwrap returns [ErrUnknownType].
func (e *UnknownTypeError) Unwrap() error { return ErrUnknownType }

// orList joins names as "a", "a or b", or "a, b or c".
func orList(names []string) string {
	if len(names) == 1 {
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// InvalidTypeError reports the first rule an [InstanceType] breaks.
type InvalidTypeError struct {
	// Type is the instance type's name; it may be empty when the name is
	// the problem.
	Type string
	// Field names the offending field, such as "BranchInterfaces" or
	// "NetworkCards[1].Index".
	Field string
	// Problem says what is wrong with the field.
	Problem string
}

// Error reads, for example,
// `limits: instance type "x9.large": BranchInterfaces is 0 but TrunkingCompatible is true`.
func (e *InvalidTypeError) Error() string {
	return fmt.Sprintf("limits: instance type %q: %s %s", e.Type, e.Field, e.Problem)
}

// Unwrap returns [ErrInvalidType].
func (e *InvalidTypeError) Unwrap() error { return ErrInvalidType }

// ValueError reports text that names no [Hypervisor] or [OS], or an
// undeclared value passed as one.
type ValueError struct {
	// Kind is what was expected: "hypervisor", "OS" or "networking" (a
	// mode [Networking.Validate] refuses).
	Kind string
	// Input is the text given, or the String form of the bad value.
	Input string
	// Valid lists the accepted spellings.
	Valid string
}

// Error reads, for example, `limits: invalid OS "macos" (want linux or windows)`.
func (e *ValueError) Error() string {
	return fmt.Sprintf("limits: invalid %s %q (want %s)", e.Kind, e.Input, e.Valid)
}

// Unwrap returns [ErrInvalidValue].
func (e *ValueError) Unwrap() error { return ErrInvalidValue }

// NotInReleaseError reports an instance type that a controller release's
// table lacks although a newer release's table has it. The controller of
// that release finds no limits for such a node, so it never gives it a
// trunk.
type NotInReleaseError struct {
	// Type is the instance type's name.
	Type string
	// Release is the release whose table lacks it.
	Release string
	// Newest is the newest release whose table has it.
	Newest string
}

// Error reads, for example, `limits: instance type "r9g.large" is not in
// the instance table of resource-controller release v1.7.19; release
// v1.8.2 has it`.
func (e *NotInReleaseError) Error() string { return "limits: " + e.Message() }

// Message is the error text without the "limits: " prefix.
func (e *NotInReleaseError) Message() string {
	table := "the instance table of resource-controller release " + e.Release
	if e.Release == "" {
		table = "the given instance table"
	}
	return fmt.Sprintf("instance type %q is not in %s; release %s has it (controller.version: %s)",
		e.Type, table, e.Newest, e.Newest)
}

// Unwrap returns [ErrUnknownType] and [ErrNotTrunkCompatible]: the table
// does not know the type, so the node cannot hold a trunk.
func (e *NotInReleaseError) Unwrap() []error { return []error{ErrUnknownType, ErrNotTrunkCompatible} }
