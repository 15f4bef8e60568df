package fakeec2_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/fakeec2"
)

var (
	sgKnown   = branch.MustParseSecurityGroupID("sg-0a000001")
	sgUnknown = branch.MustParseSecurityGroupID("sg-0a000002")
)

func newEC2(t *testing.T) *fakeec2.EC2 {
	t.Helper()
	e, err := fakeec2.New(fakeec2.Config{NoAccountThrottling: true}, rand.New(rand.NewPCG(1, 2)))
	require.NoError(t, err)
	return e
}

func createBranch(e *fakeec2.EC2, groups ...branch.SecurityGroupID) (branch.ENIID, error) {
	return e.CreateNetworkInterface(time.Second, fakeec2.BranchInterface, "node-1", branch.ENIID{},
		branch.NewGroupSet(groups...), 1, 5)
}

// Upstream: EC2 API reference, "Error codes for the Amazon EC2 API":
// InvalidSecurityGroupID.NotFound, the specified security group does not
// exist. CreateNetworkInterface with such a group creates nothing, and
// the answer names the group as a typed field, so callers need not
// compare codes.
func TestCreateNetworkInterfaceWithAGroupThatDoesNotExistIsNotFound(t *testing.T) {
	e := newEC2(t)
	require.NoError(t, e.AddSecurityGroup(sgKnown))
	_, err := createBranch(e, sgKnown, sgUnknown)
	require.ErrorIs(t, err, fakeec2.ErrEC2)
	ae := fakeec2.AsAPIError(err)
	require.NotNil(t, ae)
	assert.Equal(t, fakeec2.CodeSecurityGroupNotFound, ae.Code)
	assert.False(t, ae.Retryable(), "the SDK does not retry it; the controller's workqueue does")
	id, ok := ae.MissingGroup()
	assert.True(t, ok)
	assert.Equal(t, sgUnknown, id)
	assert.Contains(t, err.Error(), "sg-0a000002")
	assert.Equal(t, 0, e.Len(), "a refused call creates nothing")
	assert.Equal(t, 1, e.Errors())

	eni, err := createBranch(e, sgKnown)
	require.NoError(t, err)
	assert.True(t, eni.IsValid())
}

// An EC2 that was told of no group takes every group to exist, as the
// simulator always did; other answers name no group.
func TestEC2WithNoGroupsDeclaredTakesEveryGroupToExist(t *testing.T) {
	e := newEC2(t)
	assert.True(t, e.GroupExists(sgUnknown))
	_, err := createBranch(e, sgUnknown)
	require.NoError(t, err)

	many := make([]branch.SecurityGroupID, 6)
	for i := range many {
		many[i] = branch.MustParseSecurityGroupID("sg-0b00000" + string(rune('1'+i)))
	}
	_, err = createBranch(e, many...)
	ae := fakeec2.AsAPIError(err)
	require.NotNil(t, ae)
	assert.Equal(t, fakeec2.CodeTooManyGroups, ae.Code)
	_, ok := ae.MissingGroup()
	assert.False(t, ok)
}

// A group that does not exist is named even when there are also too many:
// the groups are looked up first (an assumption; EC2 documents no order),
// as the reachability check reports it.
func TestMissingGroupIsReportedBeforeTooManyGroups(t *testing.T) {
	e := newEC2(t)
	many := []branch.SecurityGroupID{sgUnknown}
	for i := range 5 {
		id := branch.MustParseSecurityGroupID("sg-0c00000" + string(rune('1'+i)))
		require.NoError(t, e.AddSecurityGroup(id))
		many = append(many, id)
	}
	_, err := createBranch(e, many...)
	id, ok := fakeec2.AsAPIError(err).MissingGroup()
	assert.True(t, ok)
	assert.Equal(t, sgUnknown, id)
	require.ErrorIs(t, e.AddSecurityGroup(branch.SecurityGroupID{}), branch.ErrMalformedID)
}

// Upstream: EC2 API reference, "Error codes for the Amazon EC2 API":
// InvalidGroupId.Malformed, whose message reads Invalid id: "<text>"
// (expecting "sg-..."). The SecurityGroupPolicy CRD (v1.8.2
// config/crd/bases/vpcresources.k8s.aws_securitygrouppolicies.yaml) puts
// no pattern on groupIds, so a placeholder left in a manifest reaches
// CreateNetworkInterface. EC2 parses every ID before it looks one up, so
// the answer is Malformed even beside a group that does not exist.
func TestCreateNetworkInterfaceWithAMalformedGroupIDIsMalformed(t *testing.T) {
	e := newEC2(t)
	require.NoError(t, e.AddSecurityGroup(sgKnown))
	bad, err := e.AddMalformedGroup("${POD_SG}")
	require.NoError(t, err)
	assert.Equal(t, branch.MalformedGroupID("${POD_SG}"), bad, "the stand-in depends on the text alone")
	text, ok := e.MalformedText(bad)
	assert.True(t, ok)
	assert.Equal(t, "${POD_SG}", text)

	_, err = createBranch(e, sgKnown, sgUnknown, bad)
	require.ErrorIs(t, err, fakeec2.ErrEC2)
	ae := fakeec2.AsAPIError(err)
	require.NotNil(t, ae)
	assert.Equal(t, fakeec2.CodeGroupIDMalformed, ae.Code)
	assert.False(t, ae.Retryable(), "a client error: the SDK does not retry it")
	got, ok := ae.MalformedGroup()
	assert.True(t, ok)
	assert.Equal(t, "${POD_SG}", got)
	_, missing := ae.MissingGroup()
	assert.False(t, missing)
	assert.Equal(t, `CreateNetworkInterface: InvalidGroupId.Malformed: Invalid id: "${POD_SG}" (expecting "sg-...")`, err.Error())
	assert.Equal(t, 0, e.Len(), "a refused call creates nothing")

	_, err = createBranch(e, sgKnown, sgUnknown)
	_, missing = fakeec2.AsAPIError(err).MissingGroup()
	assert.True(t, missing, "without the malformed ID the missing group is named")
}

// A well-formed ID is never a malformed one, and a stand-in cannot also be
// a group that exists: each refusal leaves the EC2 as it was.
func TestAddMalformedGroupRefusesWellFormedIDsAndCollisions(t *testing.T) {
	e := newEC2(t)
	_, err := e.AddMalformedGroup("sg-0a000001")
	assert.ErrorContains(t, err, "well-formed")
	_, ok := e.MalformedText(branch.MalformedGroupID("sg-0a000001"))
	assert.False(t, ok)

	require.NoError(t, e.AddSecurityGroup(branch.MalformedGroupID("placeholder")))
	_, err = e.AddMalformedGroup("placeholder")
	assert.ErrorContains(t, err, "a group that exists")
	_, ok = e.MalformedText(branch.MalformedGroupID("placeholder"))
	assert.False(t, ok)

	id, err := e.AddMalformedGroup("my_pod_security_group_id")
	require.NoError(t, err)
	again, err := e.AddMalformedGroup("my_pod_security_group_id")
	require.NoError(t, err, "adding the same text twice is idempotent")
	assert.Equal(t, id, again)
	assert.ErrorContains(t, e.AddSecurityGroup(id), "stand-in")
	assert.NotEqual(t, branch.MalformedGroupID("a"), branch.MalformedGroupID("b"))
}

// Upstream: EC2 API reference, DeleteSecurityGroup: a group that a
// network interface uses cannot be deleted (DependencyViolation), and one
// that does not exist is InvalidGroup.NotFound. A branch still cooling is
// an interface like any other. After the deletion, creating with the
// group is InvalidSecurityGroupID.NotFound.
func TestDeleteSecurityGroupIsRefusedWhileAnInterfaceUsesIt(t *testing.T) {
	e := newEC2(t)
	require.NoError(t, e.AddSecurityGroup(sgKnown))
	eni, err := createBranch(e, sgKnown)
	require.NoError(t, err)

	err = e.DeleteSecurityGroup(sgKnown)
	var ge *fakeec2.GroupError
	require.ErrorAs(t, err, &ge)
	assert.ErrorIs(t, err, fakeec2.ErrEC2)
	assert.Equal(t, fakeec2.CodeDependencyViolation, ge.Code)
	assert.Equal(t, 1, ge.InUse)
	assert.True(t, e.GroupExists(sgKnown), "the refusal changes nothing")

	require.NoError(t, e.DeleteNetworkInterface(2*time.Second, eni))
	require.NoError(t, e.DeleteSecurityGroup(sgKnown))
	assert.False(t, e.GroupExists(sgKnown))
	_, err = createBranch(e, sgKnown)
	id, missing := fakeec2.AsAPIError(err).MissingGroup()
	assert.True(t, missing)
	assert.Equal(t, sgKnown, id)

	err = e.DeleteSecurityGroup(sgKnown)
	require.ErrorAs(t, err, &ge)
	assert.Equal(t, fakeec2.CodeGroupNotFound, ge.Code)
}
