package trunk

import (
	"reflect"
	"slices"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/limits"
)

// tHelper is what the helpers need from *testing.T, *testing.B and
// *rapid.T alike.
type tHelper interface {
	require.TestingT
	Helper()
}

// testType is a trunking-compatible type with a small, chosen limit, for
// tests that fill a node.
func testType(limit int) limits.InstanceType {
	return limits.InstanceType{Name: "x9.test", Interfaces: 3, IPv4PerInterface: 10, TrunkingCompatible: true, BranchInterfaces: limit}
}

// newTrunk returns an empty trunk with the given limit.
func newTrunk(tb tHelper, limit int) *Trunk {
	tb.Helper()
	tr, err := New("node-1", testType(limit), limits.OSLinux)
	require.NoError(tb, err)
	return tr
}

// eni mints a test ENI ID.
func eni(n uint64) branch.ENIID { return branch.ENIIDFromUint64(n) }

// bindPod reserves and binds a branch for pod with ENI n and returns its
// VLAN.
func bindPod(tb tHelper, tr *Trunk, pod string, n uint64) branch.VLAN {
	tb.Helper()
	vlan, err := tr.Reserve(pod)
	require.NoError(tb, err)
	require.NoError(tb, tr.Bind(pod, eni(n), "trunk-assoc-"+pod))
	return vlan
}

// snapshot deep-copies the trunk's whole state.
func snapshot(tr *Trunk) *Trunk {
	c := *tr
	c.slots = slices.Clone(tr.slots)
	c.enis = slices.Clone(tr.enis)
	c.keys = slices.Clone(tr.keys)
	c.leaked = slices.Clone(tr.leaked)
	return &c
}

// stateDiff compares every field, unexported ones included.
func stateDiff(want, got *Trunk) string {
	return cmp.Diff(want, got, cmp.Exporter(func(reflect.Type) bool { return true }))
}

// requireUnchanged runs a call that must fail and asserts that the trunk's
// state is exactly what it was before; it returns the error.
func requireUnchanged(tb tHelper, tr *Trunk, call func() error) error {
	tb.Helper()
	before := snapshot(tr)
	err := call()
	require.Error(tb, err)
	require.Empty(tb, stateDiff(before, tr), "a failed call changed the trunk")
	require.NoError(tb, tr.Check())
	return err
}

// vlans lists the VLAN IDs of branches.
func vlans(bs []Branch) []branch.VLAN {
	out := make([]branch.VLAN, len(bs))
	for i, b := range bs {
		out[i] = b.VLAN
	}
	return out
}

// enis lists the ENI IDs of branches.
func enis(bs []Branch) []branch.ENIID {
	out := make([]branch.ENIID, len(bs))
	for i, b := range bs {
		out[i] = b.ENI
	}
	return out
}

const sec = time.Second

// vlanOf returns the VLAN ID of pod's in-use branch.
func vlanOf(tr *Trunk, pod string) branch.VLAN {
	v, ok := tr.podVLAN(pod)
	if !ok {
		panic("no branch for pod " + pod)
	}
	return v
}
