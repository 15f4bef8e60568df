package sim

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"golang.org/x/time/rate"

	"github.com/trunksim/trunksim/branch"
)

// API is an EC2 action the controller calls.
type API uint8

// The EC2 actions modelled, in the order the controller first uses them.
const (
	DescribeInstances API = 1 + iota
	DescribeSubnets
	DescribeNetworkInterfaces
	CreateNetworkInterface
	CreateNetworkInterfacePermission
	AttachNetworkInterface
	ModifyNetworkInterfaceAttribute
	AssociateTrunkInterface
	DisassociateTrunkInterface
	DeleteNetworkInterface
	numAPI
)

var apiNames = [numAPI]string{"", "DescribeInstances", "DescribeSubnets", "DescribeNetworkInterfaces",
	"CreateNetworkInterface", "CreateNetworkInterfacePermission", "AttachNetworkInterface",
	"ModifyNetworkInterfaceAttribute", "AssociateTrunkInterface", "DisassociateTrunkInterface",
	"DeleteNetworkInterface"}

// String returns the action's EC2 name.
func (a API) String() string {
	if a > 0 && a < numAPI {
		return apiNames[a]
	}
	return fmt.Sprintf("API(%d)", uint8(a))
}

// ParseAPI accepts an EC2 action name such as "CreateNetworkInterface".
func ParseAPI(s string) (API, error) {
	for a := API(1); a < numAPI; a++ {
		if apiNames[a] == s {
			return a, nil
		}
	}
	return 0, fmt.Errorf("sim: unknown EC2 action %q (want one of %v)", s, apiNames[1:])
}

// Mutating reports whether EC2 throttles the action in the mutating bucket
// rather than the Describe bucket.
func (a API) Mutating() bool { return a >= CreateNetworkInterface }

// instanceClient reports whether the controller makes the call on its
// instance client (pkg/aws/ec2/api/wrapper.go: trunk association calls).
func (a API) instanceClient() bool {
	return a == AssociateTrunkInterface || a == DisassociateTrunkInterface
}

// Error codes the fake EC2 returns. Codes follow the EC2 API reference.
const (
	CodeThrottled           = "RequestLimitExceeded"
	CodeENINotFound         = "InvalidNetworkInterfaceID.NotFound"
	CodeAssociationNotFound = "InvalidAssociationID.NotFound"
	CodeTooManyGroups       = "SecurityGroupsPerInterfaceLimitExceeded"
	CodeGroupNotFound       = "InvalidGroup.NotFound"
	CodeNoFreeAddresses     = "InsufficientFreeAddressesInSubnet"
	CodeInternal            = "InternalError"
	CodeUnavailable         = "ServiceUnavailable"
)

// ErrEC2 is wrapped by every *APIError.
var ErrEC2 = errors.New("EC2 error")

// APIError is an error answer from the fake EC2. The same *APIError may
// answer many calls (every throttled call of one action shares one), so
// treat it as read-only.
type APIError struct {
	API  API
	Code string
}

func (e *APIError) Error() string { return e.API.String() + ": " + e.Code }

// Unwrap returns ErrEC2.
func (e *APIError) Unwrap() error { return ErrEC2 }

// asAPIError returns err as an *APIError, or nil when it is none. The
// fake EC2 returns *APIError unwrapped, which a type assertion finds
// without the allocation errors.As costs; a wrapped one goes the long way.
func asAPIError(err error) *APIError {
	if err == nil {
		return nil
	}
	if ae, ok := err.(*APIError); ok {
		return ae
	}
	return wrappedAPIError(err)
}

func wrappedAPIError(err error) *APIError {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae
	}
	return nil
}

// retryable reports whether the SDK's standard retryer retries the error
// (aws-sdk-go-v2 aws/retry: throttling codes and server errors).
func (e *APIError) retryable() bool {
	return e.Code == CodeThrottled || e.Code == CodeInternal || e.Code == CodeUnavailable
}

// Fault makes EC2 fail an action with a code, with a probability, during
// a window of virtual time [From, Until). Until zero means no end. A
// fault with a Delay and no Code slows the call by Delay instead of
// failing it (the simulator adds it to the call's latency; a FakeEC2 used
// on its own answers at once and only counts it).
type Fault struct {
	API         API
	Code        string
	Probability float64
	From, Until time.Duration
	Delay       time.Duration
}

func (f Fault) validate() error {
	switch {
	case f.API == 0 || f.API >= numAPI:
		return fmt.Errorf("unknown API %d", f.API)
	case f.Code == "" && f.Delay <= 0:
		return errors.New("neither an error code nor a delay")
	case f.Code != "" && f.Delay != 0:
		return errors.New("both an error code and a delay: a fault either fails or slows a call")
	case f.Delay < 0:
		return fmt.Errorf("negative delay %v", f.Delay)
	case !(f.Probability > 0 && f.Probability <= 1): // NaN too
		return fmt.Errorf("probability %v not in (0, 1]", f.Probability)
	case f.From < 0 || (f.Until != 0 && f.Until <= f.From):
		return fmt.Errorf("window [%v, %v) is empty or negative", f.From, f.Until)
	}
	return nil
}

func (f Fault) active(now time.Duration) bool {
	return now >= f.From && (f.Until == 0 || now < f.Until)
}

// InterfaceKind tells trunk, branch and ordinary interfaces apart.
type InterfaceKind uint8

// Interface kinds.
const (
	TrunkInterface InterfaceKind = 1 + iota
	BranchInterface
)

// eniRecord is an interface as the fake EC2 keeps it, with the counter
// its ID spells, from which its association ID is spelt too.
type eniRecord struct {
	Interface
	num uint64
}

// Interface is one network interface held by the fake EC2.
type Interface struct {
	ID          branch.ENIID
	Kind        InterfaceKind
	Instance    string       // the node whose trunk it belongs to
	Trunk       branch.ENIID // for branches: the trunk it is associated with
	VLAN        branch.VLAN
	Groups      branch.GroupSet
	Association string // trunk association ID, "" when not associated
	Attached    bool   // for trunks: attached to the instance
}

// FakeEC2 is an in-memory EC2 of network interfaces and trunk
// associations, with account-side throttling per action and injected
// faults. It is usable on its own: every call takes the virtual time it is
// made at, which must never go backwards.
type FakeEC2 struct {
	cfg     EC2
	epoch   time.Time
	rng     *rand.Rand
	buckets [numAPI]*rate.Limiter
	enis    eniStore
	block   []eniRecord // records not yet used by create
	next    uint64

	slow      time.Duration
	throttles [numAPI]APIError // the RequestLimitExceeded answers, made once
	calls     [numAPI]int
	throttled int
	errors    int
}

// NewFakeEC2 returns an empty fake EC2. cfg's zero fields take the same
// defaults as Config.EC2.
func NewFakeEC2(cfg EC2, seed uint64) (*FakeEC2, error) {
	c, err := (Config{EC2: cfg}).withDefaults()
	if err != nil {
		return nil, err
	}
	return newFakeEC2(c.EC2, rand.New(rand.NewPCG(seed, 0xec2))), nil
}

func newFakeEC2(cfg EC2, rng *rand.Rand) *FakeEC2 {
	e := &FakeEC2{cfg: cfg, epoch: epoch, rng: rng}
	for a := API(1); a < numAPI; a++ {
		e.throttles[a] = APIError{a, CodeThrottled}
		if a.Mutating() {
			e.buckets[a] = rate.NewLimiter(rate.Limit(cfg.MutatingRefill), cfg.MutatingBucket)
		} else {
			e.buckets[a] = rate.NewLimiter(rate.Limit(cfg.DescribeRefill), cfg.DescribeBucket)
		}
	}
	return e
}

// epoch anchors virtual time for rate.Limiter, which works on time.Time.
var epoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// admit counts a call and decides whether EC2 throttles or faults it.
func (e *FakeEC2) admit(now time.Duration, a API) error {
	e.calls[a]++
	if !e.cfg.NoAccountThrottling && !e.buckets[a].AllowN(e.epoch.Add(now), 1) {
		e.throttled++
		// Throttling is the commonest answer under load; the error is
		// shared rather than made per call, as nothing changes it.
		return &e.throttles[a]
	}
	e.slow = 0
	for _, f := range e.cfg.Faults {
		if f.API != a || !f.active(now) || e.rng.Float64() >= f.Probability {
			continue
		}
		if f.Delay > 0 {
			e.slow += f.Delay
			continue
		}
		e.errors++
		return &APIError{a, f.Code}
	}
	return nil
}

// Slowdown returns the delay that slow-call faults added to the last call.
func (e *FakeEC2) Slowdown() time.Duration { return e.slow }

func (e *FakeEC2) fail(a API, code string) error {
	e.errors++
	return &APIError{a, code}
}

// Describe makes a Describe* call that reads nothing the simulation needs
// beyond its cost: it is counted and throttled like any call.
func (e *FakeEC2) Describe(now time.Duration, a API) error {
	if a.Mutating() {
		return fmt.Errorf("sim: %s is not a Describe action", a)
	}
	return e.admit(now, a)
}

// CreateNetworkInterface creates a trunk or branch interface for instance
// with the given groups; more groups than quota fail as EC2 does.
//
// Branches carry their trunk's ID and VLAN from creation, as the
// controller tags them (vpcresources.k8s.aws/trunk-eni-id and vlan-id).
func (e *FakeEC2) CreateNetworkInterface(now time.Duration, kind InterfaceKind, instance string, trunkID branch.ENIID, groups branch.GroupSet, vlan branch.VLAN, quota int) (branch.ENIID, error) {
	id, _, err := e.create(now, kind, instance, trunkID, groups, vlan, quota)
	return id, err
}

// create is CreateNetworkInterface that also returns the counter the new
// ID spells, so the simulator can write the ID into its trace without
// formatting it through a string.
func (e *FakeEC2) create(now time.Duration, kind InterfaceKind, instance string, trunkID branch.ENIID, groups branch.GroupSet, vlan branch.VLAN, quota int) (branch.ENIID, uint64, error) {
	if err := e.admit(now, CreateNetworkInterface); err != nil {
		return branch.ENIID{}, 0, err
	}
	if groups.Len() > quota {
		return branch.ENIID{}, 0, e.fail(CreateNetworkInterface, CodeTooManyGroups)
	}
	e.next++
	id := branch.ENIIDFromUint64(e.next)
	// Records are carved from blocks; a block goes once all its
	// interfaces are deleted, which happens about in creation order.
	if len(e.block) == 0 {
		e.block = make([]eniRecord, 64)
	}
	r := &e.block[0]
	e.block = e.block[1:]
	*r = eniRecord{Interface{ID: id, Kind: kind, Instance: instance, Trunk: trunkID, Groups: groups, VLAN: vlan}, e.next}
	e.enis.add(r)
	return id, e.next, nil
}

// appendENIDigits appends the 17 hex digits of the ENI ID
// branch.ENIIDFromUint64(n) spells: a zero, then n in 16 digits.
func appendENIDigits(b []byte, n uint64) []byte {
	const hexd = "0123456789abcdef"
	b = append(b, '0')
	for shift := 60; shift >= 0; shift -= 4 {
		b = append(b, hexd[(n>>uint(shift))&0xf])
	}
	return b
}

// CreateNetworkInterfacePermission grants the INSTANCE-ATTACH permission.
func (e *FakeEC2) CreateNetworkInterfacePermission(now time.Duration, id branch.ENIID) error {
	if err := e.admit(now, CreateNetworkInterfacePermission); err != nil {
		return err
	}
	if e.enis.find(id) == nil {
		return e.fail(CreateNetworkInterfacePermission, CodeENINotFound)
	}
	return nil
}

// AttachNetworkInterface attaches a trunk to its instance; it reaches
// "attached" AttachDelay later (see Attached).
func (e *FakeEC2) AttachNetworkInterface(now time.Duration, id branch.ENIID) error {
	if err := e.admit(now, AttachNetworkInterface); err != nil {
		return err
	}
	if e.enis.find(id) == nil {
		return e.fail(AttachNetworkInterface, CodeENINotFound)
	}
	return nil
}

// ModifyNetworkInterfaceAttribute sets DeleteOnTermination on a trunk.
func (e *FakeEC2) ModifyNetworkInterfaceAttribute(now time.Duration, id branch.ENIID) error {
	if err := e.admit(now, ModifyNetworkInterfaceAttribute); err != nil {
		return err
	}
	if e.enis.find(id) == nil {
		return e.fail(ModifyNetworkInterfaceAttribute, CodeENINotFound)
	}
	return nil
}

// AssociateTrunkInterface associates a branch with a trunk on a VLAN and
// returns the association ID.
func (e *FakeEC2) AssociateTrunkInterface(now time.Duration, id, trunkID branch.ENIID, vlan branch.VLAN) (string, error) {
	if err := e.admit(now, AssociateTrunkInterface); err != nil {
		return "", err
	}
	b, t := e.enis.find(id), e.enis.find(trunkID)
	if b == nil || t == nil {
		return "", e.fail(AssociateTrunkInterface, CodeENINotFound)
	}
	b.Trunk, b.VLAN = trunkID, vlan
	var buf [len(assocPrefix) + 17]byte
	b.Association = string(appendENIDigits(append(buf[:0], assocPrefix...), b.num))
	return b.Association, nil
}

// DisassociateTrunkInterface removes a trunk association.
func (e *FakeEC2) DisassociateTrunkInterface(now time.Duration, association string) error {
	if err := e.admit(now, DisassociateTrunkInterface); err != nil {
		return err
	}
	b := e.enis.associated(association)
	if b == nil {
		return e.fail(DisassociateTrunkInterface, CodeAssociationNotFound)
	}
	b.Association = ""
	return nil
}

// DeleteNetworkInterface deletes an interface, and its association if any.
func (e *FakeEC2) DeleteNetworkInterface(now time.Duration, id branch.ENIID) error {
	if err := e.admit(now, DeleteNetworkInterface); err != nil {
		return err
	}
	n := e.enis.find(id)
	if n == nil {
		return e.fail(DeleteNetworkInterface, CodeENINotFound)
	}
	e.enis.remove(n)
	return nil
}

// terminate deletes an instance's trunk, as EC2 does for an interface
// with DeleteOnTermination when its instance ends. The branches are not
// deleted: they lose their association and stay as available ENIs.
func (e *FakeEC2) terminate(instance string) {
	for n := range e.enis.all() {
		if n.Instance != instance {
			continue
		}
		if n.Kind == TrunkInterface {
			e.enis.remove(n)
		} else {
			n.Association = ""
		}
	}
}

// Interfaces returns every interface, sorted by ID.
func (e *FakeEC2) Interfaces() []Interface {
	out := make([]Interface, 0, e.enis.live)
	for n := range e.enis.all() {
		out = append(out, n.Interface)
	}
	return out // in ID order already
}

// Lookup returns one interface.
func (e *FakeEC2) Lookup(id branch.ENIID) (Interface, bool) {
	n := e.enis.find(id)
	if n == nil {
		return Interface{}, false
	}
	return n.Interface, true
}

// Calls returns how many calls each action received, throttled ones included.
func (e *FakeEC2) Calls() map[string]int {
	m := make(map[string]int)
	for a := API(1); a < numAPI; a++ {
		if e.calls[a] > 0 {
			m[a.String()] = e.calls[a]
		}
	}
	return m
}

// Throttled returns how many calls EC2 answered with RequestLimitExceeded.
func (e *FakeEC2) Throttled() int { return e.throttled }

// Errors returns how many calls failed for another reason.
func (e *FakeEC2) Errors() int { return e.errors }
