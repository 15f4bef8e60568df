package sim

import (
	"math/rand/v2"

	"github.com/trunksim/trunksim/fakeec2"
)

// The fake EC2 lives in package fakeec2; these names keep the ones sim
// has always offered.

// API is an EC2 action the controller calls.
type API = fakeec2.API

// The EC2 actions modelled, in the order the controller first uses them.
const (
	DescribeInstances                = fakeec2.DescribeInstances
	DescribeSubnets                  = fakeec2.DescribeSubnets
	DescribeNetworkInterfaces        = fakeec2.DescribeNetworkInterfaces
	CreateNetworkInterface           = fakeec2.CreateNetworkInterface
	CreateNetworkInterfacePermission = fakeec2.CreateNetworkInterfacePermission
	AttachNetworkInterface           = fakeec2.AttachNetworkInterface
	ModifyNetworkInterfaceAttribute  = fakeec2.ModifyNetworkInterfaceAttribute
	AssociateTrunkInterface          = fakeec2.AssociateTrunkInterface
	DisassociateTrunkInterface       = fakeec2.DisassociateTrunkInterface
	DeleteNetworkInterface           = fakeec2.DeleteNetworkInterface
)

// ParseAPI accepts an EC2 action name such as "CreateNetworkInterface".
func ParseAPI(s string) (API, error) { return fakeec2.ParseAPI(s) }

// Error codes the fake EC2 returns. Codes follow the EC2 API reference.
const (
	CodeThrottled           = fakeec2.CodeThrottled
	CodeENINotFound         = fakeec2.CodeENINotFound
	CodeAssociationNotFound = fakeec2.CodeAssociationNotFound
	CodeTooManyGroups       = fakeec2.CodeTooManyGroups
	CodeGroupNotFound       = fakeec2.CodeGroupNotFound
	// CodeSecurityGroupNotFound is the answer for a group that was not
	// declared (see [Sim.AddSecurityGroup]).
	CodeSecurityGroupNotFound = fakeec2.CodeSecurityGroupNotFound
	// CodeDependencyViolation is DeleteSecurityGroup's answer while an
	// interface uses the group.
	CodeDependencyViolation = fakeec2.CodeDependencyViolation
	// CodeGroupIDMalformed is the answer for a group ID that is no ID;
	// see [Sim.AddMalformedGroup].
	CodeGroupIDMalformed = fakeec2.CodeGroupIDMalformed
	CodeNoFreeAddresses  = fakeec2.CodeNoFreeAddresses
	CodeInternal         = fakeec2.CodeInternal
	CodeUnavailable      = fakeec2.CodeUnavailable
)

// ErrEC2 is wrapped by every *APIError.
var ErrEC2 = fakeec2.ErrEC2

// APIError is an error answer from the fake EC2.
type APIError = fakeec2.APIError

// GroupError is DeleteSecurityGroup's refusal (see fakeec2.GroupError).
type GroupError = fakeec2.GroupError

// Fault makes EC2 fail or slow an action (fakeec2.Fault).
type Fault = fakeec2.Fault

// InterfaceKind tells trunk, branch and ordinary interfaces apart.
type InterfaceKind = fakeec2.InterfaceKind

// Interface kinds.
const (
	TrunkInterface  = fakeec2.TrunkInterface
	BranchInterface = fakeec2.BranchInterface
)

// Interface is one network interface held by the fake EC2.
type Interface = fakeec2.Interface

// FakeEC2 is the in-memory EC2 of package fakeec2.
type FakeEC2 = fakeec2.EC2

// NewFakeEC2 returns an empty fake EC2. cfg's zero fields take the same
// defaults as Config.EC2.
func NewFakeEC2(cfg EC2, seed uint64) (*FakeEC2, error) {
	c, err := (Config{EC2: cfg}).withDefaults()
	if err != nil {
		return nil, err
	}
	return fakeec2.New(c.EC2, rand.New(rand.NewPCG(seed, 0xec2)))
}
