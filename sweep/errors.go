package sweep

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Sentinel errors; each is wrapped in a typed error naming the input.
var (
	// ErrBadSeeds is wrapped by an [*InputError] about a seed list.
	ErrBadSeeds = errors.New("invalid seed list")
	// ErrBadSetting is wrapped by an [*InputError] about a setting, and by
	// a [*ScenarioError] when the scenario refuses a combination of them.
	ErrBadSetting = errors.New("invalid setting")
	// ErrBadShard is wrapped by an [*InputError] about a shard.
	ErrBadShard = errors.New("invalid shard")
	// ErrMerge is wrapped by a [*MergeError].
	ErrMerge = errors.New("results do not merge")
)

// InputError is a seed list, setting or shard that could not be read.
type InputError struct {
	Input string // the text as given
	Why   string
	Err   error // ErrBadSeeds, ErrBadSetting or ErrBadShard
}

func (e *InputError) Error() string {
	return fmt.Sprintf("sweep: %v %s: %s", e.Err, strconv.Quote(e.Input), e.Why)
}

// Unwrap returns the sentinel.
func (e *InputError) Unwrap() error { return e.Err }

// ScenarioError is a combination of settings the scenario refuses, with
// the scenario's own error (a *scenario.Error naming the field).
type ScenarioError struct {
	Settings []Setting
	Err      error
}

func (e *ScenarioError) Error() string {
	return fmt.Sprintf("sweep: with %s: %v", joinSettings(e.Settings), e.Err)
}

// Unwrap returns ErrBadSetting and the scenario's error.
func (e *ScenarioError) Unwrap() []error { return []error{ErrBadSetting, e.Err} }

func joinSettings(set []Setting) string {
	if len(set) == 0 {
		return "no settings"
	}
	parts := make([]string, len(set))
	for i, s := range set {
		parts[i] = s.String()
	}
	return strings.Join(parts, " ")
}

// MergeError says why results do not merge, naming the file and line.
type MergeError struct {
	File string // "" when the problem is with the set of files
	Line int    // 0 when not about one line
	Why  string
}

func (e *MergeError) Error() string {
	switch {
	case e.File == "":
		return "sweep: merge: " + e.Why
	case e.Line == 0:
		return fmt.Sprintf("sweep: merge: %s: %s", e.File, e.Why)
	}
	return fmt.Sprintf("sweep: merge: %s:%d: %s", e.File, e.Line, e.Why)
}

// Unwrap returns ErrMerge.
func (e *MergeError) Unwrap() error { return ErrMerge }
