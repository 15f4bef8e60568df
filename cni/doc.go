// Package cni is the Amazon VPC CNI's vocabulary as security groups for
// pods sees it: the aws-node settings that change what the resource
// controller and the network see ([Config], [EnforcingMode], [IPFamily]),
// CNI releases ([Version]), and which release changed what ([Feature]).
//
// It is a leaf: it imports only the standard library and, should it ever
// need instance-type facts, package limits; nothing else of this module.
// So the simulator (package sim) and the reachability model (package
// reach) share one spelling of these settings without either depending
// on the other. It
// holds values only: nothing here reads a clock, draws a random number or
// keeps state between calls, and every type is a small comparable value
// that == compares and maps can key on.
//
// # Versions
//
// A [Version] is a release number such as v1.20.4. The zero Version means
// the newest behaviour modelled, so a configuration that names no release
// gets every [Feature]. [Version.Has] answers "does this release behave
// so", with each Feature's first release cited from upstream on the
// constant; [Feature.Since] returns that release.
//
// # Errors
//
// Error messages start with "cni: ". [ParseVersion] fails with a
// [*VersionError] that names the text given and wraps [ErrBadVersion], so
// callers use errors.Is and errors.As rather than matching text.
package cni
