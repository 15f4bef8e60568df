package sim

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/trunksim/trunksim/autoscaler"
	"github.com/trunksim/trunksim/controller"
	"github.com/trunksim/trunksim/fakeec2"
	"github.com/trunksim/trunksim/karpenter"
	"github.com/trunksim/trunksim/trunk"
)

//go:generate go test -run ^TestSettingsReference$ -update

// Section is the part of a scenario file a setting is written in.
type Section uint8

const (
	// SectionTop is the top level of the file (seed, placement).
	SectionTop Section = 1 + iota
	// SectionController is the controller key: the resource controller.
	SectionController
	// SectionEC2 is the ec2 key: the fake EC2 API.
	SectionEC2
	// SectionKubelet is the kubelet key.
	SectionKubelet
	// SectionCNI is the cni key: aws-node's settings.
	SectionCNI
	// SectionKarpenter is the karpenter key: Karpenter's settings and the
	// times a node it launches takes to join, read only when a scenario
	// has NodePools ([Sim.UseKarpenter]).
	SectionKarpenter
	// SectionClusterAutoscaler is the clusterAutoscaler key:
	// cluster-autoscaler's settings, read only when a node group has
	// autoscaling ([Sim.UseClusterAutoscaler]).
	SectionClusterAutoscaler
)

var sectionNames = [...]string{SectionTop: "top level", SectionController: "controller", SectionEC2: "ec2", SectionKubelet: "kubelet", SectionCNI: "cni", SectionKarpenter: "karpenter", SectionClusterAutoscaler: "clusterAutoscaler"}

// String returns the section's key in a scenario file, such as
// "controller", or "top level" for SectionTop, which has none.
func (s Section) String() string {
	if s >= SectionTop && int(s) < len(sectionNames) {
		return sectionNames[s]
	}
	return fmt.Sprintf("Section(%d)", uint8(s))
}

// SettingKind is the type of a setting's value, which decides how it is
// written, read and bounded.
type SettingKind uint8

const (
	// KindDuration is a time.Duration, written as a Go duration ("90s").
	KindDuration SettingKind = 1 + iota
	// KindNumber is a float64 that must be finite and greater than zero.
	KindNumber
	// KindCount is an int.
	KindCount
	// KindBool is a bool.
	KindBool
	// KindEnum is one of a few names (see [Setting.Values]).
	KindEnum
	// KindVersion is a CNI release such as v1.20.4.
	KindVersion
	// KindSeed is a uint64 random seed.
	KindSeed
)

var kindNames = [...]string{KindDuration: "duration", KindNumber: "number", KindCount: "count", KindBool: "bool", KindEnum: "enum", KindVersion: "version", KindSeed: "seed"}

// String returns the kind as the settings reference names it, such as
// "duration".
func (k SettingKind) String() string {
	if k >= KindDuration && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("SettingKind(%d)", uint8(k))
}

// Setting describes one simulator setting: where a scenario file writes
// it, which Config field holds it, its default under each preset, the
// bound New enforces and what it means. [Settings] lists them all; the
// scenario format, sweeps, the report's assumptions and the settings
// reference (docs/settings.md) are derived from that list, so a setting
// is declared once.
type Setting struct {
	// Section and Name place the setting in a scenario file: Name is its
	// key within Section, such as "userClientQPS"; [Setting.Key] is the
	// whole path.
	Section Section
	Name    string
	// Field is the Config field's path as a [*ConfigError] names it, such
	// as "Controller.UserClientQPS".
	Field string
	// Unit says what a count or a number counts, such as "calls/s".
	Unit string
	// Doc says in a line what the setting is and where upstream's figure
	// comes from.
	Doc string
	// Assumption is set when upstream publishes no figure, so the default
	// is the simulator's own; the report's assumptions name its value.
	Assumption bool
	// Reach is set when the reachability check (package reach) judges the
	// setting too.
	Reach bool
	// Min and Max bound a count, or a duration in nanoseconds, as New
	// enforces them once defaults are filled in; Max 0 means no upper
	// bound.
	Min, Max int64

	v   value
	why string // the bound in ConfigError's words, when not the kind's usual ones
	// line is the report's assumption line this setting writes, and say
	// writes it; the line may name other settings of the same group.
	line reportLine
	say  func(*Config) string
}

// Key returns the setting's path in a scenario file, such as
// "controller.userClientQPS", or "seed" for one at the top level. It is
// also the key `trunksim sweep --set` takes.
func (s Setting) Key() string {
	if s.Section == SectionTop {
		return s.Name
	}
	return s.Section.String() + "." + s.Name
}

// Kind returns the type of the setting's value.
func (s Setting) Kind() SettingKind { return s.v.kind() }

// Bound says what New enforces, in the words of its [*ConfigError], such
// as "must be at least 1"; "" when every value is allowed.
func (s Setting) Bound() string {
	if s.why != "" {
		return s.why
	}
	switch s.Kind() {
	case KindNumber:
		return "must be a positive number"
	case KindCount, KindDuration:
		switch {
		case s.Min == 0:
			return "must not be negative"
		case s.Kind() == KindDuration:
			return "must be positive"
		}
		return fmt.Sprintf("must be at least %d", s.Min)
	}
	return ""
}

// Default returns the value New gives the setting under preset p, as a
// scenario file writes it, such as "12" or "1m0s"; "" for the CNI
// version, whose zero value means the newest behaviour modelled. Preset
// zero, no preset, gives controller.DefaultRelease's value.
func (s Setting) Default(p Preset) string {
	if p == 0 {
		return s.DefaultForRelease(controller.DefaultRelease)
	}
	return s.v.def(p.Release().Defaults())
}

// DefaultForRelease returns the value New gives the setting when
// controller.version is r.
func (s Setting) DefaultForRelease(r Release) string { return s.v.def(r.Defaults()) }

// Values returns an enum's names, the first being its default; nil for
// other kinds.
func (s Setting) Values() []string { return s.v.names() }

// Value returns the setting's value in c, of a type that depends on its
// kind: time.Duration, float64, int, bool, uint64 (a seed), or string (an
// enum's name or a version, "" for the zero value). A bool is as a
// scenario file writes it, so ec2.accountThrottling is true unless
// EC2.NoAccountThrottling is set.
func (s Setting) Value(c *Config) any { return s.v.get(c) }

// SetValue sets the setting in c to v, of the type Value returns. A value
// of another type, an unknown enum name (the empty one too) or a
// malformed version is a [*ConfigError]. It does not judge the bound: see
// [Setting.Check].
func (s Setting) SetValue(c *Config, v any) error {
	err := s.v.set(c, v)
	if err == nil {
		return nil
	}
	var ce *ConfigError
	if errors.As(err, &ce) {
		return err
	}
	return &ConfigError{s.Field, v, err.Error()}
}

// IsSet reports whether c sets the setting, that is whether its field is
// not the zero value New replaces with the default.
func (s Setting) IsSet(c *Config) bool { return s.v.isSet(c) }

// Check judges the setting's value in c as New does once the defaults
// are filled in: a [*ConfigError] naming Field and Bound when the value
// is out of bounds, nil otherwise.
func (s Setting) Check(c *Config) error {
	if s.v.bad(c, s.Min, s.Max) {
		return &ConfigError{s.Field, s.v.raw(c), s.Bound()}
	}
	return nil
}

// Settings returns every setting, in the order New checks them. The
// slice is the caller's.
func Settings() []Setting { return slices.Clone(settingTable[:]) }

// settingTable declares every setting once; it is never written. Its
// order is the order New fills in and judges them: the preset comes first
// because the other defaults depend on it, and the rest keep the order of
// checks New has always had, so the first bad field it names stays the
// same. Within a section it is the order of the scenario format.
var settingTable = [...]Setting{
	{Section: SectionController, Name: "preset", Field: "Controller.Preset", why: "unknown preset",
		Doc: "deprecated name for a controller release's defaults: upstream is version v1.7.19, raised-limits is v1.8.0's defaults (upstream PR #675) with v1.7.19's instance table; version wins",
		//lint:ignore SA1019 the deprecated preset is still honoured for the files and programs that set it
		v:    enum[Preset]{func(c *Config) *Preset { return &c.Controller.Preset }, []Preset{PresetUpstream, PresetRaisedLimits}},
		line: lineController, say: func(c *Config) string {
			ctl := &c.Controller
			if ctl.Release != 0 {
				return fmt.Sprintf("controller release %s (defaults and instance table): user client %v QPS burst %d, instance client %v QPS burst %d, %d node workers, %d branch workers, cool-down %v", ctl.Release, ctl.UserClientQPS, ctl.UserClientBurst, ctl.InstanceClientQPS, ctl.InstanceClientBurst, ctl.NodeWorkers, ctl.BranchWorkers, ctl.CoolDown)
			}
			//lint:ignore SA1019 the deprecated preset is still honoured for the files and programs that set it
			return fmt.Sprintf("controller preset %s: user client %v QPS burst %d, instance client %v QPS burst %d, %d branch workers, cool-down %v", ctl.Preset, ctl.UserClientQPS, ctl.UserClientBurst, ctl.InstanceClientQPS, ctl.InstanceClientBurst, ctl.BranchWorkers, ctl.CoolDown)
		}},
	{Section: SectionController, Name: "version", Field: "Controller.Release", why: "unknown controller release",
		Doc: "resource-controller release modelled, its defaults and its instance table (pkg/aws/vpc/limits.go of that release); master is commit b8d4251; unset keeps the preset",
		v:   releaseName{func(c *Config) *Release { return &c.Controller.Release }}},
	{Section: SectionController, Name: "userClientQPS", Field: "Controller.UserClientQPS", Unit: "calls/s",
		Doc: "rate of the EC2 user client, which makes every call but the trunk associations (main.go --user-client-qps)",
		v:   byRelease(func(c *Config) *float64 { return &c.Controller.UserClientQPS }, func(d ReleaseDefaults) float64 { return d.UserClientQPS })},
	{Section: SectionController, Name: "userClientBurst", Field: "Controller.UserClientBurst", Unit: "calls", Min: 1,
		Doc: "burst of the EC2 user client (main.go --user-client-burst)",
		v:   byRelease(func(c *Config) *int { return &c.Controller.UserClientBurst }, func(d ReleaseDefaults) int { return d.UserClientBurst })},
	{Section: SectionController, Name: "instanceClientQPS", Field: "Controller.InstanceClientQPS", Unit: "calls/s",
		Doc: "rate of the EC2 instance client, which makes Associate/DisassociateTrunkInterface (main.go --instance-client-qps)",
		v:   of(func(c *Config) *float64 { return &c.Controller.InstanceClientQPS }, 12)},
	{Section: SectionController, Name: "instanceClientBurst", Field: "Controller.InstanceClientBurst", Unit: "calls", Min: 1,
		Doc: "burst of the EC2 instance client (main.go --instance-client-burst)",
		v:   of(func(c *Config) *int { return &c.Controller.InstanceClientBurst }, 18)},
	{Section: SectionController, Name: "sharedEC2Client", Field: "Controller.SharedEC2Client",
		Doc: "one client at the user client's limits makes every call, as without --role-arn (pkg/aws/ec2/api/wrapper.go)",
		v:   toggle{at: func(c *Config) *bool { return &c.Controller.SharedEC2Client }}},
	{Section: SectionController, Name: "apiServerQPS", Field: "Controller.APIServerQPS", Unit: "calls/s",
		Doc: "rate of each Kubernetes client, each with its own limiter: the clientset (pod GET, event writes), the manager's for pods (annotation PATCH) and for nodes (capacity) (main.go --apiserver-qps)",
		v:   of(func(c *Config) *float64 { return &c.Controller.APIServerQPS }, 20)},
	{Section: SectionController, Name: "apiServerBurst", Field: "Controller.APIServerBurst", Unit: "calls", Min: 1,
		Doc: "burst of each Kubernetes client (main.go --apiserver-burst)",
		v:   of(func(c *Config) *int { return &c.Controller.APIServerBurst }, 30)},
	{Section: SectionController, Name: "branchWorkers", Field: "Controller.BranchWorkers", Unit: "workers", Min: 1,
		Doc: "branch provider workers (pkg/config/loader.go PodENIDefaultWorker)",
		v:   of(func(c *Config) *int { return &c.Controller.BranchWorkers }, 30)},
	{Section: SectionController, Name: "nodeWorkers", Field: "Controller.NodeWorkers", Unit: "workers", Min: 1,
		Doc: "node manager async workers (main.go --node-mgr-workers; 20 with upstream PR #675)",
		v:   byRelease(func(c *Config) *int { return &c.Controller.NodeWorkers }, func(d ReleaseDefaults) int { return d.NodeWorkers })},
	{Section: SectionController, Name: "maxRetries", Field: "Controller.MaxRetries", Unit: "retries",
		Doc: "requeues of a failed job before it waits for the resync (pkg/config/loader.go WorkQueueDefaultMaxRetries)",
		v:   of(func(c *Config) *int { return &c.Controller.MaxRetries }, 5)},
	{Section: SectionController, Name: "cooldown", Field: "Controller.CoolDown",
		Doc: "how long a released branch ENI is kept before deletion, at least 30s (pkg/provider/branch/cooldown/cooldown.go)",
		v:   of(func(c *Config) *time.Duration { return &c.Controller.CoolDown }, trunk.DefaultCoolDown)},
	{Section: SectionController, Name: "sweepInterval", Field: "Controller.SweepInterval", Min: 1,
		Doc: "how often each node's delete queue is processed (pkg/provider/branch/provider.go ProcessDeleteQueue)",
		v:   of(func(c *Config) *time.Duration { return &c.Controller.SweepInterval }, 30*time.Second)},
	{Section: SectionController, Name: "resync", Field: "Controller.Resync", Min: 1,
		Doc: "informer resync period that retries dropped pods (main.go syncPeriod)",
		v:   of(func(c *Config) *time.Duration { return &c.Controller.Resync }, 30*time.Minute)},
	{Section: SectionController, Name: "nodeDeleteDelay", Field: "Controller.NodeDeleteDelay",
		Doc: "how long after a node is deleted its branches are wiped (pkg/provider/branch/provider.go NodeDeleteRequeueRequestDelay)",
		v:   of(func(c *Config) *time.Duration { return &c.Controller.NodeDeleteDelay }, time.Minute)},
	{Section: SectionController, Name: "nodeEventInterval", Field: "Controller.NodeEventInterval", Min: 1,
		Doc: "how often a node's object changes with nothing else happening, the kubelet's status report (kubernetes nodeStatusReportFrequency); a node whose trunk init failed is initialised again on the next one (pkg/node/manager/manager.go)",
		v:   of(func(c *Config) *time.Duration { return &c.Controller.NodeEventInterval }, 5*time.Minute)},
	{Section: SectionController, Name: "nodeDeletion", Field: "Controller.NodeDeletion",
		Doc: "what the NodeDelete job does a nodeDeleteDelay after a node is deleted: wipe deletes every branch on its trunk (master b8d4251, PR #574, in no release); release only drops the trunk from the cache, as every release through v1.8.2 does (pkg/provider/branch/provider.go DeleteNode), leaving the branches to the cluster ENI cleaner, which deletes an available interface on its second sighting, 30 min apart (pkg/aws/ec2/api/cleanup/eni_cleanup.go)",
		v: releaseEnum[controller.NodeDeletion]{enum[controller.NodeDeletion]{func(c *Config) *controller.NodeDeletion { return &c.Controller.NodeDeletion }, []controller.NodeDeletion{controller.NodeDeletionWipe, controller.NodeDeletionRelease}},
			func(d ReleaseDefaults) controller.NodeDeletion { return d.NodeDeletion }}},
	{Section: SectionController, Name: "restartSyncRace", Field: "Controller.RestartSyncRace",
		Doc: "the restart race of releases before v1.8.2 (controllers/custom/custom_controller.go WaitForCacheSync; fixed by PRs #707/#709): each node's first rebuild after a restart sees no pods, so running pods' branches are queued for deletion; the empty datastore is an assumption (the worst case)",
		v:   toggle{at: func(c *Config) *bool { return &c.Controller.RestartSyncRace }}},
	{Section: SectionController, Name: "groupsPerInterface", Field: "Controller.GroupsPerInterface", Unit: "groups", Min: 1, Max: 16, why: "EC2 allows 1 to 16", Reach: true,
		Doc: "EC2 quota of security groups per interface (5 by default, up to 16 when raised)",
		v:   of(func(c *Config) *int { return &c.Controller.GroupsPerInterface }, 5)},

	{Section: SectionEC2, Name: "latency", Field: "EC2.Latency", Assumption: true,
		Doc:  "how long every EC2 call takes once past the client's rate limiter (RC#124 reports about 1s for a whole branch creation)",
		v:    of(func(c *Config) *time.Duration { return &c.EC2.Latency }, fakeec2.DefaultLatency),
		line: lineEC2Latency, say: func(c *Config) string {
			return fmt.Sprintf("EC2 call latency %v per call (assumption: upstream publishes none)", c.EC2.Latency)
		}},
	{Section: SectionEC2, Name: "attachDelay", Field: "EC2.AttachDelay", Assumption: true,
		Doc:  "how long a new trunk takes to reach attached; the controller polls at 1s doubling (pkg/aws/ec2/api/helper.go)",
		v:    of(func(c *Config) *time.Duration { return &c.EC2.AttachDelay }, fakeec2.DefaultAttachDelay),
		line: lineAttachDelay, say: func(c *Config) string {
			return fmt.Sprintf("new trunk attaches %v after AttachNetworkInterface (assumption)", c.EC2.AttachDelay)
		}},
	{Section: SectionEC2, Name: "accountThrottling", Field: "EC2.NoAccountThrottling",
		Doc:  "EC2's account-side token buckets; false leaves only the controller's own client limits",
		v:    toggle{at: func(c *Config) *bool { return &c.EC2.NoAccountThrottling }, negated: true},
		line: lineAccountThrottling, say: func(c *Config) string {
			e := &c.EC2
			return fmt.Sprintf("EC2 account throttling: %v (mutating bucket %d refill %v/s; describe bucket %d refill %v/s, as quoted in upstream PR #675)", !e.NoAccountThrottling, e.MutatingBucket, e.MutatingRefill, e.DescribeBucket, e.DescribeRefill)
		}},
	{Section: SectionEC2, Name: "mutatingBucket", Field: "EC2.MutatingBucket", Unit: "tokens", Min: 1,
		Doc: "EC2's token bucket per mutating action (EC2 API request throttling, as quoted in upstream PR #675)",
		v:   of(func(c *Config) *int { return &c.EC2.MutatingBucket }, fakeec2.DefaultMutatingBucket)},
	{Section: SectionEC2, Name: "mutatingRefill", Field: "EC2.MutatingRefill", Unit: "tokens/s",
		Doc: "refill rate of the mutating bucket",
		v:   of(func(c *Config) *float64 { return &c.EC2.MutatingRefill }, fakeec2.DefaultMutatingRefill)},
	{Section: SectionEC2, Name: "describeBucket", Field: "EC2.DescribeBucket", Unit: "tokens", Min: 1,
		Doc: "EC2's token bucket per Describe action",
		v:   of(func(c *Config) *int { return &c.EC2.DescribeBucket }, fakeec2.DefaultDescribeBucket)},
	{Section: SectionEC2, Name: "describeRefill", Field: "EC2.DescribeRefill", Unit: "tokens/s",
		Doc: "refill rate of the Describe bucket",
		v:   of(func(c *Config) *float64 { return &c.EC2.DescribeRefill }, fakeec2.DefaultDescribeRefill)},
	{Section: SectionEC2, Name: "maxAttempts", Field: "EC2.MaxAttempts", Unit: "attempts", Min: 1,
		Doc: "the SDK standard retryer's attempts per call (pkg/aws/ec2/api/wrapper.go MaxRetries)",
		v:   of(func(c *Config) *int { return &c.EC2.MaxAttempts }, fakeec2.DefaultMaxAttempts)},

	{Section: SectionKubelet, Name: "retryPeriod", Field: "Kubelet.RetryPeriod", Min: int64(time.Second), why: "must be at least 1s: the kubelet's pod workers resync once a second, and a shorter back-off only spins the simulation",
		Doc:  "the pod worker's back-off after a failed sandbox creation (kubernetes pkg/kubelet/kubelet.go backOffPeriod)",
		v:    of(func(c *Config) *time.Duration { return &c.Kubelet.RetryPeriod }, 10*time.Second),
		line: lineKubeletRetry, say: func(c *Config) string {
			k := &c.Kubelet
			return fmt.Sprintf("kubelet retries a failed sandbox every %v stretched by up to %.0f%% (kubelet backOffPeriod and jitter); sync on annotation: %v", k.RetryPeriod, k.RetryJitter*100, !k.BackOffOnly) + awsNodeLagSaid(k.AWSNodeLag)
		}},
	{Section: SectionKubelet, Name: "retryJitter", Field: "Kubelet.RetryJitter", Unit: "of the period",
		Doc: "how far each back-off is stretched at most (pod_workers.go workerBackOffPeriodJitterFactor)",
		v:   of(func(c *Config) *float64 { return &c.Kubelet.RetryJitter }, 0.5)},
	{Section: SectionKubelet, Name: "syncOnAnnotation", Field: "Kubelet.BackOffOnly",
		Doc: "the kubelet retries as soon as the pod is annotated instead of waiting out its back-off, as upstream does (kubernetes pkg/kubelet/config/config.go podsDifferSemantically, pod_workers.go UpdatePod); false waits out the 10-15s back-off, as the simulator did before",
		v:   toggle{at: func(c *Config) *bool { return &c.Kubelet.BackOffOnly }, negated: true}},
	{Section: SectionKubelet, Name: "awsNodeLag", Field: "Kubelet.AWSNodeLag", Assumption: true,
		Doc: "how long after the controller's patch aws-node's pod cache holds the pod-eni annotation; a sandbox attempt before then fails (CNI pkg/ipamd/rpc_handler.go reads the cache)",
		v:   of(func(c *Config) *time.Duration { return &c.Kubelet.AWSNodeLag }, 0)},

	{Section: SectionCNI, Name: "enablePodENI", Field: "CNI.DisablePodENI", Reach: true,
		Doc: "ENABLE_POD_ENI; false shows a cluster that forgot it: no node asks for a trunk",
		v:   toggle{at: func(c *Config) *bool { return &c.CNI.DisablePodENI }, negated: true}},
	{Section: SectionCNI, Name: "enforcingMode", Field: "CNI.EnforcingMode", why: "want Strict or Standard", Reach: true,
		Doc: "POD_SECURITY_GROUP_ENFORCING_MODE",
		v:   enum[EnforcingMode]{func(c *Config) *EnforcingMode { return &c.CNI.EnforcingMode }, []EnforcingMode{Strict, Standard}}},
	{Section: SectionCNI, Name: "disableTCPEarlyDemux", Field: "CNI.DisableTCPEarlyDemux", Reach: true,
		Doc: "DISABLE_TCP_EARLY_DEMUX, which kubelet TCP probes of branch pods need in strict mode",
		v:   toggle{at: func(c *Config) *bool { return &c.CNI.DisableTCPEarlyDemux }}},
	{Section: SectionCNI, Name: "version", Field: "CNI.Version", why: "security groups for pods need CNI " + CNIPodENI.String() + " or later", Reach: true,
		Doc: "the CNI release; older releases behave as they did (default: the newest behaviour)",
		v:   release{func(c *Config) *Version { return &c.CNI.Version }, CNIPodENI}},
	{Section: SectionCNI, Name: "ipFamily", Field: "CNI.IPFamily", why: "want IPv4 or IPv6", Reach: true,
		Doc: "the cluster's IP family; IPv6 branch pods need CNI v1.16.0 or later",
		v:   enum[IPFamily]{func(c *Config) *IPFamily { return &c.CNI.IPFamily }, []IPFamily{IPv4, IPv6}}},
	{Section: SectionCNI, Name: "customNetworking", Field: "CNI.CustomNetworking",
		Doc: "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG (ENIConfig): the primary ENI carries no pod IPs (pkg/ipamd/datastore/data_store.go GetAllocatableENIs); IPv4 only",
		v:   toggle{at: func(c *Config) *bool { return &c.CNI.CustomNetworking }}},
	{Section: SectionCNI, Name: "prefixDelegation", Field: "CNI.PrefixDelegation",
		Doc: "ENABLE_PREFIX_DELEGATION: each ENI address slot holds a /28 of 16 pod IPs on Nitro and metal types, from CNI v1.9.0 (pkg/ipamd/ipamd.go GetIPv4Limit)",
		v:   toggle{at: func(c *Config) *bool { return &c.CNI.PrefixDelegation }}},

	{Section: SectionCNI, Name: "maxENI", Field: "CNI.MaxENI", Unit: "interfaces", Min: -1,
		Doc: "MAX_ENI: the most interfaces aws-node uses on a node when below the type's limit (pkg/ipamd/ipamd.go getMaxENI); 0 or the CNI's default -1 leaves it unset; 1 leaves no slot for a trunk, so aws-node never asks for one (tryEnableSecurityGroupsForPods)",
		v:   of(func(c *Config) *int { return &c.CNI.MaxENI }, 0)},

	{Section: SectionKarpenter, Name: "batchIdleDuration", Field: "Karpenter.BatchIdle", Min: 1,
		Doc: "BATCH_IDLE_DURATION: a batching window closes once no new pod has come for this long (karpenter pkg/operator/options/options.go)",
		v:   of(func(c *Config) *time.Duration { return &c.Karpenter.BatchIdle }, karpenter.DefaultBatchIdle)},
	{Section: SectionKarpenter, Name: "batchMaxDuration", Field: "Karpenter.BatchMax", Min: 1,
		Doc: "BATCH_MAX_DURATION: a batching window closes this long after it opened (karpenter pkg/operator/options/options.go)",
		v:   of(func(c *Config) *time.Duration { return &c.Karpenter.BatchMax }, karpenter.DefaultBatchMax)},
	{Section: SectionKarpenter, Name: "reservedENIs", Field: "Karpenter.ReservedENIs", Unit: "interfaces",
		Doc: "RESERVED_ENIS: interfaces left out of the max pods Karpenter writes for a node; its docs advise 1 with security groups for pods (karpenter-provider-aws pkg/operator/options/options.go)",
		v:   of(func(c *Config) *int { return &c.Karpenter.ReservedENIs }, 0)},
	{Section: SectionKarpenter, Name: "launchTime", Field: "Karpenter.Launch", Min: 1, Assumption: true,
		Doc:  "from a batch's close to its NodeClaims launched (aws/karpenter-provider-aws#6128: about 1s after the pod was seen)",
		v:    of(func(c *Config) *time.Duration { return &c.Karpenter.Launch }, karpenter.DefaultLaunch),
		line: lineKarpenter, say: func(c *Config) string {
			k := &c.Karpenter
			return fmt.Sprintf("a node Karpenter launches is launched %v after its batch closes, registers %v later and has aws-node up %v after that (assumptions: the NodeClaim example of Karpenter's docs); Karpenter's pods ask for no CPU or memory, so nodes are sized by pod slots and pod-eni; consolidation deletes nodes but never replaces one with a cheaper one, and zones are not modelled", k.Launch, k.Registration, k.Startup)
		}},
	{Section: SectionKarpenter, Name: "registrationTime", Field: "Karpenter.Registration", Min: 1, Assumption: true,
		Doc: "from launch to the node registered (the Launched-to-Registered time of the NodeClaim example in Karpenter's docs, concepts/nodeclaims.md)",
		v:   of(func(c *Config) *time.Duration { return &c.Karpenter.Registration }, karpenter.DefaultRegistration)},
	{Section: SectionKarpenter, Name: "startupTime", Field: "Karpenter.Startup", Min: 1, Assumption: true,
		Doc: "from registration to aws-node up and asking for a trunk, when the node joins (the example's Registered-to-Initialized time)",
		v:   of(func(c *Config) *time.Duration { return &c.Karpenter.Startup }, karpenter.DefaultStartup)},

	{Section: SectionClusterAutoscaler, Name: "scanInterval", Field: "ClusterAutoscaler.ScanInterval", Min: 1,
		Doc: "--scan-interval: how often unschedulable pods are looked at (cluster-autoscaler config/flags/flags.go)",
		v:   of(func(c *Config) *time.Duration { return &c.ClusterAutoscaler.ScanInterval }, autoscaler.DefaultScanInterval)},
	{Section: SectionClusterAutoscaler, Name: "nodeStartupTime", Field: "ClusterAutoscaler.NodeStartup", Min: 1, Assumption: true,
		Doc:  "from a scale-up to the node joined with aws-node up (aws/karpenter-provider-aws#3102: about 70s for a node of a cluster-autoscaler group)",
		v:    of(func(c *Config) *time.Duration { return &c.ClusterAutoscaler.NodeStartup }, autoscaler.DefaultNodeStartup),
		line: lineAutoscaler, say: func(c *Config) string {
			return fmt.Sprintf("a node cluster-autoscaler asks for joins %v later (assumption); only empty nodes are scaled down, and the group that needs the fewest nodes is grown, as the model's pods ask for no CPU or memory", c.ClusterAutoscaler.NodeStartup)
		}},
	{Section: SectionClusterAutoscaler, Name: "scaleDownUnneededTime", Field: "ClusterAutoscaler.ScaleDownUnneeded", Min: 1,
		Doc: "--scale-down-unneeded-time: how long a node must be unneeded before it is removed (cluster-autoscaler config/flags/flags.go)",
		v:   of(func(c *Config) *time.Duration { return &c.ClusterAutoscaler.ScaleDownUnneeded }, autoscaler.DefaultScaleDownUnneeded)},
	{Section: SectionClusterAutoscaler, Name: "scaleDownDelayAfterAdd", Field: "ClusterAutoscaler.ScaleDownDelayAfterAdd", Min: 1,
		Doc: "--scale-down-delay-after-add: no scale-down for this long after a scale-up (cluster-autoscaler config/flags/flags.go)",
		v:   of(func(c *Config) *time.Duration { return &c.ClusterAutoscaler.ScaleDownDelayAfterAdd }, autoscaler.DefaultScaleDownDelayAfterAdd)},

	{Section: SectionTop, Name: "seed", Field: "Seed",
		Doc: "drives every random choice of a run (jitter, fault draws)",
		v:   of(func(c *Config) *uint64 { return &c.Seed }, 0)},
	{Section: SectionTop, Name: "placement", Field: "Placement", why: "want LeastAllocated or MostAllocated",
		Doc: "how pods are spread over the nodes that fit them (least-allocated is kube-scheduler's default scoring)",
		v:   enum[Placement]{func(c *Config) *Placement { return &c.Placement }, []Placement{LeastAllocated, MostAllocated}}},
}

// value is the typed half of a Setting: where its field is, its default,
// and how it reads and writes.
type value interface {
	kind() SettingKind
	fill(c *Config, d ReleaseDefaults) // sets the default when the field is zero
	def(d ReleaseDefaults) string
	names() []string
	get(c *Config) any
	set(c *Config, v any) error
	isSet(c *Config) bool
	raw(c *Config) any                  // the field's value, for a ConfigError
	bad(c *Config, min, max int64) bool // whether the value breaks the bound
}

// numeric are the Go types of durations, numbers, counts and seeds.
type numeric interface {
	time.Duration | float64 | int | uint64
}

// scalar is a numeric field with a fixed default, or one each release
// declares (controller.ReleaseDefaults).
type scalar[T numeric] struct {
	at    func(*Config) *T
	fixed T
	pick  func(ReleaseDefaults) T // nil for a fixed default
}

func of[T numeric](at func(*Config) *T, v T) scalar[T] { return scalar[T]{at: at, fixed: v} }

// byRelease takes the default from the release's declaration.
func byRelease[T numeric](at func(*Config) *T, pick func(ReleaseDefaults) T) scalar[T] {
	return scalar[T]{at: at, pick: pick}
}

func (f scalar[T]) kind() SettingKind {
	switch any(f.fixed).(type) {
	case time.Duration:
		return KindDuration
	case float64:
		return KindNumber
	case int:
		return KindCount
	}
	return KindSeed
}

func (f scalar[T]) defFor(d ReleaseDefaults) T {
	if f.pick != nil {
		return f.pick(d)
	}
	return f.fixed
}

func (f scalar[T]) fill(c *Config, d ReleaseDefaults) {
	if v := f.at(c); *v == 0 {
		*v = f.defFor(d)
	}
}

func (f scalar[T]) def(d ReleaseDefaults) string {
	switch v := any(f.defFor(d)).(type) {
	case time.Duration:
		return v.String()
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	return fmt.Sprint(f.defFor(d))
}

func (scalar[T]) names() []string { return nil }

func (f scalar[T]) get(c *Config) any { return *f.at(c) }

func (f scalar[T]) set(c *Config, v any) error {
	x, ok := v.(T)
	if !ok {
		return fmt.Errorf("want a %T, got a %T", x, v)
	}
	*f.at(c) = x
	return nil
}

func (f scalar[T]) isSet(c *Config) bool { return *f.at(c) != 0 }

func (f scalar[T]) raw(c *Config) any { return *f.at(c) }

func (f scalar[T]) bad(c *Config, min, max int64) bool {
	v := *f.at(c)
	switch f.kind() {
	case KindNumber:
		return !positive(float64(v))
	case KindCount, KindDuration:
		return int64(v) < min || max != 0 && int64(v) > max
	}
	return false
}

// toggle is a bool field. When negated, the file's key says the opposite
// of the field (ec2.accountThrottling is EC2.NoAccountThrottling), so the
// key is true by default.
type toggle struct {
	at      func(*Config) *bool
	negated bool
}

func (toggle) kind() SettingKind              { return KindBool }
func (toggle) fill(*Config, ReleaseDefaults)  {}
func (f toggle) def(ReleaseDefaults) string   { return strconv.FormatBool(f.negated) }
func (toggle) names() []string                { return nil }
func (f toggle) get(c *Config) any            { return *f.at(c) != f.negated }
func (f toggle) isSet(c *Config) bool         { return *f.at(c) }
func (f toggle) raw(c *Config) any            { return *f.at(c) }
func (toggle) bad(*Config, int64, int64) bool { return false }

func (f toggle) set(c *Config, v any) error {
	b, ok := v.(bool)
	if !ok {
		return fmt.Errorf("want a bool, got a %T", v)
	}
	*f.at(c) = b != f.negated
	return nil
}

// releaseEnum is an enum whose default is the release's.
type releaseEnum[E interface {
	~uint8
	fmt.Stringer
}] struct {
	enum[E]
	pick func(ReleaseDefaults) E
}

func (f releaseEnum[E]) fill(c *Config, d ReleaseDefaults) {
	if v := f.at(c); *v == 0 {
		*v = f.pick(d)
	}
}

func (f releaseEnum[E]) def(d ReleaseDefaults) string { return f.pick(d).String() }

// enum is a field of one of the simulator's enumerations, which start at
// 1; values lists them all, the default first.
type enum[E interface {
	~uint8
	fmt.Stringer
}] struct {
	at     func(*Config) *E
	values []E
}

func (enum[E]) kind() SettingKind { return KindEnum }

func (f enum[E]) fill(c *Config, _ ReleaseDefaults) {
	if v := f.at(c); *v == 0 {
		*v = f.values[0]
	}
}

func (f enum[E]) def(ReleaseDefaults) string { return f.values[0].String() }

func (f enum[E]) names() []string {
	names := make([]string, len(f.values))
	for i, v := range f.values {
		names[i] = v.String()
	}
	return names
}

func (f enum[E]) get(c *Config) any {
	if v := *f.at(c); v != 0 {
		return v.String()
	}
	return ""
}

func (f enum[E]) set(c *Config, v any) error {
	name, ok := v.(string)
	if !ok {
		return fmt.Errorf("want a string, got a %T", v)
	}
	for _, e := range f.values {
		if e.String() == name {
			*f.at(c) = e
			return nil
		}
	}
	names := f.names()
	return errors.New("want " + strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1])
}

func (f enum[E]) isSet(c *Config) bool { return *f.at(c) != 0 }

func (f enum[E]) raw(c *Config) any { return *f.at(c) }

func (f enum[E]) bad(c *Config, _, _ int64) bool { return *f.at(c) > f.values[len(f.values)-1] }

// release is the CNI version field; its zero value means the newest
// behaviour, and a release older than min is refused.
type release struct {
	at  func(*Config) *Version
	min Version
}

func (release) kind() SettingKind             { return KindVersion }
func (release) fill(*Config, ReleaseDefaults) {}
func (release) def(ReleaseDefaults) string    { return "" }
func (release) names() []string               { return nil }

func (f release) get(c *Config) any {
	if v := *f.at(c); v != (Version{}) {
		return v.String()
	}
	return ""
}

func (f release) set(c *Config, v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("want a string, got a %T", v)
	}
	ver, err := ParseVersion(s)
	if err != nil {
		return err
	}
	*f.at(c) = ver
	return nil
}

func (f release) isSet(c *Config) bool { return *f.at(c) != (Version{}) }

func (f release) raw(c *Config) any { return *f.at(c) }

func (f release) bad(c *Config, _, _ int64) bool {
	v := *f.at(c)
	return v != (Version{}) && !v.AtLeast(f.min)
}

// releaseName is the controller release field: an enum of the releases
// whose zero value means "leave it to the preset", so it has no default
// to fill in.
type releaseName struct {
	at func(*Config) *Release
}

func (releaseName) kind() SettingKind             { return KindEnum }
func (releaseName) fill(*Config, ReleaseDefaults) {}
func (releaseName) def(ReleaseDefaults) string {
	if controller.DefaultRelease.IsValid() {
		return controller.DefaultRelease.String()
	}
	return ""
}
func (f releaseName) isSet(c *Config) bool { return *f.at(c) != 0 }
func (f releaseName) raw(c *Config) any    { return *f.at(c) }
func (f releaseName) bad(c *Config, _, _ int64) bool {
	v := *f.at(c)
	return v != 0 && !v.IsValid()
}

func (releaseName) names() []string {
	var names []string
	for _, r := range controller.Releases() {
		names = append(names, r.String())
	}
	return names
}

func (f releaseName) get(c *Config) any {
	if v := *f.at(c); v != 0 {
		return v.String()
	}
	return ""
}

func (f releaseName) set(c *Config, v any) error {
	name, ok := v.(string)
	if !ok {
		return fmt.Errorf("want a string, got a %T", v)
	}
	r, err := controller.ParseRelease(name)
	if err != nil {
		return err
	}
	*f.at(c) = r
	return nil
}

// awsNodeLagSaid is the kubelet line's words for aws-node's lag, none
// when there is no lag, so reports without one read as they always did.
func awsNodeLagSaid(lag time.Duration) string {
	if lag == 0 {
		return ""
	}
	return fmt.Sprintf("; aws-node sees the annotation %v after the patch (assumption: upstream gives no figure)", lag)
}
