package sim

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/trunksim/trunksim/autoscaler"
	"github.com/trunksim/trunksim/cni"
	"github.com/trunksim/trunksim/controller"
	"github.com/trunksim/trunksim/fakeec2"
	"github.com/trunksim/trunksim/karpenter"
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
//
// Deprecated: use Release.
type Preset = controller.Preset

// Release is a resource-controller release (controller.version).
type Release = controller.Release

// ReleaseDefaults is what differs between releases, declared once per
// release in package controller.
type ReleaseDefaults = controller.ReleaseDefaults

// The presets.
const (
	// PresetUpstream is the resource controller as released in v1.7.19.
	PresetUpstream = controller.PresetUpstream
	// PresetRaisedLimits is upstream with PR #675 applied.
	PresetRaisedLimits = controller.PresetRaisedLimits
)

// NodeDeletion is what the controller does with a deleted node's branch
// ENIs (Controller.NodeDeletion).
type NodeDeletion = controller.NodeDeletion

// The node deletions.
const (
	// NodeDeletionWipe deletes them all a minute later (master b8d4251).
	NodeDeletionWipe = controller.NodeDeletionWipe
	// NodeDeletionRelease leaves them to the cluster ENI cleaner, as every
	// release through v1.8.2 does.
	NodeDeletionRelease = controller.NodeDeletionRelease
)

// ParsePreset accepts "upstream" and "raised-limits".
func ParsePreset(s string) (Preset, error) {
	for _, p := range []Preset{PresetUpstream, PresetRaisedLimits} {
		if p.String() == s {
			return p, nil
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

// The CNI's vocabulary lives in package cni, a leaf that package reach
// shares without importing the simulator; the names below keep code
// written against sim compiling unchanged.

// EnforcingMode is the CNI's POD_SECURITY_GROUP_ENFORCING_MODE.
//
// Deprecated: use cni.EnforcingMode.
type EnforcingMode = cni.EnforcingMode

const (
	// Strict sends all branch pod traffic through the VPC (the CNI default).
	//
	// Deprecated: use cni.Strict.
	Strict = cni.Strict
	// Standard keeps node-local traffic on the node (CNI v1.11.0 and later).
	//
	// Deprecated: use cni.Standard.
	Standard = cni.Standard
)

// IPFamily is the cluster's IP family.
//
// Deprecated: use cni.IPFamily.
type IPFamily = cni.IPFamily

const (
	// IPv4 clusters (the default).
	//
	// Deprecated: use cni.IPv4.
	IPv4 = cni.IPv4
	// IPv6 clusters; branch ENIs for them need CNI v1.16.0 or later.
	//
	// Deprecated: use cni.IPv6.
	IPv6 = cni.IPv6
)

// Version is a CNI release as major.minor.patch. The zero Version means the
// newest behaviour modelled.
//
// Deprecated: use cni.Version.
type Version = cni.Version

// ParseVersion accepts "v1.20.4" or "1.20.4", as [cni.ParseVersion] does,
// but reports a bad release as a *ConfigError for field "CNI.Version",
// like every other configuration error of this package.
func ParseVersion(s string) (Version, error) {
	v, err := cni.ParseVersion(s)
	if err != nil {
		return Version{}, &ConfigError{Field: "CNI.Version", Value: s, Why: "want a release such as v1.20.4"}
	}
	return v, nil
}

// CNI releases whose behaviour the simulator distinguishes (cni-spec section 1).
var (
	// CNIPodENI is the first release with ENABLE_POD_ENI (CNI README).
	//
	// Deprecated: use cni.PodENI.
	CNIPodENI = cni.PodENI
	// CNIIPv6Branches is the first release that gives IPv6 pods branch ENIs.
	//
	// Deprecated: use cni.IPv6Branches.
	CNIIPv6Branches = cni.IPv6Branches
	// CNITrunkExcluded is the first release that keeps secondary IPs off the
	// trunk (PR #2801, pkg/ipamd/datastore/data_store.go).
	//
	// Deprecated: use cni.TrunkExcluded.
	CNITrunkExcluded = cni.TrunkExcluded
	// CNITrunkSlotHeld is the first release that holds an interface slot back
	// for the trunk only on trunk-capable types (PR #3250, pkg/ipamd/ipamd.go
	// hasRoomForEni).
	//
	// Deprecated: use cni.TrunkSlotHeld.
	CNITrunkSlotHeld = cni.TrunkSlotHeld
)

// Controller holds the resource controller's settings. Zero fields take the
// preset's value; every default is upstream's, cited on the field of
// controller.Config.
type Controller = controller.Config

// EC2 holds the fake EC2 API's settings (fakeec2.Config). Upstream
// publishes no call latencies, so Latency is an assumption, reported as
// one.
type EC2 = fakeec2.Config

// Kubelet holds the node side's retry timing.
type Kubelet struct {
	// RetryPeriod is the pod worker's back-off after a failed sandbox
	// creation (kubernetes pkg/kubelet/kubelet.go backOffPeriod: 10 s),
	// stretched by up to RetryJitter of itself (pod_workers.go
	// workerBackOffPeriodJitterFactor: 0.5), so retries come every 10-15 s.
	RetryPeriod time.Duration
	RetryJitter float64
	// BackOffOnly makes the kubelet wait out its back-off even when the
	// controller annotates the pod. By default it retries at once, as
	// upstream's does: the patch is a pod update to the kubelet (kubernetes
	// pkg/kubelet/config/config.go podsDifferSemantically compares
	// annotations), and UpdatePod (pkg/kubelet/pod_workers.go) wakes an
	// idle pod worker at once; the back-off only schedules the next resync.
	// BackOffOnly is how the simulator modelled the kubelet before; the
	// scenario key is syncOnAnnotation, true by default.
	BackOffOnly bool
	// SyncOnAnnotation has no effect: the kubelet syncs on the annotation
	// unless BackOffOnly is set.
	//
	// Deprecated: the wake-up is the default; set BackOffOnly for the
	// back-off alone.
	SyncOnAnnotation bool
	// AWSNodeLag is how long after the controller's patch aws-node sees the
	// annotation: ipamd's AddNetwork reads the pod from a controller-runtime
	// cache of the node's pods (CNI pkg/ipamd/rpc_handler.go, ipamd.go
	// GetPod, pkg/k8sapi/k8sutils.go), fed by a watch, not by a GET. A
	// sandbox attempt before then fails ("failed to get Branch ENI
	// resource") and the kubelet backs off again from that attempt
	// (pod_workers.go completeWork; util/queue/work_queue.go Enqueue
	// replaces the pending retry). The kubelet's own watch and the runtime's
	// steps before the ADD take no time here, so the lag is how much later
	// aws-node's watch delivers the patch than a woken kubelet reaches the
	// CNI. Zero means none. An assumption: upstream gives no figure.
	AWSNodeLag time.Duration
}

// CNI holds the aws-node settings that change what the controller sees.
//
// Deprecated: use cni.Config.
type CNI = cni.Config

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
	// forever. Zero means a budget that grows with the run: 50 million
	// events plus 1,000 for every pod and node created so far, so a
	// stream of ten million pods (about 25 events each) runs at stock
	// settings while a loop that makes events and no pods is still caught.
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
	// Karpenter holds Karpenter's settings, used once UseKarpenter is
	// called; its DaemonSetPods and Types are set from HostNetworkPods
	// and the newest release's table.
	Karpenter karpenter.Config
	// ClusterAutoscaler holds cluster-autoscaler's settings, used once
	// UseClusterAutoscaler is called.
	ClusterAutoscaler autoscaler.Config
}

// withDefaults returns c with zero fields filled in and validates it.
// The settings are the table's (settings.go); what is left here is what a
// scenario file does not write: the instance-type table, the run's
// bounds, the host-network pods and the faults.
func (c Config) withDefaults() (Config, error) {
	// A configuration that chooses neither a release nor a preset models
	// controller.DefaultRelease, the newest.
	//lint:ignore SA1019 the deprecated preset is still honoured for the files and programs that set it
	if c.Controller.Release == 0 && c.Controller.Preset == 0 {
		c.Controller.Release = controller.DefaultRelease
	}
	// The release (or the deprecated preset) decides the defaults that
	// differ between releases.
	modelled := c.Controller.Modelled()
	for i := range settingTable {
		settingTable[i].v.fill(&c, modelled.Defaults())
	}
	if c.Limits == nil {
		// The deprecated presets both ran on v1.7.19's table.
		table := controller.ReleaseV1_7_19
		if c.Controller.Release.IsValid() {
			table = c.Controller.Release
		}
		tbl, err := limits.ForRelease(table.String())
		if err != nil {
			return c, &ConfigError{"Controller.Release", c.Controller.Release, err.Error()}
		}
		c.Limits = tbl
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
		if err := f.Validate(); err != nil {
			return c, &ConfigError{fmt.Sprintf("EC2.Faults[%d]", i), f, err.Error()}
		}
	}
	c.Controller.CoolDown = trunk.ClampCoolDown(c.Controller.CoolDown)
	return c, nil
}

// positive reports whether x is a finite number above zero: NaN and the
// infinities would turn rates and delays into nonsense rather than errors.
func positive(x float64) bool { return x > 0 && !math.IsInf(x, 1) }

// Config returns the configuration s runs with, defaults filled in, so a
// caller can see what a release or preset chose (the instance table's
// Release among them). The faults slice is the caller's own.
func (s *Sim) Config() Config {
	c := s.cfg
	c.EC2.Faults = slices.Clone(c.EC2.Faults)
	return c
}
