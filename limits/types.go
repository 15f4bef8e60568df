package limits

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// MaxBranchInterfaces is the most branch ENIs any trunk can carry. Each
// branch needs its own VLAN ID, and the controller allocates IDs 1 to 120
// (pkg/provider/branch/trunk/trunk.go keeps 121 slots and never hands out 0).
const MaxBranchInterfaces = 120

// Hypervisor is the virtualisation layer an instance type runs on. The zero
// value is not a valid hypervisor.
type Hypervisor uint8

const (
	// HypervisorNitro is the AWS Nitro system, required for trunk ENIs.
	HypervisorNitro Hypervisor = 1 + iota
	// HypervisorXen is the older Xen hypervisor; no Xen type can hold a
	// trunk ENI.
	HypervisorXen
	// HypervisorNone marks bare-metal types, which run without a
	// hypervisor. Upstream spells it as an empty string.
	HypervisorNone
)

// String returns "nitro", "xen" or "none", or "Hypervisor(N)" for an invalid
// value.
func (h Hypervisor) String() string {
	switch h {
	case HypervisorNitro:
		return "nitro"
	case HypervisorXen:
		return "xen"
	case HypervisorNone:
		return "none"
	}
	return "Hypervisor(" + strconv.Itoa(int(h)) + ")"
}

// IsValid reports whether h is one of the declared hypervisors.
func (h Hypervisor) IsValid() bool { return h >= HypervisorNitro && h <= HypervisorNone }

// ParseHypervisor parses the output of [Hypervisor.String]. Anything else,
// including the empty string, is a [*ValueError] wrapping [ErrInvalidValue].
func ParseHypervisor(s string) (Hypervisor, error) {
	for h := HypervisorNitro; h <= HypervisorNone; h++ {
		if s == h.String() {
			return h, nil
		}
	}
	return 0, &ValueError{Kind: "hypervisor", Input: s, Valid: "nitro, xen or none"}
}

// MarshalText implements encoding.TextMarshaler; an invalid value is an
// error rather than a string nobody can parse back.
func (h Hypervisor) MarshalText() ([]byte, error) {
	if !h.IsValid() {
		return nil, &ValueError{Kind: "hypervisor", Input: h.String(), Valid: "nitro, xen or none"}
	}
	return []byte(h.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler with [ParseHypervisor].
func (h *Hypervisor) UnmarshalText(text []byte) error {
	v, err := ParseHypervisor(string(text))
	if err != nil {
		return err
	}
	*h = v
	return nil
}

// OS is a node's operating system, as the kubernetes.io/os label names it.
// The zero value is not a valid OS.
type OS uint8

const (
	// OSLinux nodes can hold a trunk ENI.
	OSLinux OS = 1 + iota
	// OSWindows nodes never get one: the controller's branch ENI resource
	// lists Windows as unsupported (pkg/config/loader.go).
	OSWindows
)

// String returns "linux" or "windows", or "OS(N)" for an invalid value.
func (o OS) String() string {
	switch o {
	case OSLinux:
		return "linux"
	case OSWindows:
		return "windows"
	}
	return "OS(" + strconv.Itoa(int(o)) + ")"
}

// IsValid reports whether o is one of the declared operating systems.
func (o OS) IsValid() bool { return o == OSLinux || o == OSWindows }

// ParseOS parses "linux" or "windows", the values of the kubernetes.io/os
// label. Anything else is a [*ValueError] wrapping [ErrInvalidValue].
func ParseOS(s string) (OS, error) {
	switch s {
	case "linux":
		return OSLinux, nil
	case "windows":
		return OSWindows, nil
	}
	return 0, &ValueError{Kind: "OS", Input: s, Valid: "linux or windows"}
}

// MarshalText implements encoding.TextMarshaler; an invalid value is an
// error.
func (o OS) MarshalText() ([]byte, error) {
	if !o.IsValid() {
		return nil, &ValueError{Kind: "OS", Input: o.String(), Valid: "linux or windows"}
	}
	return []byte(o.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler with [ParseOS].
func (o *OS) UnmarshalText(text []byte) error {
	v, err := ParseOS(string(text))
	if err != nil {
		return err
	}
	*o = v
	return nil
}

// NetworkCard is one network card of an instance type. Most types have a
// single card at index 0; large ones spread their interfaces over several.
type NetworkCard struct {
	// Index identifies the card on the instance.
	Index int
	// MaxInterfaces is how many ENIs this card can attach.
	MaxInterfaces int
}

// InstanceType holds the network limits of one EC2 instance type, with the
// meaning of the matching field of upstream's VPCLimits
// (pkg/aws/vpc/limits.go). Values obtained from a [Table] are valid and
// their NetworkCards slice is the caller's own copy.
type InstanceType struct {
	// Name is the EC2 name, such as "m5.large".
	Name string
	// Interfaces is the most ENIs the instance can attach over all its
	// network cards (upstream Interface).
	Interfaces int
	// IPv4PerInterface is how many IPv4 addresses each ENI can hold,
	// counting its primary address.
	IPv4PerInterface int
	// TrunkingCompatible reports whether the type can hold a trunk ENI
	// (upstream IsTrunkingCompatible). It is the authority: [Reason] only
	// explains a false value.
	TrunkingCompatible bool
	// BranchInterfaces is the most branch ENIs its trunk can carry, which
	// the controller advertises as vpc.amazonaws.com/pod-eni. It is zero
	// exactly when TrunkingCompatible is false.
	BranchInterfaces int
	// DefaultNetworkCardIndex is the card that holds the primary ENI; the
	// controller and the CNI use only that card.
	DefaultNetworkCardIndex int
	// NetworkCards lists the cards with their interface limits.
	NetworkCards []NetworkCard
	// Hypervisor is the virtualisation layer; [HypervisorNone] for bare
	// metal.
	Hypervisor Hypervisor
	// BareMetal reports a metal type.
	BareMetal bool
}

// Family returns the part of the name before the first dot ("m5" for
// "m5.large"), or the whole name when it has no dot.
func (it InstanceType) Family() string {
	family, _, _ := strings.Cut(it.Name, ".")
	return family
}

// Validate reports the first inconsistency in it as an [*InvalidTypeError]
// naming the field. [NewTable] and [Table.With] call it on every type.
//
// A valid type has a lower-case name without spaces, at least one interface
// and one IPv4 address per interface, at most [MaxBranchInterfaces]
// branches, branches exactly when it is trunking compatible (upstream test
// TestBranchInterfaceMatchSupportFlag checks one direction; the data holds
// both), network cards with distinct non-negative indexes and at least one
// interface each, a default card among them (upstream test
// TestDefaultNetworkCardIndex), and a declared hypervisor.
func (it InstanceType) Validate() error {
	bad := func(field, problem string) error {
		return &InvalidTypeError{Type: it.Name, Field: field, Problem: problem}
	}
	switch {
	case it.Name == "":
		return bad("Name", "is empty")
	case strings.ToLower(it.Name) != it.Name:
		return bad("Name", "has upper-case letters; EC2 names are lower case")
	case strings.ContainsFunc(it.Name, unicode.IsSpace):
		return bad("Name", "contains white space")
	case it.Interfaces < 1:
		return bad("Interfaces", fmt.Sprintf("is %d; every instance has at least its primary interface", it.Interfaces))
	case it.IPv4PerInterface < 1:
		return bad("IPv4PerInterface", fmt.Sprintf("is %d; every interface has at least its primary address", it.IPv4PerInterface))
	case it.BranchInterfaces < 0:
		return bad("BranchInterfaces", fmt.Sprintf("is %d; it cannot be negative", it.BranchInterfaces))
	case it.BranchInterfaces > MaxBranchInterfaces:
		return bad("BranchInterfaces", fmt.Sprintf("is %d; a trunk has only %d VLAN IDs", it.BranchInterfaces, MaxBranchInterfaces))
	case it.TrunkingCompatible && it.BranchInterfaces == 0:
		return bad("BranchInterfaces", "is 0 but TrunkingCompatible is true")
	case !it.TrunkingCompatible && it.BranchInterfaces > 0:
		return bad("BranchInterfaces", fmt.Sprintf("is %d but TrunkingCompatible is false", it.BranchInterfaces))
	case !it.Hypervisor.IsValid():
		return bad("Hypervisor", fmt.Sprintf("is %v; want nitro, xen or none", it.Hypervisor))
	case len(it.NetworkCards) == 0:
		return bad("NetworkCards", "is empty; the default card must be listed")
	}
	defaultFound := false
	for i, card := range it.NetworkCards {
		field := fmt.Sprintf("NetworkCards[%d]", i)
		if card.Index < 0 {
			return bad(field+".Index", fmt.Sprintf("is %d; it cannot be negative", card.Index))
		}
		if card.MaxInterfaces < 1 {
			return bad(field+".MaxInterfaces", fmt.Sprintf("is %d; a card attaches at least one interface", card.MaxInterfaces))
		}
		for _, earlier := range it.NetworkCards[:i] {
			if earlier.Index == card.Index {
				return bad(field+".Index", fmt.Sprintf("%d appears more than once", card.Index))
			}
		}
		defaultFound = defaultFound || card.Index == it.DefaultNetworkCardIndex
	}
	if !defaultFound {
		return bad("DefaultNetworkCardIndex", fmt.Sprintf("is %d but no network card has that index", it.DefaultNetworkCardIndex))
	}
	return nil
}

// clone returns it with a NetworkCards slice of its own, so that a caller
// writing to the cards cannot change a table.
func (it InstanceType) clone() InstanceType {
	if it.NetworkCards != nil {
		it.NetworkCards = append([]NetworkCard(nil), it.NetworkCards...)
	}
	return it
}
