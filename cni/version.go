package cni

import "fmt"

// Version is a CNI release as major.minor.patch. The zero Version means the
// newest behaviour modelled, so leaving the release unset never turns a
// behaviour off.
type Version struct{ Major, Minor, Patch int }

// ParseVersion accepts "v1.20.4" or "1.20.4": three decimal numbers with
// no sign, no leading zeros and nothing around them. It is that strict so
// a release reads back as [Version.String] prints it; the one exception
// is "v0.0.0", which parses to the zero Version and so prints "latest".
// Anything else fails with a [*VersionError] wrapping [ErrBadVersion].
func ParseVersion(s string) (Version, error) {
	var v Version
	t := s
	if len(t) > 0 && t[0] == 'v' {
		t = t[1:]
	}
	n, err := fmt.Sscanf(t, "%d.%d.%d", &v.Major, &v.Minor, &v.Patch)
	if err != nil || n != 3 || v.Major < 0 || v.Minor < 0 || v.Patch < 0 || fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) != t {
		return Version{}, &VersionError{Value: s}
	}
	return v, nil
}

// String returns the version as "v1.20.4", or "latest" for the zero Version.
func (v Version) String() string {
	if v == (Version{}) {
		return "latest"
	}
	return fmt.Sprintf("v%d.%d.%d", v.Major, v.Minor, v.Patch)
}

// AtLeast reports whether v is o or newer, comparing (Major, Minor, Patch)
// in that order. A zero v is newer than all, since it stands for the
// newest behaviour; a zero o is only the numbers 0.0.0, which every v is
// at least.
func (v Version) AtLeast(o Version) bool {
	if v == (Version{}) {
		return true
	}
	if v.Major != o.Major {
		return v.Major > o.Major
	}
	if v.Minor != o.Minor {
		return v.Minor > o.Minor
	}
	return v.Patch >= o.Patch
}

// Has reports whether release v behaves as f describes: whether v is at
// least [Feature.Since]. The zero Version has every declared Feature; no
// Version has an undeclared one.
func (v Version) Has(f Feature) bool {
	since, ok := f.since()
	return ok && v.AtLeast(since)
}

// CNI releases whose behaviour the simulator distinguishes (cni-spec
// section 1). Each is its [Feature]'s [Feature.Since], kept as a variable
// because a Version, a struct, cannot be a constant; nothing in this
// module assigns to them.
var (
	// PodENI is the first release with ENABLE_POD_ENI (CNI README).
	PodENI = FeaturePodENI.Since()
	// IPv6Branches is the first release that gives IPv6 pods branch ENIs
	// (CHANGELOG v1.16.0).
	IPv6Branches = FeatureIPv6Branches.Since()
	// TrunkExcluded is the first release that keeps secondary IPs off the
	// trunk (PR #2801, pkg/ipamd/datastore/data_store.go).
	TrunkExcluded = FeatureTrunkExcluded.Since()
	// TrunkSlotHeld is the first release that holds an interface slot back
	// for the trunk only on trunk-capable types (PR #3250, pkg/ipamd/ipamd.go
	// hasRoomForEni).
	TrunkSlotHeld = FeatureTrunkSlotHeld.Since()
)

// Feature is a behaviour of the CNI that began with some release, so that
// code asks [Version.Has] a question by name rather than comparing against
// a release number whose meaning lives in a comment.
type Feature uint8

// The features, oldest first, then those modelled later in the order
// they were added (their values never change).
const (
	// FeaturePodENI is ENABLE_POD_ENI, and with it security groups for
	// pods at all: from v1.7.0 (CNI README).
	FeaturePodENI Feature = 1 + iota
	// FeatureStandardMode is POD_SECURITY_GROUP_ENFORCING_MODE=standard:
	// before v1.11.0 the variable is not read and every release behaves
	// as strict (CHANGELOG v1.11.0, PR #1907; pkg/sgpp/utils.go
	// LoadEnforcingModeFromEnv).
	FeatureStandardMode
	// FeatureIPv6Branches is branch ENIs for pods in IPv6 clusters: from
	// v1.16.0 (CHANGELOG v1.16.0).
	FeatureIPv6Branches
	// FeatureTrunkExcluded is ipamd keeping secondary IPs off the trunk
	// ENI: from v1.16.4; before it the trunk carried them like any other
	// interface (PR #2801, pkg/ipamd/datastore/data_store.go).
	FeatureTrunkExcluded
	// FeatureTrunkSlotHeld is ipamd holding an interface slot back for an
	// awaited trunk only on types that can hold one: from v1.20.4; before
	// it the slot was held even on types that never get a trunk (issue
	// #3094, fixed by PR #3250, pkg/ipamd/ipamd.go hasRoomForEni).
	FeatureTrunkSlotHeld
	// FeaturePrefixDelegation is ENABLE_PREFIX_DELEGATION, /28 prefixes
	// instead of single secondary addresses: from v1.9.0 (amazon-eks-ami's
	// AL2 max-pods-calculator.sh treats 1.9 and later as supporting it;
	// the EKS guide asks for 1.9.0 or later).
	FeaturePrefixDelegation
)

// Since returns the first release with f, or the zero Version for an
// undeclared Feature, which no release has.
func (f Feature) Since() Version {
	v, _ := f.since()
	return v
}

// since is Since with whether f is declared, kept apart so that the zero
// Version Since returns for an undeclared feature never reads as "every
// release" in Has.
func (f Feature) since() (Version, bool) {
	switch f {
	case FeaturePodENI:
		return Version{1, 7, 0}, true
	case FeatureStandardMode:
		return Version{1, 11, 0}, true
	case FeatureIPv6Branches:
		return Version{1, 16, 0}, true
	case FeatureTrunkExcluded:
		return Version{1, 16, 4}, true
	case FeatureTrunkSlotHeld:
		return Version{1, 20, 4}, true
	case FeaturePrefixDelegation:
		return Version{1, 9, 0}, true
	}
	return Version{}, false
}

// String returns the feature's name, such as "pod-eni".
func (f Feature) String() string {
	switch f {
	case FeaturePodENI:
		return "pod-eni"
	case FeatureStandardMode:
		return "standard-mode"
	case FeatureIPv6Branches:
		return "ipv6-branches"
	case FeatureTrunkExcluded:
		return "trunk-excluded"
	case FeatureTrunkSlotHeld:
		return "trunk-slot-held"
	case FeaturePrefixDelegation:
		return "prefix-delegation"
	}
	return fmt.Sprintf("Feature(%d)", uint8(f))
}
