package controller

import (
	"fmt"
	"strings"
)

// Release is a resource-controller release the simulator models: its
// defaults ([Release.Defaults]) and, in package sim, its instance table.
// The zero value means none was chosen, so [Config.Preset] decides.
type Release uint8

// The releases, in version order, then master.
const (
	ReleaseV1_7_19 Release = 1 + iota
	ReleaseV1_7_20
	ReleaseV1_7_22
	ReleaseV1_7_23
	ReleaseV1_7_24
	ReleaseV1_7_25
	ReleaseV1_8_0
	ReleaseV1_8_1
	ReleaseV1_8_2
	// ReleaseMaster is master at commit b8d4251, which no release ships.
	ReleaseMaster
)

// DefaultRelease is the release a configuration that sets neither Release
// nor Preset models: the newest. When AWS ships a release, it gets a
// declaration below and this constant moves to it.
const DefaultRelease Release = ReleaseV1_8_2

// ReleaseDefaults is everything that differs between the releases the
// simulator models, declared once per release in releaseDefaults: the
// settings table takes its per-release defaults from here, and a
// behaviour switch that depends on the release is a field here.
type ReleaseDefaults struct {
	// Name is the release as scenario files and limits.ForRelease spell it.
	Name string
	// UserClientQPS, UserClientBurst and NodeWorkers are main.go's
	// --user-client-qps, --user-client-burst and --node-mgr-workers:
	// 12/18 and 10 up to v1.7.22, 24/36 and 20 from v1.7.23 (= v1.8.0,
	// PR #675 cherry-picked by #676).
	UserClientQPS   float64
	UserClientBurst int
	NodeWorkers     int
	// NodeDeletion is what the NodeDelete job a minute after a node is
	// removed does: master wipes every branch ENI of its trunk (PR #574);
	// every release only drops the trunk from the cache and leaves the
	// branches to the cluster ENI cleaner (pkg/provider/branch/provider.go
	// DeleteNode, pkg/aws/ec2/api/cleanup/eni_cleanup.go).
	NodeDeletion NodeDeletion
}

// releaseDefaults declares each release once.
var releaseDefaults = [...]ReleaseDefaults{
	ReleaseV1_7_19: {Name: "v1.7.19", UserClientQPS: 12, UserClientBurst: 18, NodeWorkers: 10, NodeDeletion: NodeDeletionRelease},
	ReleaseV1_7_20: {Name: "v1.7.20", UserClientQPS: 12, UserClientBurst: 18, NodeWorkers: 10, NodeDeletion: NodeDeletionRelease},
	ReleaseV1_7_22: {Name: "v1.7.22", UserClientQPS: 12, UserClientBurst: 18, NodeWorkers: 10, NodeDeletion: NodeDeletionRelease},
	ReleaseV1_7_23: {Name: "v1.7.23", UserClientQPS: 24, UserClientBurst: 36, NodeWorkers: 20, NodeDeletion: NodeDeletionRelease},
	ReleaseV1_7_24: {Name: "v1.7.24", UserClientQPS: 24, UserClientBurst: 36, NodeWorkers: 20, NodeDeletion: NodeDeletionRelease},
	ReleaseV1_7_25: {Name: "v1.7.25", UserClientQPS: 24, UserClientBurst: 36, NodeWorkers: 20, NodeDeletion: NodeDeletionRelease},
	ReleaseV1_8_0:  {Name: "v1.8.0", UserClientQPS: 24, UserClientBurst: 36, NodeWorkers: 20, NodeDeletion: NodeDeletionRelease},
	ReleaseV1_8_1:  {Name: "v1.8.1", UserClientQPS: 24, UserClientBurst: 36, NodeWorkers: 20, NodeDeletion: NodeDeletionRelease},
	ReleaseV1_8_2:  {Name: "v1.8.2", UserClientQPS: 24, UserClientBurst: 36, NodeWorkers: 20, NodeDeletion: NodeDeletionRelease},
	ReleaseMaster:  {Name: "master", UserClientQPS: 12, UserClientBurst: 18, NodeWorkers: 10, NodeDeletion: NodeDeletionWipe},
}

// presetRelease is the release each deprecated preset stands for.
var presetRelease = [...]Release{PresetUpstream: ReleaseV1_7_19, PresetRaisedLimits: ReleaseV1_8_0}

// Releases returns every release, in version order with master last.
func Releases() []Release {
	out := make([]Release, 0, len(releaseDefaults)-1)
	for r := ReleaseV1_7_19; int(r) < len(releaseDefaults); r++ {
		out = append(out, r)
	}
	return out
}

// String returns the release's name, such as "v1.8.2" or "master".
func (r Release) String() string {
	if r != 0 && int(r) < len(releaseDefaults) {
		return releaseDefaults[r].Name
	}
	return fmt.Sprintf("Release(%d)", uint8(r))
}

// IsValid reports whether r is one of the declared releases.
func (r Release) IsValid() bool { return r != 0 && int(r) < len(releaseDefaults) }

// Defaults returns the release's declaration; an invalid release gets
// v1.7.19's, which New never sees because the simulator refuses it.
func (r Release) Defaults() ReleaseDefaults {
	if !r.IsValid() {
		return releaseDefaults[ReleaseV1_7_19]
	}
	return releaseDefaults[r]
}

// ParseRelease parses a release's name. Anything else is an error that
// lists the known releases.
func ParseRelease(s string) (Release, error) {
	for _, r := range Releases() {
		if r.String() == s {
			return r, nil
		}
	}
	names := make([]string, 0, len(releaseDefaults))
	for _, r := range Releases() {
		names = append(names, r.String())
	}
	return 0, fmt.Errorf("unknown controller release %q (known: %s)", s, strings.Join(names, ", "))
}

// Release returns the release whose defaults the preset stands for:
// upstream is v1.7.19 and raised-limits is v1.8.0 (= v1.7.23), whose user
// client and node workers are those of PR #675. Zero (and an invalid
// preset) means upstream.
func (p Preset) Release() Release {
	if int(p) < len(presetRelease) && p != 0 {
		return presetRelease[p]
	}
	return ReleaseV1_7_19
}

// Modelled returns the release c's defaults come from: Release when set,
// else the preset's, else DefaultRelease.
func (c *Config) Modelled() Release {
	switch {
	case c.Release != 0:
		return c.Release
	case c.Preset != 0:
		return c.Preset.Release()
	}
	return DefaultRelease
}
