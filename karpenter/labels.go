package karpenter

import (
	"strings"

	"github.com/trunksim/trunksim/limits"
)

// Well-known label keys that requirements can name. The karpenter.k8s.aws
// keys are the AWS provider's (pkg/apis/v1/labels.go); the others are
// Kubernetes' and Karpenter core's (pkg/apis/v1/labels.go).
const (
	keyInstanceType = "node.kubernetes.io/instance-type"
	keyArch         = "kubernetes.io/arch"
	keyOS           = "kubernetes.io/os"
	keyZone         = "topology.kubernetes.io/zone"
	keyRegion       = "topology.kubernetes.io/region"
	keyWindowsBuild = "node.kubernetes.io/windows-build"
	keyHostname     = "kubernetes.io/hostname"
	keyCapacityType = "karpenter.sh/capacity-type"
	keyNodePool     = "karpenter.sh/nodepool"
	keyZoneID       = "topology.k8s.aws/zone-id"

	awsDomain     = "karpenter.k8s.aws"
	keyFamily     = awsDomain + "/instance-family"
	keySize       = awsDomain + "/instance-size"
	keyCategory   = awsDomain + "/instance-category"
	keyGeneration = awsDomain + "/instance-generation"
	keyHypervisor = awsDomain + "/instance-hypervisor"
)

// Labels holds the well-known labels of one instance type, as Karpenter's
// AWS provider would put them on its node. It is a small value that
// borrows its strings from the type's name, so computing one allocates
// nothing. Read it with [Labels.Get].
type Labels struct {
	name, family, size   string
	category, generation string
	arch, hypervisor     string
	// split reports that the name has exactly one dot, so that family
	// and size exist; scheme reports that the name matched upstream's
	// pattern, so that category and generation exist.
	split, scheme bool
}

// WellKnownLabels computes the labels of it from its name and hypervisor,
// as the AWS provider's computeRequirements does
// (pkg/providers/instancetype/types.go):
//
//   - node.kubernetes.io/instance-type is the name;
//   - karpenter.k8s.aws/instance-family and instance-size are the parts
//     before and after the dot, present only when the name has exactly
//     one dot;
//   - karpenter.k8s.aws/instance-category and instance-generation are the
//     leading letters and the digits after them (skipping a "-<n>tb"
//     memory infix, as in u-6tb1.metal), present only when such a prefix is
//     followed somewhere by a dot, so mac-m4.metal has neither;
//   - karpenter.k8s.aws/instance-hypervisor is "nitro", "xen", or "" for
//     bare metal, as EC2 reports it;
//   - kubernetes.io/arch is "arm64" or "amd64" (see below);
//   - kubernetes.io/os is "linux": Windows nodes are not modelled.
//
// Upstream reads the architecture from DescribeInstanceTypes, which the
// instance table lacks, so it is derived from EC2's naming convention: a
// family whose attribute letters after the generation include "g" runs on
// AWS Graviton (m6g, c7gn, x2gd, is4gen, g5g), as do a1 and the Apple
// silicon Mac families (mac2, mac2-m2, mac-m4; but not the Intel mac1).
// Everything else is amd64.
func WellKnownLabels(it limits.InstanceType) Labels {
	l := Labels{name: it.Name, arch: archOf(it.Name)}
	if family, size, ok := strings.Cut(it.Name, "."); ok && !strings.Contains(size, ".") {
		l.family, l.size, l.split = family, size, true
	}
	l.category, l.generation, l.scheme = parseScheme(it.Name)
	if it.Hypervisor != limits.HypervisorNone {
		l.hypervisor = it.Hypervisor.String()
	}
	return l
}

// Get returns the value of a well-known label key and whether the type has
// that label. Keys it does not know, including beta spellings (see
// [NormalizeKey]), are reported absent.
func (l Labels) Get(key string) (string, bool) {
	switch key {
	case keyInstanceType:
		return l.name, true
	case keyFamily:
		return l.family, l.split
	case keySize:
		return l.size, l.split
	case keyCategory:
		return l.category, l.scheme
	case keyGeneration:
		return l.generation, l.scheme
	case keyHypervisor:
		return l.hypervisor, true
	case keyArch:
		return l.arch, true
	case keyOS:
		return "linux", true
	}
	return "", false
}

// parseScheme matches name against the AWS provider's instance type
// pattern: one or more letters at the start (the category), an optional
// "-<digits>tb", then digits (the generation), with a dot somewhere after
// them. It does by hand what the regular expression in
// pkg/providers/instancetype/types.go does, so that no allocation is
// needed.
func parseScheme(name string) (category, generation string, ok bool) {
	i := 0
	for i < len(name) && name[i] >= 'a' && name[i] <= 'z' {
		i++
	}
	if i == 0 {
		return "", "", false
	}
	category = name[:i]
	if j := skipTerabytes(name, i); j > i {
		i = j
	}
	start := i
	for i < len(name) && isDigit(name[i]) {
		i++
	}
	if i == start || !strings.Contains(name[i:], ".") {
		return "", "", false
	}
	return category, name[start:i], true
}

// skipTerabytes returns the index after a "-<digits>tb" that starts at i,
// or i when there is none.
func skipTerabytes(name string, i int) int {
	if i >= len(name) || name[i] != '-' {
		return i
	}
	j := i + 1
	for j < len(name) && isDigit(name[j]) {
		j++
	}
	if j == i+1 || !strings.HasPrefix(name[j:], "tb") {
		return i
	}
	return j + 2
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// archOf derives the architecture from the family name; see
// [WellKnownLabels].
func archOf(name string) string {
	family, _, _ := strings.Cut(name, ".")
	switch {
	case family == "a1":
		return "arm64"
	case family == "mac1":
		return "amd64"
	case strings.HasPrefix(family, "mac"):
		return "arm64"
	}
	// Skip the category, an optional "-<n>tb" and the generation; the
	// attribute letters run from there to a dash or the end.
	i := 0
	for i < len(family) && family[i] >= 'a' && family[i] <= 'z' {
		i++
	}
	i = skipTerabytes(family, i)
	for i < len(family) && isDigit(family[i]) {
		i++
	}
	attributes, _, _ := strings.Cut(family[i:], "-")
	if strings.Contains(attributes, "g") {
		return "arm64"
	}
	return "amd64"
}
