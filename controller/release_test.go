package controller

import "testing"

// TestNodeDeletionAsReleased: pkg/provider/branch/provider.go DeleteNode
// (amazon-vpc-resource-controller-k8s v1.8.2) only drops the trunk from
// the cache; the branches are left to the cluster ENI cleaner.
func TestNodeDeletionAsReleased(t *testing.T) { runScriptFile(t, "testdata/node-deleted-release.txt") }

// TestClusterENICleaner: pkg/aws/ec2/api/cleanup/eni_cleanup.go and
// pkg/aws/ec2/api/wrapper.go DescribeNetworkInterfacesPagesWithRetry
// (v1.8.2): a run at start and 30 min after each, deletion on the second
// sighting, the "Throttling" retry, a failed delete seen afresh.
func TestClusterENICleaner(t *testing.T) { runScriptFile(t, "testdata/cleaner.txt") }

// TestInitTrunkRebuildsOverTheLimit: pkg/provider/branch/trunk/trunk.go
// InitTrunk (v1.8.2) rebuilds every branch it finds with no gate, and
// queues the unclaimed ones with no association ID.
func TestInitTrunkRebuildsOverTheLimit(t *testing.T) {
	runScriptFile(t, "testdata/restart-over-limit.txt")
}

// TestDeleteNetworkInterfaceBackoff: pkg/aws/ec2/api/helper.go
// DeleteNetworkInterface (v1.8.2) on defaultBackOff through client-go
// retry.OnError (v0.33.0): five attempts and about 12.1 s of sleeps.
func TestDeleteNetworkInterfaceBackoff(t *testing.T) { runScriptFile(t, "testdata/delete-backoff.txt") }

// TestRestartDatastoreSyncRace: controllers/custom/custom_controller.go
// WaitForCacheSync (v1.8.1: returns on the first LIST's resource version;
// v1.8.2: waits on HasSynced) and pkg/provider/branch/trunk/trunk.go
// InitTrunk: a rebuild before the datastore is filled queues running
// pods' branches for deletion.
func TestRestartDatastoreSyncRace(t *testing.T) { runScriptFile(t, "testdata/restart-sync-race.txt") }

// TestPodEndedBeforeItsAnnotation: a pod that ends between its branch's
// association and its annotation leaves one queued branch, not an error
// (pkg/provider/branch/trunk/trunk.go, v1.8.2).
func TestPodEndedBeforeItsAnnotation(t *testing.T) {
	runScriptFile(t, "testdata/pod-ended-before-annotation.txt")
}

// TestFailedTrunkInitRetriedOnTheNextNodeEvent: pkg/node/manager/manager.go
// (v1.8.2), "Node will be retried for init on next event".
func TestFailedTrunkInitRetriedOnTheNextNodeEvent(t *testing.T) {
	runScriptFile(t, "testdata/trunk-init-retry.txt")
}

// TestInitTrunkClaimsBranchesFromPodENIAnnotations: a node met with its
// trunk and branches made before is rebuilt from the pods' pod-eni
// annotations and EC2's listing, its unowned branches deleted after the
// cool-down, and nothing created (pkg/provider/branch/trunk/trunk.go
// InitTrunk; pkg/provider/branch/provider.go InitResource and
// CreateAndAnnotateResources, v1.8.2).
func TestInitTrunkClaimsBranchesFromPodENIAnnotations(t *testing.T) {
	runScriptFile(t, "testdata/existing-branches.txt")
}
