package cni

import (
	"errors"
	"strconv"
)

// ErrBadVersion means text is not a CNI release number such as v1.20.4.
// Returned wrapped in a [*VersionError].
var ErrBadVersion = errors.New("cni: invalid version")

// VersionError reports text that [ParseVersion] refused.
type VersionError struct {
	// Value is the text given, exactly as given.
	Value string
}

// Error reads, for example,
// `cni: invalid version "1.20" (want a release such as v1.20.4)`.
func (e *VersionError) Error() string {
	return "cni: invalid version " + strconv.Quote(e.Value) + " (want a release such as v1.20.4)"
}

// Unwrap returns [ErrBadVersion].
func (e *VersionError) Unwrap() error { return ErrBadVersion }
