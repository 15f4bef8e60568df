package controller

import (
	"errors"
	"fmt"
)

// Sentinel errors; each is wrapped by a typed error with its context.
var (
	// ErrBadSetting is wrapped by every *SettingError.
	ErrBadSetting = errors.New("setting out of range")
	// ErrBadInput is wrapped by every *InputError.
	ErrBadInput = errors.New("input the controller cannot take")
	// ErrInconsistent is wrapped by the error Step returns when a trunk
	// refused what the controller's own records said it would take: a
	// bug, reported rather than ignored.
	ErrInconsistent = errors.New("controller state inconsistent")
)

// SettingError names a setting New or Configured cannot run with.
type SettingError struct {
	Field string // Config's field name
	Value any
}

func (e *SettingError) Error() string {
	return fmt.Sprintf("controller: setting %s = %v is out of range", e.Field, e.Value)
}

// Unwrap returns ErrBadSetting.
func (e *SettingError) Unwrap() error { return ErrBadSetting }

// InputError is an Input Step refused, and why. Step leaves the
// controller as it was when it refuses an input.
type InputError struct {
	Input InputKind
	Why   string
}

func (e *InputError) Error() string { return fmt.Sprintf("controller: %v: %s", e.Input, e.Why) }

// Unwrap returns ErrBadInput.
func (e *InputError) Unwrap() error { return ErrBadInput }
