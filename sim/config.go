package sim

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/trunksim/trunksim/limits"
	"github.com/trunksim/trunksim/trunk"
)

// ErrBadConfig is wrapped by every *ConfigError.
var ErrBadConfig = errors.New("invalid configuration")

// ConfigError names the configuration field that was wrong and why.
type ConfigError struct {
	Field string // dotted path such as "Controller.UserClientQPS"
	Value any
	Why   string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("sim: config %s = %v: %s", e.Field, e.Value, e.Why)
}

// Unwrap returns ErrBadConfig.
func (e *ConfigError) Unwrap() error { return ErrBadConfig }

// Preset names a set of controller defaults.
type Preset uint8

const (
	// PresetUpstream is the resource controller as released in v1.7.19
	// (cmd flags in main.go, pkg/config/loader.go): EC2 user and instance
	// clients at 12 QPS / burst 18, 10 node manager workers.
	PresetUpstream Preset = 1 + iota
	// PresetRaisedLimits is upstream with PR #675 applied: the EC2 user client
	// at 24 QPS / burst 36 and 20 node manager workers.
	PresetRaisedLimits
)

var presetNames = [...]string{PresetUpstream: "upstream", PresetRaisedLimits: "raised-limits"}

// String returns the preset's name as used in scenario files.
func (p Preset) String() string {
	if int(p) < len(presetNames) && p != 0 {
		return presetNames[p]
	}
	return fmt.Sprintf("Preset(%d)", uint8(p))
}

// ParsePreset accepts "upstream" and "raised-limits".
func ParsePreset(s string) (Preset, error) {
	for p, name := range presetNames {
		if p != 0 && name == s {
			return Preset(p), nil
		}
	}
	return 0, &ConfigError{Field: "Controller.Preset", Value: s, Why: `want "upstream" or "raised-limits"`}
}

// Placement is how pods are spread over nodes that fit them.
type Placement uint8

const (
	// LeastAllocated prefers the node with the most free pod slots, as
	// kube-scheduler's default NodeResourcesFit scoring does.
	LeastAllocated Placement = 1 + iota
	// MostAllocated packs pods onto the fullest node that still fits.
	MostAllocated
)

// String returns "least-allocated" or "most-allocated".
func (p Placement) String() string {
	switch p {
	case LeastAllocated:
		return "least-allocated"
	case MostAllocated:
		return "most-allocated"
	}
	return fmt.Sprintf("Placement(%d)", uint8(p))
}

// EnforcingMode is the CNI's POD_SECURITY_GROUP_ENFORCING_MODE.
type EnforcingMode uint8

const (
	// Strict sends all branch pod traffic through the VPC (the CNI default).
	Strict EnforcingMode = 1 + iota
	// Standard keeps node-local traffic on the node (CNI v1.11.0 and later).
	Standard
)

// String returns "strict" or "standard".
func (m EnforcingMode) String() string {
	switch m {
	case Strict:
		return "strict"
	case Standard:
		return "standard"
	}
	return fmt.Sprintf("EnforcingMode(%d)", uint8(m))
}

// IPFamily is the cluster's IP family.
type IPFamily uint8

const (
	// IPv4 clusters (the default).
	IPv4 IPFamily = 1 + iota
	// IPv6 clusters; branch ENIs for them need CNI v1.16.0 or later.
	IPv6
)

// String returns "ipv4" or "ipv6".
func (f IPFamily) String() string {
	switch f {
	case IPv4:
		return "ipv4"
	case IPv6:
		return "ipv6"
	}
	return fmt.Sprintf("IPFamily(%d)", uint8(f))
}

// Version is a CNI release as major.minor.patch. The zero Version means the
// newest behaviour modelled.
type Version struct{ Major, Minor, Patch int }

// ParseVersion accepts "v1.20.4" or "1.20.4".
func ParseVersion(s string) (Version, error) {
	var v Version
	t := s
	if len(t) > 0 && t[0] == 'v' {
		t = t[1:]
	}
	n, err := fmt.Sscanf(t, "%d.%d.%d", &v.Major, &v.Minor, &v.Patch)
	if err != nil || n != 3 || v.Major < 0 || v.Minor < 0 || v.Patch < 0 || fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) != t {
		return Version{}, &ConfigError{Field: "CNI.Version", Value: s, Why: "want a release such as v1.20.4"}
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

// AtLeast reports whether v is o or newer. The zero Version is newer than all.
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

// CNI releases whose behaviour the simulator distinguishes (cni-spec section 1).
var (
	// CNIPodENI is the first release with ENABLE_POD_ENI (CNI README).
	CNIPodENI = Version{1, 7, 0}
	// CNIIPv6Branches is the first release that gives IPv6 pods branch ENIs.
	CNIIPv6Branches = Version{1, 16, 0}
	// CNITrunkExcluded is the first release that keeps secondary IPs off the
	// trunk (PR #2801, pkg/ipamd/datastore/data_store.go).
	CNITrunkExcluded = Version{1, 16, 4}
	// CNITrunkSlotHeld is the first release that holds an interface slot back
	// for the trunk only on trunk-capable types (PR #3250, pkg/ipamd/ipamd.go
	// hasRoomForEni).
	CNITrunkSlotHeld = Version{1, 20, 4}
)

// Controller holds the resource controller's settings. Zero fields take the
// preset's value; every default is upstream's, cited on the field.
type Controller struct {
	// Preset chooses the defaults below; zero means PresetUpstream.
	Preset Preset
	// UserClientQPS and UserClientBurst limit the EC2 "user" client, which
	// makes every EC2 call but the trunk association ones (main.go
	// --user-client-qps/--user-client-burst: 12 and 18).
	UserClientQPS   float64
	UserClientBurst int
	// InstanceClientQPS and InstanceClientBurst limit the "instance" client
	// that makes Associate/DisassociateTrunkInterface (main.go
	// --instance-client-qps/--instance-client-burst: 12 and 18).
	InstanceClientQPS   float64
	InstanceClientBurst int
	// SharedEC2Client models a controller started without --role-arn: one
	// client, at the user client's limits, makes every call
	// (pkg/aws/ec2/api/wrapper.go NewEC2Wrapper).
	SharedEC2Client bool
	// APIServerQPS and APIServerBurst limit the Kubernetes client used for
	// the pod GET and the annotation PATCH (main.go --apiserver-qps/burst: 20, 30).
	APIServerQPS   float64
	APIServerBurst int
	// BranchWorkers is the branch provider's worker count
	// (pkg/config/loader.go PodENIDefaultWorker: 30).
	BranchWorkers int
	// NodeWorkers is the node manager's async worker count (main.go
	// --node-mgr-workers: 10; 20 with PR #675).
	NodeWorkers int
	// MaxRetries is how many times a failed job is requeued before it is
	// dropped (pkg/config/loader.go WorkQueueDefaultMaxRetries: 5, so 6 attempts).
	MaxRetries int
	// CoolDown is how long a released branch ENI is kept before deletion
	// (pkg/provider/branch/cooldown/cooldown.go: 60 s, clamped to at least 30 s).
	CoolDown time.Duration
	// SweepInterval is how often each node's delete queue is processed
	// (pkg/provider/branch/provider.go ProcessDeleteQueue requeue: 30 s).
	SweepInterval time.Duration
	// Resync is the informer resync period that retries dropped pods
	// (main.go syncPeriod: 30 min).
	Resync time.Duration
	// NodeDeleteDelay is how long after a node is deleted its branches are
	// wiped (pkg/provider/branch/provider.go NodeDeleteRequeueRequestDelay: 1 min).
	NodeDeleteDelay time.Duration
	// GroupsPerInterface is the EC2 quota of security groups per interface
	// (5 by default, up to 16 when raised); more fails CreateNetworkInterface.
	GroupsPerInterface int
}

// EC2 holds the fake EC2 API's settings. Upstream publishes no call
// latencies, so Latency is an assumption, reported as one.
type EC2 struct {
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
	// (pkg/aws/ec2/api/wrapper.go MaxRetries: 3).
	MaxAttempts int
	// Faults are injected errors.
	Faults []Fault
}

// Kubelet holds the node side's retry timing.
type Kubelet struct {
	// RetryPeriod is the pod worker's back-off after a failed sandbox
	// creation (kubernetes pkg/kubelet/kubelet.go backOffPeriod: 10 s),
	// stretched by up to RetryJitter of itself (pod_workers.go
	// workerBackOffPeriodJitterFactor: 0.5), so retries come every 10-15 s.
	RetryPeriod time.Duration
	RetryJitter float64
	// SyncOnAnnotation makes the kubelet retry as soon as the controller
	// annotates the pod, instead of waiting out its back-off. Off by default:
	// it is a reading of pod_workers.go, not a documented behaviour.
	SyncOnAnnotation bool
}

// CNI holds the aws-node settings that change what the controller sees.
type CNI struct {
	// DisablePodENI models ENABLE_POD_ENI=false: no node asks for a trunk.
	// The zero value describes a cluster set up as the EKS guide says.
	DisablePodENI bool
	// EnforcingMode is POD_SECURITY_GROUP_ENFORCING_MODE; zero means Strict.
	EnforcingMode EnforcingMode
	// DisableTCPEarlyDemux is DISABLE_TCP_EARLY_DEMUX.
	DisableTCPEarlyDemux bool
	// Version is the CNI release; zero means the newest behaviour.
	Version Version
	// IPFamily is the cluster's IP family; zero means IPv4.
	IPFamily IPFamily
}

// Config is a simulation's configuration. Zero fields mean upstream's
// defaults; New validates it and names the first bad field.
type Config struct {
	// Seed drives every random choice (jitter, fault draws).
	Seed uint64
	// Limits is the instance-type table; nil means limits.Default().
	Limits *limits.Table
	// Placement is the scheduler's spreading policy; zero means LeastAllocated.
	Placement Placement
	// MaxEvents bounds a run so a runaway model is reported, not looped
	// forever; zero means 50 million.
	MaxEvents int
	// MaxTime caps simulated time for Run; zero means 24 hours.
	MaxTime time.Duration
	// HostNetworkPods per node count against kubelet max pods (aws-node and
	// kube-proxy: the "+2" of the max-pods formula); zero means 2, -1 none.
	HostNetworkPods int

	Controller Controller
	EC2        EC2
	Kubelet    Kubelet
	CNI        CNI
}

// withDefaults returns c with zero fields filled in and validates it.
// The settings are the table's (settings.go); what is left here is what a
// scenario file does not write: the instance-type table, the run's
// bounds, the host-network pods and the faults.
func (c Config) withDefaults() (Config, error) {
	for i := range settingTable {
		// The preset is first in the table, so the defaults after it see it.
		settingTable[i].v.fill(&c, c.Controller.Preset)
	}
	if c.Limits == nil {
		c.Limits = limits.Default()
	}
	if c.MaxEvents == 0 {
		c.MaxEvents = 50_000_000
	}
	if c.MaxTime == 0 {
		c.MaxTime = 24 * time.Hour
	}
	switch {
	case c.HostNetworkPods == 0:
		c.HostNetworkPods = 2
	case c.HostNetworkPods == -1:
		c.HostNetworkPods = 0
	}

	// The settings are judged in the table's order, then the run's bounds,
	// then the CNI release, which has always come last: so the first bad
	// field named is the one it always was.
	for i := range settingTable {
		if s := &settingTable[i]; s.Kind() != KindVersion {
			if err := s.Check(&c); err != nil {
				return c, err
			}
		}
	}
	switch {
	case c.MaxEvents < 0:
		return c, &ConfigError{"MaxEvents", c.MaxEvents, "must not be negative"}
	case c.MaxTime < 0:
		return c, &ConfigError{"MaxTime", c.MaxTime, "must not be negative"}
	case c.HostNetworkPods < 0:
		return c, &ConfigError{"HostNetworkPods", c.HostNetworkPods, "want a count, or -1 for none"}
	}
	for i := range settingTable {
		if s := &settingTable[i]; s.Kind() == KindVersion {
			if err := s.Check(&c); err != nil {
				return c, err
			}
		}
	}
	for i, f := range c.EC2.Faults {
		if err := f.validate(); err != nil {
			return c, &ConfigError{fmt.Sprintf("EC2.Faults[%d]", i), f, err.Error()}
		}
	}
	c.Controller.CoolDown = trunk.ClampCoolDown(c.Controller.CoolDown)
	return c, nil
}

// positive reports whether x is a finite number above zero: NaN and the
// infinities would turn rates and delays into nonsense rather than errors.
func positive(x float64) bool { return x > 0 && !math.IsInf(x, 1) }
