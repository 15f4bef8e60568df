package limits_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/limits"
)

// Upstream: pkg/provider/branch/provider.go (IsInstanceSupported): supported
// means Linux, listed, and IsTrunkingCompatible.
func TestCanTrunkCompatibleLinuxNode(t *testing.T) {
	for _, name := range []string{"m5.large", "c5.xlarge", "c6g.medium", "m5.metal", "p5.48xlarge", "trn1.2xlarge"} {
		it, err := limits.Default().CanTrunk(name, limits.OSLinux)
		require.NoError(t, err, name)
		assert.Equal(t, name, it.Name)
	}
}

func TestCanTrunkRefusals(t *testing.T) {
	tests := []struct {
		name    string
		os      limits.OS
		reason  limits.Reason
		message string
	}{
		{"t3.large", limits.OSLinux, limits.ReasonBurstable,
			"limits: t3.large cannot hold a trunk ENI: burstable t3 family instances are not trunking compatible"},
		{"t4g.medium", limits.OSLinux, limits.ReasonBurstable,
			"limits: t4g.medium cannot hold a trunk ENI: burstable t4g family instances are not trunking compatible"},
		// t2 is both burstable and Xen; the family is the better explanation.
		{"t2.micro", limits.OSLinux, limits.ReasonBurstable,
			"limits: t2.micro cannot hold a trunk ENI: burstable t2 family instances are not trunking compatible"},
		{"m4.large", limits.OSLinux, limits.ReasonXen,
			"limits: m4.large cannot hold a trunk ENI: it runs on the Xen hypervisor, and trunk ENIs need the Nitro system"},
		{"c4.xlarge", limits.OSLinux, limits.ReasonXen,
			"limits: c4.xlarge cannot hold a trunk ENI: it runs on the Xen hypervisor, and trunk ENIs need the Nitro system"},
		{"u-6tb1.56xlarge", limits.OSLinux, limits.ReasonNotCompatible,
			"limits: u-6tb1.56xlarge cannot hold a trunk ENI: the instance type is not listed as trunking compatible"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			it, err := limits.Default().CanTrunk(tt.name, tt.os)
			assert.Equal(t, tt.name, it.Name, "a known type is returned even when it cannot trunk")
			require.ErrorIs(t, err, limits.ErrNotTrunkCompatible)
			assert.NotErrorIs(t, err, limits.ErrWindows)
			assert.NotErrorIs(t, err, limits.ErrUnknownType)
			var inel *limits.IneligibleError
			require.ErrorAs(t, err, &inel)
			assert.Equal(t, tt.name, inel.Type)
			assert.Equal(t, tt.os, inel.OS)
			assert.Equal(t, tt.reason, inel.Reason)
			assert.EqualError(t, err, tt.message)
		})
	}
}

// Upstream: pkg/config/loader.go (getDefaultResourceConfig: the pod-eni
// resource supports linux, not windows) and pkg/provider/branch/provider.go
// (IsInstanceSupported checks the OS before the type).
func TestWindowsNodesNeverTrunk(t *testing.T) {
	for _, name := range []string{"m5.large", "t3.large"} {
		it, err := limits.Default().CanTrunk(name, limits.OSWindows)
		assert.Equal(t, name, it.Name)
		require.ErrorIs(t, err, limits.ErrWindows)
		assert.NotErrorIs(t, err, limits.ErrNotTrunkCompatible)
		var inel *limits.IneligibleError
		require.ErrorAs(t, err, &inel)
		assert.Equal(t, limits.ReasonWindows, inel.Reason)
		assert.Equal(t, limits.OSWindows, inel.OS)
		assert.Contains(t, err.Error(), "Linux nodes only")
	}
}

// Upstream: pkg/aws/ec2/instance.go (LoadDetails fails with ErrNotFound for a
// type missing from Limits) and provider.go (found && compatible).
func TestUnknownTypeCannotTrunk(t *testing.T) {
	for _, os := range []limits.OS{limits.OSLinux, limits.OSWindows} {
		it, err := limits.Default().CanTrunk("m5.larg", os)
		assert.Zero(t, it)
		require.ErrorIs(t, err, limits.ErrUnknownType)
		assert.ErrorIs(t, err, limits.ErrNotTrunkCompatible)
		var inel *limits.IneligibleError
		require.ErrorAs(t, err, &inel)
		assert.Equal(t, limits.ReasonUnknownType, inel.Reason, "a misspelt name is reported before the OS")
		var unknown *limits.UnknownTypeError
		require.ErrorAs(t, err, &unknown)
		assert.Equal(t, []string{"m5.large"}, unknown.Suggestions)
		assert.EqualError(t, err, `limits: m5.larg cannot hold a trunk ENI: unknown instance type "m5.larg"; did you mean m5.large?`)
	}
	_, err := limits.Default().CanTrunk("", limits.OSLinux)
	assert.ErrorIs(t, err, limits.ErrUnknownType)
	assert.EqualError(t, err, `limits: "" cannot hold a trunk ENI: empty instance type name`)
}

func TestCanTrunkRejectsUndeclaredOS(t *testing.T) {
	_, err := limits.Default().CanTrunk("m5.large", 0)
	assert.ErrorIs(t, err, limits.ErrInvalidValue)
	assert.NotErrorIs(t, err, limits.ErrNotTrunkCompatible)
	it, err := limits.Default().Lookup("m5.large")
	require.NoError(t, err)
	assert.ErrorIs(t, it.CanTrunk(limits.OS(3)), limits.ErrInvalidValue)
}

// The compatibility flag is the authority: a what-if type marked compatible
// can trunk whatever its family or hypervisor.
func TestCompatibilityFlagDecides(t *testing.T) {
	it := validType("t9.large")
	it.Hypervisor = limits.HypervisorXen
	assert.NoError(t, it.CanTrunk(limits.OSLinux))
}

// Every refusal in the newest release's table has one of three
// explanations: 29 burstable types, 72 on Xen, and 2 simply not listed
// (u-6tb1.*); i4i.large, the third before v1.8.1, can trunk since.
func TestReasonsOverTheWholeTable(t *testing.T) {
	counts := map[limits.Reason]int{}
	var notListed []string
	for _, it := range limits.Default().All() {
		err := it.CanTrunk(limits.OSLinux)
		if it.TrunkingCompatible {
			assert.NoError(t, err, it.Name)
			continue
		}
		var inel *limits.IneligibleError
		require.ErrorAs(t, err, &inel, it.Name)
		counts[inel.Reason]++
		if inel.Reason == limits.ReasonNotCompatible {
			notListed = append(notListed, it.Name)
		}
		if inel.Reason == limits.ReasonXen {
			assert.Equal(t, limits.HypervisorXen, it.Hypervisor, it.Name)
		}
	}
	assert.Equal(t, map[limits.Reason]int{limits.ReasonBurstable: 29, limits.ReasonXen: 72, limits.ReasonNotCompatible: 2}, counts)
	assert.Equal(t, []string{"u-6tb1.112xlarge", "u-6tb1.56xlarge"}, notListed)
}

func TestReasonString(t *testing.T) {
	assert.Equal(t,
		[]string{"unknown-type", "burstable", "xen", "not-compatible", "windows", "Reason(0)"},
		[]string{
			limits.ReasonUnknownType.String(), limits.ReasonBurstable.String(), limits.ReasonXen.String(),
			limits.ReasonNotCompatible.String(), limits.ReasonWindows.String(), limits.Reason(0).String(),
		})
}
