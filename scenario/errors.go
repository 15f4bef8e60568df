package scenario

import (
	"errors"
	"strconv"
)

// Sentinel errors. Every error Parse and Load return is an [*Error] that
// wraps one of them, so callers can tell the kinds apart with errors.Is.
var (
	// ErrSyntax means the file is not well-formed YAML, or holds more or
	// less than one document.
	ErrSyntax = errors.New("not a valid YAML scenario")
	// ErrUnknownField means a key the scenario format does not define,
	// usually a typo.
	ErrUnknownField = errors.New("unknown field")
	// ErrMissingField means a required key is absent.
	ErrMissingField = errors.New("missing required field")
	// ErrWrongType means a value of the wrong YAML type: a list where a
	// mapping belongs, a number where a string belongs, and so on.
	ErrWrongType = errors.New("wrong type")
	// ErrInvalidValue means a value of the right type that is out of range
	// or malformed: a negative count, a bad duration, an unknown instance
	// type, a malformed security-group ID.
	ErrInvalidValue = errors.New("invalid value")
	// ErrDuplicate means a key or a name that appears twice.
	ErrDuplicate = errors.New("duplicate")
	// ErrAction means a scripted event failed while the scenario ran, for
	// example deleting a node that no longer exists.
	ErrAction = errors.New("scenario event failed")
	// ErrTooLarge means an input longer than MaxBytes, refused unread.
	ErrTooLarge = errors.New("input too large")
)

// Error locates a problem in a scenario file: the file, the line and the
// path of the field, such as nodeGroups[0].instanceType. Err wraps one of
// the sentinel errors and, where another package judged the value, that
// package's error too (for example limits.ErrUnknownType).
type Error struct {
	// File is the name the scenario was parsed under.
	File string
	// Line is the 1-based line of the offending key or value; 0 when the
	// problem has no single place, such as an empty file.
	Line int
	// Field is the path of the field, such as "workloads[2].replicas";
	// empty for syntax errors.
	Field string
	// Err is what is wrong.
	Err error
}

// Error reads like a compiler's message, for example
// `smoke.yaml:7: nodeGroups[0].flavour: unknown field`.
func (e *Error) Error() string {
	s := e.File
	if e.Line > 0 {
		s += ":" + strconv.Itoa(e.Line)
	}
	if e.Field != "" {
		s += ": " + clip(e.Field)
	}
	return s + ": " + e.Err.Error()
}

// clipAt is how much of a value or key an error quotes.
const clipAt = 100

// clip cuts text from the input to a prefix fit for an error message, so
// that a 10 MB value gives a short error rather than a 10 MB one.
func clip(s string) string {
	if len(s) <= clipAt {
		return s
	}
	return s[:clipAt] + "... (" + strconv.Itoa(len(s)) + " bytes)"
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }
