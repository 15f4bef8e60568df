package fakeec2

import (
	"errors"
	"fmt"
	"iter"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/trunksim/trunksim/internal/bucket"

	"github.com/trunksim/trunksim/branch"
)

// API is an EC2 action the resource controller calls.
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

// NumAPI is one more than the last API, for arrays indexed by API.
const NumAPI = numAPI

var apiNames = [numAPI]string{"", "DescribeInstances", "DescribeSubnets", "DescribeNetworkInterfaces",
	"CreateNetworkInterface", "CreateNetworkInterfacePermission", "AttachNetworkInterface",
	"ModifyNetworkInterfaceAttribute", "AssociateTrunkInterface", "DisassociateTrunkInterface",
	"DeleteNetworkInterface"}

// mutating marks the actions EC2 throttles in the mutating bucket. It is
// a table rather than a range of the enumeration so that adding an
// action cannot silently move another between buckets.
var mutating = [numAPI]bool{
	CreateNetworkInterface: true, CreateNetworkInterfacePermission: true, AttachNetworkInterface: true,
	ModifyNetworkInterfaceAttribute: true, AssociateTrunkInterface: true, DisassociateTrunkInterface: true,
	DeleteNetworkInterface: true,
}

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
func (a API) Mutating() bool { return a < numAPI && mutating[a] }

// Error codes the fake EC2 returns. Codes follow the EC2 API reference.
const (
	CodeThrottled           = "RequestLimitExceeded"
	CodeENINotFound         = "InvalidNetworkInterfaceID.NotFound"
	CodeAssociationNotFound = "InvalidAssociationID.NotFound"
	CodeTooManyGroups       = "SecurityGroupsPerInterfaceLimitExceeded"
	CodeGroupNotFound       = "InvalidGroup.NotFound"
	// CodeSecurityGroupNotFound is CreateNetworkInterface's answer when a
	// group it is given does not exist (EC2 API reference, "Error codes":
	// the specified security group does not exist). Its *APIError names
	// the group in Group.
	CodeSecurityGroupNotFound = "InvalidSecurityGroupID.NotFound"
	// CodeGroupIDMalformed is the answer when a group ID is no ID at all
	// (EC2 API reference, "Error codes": InvalidGroupId.Malformed, the
	// security group ID is malformed; its message reads Invalid id:
	// "<text>" (expecting "sg-...")). A SecurityGroupPolicy can name such a
	// group, since the CRD puts no pattern on groupIds. Its *APIError
	// carries the text; see [APIError.MalformedGroup].
	CodeGroupIDMalformed = "InvalidGroupId.Malformed"
	// CodeDependencyViolation is DeleteSecurityGroup's answer while a
	// network interface uses the group (EC2 API reference, "Error codes":
	// DependencyViolation).
	CodeDependencyViolation = "DependencyViolation"
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
	// Group is the security group that does not exist, set only on a
	// CodeSecurityGroupNotFound answer; see [APIError.MissingGroup].
	Group branch.SecurityGroupID
	// Malformed is the group ID as written that EC2 could not parse, set
	// only on a CodeGroupIDMalformed answer; see [APIError.MalformedGroup].
	Malformed string
}

func (e *APIError) Error() string {
	switch {
	case e.Code == CodeGroupIDMalformed:
		return e.API.String() + ": " + e.Code + ": Invalid id: " + strconv.Quote(e.Malformed) + ` (expecting "sg-...")`
	case e.Group.IsValid():
		return e.API.String() + ": " + e.Code + ": security group " + e.Group.String() + " does not exist"
	}
	return e.API.String() + ": " + e.Code
}

// MalformedGroup returns the group ID, as written, that EC2 could not
// parse, and whether the answer was that one.
func (e *APIError) MalformedGroup() (string, bool) {
	return e.Malformed, e.Code == CodeGroupIDMalformed
}

// MissingGroup returns the security group EC2 said does not exist, and
// whether the answer was that one: callers tell it apart by this, not by
// comparing codes.
func (e *APIError) MissingGroup() (branch.SecurityGroupID, bool) {
	return e.Group, e.Group.IsValid()
}

// Unwrap returns ErrEC2.
func (e *APIError) Unwrap() error { return ErrEC2 }

// Retryable reports whether the AWS SDK's standard retryer retries the
// error (aws-sdk-go-v2 aws/retry: throttling codes and server errors).
func (e *APIError) Retryable() bool {
	return e.Code == CodeThrottled || e.Code == CodeInternal || e.Code == CodeUnavailable
}

// AsAPIError returns err as an *APIError, or nil when it is none. The
// fake EC2 returns *APIError unwrapped, which a type assertion finds
// without the allocation errors.As costs; a wrapped one goes the long way.
func AsAPIError(err error) *APIError {
	if err == nil {
		return nil
	}
	if ae, ok := err.(*APIError); ok {
		return ae
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae
	}
	return nil
}

// Fault makes EC2 fail an action with a code, with a probability, during
// a window of virtual time [From, Until). Until zero means no end. A
// fault with a Delay and no Code slows the call by Delay instead of
// failing it: the answer's Latency grows by Delay.
type Fault struct {
	API         API
	Code        string
	Probability float64
	From, Until time.Duration
	Delay       time.Duration
}

// Validate reports what is wrong with the fault, or nil.
func (f Fault) Validate() error {
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
	Attached    bool   // for trunks: AttachNetworkInterface succeeded
}

// Defaults of Config, each EC2's own figure or, where EC2 publishes none,
// an assumption said to be one.
const (
	// DefaultLatency is how long a call takes. Assumption: upstream gives
	// no figure (resource controller #124 reports about 1 s for a whole
	// branch creation when idle).
	DefaultLatency = 100 * time.Millisecond
	// DefaultAttachDelay is how long a new trunk takes to reach
	// "attached". Assumption.
	DefaultAttachDelay = 2 * time.Second
	// DefaultMutatingBucket and DefaultMutatingRefill are the account's
	// token bucket per mutating action (EC2 API "Request throttling", as
	// quoted in resource controller PR #675).
	DefaultMutatingBucket = 50
	DefaultMutatingRefill = 5.0
	// DefaultDescribeBucket and DefaultDescribeRefill are the same for
	// Describe* actions.
	DefaultDescribeBucket = 100
	DefaultDescribeRefill = 20.0
	// DefaultMaxAttempts is the SDK standard retryer's attempt count per
	// call (resource controller pkg/aws/ec2/api/wrapper.go MaxRetries: 3).
	DefaultMaxAttempts = 3
)

// Config holds the fake EC2's settings. Zero fields take the defaults
// above.
type Config struct {
	// Latency is how long every EC2 call takes once it leaves the client's
	// rate limiter. Assumption: 100 ms (upstream gives no figure; RC#124
	// reports about 1 s for a whole branch creation when idle).
	Latency time.Duration
	// AttachDelay is how long a new trunk takes to reach "attached".
	// Assumption: 2 s. The controller polls on waitForENIAttachment's
	// schedule (pkg/aws/ec2/api/helper.go: 1 s doubling, 7 steps).
	AttachDelay time.Duration
	// MutatingBucket and MutatingRefill are EC2's account-side token bucket
	// per mutating action (EC2 API "Request throttling": 50 and 5 per second,
	// as quoted in upstream PR #675).
	MutatingBucket int
	MutatingRefill float64
	// DescribeBucket and DescribeRefill are the same for Describe* actions
	// (100 and 20 per second).
	DescribeBucket int
	DescribeRefill float64
	// NoAccountThrottling turns account-side throttling off, leaving only
	// the controller's own client limits.
	NoAccountThrottling bool
	// MaxAttempts is the SDK standard retryer's attempt count per call
	// (pkg/aws/ec2/api/wrapper.go MaxRetries: 3). The caller's client
	// retries; the fake EC2 itself answers each attempt once.
	MaxAttempts int
	// Faults are injected errors.
	Faults []Fault
}

// WithDefaults returns c with its zero fields set to the defaults.
func (c Config) WithDefaults() Config {
	if c.Latency == 0 {
		c.Latency = DefaultLatency
	}
	if c.AttachDelay == 0 {
		c.AttachDelay = DefaultAttachDelay
	}
	if c.MutatingBucket == 0 {
		c.MutatingBucket = DefaultMutatingBucket
	}
	if c.MutatingRefill == 0 {
		c.MutatingRefill = DefaultMutatingRefill
	}
	if c.DescribeBucket == 0 {
		c.DescribeBucket = DefaultDescribeBucket
	}
	if c.DescribeRefill == 0 {
		c.DescribeRefill = DefaultDescribeRefill
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	return c
}

// Request is one EC2 call. Which fields matter depends on API:
//
//	CreateNetworkInterface            Kind, Instance, Trunk (branches), Groups, VLAN, Quota
//	CreateNetworkInterfacePermission  ENI
//	AttachNetworkInterface            ENI
//	ModifyNetworkInterfaceAttribute   ENI
//	AssociateTrunkInterface           ENI, Trunk, VLAN
//	DisassociateTrunkInterface        Association
//	DeleteNetworkInterface            ENI
//	DescribeNetworkInterfaces         ENI (a trunk: its attachment), Instance (its branches),
//	                                  or Available, Page and PageSize (one page of the available interfaces)
//	DescribeInstances, DescribeSubnets nothing
type Request struct {
	API         API
	Kind        InterfaceKind
	Instance    string
	ENI, Trunk  branch.ENIID
	Groups      branch.GroupSet
	VLAN        branch.VLAN
	Quota       int // security groups allowed per interface
	Association string
	// Available, when set, makes DescribeNetworkInterfaces list the
	// interfaces in status "available" whose owner tag is Available's, in
	// ID order: page Page (from 0) of PageSize each (MaxResults; 1000 if
	// zero).
	Available Owner
	Page      int
	PageSize  int
}

// Owner is who tagged an interface as theirs
// (node.k8s.amazonaws.com/managed-by or the cluster tags).
type Owner uint8

// The owners.
const (
	// OwnerController: the VPC resource controller, which tags every trunk
	// and branch it creates (pkg/aws/ec2/api/helper.go
	// CreateNetworkInterface). Every interface of the fake EC2 is the
	// controller's.
	OwnerController Owner = 1 + iota
	// OwnerCNI: the VPC CNI, whose interfaces the fake EC2 does not hold.
	OwnerCNI
)

// DefaultPageSize is the page a listing of available interfaces takes
// when Request.PageSize is zero (resource controller
// pkg/config/type.go DescribeNetworkInterfacesMaxResults: 1000).
const DefaultPageSize = 1000

// Answer is EC2's reply to one Request.
type Answer struct {
	// Err is nil or an *APIError.
	Err error
	// ENI is the interface CreateNetworkInterface made.
	ENI branch.ENIID
	// Association is the ID AssociateTrunkInterface gave.
	Association string
	// Attached is, for DescribeNetworkInterfaces of a trunk, whether it
	// had reached "attached" by the time the answer left EC2.
	Attached bool
	// Branches is, for DescribeNetworkInterfaces of an instance, its
	// branch interfaces in ID order; for a listing of available
	// interfaces, the page's.
	Branches []Interface
	// More is, for a listing of available interfaces, whether a page
	// follows (a NextToken).
	More bool
	// Latency is how long the call took: Config.Latency plus any delay
	// that slow-call faults added.
	Latency time.Duration
}

// EC2 is an in-memory EC2 of network interfaces and trunk associations,
// with account-side throttling per action and injected faults. Every call
// takes the virtual time it is made at, which must never go backwards.
type EC2 struct {
	cfg     Config
	rng     *rand.Rand
	buckets [numAPI]bucket.Bucket
	enis    eniStore
	block   []eniRecord // records not yet used by create
	next    uint64
	// attachedAt is when each trunk reaches "attached", by the counter
	// its ID spells.
	attachedAt map[uint64]time.Duration

	// groups are the security groups that exist, once any is added: until
	// then every group a call names is taken to exist.
	groups map[branch.SecurityGroupID]struct{}
	// malformed maps each stand-in ID (branch.MalformedGroupID) a call may carry
	// to the text it stands for.
	malformed map[branch.SecurityGroupID]string

	slow      time.Duration
	throttles [numAPI]APIError // the RequestLimitExceeded answers, made once
	calls     [numAPI]int
	throttled int
	errors    int
}

// New returns an empty fake EC2. The zero fields of cfg take the
// defaults; rng draws whether each injected fault strikes. It refuses a
// fault that cannot be.
func New(cfg Config, rng *rand.Rand) (*EC2, error) {
	for i, f := range cfg.Faults {
		if err := f.Validate(); err != nil {
			return nil, fmt.Errorf("fakeec2: fault %d: %w", i, err)
		}
	}
	cfg = cfg.WithDefaults()
	cfg.Faults = append([]Fault(nil), cfg.Faults...)
	e := &EC2{cfg: cfg, rng: rng, attachedAt: make(map[uint64]time.Duration)}
	for a := API(1); a < numAPI; a++ {
		e.throttles[a] = APIError{API: a, Code: CodeThrottled}
		if a.Mutating() {
			e.buckets[a] = bucket.New(cfg.MutatingRefill, cfg.MutatingBucket)
		} else {
			e.buckets[a] = bucket.New(cfg.DescribeRefill, cfg.DescribeBucket)
		}
	}
	return e, nil
}

// Epoch anchors virtual time for a rate.Limiter, which works on
// time.Time: virtual time d is Epoch.Add(d). The account buckets and the
// controller's clients use internal/bucket, which takes the same
// decisions as a rate.Limiter driven at Epoch.Add(d).
var Epoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Config returns the settings the fake EC2 runs with, defaults filled in.
func (e *EC2) Config() Config { return e.cfg }

// InjectFault adds a fault from now on.
func (e *EC2) InjectFault(f Fault) error {
	if err := f.Validate(); err != nil {
		return err
	}
	e.cfg.Faults = append(e.cfg.Faults, f)
	return nil
}

// Do makes one call at virtual time now and returns EC2's answer, which
// takes Answer.Latency to arrive.
func (e *EC2) Do(now time.Duration, r Request) Answer {
	var ans Answer
	e.Call(now, &r, &ans)
	return ans
}

// Call is Do that reads the request and writes the answer in place, for
// callers that keep both.
func (e *EC2) Call(now time.Duration, r *Request, ans *Answer) {
	// Each field is cleared only when set: an answer slot is reused call
	// after call, and most fields are zero already.
	if ans.ENI.IsValid() {
		ans.ENI = branch.ENIID{}
	}
	if ans.Association != "" {
		ans.Association = ""
	}
	if ans.Branches != nil {
		ans.Branches = nil
	}
	ans.Attached, ans.More = false, false
	switch r.API {
	case DescribeInstances, DescribeSubnets:
		ans.Err = e.admit(now, r.API)
	case DescribeNetworkInterfaces:
		if ans.Err = e.admit(now, r.API); ans.Err == nil {
			ans.Attached = e.attached(r.ENI, now+e.latency())
			if r.Available != 0 {
				ans.Branches, ans.More = e.available(r.Available, r.Page, r.PageSize)
			} else if r.Instance != "" {
				ans.Branches = e.branches(r.Instance)
			}
		}
	case CreateNetworkInterface:
		ans.ENI, _, ans.Err = e.create(now, r.Kind, r.Instance, r.Trunk, r.Groups, r.VLAN, r.Quota)
	case CreateNetworkInterfacePermission:
		ans.Err = e.CreateNetworkInterfacePermission(now, r.ENI)
	case AttachNetworkInterface:
		if ans.Err = e.AttachNetworkInterface(now, r.ENI); ans.Err == nil {
			if n, ok := r.ENI.Uint64(); ok {
				// The attachment starts once the call has answered.
				e.attachedAt[n] = now + e.latency() + e.cfg.AttachDelay
			}
		}
	case ModifyNetworkInterfaceAttribute:
		ans.Err = e.ModifyNetworkInterfaceAttribute(now, r.ENI)
	case AssociateTrunkInterface:
		ans.Association, ans.Err = e.AssociateTrunkInterface(now, r.ENI, r.Trunk, r.VLAN)
	case DisassociateTrunkInterface:
		ans.Err = e.DisassociateTrunkInterface(now, r.Association)
	case DeleteNetworkInterface:
		ans.Err = e.DeleteNetworkInterface(now, r.ENI)
	default:
		ans.Err, ans.Latency = fmt.Errorf("fakeec2: %v is not an action", r.API), 0
		return
	}
	ans.Latency = e.latency()
}

// latency is how long the last call admitted takes.
func (e *EC2) latency() time.Duration { return e.cfg.Latency + e.slow }

// attached reports whether trunk id has reached "attached" by time at.
func (e *EC2) attached(id branch.ENIID, at time.Duration) bool {
	n, ok := id.Uint64()
	if !ok {
		return false
	}
	r := e.enis.at(n)
	if r == nil || !r.Attached {
		return false
	}
	t, ok := e.attachedAt[n]
	return !ok || at >= t
}

// branches returns instance's branch interfaces in ID order.
func (e *EC2) branches(instance string) []Interface {
	var out []Interface
	for r := range e.enis.all() {
		if r.Kind == BranchInterface && r.Instance == instance {
			out = append(out, r.Interface)
		}
	}
	return out
}

// available returns one page of the interfaces in status "available"
// that owner tagged, and whether another follows: branches with no trunk
// association, and trunks not attached.
func (e *EC2) available(owner Owner, page, size int) ([]Interface, bool) {
	if owner != OwnerController {
		return nil, false
	}
	if size <= 0 {
		size = DefaultPageSize
	}
	var out []Interface
	skip := page * size
	for r := range e.enis.all() {
		if r.Kind == BranchInterface && r.Association != "" || r.Kind == TrunkInterface && r.Attached {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		if len(out) == size {
			return out, true
		}
		out = append(out, r.Interface)
	}
	return out, false
}

// admit counts a call and decides whether EC2 throttles or faults it.
func (e *EC2) admit(now time.Duration, a API) error {
	e.calls[a]++
	if !e.cfg.NoAccountThrottling && !e.buckets[a].Allow(now, 1) {
		e.throttled++
		// Throttling is the commonest answer under load; the error is
		// shared rather than made per call, as nothing changes it.
		// A throttled answer keeps the slowdown of the call before it.
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
		return &APIError{API: a, Code: f.Code}
	}
	return nil
}

// Slowdown returns the delay that slow-call faults added to the last call.
func (e *EC2) Slowdown() time.Duration { return e.slow }

func (e *EC2) fail(a API, code string) error {
	e.errors++
	return &APIError{API: a, Code: code}
}

// AddSecurityGroup records that a security group exists. From the first
// one added on, CreateNetworkInterface refuses a group not added with
// CodeSecurityGroupNotFound; an EC2 that was never told of any group
// takes every group to exist, as it always did.
func (e *EC2) AddSecurityGroup(id branch.SecurityGroupID) error {
	if !id.IsValid() {
		return fmt.Errorf("fakeec2: security group %v: %w", id, branch.ErrMalformedID)
	}
	if text, ok := e.malformed[id]; ok {
		return fmt.Errorf("fakeec2: security group %v is the stand-in for the malformed ID %q", id, text)
	}
	if e.groups == nil {
		e.groups = make(map[branch.SecurityGroupID]struct{})
	}
	e.groups[id] = struct{}{}
	return nil
}

// AddMalformedGroup makes CreateNetworkInterface answer
// CodeGroupIDMalformed, naming text, for [branch.MalformedGroupID](text), and
// returns that stand-in. EC2 parses every ID before it looks any up, so
// the answer comes before any CodeSecurityGroupNotFound. It fails, with
// nothing changed, when text is a well-formed ID (it is then a group
// that exists or not, for [EC2.AddSecurityGroup]), or when the stand-in
// is a group already added or another text's stand-in.
func (e *EC2) AddMalformedGroup(text string) (branch.SecurityGroupID, error) {
	if _, err := branch.ParseSecurityGroupID(text); err == nil {
		return branch.SecurityGroupID{}, fmt.Errorf("fakeec2: security group %q is a well-formed ID, not a malformed one", text)
	}
	id := branch.MalformedGroupID(text)
	if other, ok := e.malformed[id]; ok && other != text {
		return branch.SecurityGroupID{}, fmt.Errorf("fakeec2: the malformed group IDs %q and %q hash alike (%v)", other, text, id)
	}
	if _, ok := e.groups[id]; ok {
		return branch.SecurityGroupID{}, fmt.Errorf("fakeec2: malformed group ID %q stands in as %v, a group that exists", text, id)
	}
	if e.malformed == nil {
		e.malformed = make(map[branch.SecurityGroupID]string)
	}
	e.malformed[id] = text
	return id, nil
}

// MalformedText returns the text a stand-in from [EC2.AddMalformedGroup]
// stands for, and whether id is one.
func (e *EC2) MalformedText(id branch.SecurityGroupID) (string, bool) {
	text, ok := e.malformed[id]
	return text, ok
}

// firstMalformed returns the text of the first of groups, in canonical
// order, that stands for a malformed ID.
func (e *EC2) firstMalformed(groups branch.GroupSet) (string, bool) {
	if e.malformed == nil {
		return "", false
	}
	for id := range groups.All() {
		if text, ok := e.malformed[id]; ok {
			return text, true
		}
	}
	return "", false
}

// GroupError is DeleteSecurityGroup's refusal: Code is
// CodeDependencyViolation, with InUse the interfaces that use the group,
// or CodeGroupNotFound. It wraps ErrEC2.
type GroupError struct {
	Group branch.SecurityGroupID
	Code  string
	InUse int
}

func (e *GroupError) Error() string {
	if e.Code == CodeDependencyViolation {
		return fmt.Sprintf("DeleteSecurityGroup: %s: %v is used by %d network interface(s)", e.Code, e.Group, e.InUse)
	}
	return fmt.Sprintf("DeleteSecurityGroup: %s: %v does not exist", e.Code, e.Group)
}

// Unwrap returns ErrEC2.
func (e *GroupError) Unwrap() error { return ErrEC2 }

// DeleteSecurityGroup deletes a group added with [EC2.AddSecurityGroup],
// as a user's `aws ec2 delete-security-group` does: EC2 refuses while any
// network interface uses it, a branch still cooling or leaked included
// (CodeDependencyViolation), and a group it does not hold
// (CodeGroupNotFound); a refusal changes nothing. From then on
// CreateNetworkInterface with the group answers
// CodeSecurityGroupNotFound. The call is the user's, not the
// controller's, so it is neither counted nor throttled.
func (e *EC2) DeleteSecurityGroup(id branch.SecurityGroupID) error {
	if _, ok := e.groups[id]; !ok {
		return &GroupError{Group: id, Code: CodeGroupNotFound}
	}
	inUse := 0
	for eni := range e.All() {
		if eni.Groups.Contains(id) {
			inUse++
		}
	}
	if inUse > 0 {
		return &GroupError{Group: id, Code: CodeDependencyViolation, InUse: inUse}
	}
	delete(e.groups, id)
	return nil
}

// GroupExists reports whether CreateNetworkInterface takes group id: it
// was added, or no group ever was.
func (e *EC2) GroupExists(id branch.SecurityGroupID) bool {
	if e.groups == nil {
		return true
	}
	_, ok := e.groups[id]
	return ok
}

// missingGroup returns the first of groups, in canonical order, that does
// not exist.
func (e *EC2) missingGroup(groups branch.GroupSet) (branch.SecurityGroupID, bool) {
	if e.groups == nil {
		return branch.SecurityGroupID{}, false
	}
	for id := range groups.All() {
		if !e.GroupExists(id) {
			return id, true
		}
	}
	return branch.SecurityGroupID{}, false
}

// Describe makes a Describe* call that reads nothing beyond its cost: it
// is counted and throttled like any call.
func (e *EC2) Describe(now time.Duration, a API) error {
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
func (e *EC2) CreateNetworkInterface(now time.Duration, kind InterfaceKind, instance string, trunkID branch.ENIID, groups branch.GroupSet, vlan branch.VLAN, quota int) (branch.ENIID, error) {
	id, _, err := e.create(now, kind, instance, trunkID, groups, vlan, quota)
	return id, err
}

// create is CreateNetworkInterface that also returns the counter the new
// ID spells.
func (e *EC2) create(now time.Duration, kind InterfaceKind, instance string, trunkID branch.ENIID, groups branch.GroupSet, vlan branch.VLAN, quota int) (branch.ENIID, uint64, error) {
	if err := e.admit(now, CreateNetworkInterface); err != nil {
		return branch.ENIID{}, 0, err
	}
	// The groups are parsed, then looked up, then counted. Parsing
	// precedes any lookup; looking up before counting is an assumption,
	// as EC2 documents no order between the two, taken so that a run and
	// the reachability check (package reach) name the same problem.
	if text, ok := e.firstMalformed(groups); ok {
		e.errors++
		return branch.ENIID{}, 0, &APIError{API: CreateNetworkInterface, Code: CodeGroupIDMalformed, Malformed: text}
	}
	if id, ok := e.missingGroup(groups); ok {
		e.errors++
		return branch.ENIID{}, 0, &APIError{API: CreateNetworkInterface, Code: CodeSecurityGroupNotFound, Group: id}
	}
	if groups.Len() > quota {
		return branch.ENIID{}, 0, e.fail(CreateNetworkInterface, CodeTooManyGroups)
	}
	r := e.record(kind, instance, trunkID, groups, vlan)
	return r.ID, r.num, nil
}

// AppendENIDigits appends the 17 hex digits of the ENI ID
// branch.ENIIDFromUint64(n) spells: a zero, then n in 16 digits.
func AppendENIDigits(b []byte, n uint64) []byte {
	const hexd = "0123456789abcdef"
	b = append(b, '0')
	for shift := 60; shift >= 0; shift -= 4 {
		b = append(b, hexd[(n>>uint(shift))&0xf])
	}
	return b
}

// on admits a call about interface id and finds it, or answers NotFound.
func (e *EC2) on(now time.Duration, a API, id branch.ENIID) (*eniRecord, error) {
	if err := e.admit(now, a); err != nil {
		return nil, err
	}
	r := e.enis.find(id)
	if r == nil {
		return nil, e.fail(a, CodeENINotFound)
	}
	return r, nil
}

// CreateNetworkInterfacePermission grants the INSTANCE-ATTACH permission.
func (e *EC2) CreateNetworkInterfacePermission(now time.Duration, id branch.ENIID) error {
	_, err := e.on(now, CreateNetworkInterfacePermission, id)
	return err
}

// AttachNetworkInterface attaches a trunk to its instance; it reaches
// "attached" AttachDelay after the call answers (see Call).
func (e *EC2) AttachNetworkInterface(now time.Duration, id branch.ENIID) error {
	r, err := e.on(now, AttachNetworkInterface, id)
	if err == nil {
		r.Attached = true
	}
	return err
}

// ModifyNetworkInterfaceAttribute sets DeleteOnTermination on a trunk.
func (e *EC2) ModifyNetworkInterfaceAttribute(now time.Duration, id branch.ENIID) error {
	_, err := e.on(now, ModifyNetworkInterfaceAttribute, id)
	return err
}

// AssociateTrunkInterface associates a branch with a trunk on a VLAN and
// returns the association ID.
func (e *EC2) AssociateTrunkInterface(now time.Duration, id, trunkID branch.ENIID, vlan branch.VLAN) (string, error) {
	if err := e.admit(now, AssociateTrunkInterface); err != nil {
		return "", err
	}
	b, t := e.enis.find(id), e.enis.find(trunkID)
	if b == nil || t == nil {
		return "", e.fail(AssociateTrunkInterface, CodeENINotFound)
	}
	b.Trunk, b.VLAN = trunkID, vlan
	var buf [len(assocPrefix) + 17]byte
	b.Association = string(AppendENIDigits(append(buf[:0], assocPrefix...), b.num))
	return b.Association, nil
}

// DisassociateTrunkInterface removes a trunk association.
func (e *EC2) DisassociateTrunkInterface(now time.Duration, association string) error {
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
func (e *EC2) DeleteNetworkInterface(now time.Duration, id branch.ENIID) error {
	r, err := e.on(now, DeleteNetworkInterface, id)
	if err == nil {
		e.remove(r)
	}
	return err
}

func (e *EC2) remove(r *eniRecord) {
	if r.Kind == TrunkInterface {
		delete(e.attachedAt, r.num)
	}
	e.enis.remove(r)
}

// TerminateInstance ends an instance as EC2 does: its trunk, created with
// DeleteOnTermination, is deleted; its branches are not, and stay as
// available interfaces with no association.
func (e *EC2) TerminateInstance(instance string) {
	for _, n := range e.enis.ofInstance(instance) {
		if n.Kind == TrunkInterface {
			e.remove(n)
		} else {
			n.Association = ""
		}
	}
}

// Interfaces returns every interface, sorted by ID.
func (e *EC2) Interfaces() []Interface {
	out := make([]Interface, 0, e.enis.live)
	for n := range e.enis.all() {
		out = append(out, n.Interface)
	}
	return out // in ID order already
}

// All yields every interface in ID order, without copying them all first.
// The EC2 must not be called while the iteration runs.
func (e *EC2) All() iter.Seq[Interface] {
	return func(yield func(Interface) bool) {
		for r := range e.enis.all() {
			if !yield(r.Interface) {
				return
			}
		}
	}
}

// OfInstance returns the interfaces of an instance's trunk (the trunk and
// its branches, associated or left available), in ID order. It costs the
// instance's interfaces, not the account's.
func (e *EC2) OfInstance(instance string) []Interface {
	rs := e.enis.ofInstance(instance)
	out := make([]Interface, len(rs))
	for i, r := range rs {
		out[i] = r.Interface
	}
	return out
}

// Len returns how many interfaces EC2 holds.
func (e *EC2) Len() int { return e.enis.live }

// Lookup returns one interface.
func (e *EC2) Lookup(id branch.ENIID) (Interface, bool) {
	n := e.enis.find(id)
	if n == nil {
		return Interface{}, false
	}
	return n.Interface, true
}

// Calls returns how many calls each action received, throttled ones included.
func (e *EC2) Calls() map[string]int {
	m := make(map[string]int)
	for a := API(1); a < numAPI; a++ {
		if e.calls[a] > 0 {
			m[a.String()] = e.calls[a]
		}
	}
	return m
}

// Throttled returns how many calls EC2 answered with RequestLimitExceeded.
func (e *EC2) Throttled() int { return e.throttled }

// Errors returns how many calls failed for another reason.
func (e *EC2) Errors() int { return e.errors }
