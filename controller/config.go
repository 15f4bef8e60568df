package controller

import (
	"fmt"
	"time"
)

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

// NodeDeletion is what the controller does with a deleted node's branch
// ENIs.
type NodeDeletion uint8

const (
	// NodeDeletionWipe is master b8d4251 (PR #574, in no release): the
	// NodeDelete job deletes every branch of the trunk, in use or cooling,
	// without waiting out the cool-down, then drops the trunk from the
	// cache (provider.go DeleteNode, trunk.go DeleteAllBranchENIs).
	NodeDeletionWipe NodeDeletion = 1 + iota
	// NodeDeletionRelease is every release through v1.8.2: the NodeDelete
	// job only drops the trunk from the cache (provider.go DeleteNode), so
	// the branches, left available once the instance's trunk goes with it,
	// and those still cooling, are deleted by the cluster ENI cleaner
	// (pkg/aws/ec2/api/cleanup/eni_cleanup.go), which runs at start and
	// every 30 minutes and deletes an interface on its second sighting.
	NodeDeletionRelease
)

var nodeDeletionNames = [...]string{NodeDeletionWipe: "wipe", NodeDeletionRelease: "release"}

// String returns the name scenario files use.
func (d NodeDeletion) String() string {
	if d != 0 && int(d) < len(nodeDeletionNames) {
		return nodeDeletionNames[d]
	}
	return fmt.Sprintf("NodeDeletion(%d)", uint8(d))
}

// ParseNodeDeletion reads a NodeDeletion's name.
func ParseNodeDeletion(s string) (NodeDeletion, error) {
	for i, n := range nodeDeletionNames {
		if n != "" && n == s {
			return NodeDeletion(i), nil
		}
	}
	return 0, &SettingError{Field: "NodeDeletion", Value: s}
}

// Config holds the resource controller's settings. For the simulator, zero
// fields take the preset's value (sim.Config); New takes them as given.
// Every default is upstream's, cited on the field.
type Config struct {
	// Preset chooses the defaults below; zero means PresetUpstream.
	//
	// Deprecated: set Release instead; upstream is v1.7.19 and
	// raised-limits is v1.8.0's defaults. Release, when set, wins.
	Preset Preset
	// Release chooses the release whose defaults (and, in the simulator,
	// whose instance table) are modelled; zero leaves it to Preset.
	Release Release
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
	// APIServerQPS and APIServerBurst limit each of the Kubernetes
	// clients (main.go --apiserver-qps/burst: 20, 30): the clientset that
	// reads pods and writes events, and the manager's clients that patch
	// pods and nodes, each with a limiter of its own (see events.go).
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
	// NodeDeletion says what the NodeDelete job does NodeDeleteDelay after
	// a node is deleted. For the simulator zero means the release's
	// (ReleaseDefaults.NodeDeletion: NodeDeletionRelease for every
	// release, NodeDeletionWipe for master); New takes zero as
	// NodeDeletionWipe.
	NodeDeletion NodeDeletion
	// RestartSyncRace models the restart race of releases before v1.8.2:
	// the pod datastore's "synced" condition, which node reconciles wait
	// on, flips once the first LIST's resource version is known, before
	// the listed pods are in the datastore (controllers/custom/
	// custom_controller.go WaitForCacheSync, v1.8.1; fixed in v1.8.2 by
	// waiting on HasSynced, PRs #707/#709). Each node's first rebuild after
	// a restart then finds no pod claiming its branches, so it queues them
	// all for deletion after the cool-down, running pods' included.
	// Assumption: the datastore is empty at that moment, the worst case;
	// upstream gives no figure for how much of it is filled.
	RestartSyncRace bool
	// NodeEventInterval is how often a node's object changes when nothing
	// else happens to it: the kubelet reports its status at least every
	// nodeStatusReportFrequency (kubernetes pkg/kubelet/apis/config/v1beta1
	// defaults.go: 5 min). A node whose trunk init failed is initialised
	// again on the next such event (pkg/node/manager/manager.go, v1.8.2).
	// Zero means no retry but the resync's.
	NodeEventInterval time.Duration
	// GroupsPerInterface is the EC2 quota of security groups per interface
	// (5 by default, up to 16 when raised); more fails CreateNetworkInterface.
	GroupsPerInterface int
}

// validate names the first setting New cannot run with.
func (c *Config) validate() error {
	checks := []struct {
		bad   bool
		field string
		value any
	}{
		{!(c.UserClientQPS > 0), "UserClientQPS", c.UserClientQPS},
		{c.UserClientBurst < 1, "UserClientBurst", c.UserClientBurst},
		{!(c.InstanceClientQPS > 0) && !c.SharedEC2Client, "InstanceClientQPS", c.InstanceClientQPS},
		{c.InstanceClientBurst < 1 && !c.SharedEC2Client, "InstanceClientBurst", c.InstanceClientBurst},
		{!(c.APIServerQPS > 0), "APIServerQPS", c.APIServerQPS},
		{c.APIServerBurst < 1, "APIServerBurst", c.APIServerBurst},
		{c.BranchWorkers < 1, "BranchWorkers", c.BranchWorkers},
		{c.NodeWorkers < 1, "NodeWorkers", c.NodeWorkers},
		{c.MaxRetries < 0, "MaxRetries", c.MaxRetries},
		{c.CoolDown < 0, "CoolDown", c.CoolDown},
		{c.SweepInterval <= 0, "SweepInterval", c.SweepInterval},
		{c.Resync <= 0, "Resync", c.Resync},
		{c.NodeDeleteDelay < 0, "NodeDeleteDelay", c.NodeDeleteDelay},
		{c.NodeEventInterval < 0, "NodeEventInterval", c.NodeEventInterval},
		{c.GroupsPerInterface < 1, "GroupsPerInterface", c.GroupsPerInterface},
		{c.NodeDeletion > NodeDeletionRelease, "NodeDeletion", c.NodeDeletion},
	}
	for _, k := range checks {
		if k.bad {
			return &SettingError{Field: k.field, Value: k.value}
		}
	}
	return nil
}
