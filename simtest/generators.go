package simtest

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"pgregory.net/rapid"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/karpenter"
	"github.com/trunksim/trunksim/limits"
	"github.com/trunksim/trunksim/scenario"
	"github.com/trunksim/trunksim/sim"
)

// familiar lists the instance types a failing case should shrink to, most
// familiar first. rapid shrinks a sampled index toward zero, so these come
// before the rest of the table.
var familiar = []string{"m5.large", "c6g.medium", "m5.xlarge", "c5.large", "t3.medium", "m5.2xlarge", "t3.large", "m4.large"}

// The type lists are built once: generators are made per test case, and
// the table has over a thousand types.
var (
	allTypes = sync.OnceValue(func() []string {
		return instanceTypes(func(limits.InstanceType) bool { return true })
	})
	trunkTypes = sync.OnceValue(func() []string {
		return instanceTypes(func(it limits.InstanceType) bool {
			return it.CanTrunk(limits.OSLinux) == nil && it.BranchInterfaces > 0
		})
	})
)

// instanceTypes returns the table's type names, familiar ones first,
// keeping only those keep accepts.
func instanceTypes(keep func(limits.InstanceType) bool) []string {
	table := limits.Default()
	var out []string
	for _, name := range familiar {
		if it, err := table.Lookup(name); err == nil && keep(it) {
			out = append(out, name)
		}
	}
	for _, it := range table.All() {
		if keep(it) && !slices.Contains(familiar, it.Name) {
			out = append(out, it.Name)
		}
	}
	return out
}

// InstanceType draws any instance type of limits.Default(), trunk-capable
// or not. It shrinks toward m5.large.
func InstanceType() *rapid.Generator[string] { return rapid.SampledFrom(allTypes()) }

// TrunkInstanceType draws an instance type that can hold a trunk ENI on
// Linux. It shrinks toward m5.large.
func TrunkInstanceType() *rapid.Generator[string] { return rapid.SampledFrom(trunkTypes()) }

// mostlyTrunk draws a trunk-capable type three times in four, so that most
// generated clusters have somewhere for security-group pods to go.
func mostlyTrunk() *rapid.Generator[string] {
	return rapid.Custom(func(t *rapid.T) string {
		if rapid.IntRange(0, 3).Draw(t, "anyType") == 3 {
			return InstanceType().Draw(t, "instanceType")
		}
		return TrunkInstanceType().Draw(t, "instanceType")
	})
}

// NodeGroups draws between min and max node groups named ng0, ng1, ...,
// each of up to 3 Linux nodes of a mostly trunk-capable type. It shrinks
// toward min groups of one m5.large.
func NodeGroups(min, max int) *rapid.Generator[[]scenario.NodeGroup] {
	return rapid.Custom(func(t *rapid.T) []scenario.NodeGroup {
		n := rapid.IntRange(min, max).Draw(t, "nodeGroups")
		groups := make([]scenario.NodeGroup, n)
		for i := range groups {
			groups[i] = scenario.NodeGroup{
				Name:         fmt.Sprintf("ng%d", i),
				InstanceType: mostlyTrunk().Draw(t, "instanceType"),
				Count:        rapid.IntRange(1, 3).Draw(t, "count"),
				OS:           limits.OSLinux,
			}
		}
		return groups
	})
}

// SecurityGroupID draws one of eight security groups,
// sg-00000000000000001 to sg-00000000000000008; a small pool makes
// policies overlap. It shrinks toward sg-00000000000000001.
func SecurityGroupID() *rapid.Generator[branch.SecurityGroupID] {
	return rapid.Custom(func(t *rapid.T) branch.SecurityGroupID {
		return branch.SecurityGroupIDFromUint64(uint64(rapid.IntRange(1, 8).Draw(t, "sg")))
	})
}

// SecurityGroupSet draws a set of between min and max distinct security
// groups from the pool of [SecurityGroupID], in canonical order.
func SecurityGroupSet(min, max int) *rapid.Generator[[]branch.SecurityGroupID] {
	return rapid.Custom(func(t *rapid.T) []branch.SecurityGroupID {
		ids := rapid.SliceOfNDistinct(SecurityGroupID(), min, max, branch.SecurityGroupID.String).Draw(t, "groups")
		return branch.NewGroupSet(ids...).IDs()
	})
}

// Label vocabulary: a few keys and values, so that selectors and pods
// drawn independently still match each other often.
var (
	labelKeys   = []string{"app", "team", "tier"}
	labelValues = []string{"web", "api", "db", "payments"}
	namespaces  = []string{"default", "shop"}
)

// Namespace draws "default" or "shop", shrinking toward "default".
func Namespace() *rapid.Generator[string] { return rapid.SampledFrom(namespaces) }

// Labels draws up to three labels over the keys app, team and tier and
// the values web, api, db and payments. It shrinks toward no labels.
func Labels() *rapid.Generator[map[string]string] {
	return rapid.Custom(func(t *rapid.T) map[string]string {
		keys := rapid.SliceOfDistinct(rapid.SampledFrom(labelKeys), rapid.ID[string]).Draw(t, "labelKeys")
		if len(keys) == 0 {
			return nil
		}
		m := make(map[string]string, len(keys))
		for _, k := range keys {
			m[k] = rapid.SampledFrom(labelValues).Draw(t, "labelValue")
		}
		return m
	})
}

// Selector draws a valid label selector over the label vocabulary of
// [Labels]: one or two matchLabels entries and up to two matchExpressions
// with any operator. It shrinks toward {matchLabels: {app: web}}.
func Selector() *rapid.Generator[*branch.LabelSelector] {
	return rapid.Custom(func(t *rapid.T) *branch.LabelSelector {
		sel := &branch.LabelSelector{MatchLabels: map[string]string{}}
		for _, k := range rapid.SliceOfNDistinct(rapid.SampledFrom(labelKeys), 1, 2, rapid.ID[string]).Draw(t, "matchLabelKeys") {
			sel.MatchLabels[k] = rapid.SampledFrom(labelValues).Draw(t, "matchLabelValue")
		}
		for range rapid.IntRange(0, 2).Draw(t, "matchExpressions") {
			r := branch.Requirement{
				Key:      rapid.SampledFrom(labelKeys).Draw(t, "key"),
				Operator: rapid.SampledFrom([]branch.Operator{branch.OpIn, branch.OpNotIn, branch.OpExists, branch.OpDoesNotExist}).Draw(t, "operator"),
			}
			if r.Operator == branch.OpIn || r.Operator == branch.OpNotIn {
				r.Values = rapid.SliceOfNDistinct(rapid.SampledFrom(labelValues), 1, 2, rapid.ID[string]).Draw(t, "values")
			}
			sel.MatchExpressions = append(sel.MatchExpressions, r)
		}
		return sel
	})
}

// Policy draws a valid SecurityGroupPolicy named name: a namespace, a pod
// selector (and, one time in four, a service-account selector too) and one
// to three groups. It shrinks toward
//
//	{namespace: default, podSelector: {matchLabels: {app: web}}, groups: [sg-00000000000000001]}
func Policy(name string) *rapid.Generator[branch.Policy] {
	return rapid.Custom(func(t *rapid.T) branch.Policy {
		p := branch.Policy{
			Namespace:   Namespace().Draw(t, "namespace"),
			Name:        name,
			PodSelector: Selector().Draw(t, "podSelector"),
		}
		if rapid.IntRange(0, 3).Draw(t, "serviceAccountSelector") == 3 {
			p.ServiceAccountSelector = Selector().Draw(t, "serviceAccountSelector")
		}
		p.Groups = SecurityGroupSet(1, 3).Draw(t, "groups")
		return p
	})
}

// Policies draws between min and max policies named sgp0, sgp1, ....
func Policies(min, max int) *rapid.Generator[[]branch.Policy] {
	return rapid.Custom(func(t *rapid.T) []branch.Policy {
		n := rapid.IntRange(min, max).Draw(t, "policies")
		out := make([]branch.Policy, n)
		for i := range out {
			out[i] = Policy(fmt.Sprintf("sgp%d", i)).Draw(t, "policy")
		}
		return out
	})
}

// ServiceAccounts draws up to two labelled service accounts, sa0 and sa1,
// each in a namespace of [Namespace].
func ServiceAccounts() *rapid.Generator[[]scenario.ServiceAccount] {
	return rapid.Custom(func(t *rapid.T) []scenario.ServiceAccount {
		n := rapid.IntRange(0, 2).Draw(t, "serviceAccounts")
		out := make([]scenario.ServiceAccount, n)
		for i := range out {
			out[i] = scenario.ServiceAccount{
				Name:      fmt.Sprintf("sa%d", i),
				Namespace: Namespace().Draw(t, "namespace"),
				Labels:    Labels().Draw(t, "labels"),
			}
		}
		return out
	})
}

// Pod draws a pod with no name: a namespace, labels from [Labels], and,
// one time in four, a lifetime of 30 s to 5 min after which it completes
// as a Job's pod does. Names must be unique in a simulation, so the caller
// gives them. It shrinks toward an unlabelled pod in "default" that runs
// until deleted.
func Pod() *rapid.Generator[sim.PodSpec] {
	return rapid.Custom(func(t *rapid.T) sim.PodSpec {
		p := sim.PodSpec{Namespace: Namespace().Draw(t, "namespace"), Labels: Labels().Draw(t, "labels")}
		if rapid.IntRange(0, 3).Draw(t, "completes") == 3 {
			p.Lifetime = time.Duration(rapid.IntRange(30, 300).Draw(t, "lifetimeSeconds")) * time.Second
		}
		return p
	})
}

// Workloads draws between min and max workloads named w0, w1, ... of 1 to
// 20 replicas each, created within the first two minutes, their pods
// drawn by [Pod].
func Workloads(min, max int) *rapid.Generator[[]scenario.Workload] {
	return rapid.Custom(func(t *rapid.T) []scenario.Workload {
		n := rapid.IntRange(min, max).Draw(t, "workloads")
		out := make([]scenario.Workload, n)
		for i := range out {
			p := Pod().Draw(t, "pod")
			out[i] = scenario.Workload{
				Name:      fmt.Sprintf("w%d", i),
				Namespace: p.Namespace,
				Labels:    p.Labels,
				Replicas:  rapid.IntRange(1, 20).Draw(t, "replicas"),
				At:        time.Duration(rapid.IntRange(0, 120).Draw(t, "atSeconds")) * time.Second,
				Lifetime:  p.Lifetime,
			}
		}
		return out
	})
}

// faultAPIs are the calls a fault can hit, the branch path first so that
// shrinking lands on the most common failure.
var faultAPIs = []sim.API{
	sim.CreateNetworkInterface, sim.AssociateTrunkInterface, sim.CreateNetworkInterfacePermission,
	sim.DeleteNetworkInterface, sim.DisassociateTrunkInterface, sim.DescribeInstances,
	sim.AttachNetworkInterface, sim.DescribeNetworkInterfaces,
}

// faultCodes are the error codes a fault answers with: throttling and
// server errors the SDK retries, then errors it does not.
var faultCodes = []string{sim.CodeInternal, sim.CodeThrottled, sim.CodeUnavailable, sim.CodeNoFreeAddresses}

// Fault draws one EC2 fault from the whole [FaultSpace]: its window opens
// within five minutes of from and lasts 1 s to 5 min; it answers with an
// error code or, one time in four, slows the call by 1 to 90 s; its
// probability is 10 % to 100 %. It shrinks toward CreateNetworkInterface
// failing with InternalError every time for one second from from.
func Fault(from time.Duration) *rapid.Generator[sim.Fault] { return FaultSpace{}.Fault(from) }

// FaultSpace narrows the faults [FaultSpace.Fault] draws. Zero fields
// mean everything.
type FaultSpace struct {
	// APIs are the calls that may fail, shrinking toward the first; nil
	// means the branch calls, the delete calls and the node
	// initialisation calls.
	APIs []sim.API
	// Codes are the error codes, shrinking toward the first; nil means
	// InternalError, RequestLimitExceeded, ServiceUnavailable and
	// InsufficientFreeAddressesInSubnet.
	Codes []string
	// MaxDelay bounds slow calls; zero means 90 s, and a negative value
	// draws no slow calls.
	MaxDelay time.Duration
}

// Fault draws one fault of the space whose window opens at or after from.
func (fs FaultSpace) Fault(from time.Duration) *rapid.Generator[sim.Fault] {
	apis, codes, maxDelay := fs.APIs, fs.Codes, fs.MaxDelay
	if apis == nil {
		apis = faultAPIs
	}
	if codes == nil {
		codes = faultCodes
	}
	if maxDelay == 0 {
		maxDelay = 90 * time.Second
	}
	return rapid.Custom(func(t *rapid.T) sim.Fault {
		f := sim.Fault{
			API:         rapid.SampledFrom(apis).Draw(t, "api"),
			Probability: float64(10-rapid.IntRange(0, 9).Draw(t, "probabilityTenthsOff")) / 10,
			From:        from + time.Duration(rapid.IntRange(0, 300).Draw(t, "fromSeconds"))*time.Second,
		}
		f.Until = f.From + time.Duration(rapid.IntRange(1, 300).Draw(t, "windowSeconds"))*time.Second
		if maxDelay >= time.Second && rapid.IntRange(0, 3).Draw(t, "slow") == 3 {
			f.Delay = time.Duration(rapid.IntRange(1, int(maxDelay/time.Second)).Draw(t, "delaySeconds")) * time.Second
		} else {
			f.Code = rapid.SampledFrom(codes).Draw(t, "code")
		}
		return f
	})
}

// FaultPlan draws between min and max faults of [Fault] with windows in
// the first ten minutes.
func FaultPlan(min, max int) *rapid.Generator[[]sim.Fault] {
	return rapid.SliceOfN(Fault(0), min, max)
}

// Cluster draws the cluster a run starts from, as a scenario with no
// workloads or events: a seed, one to three node groups, up to two
// service accounts, up to three policies, a fault plan of up to two
// faults, and one time in eight ENABLE_POD_ENI off. It shrinks toward one m5.large, no policy and no fault.
func Cluster() *rapid.Generator[*scenario.Scenario] { return ClusterWith(FaultPlan(0, 2)) }

// ClusterWith is [Cluster] with the fault plan drawn by faults.
func ClusterWith(faults *rapid.Generator[[]sim.Fault]) *rapid.Generator[*scenario.Scenario] {
	return rapid.Custom(func(t *rapid.T) *scenario.Scenario {
		sc := &scenario.Scenario{
			File:                  "simtest.yaml",
			Seed:                  rapid.Uint64().Draw(t, "seed"),
			NodeGroups:            NodeGroups(1, 3).Draw(t, "nodeGroups"),
			ServiceAccounts:       ServiceAccounts().Draw(t, "serviceAccounts"),
			SecurityGroupPolicies: Policies(0, 3).Draw(t, "policies"),
		}
		sc.EC2.Faults = faults.Draw(t, "faultPlan")
		// One cluster in eight starts with ENABLE_POD_ENI off, for the
		// enablePodENI action to turn on.
		sc.CNI.DisablePodENI = rapid.IntRange(0, 7).Draw(t, "podENIOff") == 7
		return sc
	})
}

// nodePoolFamilies mixes families that can hold a trunk with some that
// cannot (t3, t2), so a NodePool may offer types no pod-eni pod can use.
var nodePoolFamilies = []string{"m5", "c5", "r5", "m6i", "t3", "t2", "m6g"}

// NodePool draws a Karpenter NodePool named name on the EC2NodeClass
// "default": one to three instance families and sizes, a capacity type,
// perhaps a node limit and a weight, and a consolidation policy or none.
// It shrinks toward m5.large on demand with no limit.
func NodePool(name string) *rapid.Generator[karpenter.NodePool] {
	return rapid.Custom(func(t *rapid.T) karpenter.NodePool {
		in := func(key string, values ...string) karpenter.Requirement {
			return karpenter.Requirement{Key: key, Operator: karpenter.In, Values: values}
		}
		distinct := func(from []string, label string) []string {
			return rapid.SliceOfNDistinct(rapid.SampledFrom(from), 1, 3, func(s string) string { return s }).Draw(t, label)
		}
		np := karpenter.NodePool{Name: name, NodeClass: "default", Requirements: karpenter.Requirements{
			in("karpenter.k8s.aws/instance-family", distinct(nodePoolFamilies, "families")...),
			in("karpenter.k8s.aws/instance-size", distinct([]string{"large", "xlarge", "medium", "2xlarge"}, "sizes")...),
			in("karpenter.sh/capacity-type", rapid.SampledFrom([]string{"on-demand", "spot"}).Draw(t, "capacityType")),
		}}
		if rapid.Bool().Draw(t, "limited") {
			np.Limits.Nodes = karpenter.LimitOf(int64(rapid.IntRange(1, 5).Draw(t, "nodeLimit")))
		}
		np.Weight = rapid.IntRange(0, 100).Draw(t, "weight")
		if rapid.Bool().Draw(t, "consolidates") {
			np.Consolidation = karpenter.Consolidation{Policy: karpenter.WhenEmptyOrUnderutilized,
				After: rapid.SampledFrom([]time.Duration{0, 30 * time.Second, time.Minute}).Draw(t, "consolidateAfter")}
		}
		return np
	})
}

// KarpenterCluster is [Cluster] with one or two Karpenter NodePools and
// their EC2NodeClass, so pods no node group fits make Karpenter launch
// nodes.
func KarpenterCluster() *rapid.Generator[*scenario.Scenario] {
	return rapid.Custom(func(t *rapid.T) *scenario.Scenario {
		sc := Cluster().Draw(t, "cluster")
		for i := range rapid.IntRange(1, 2).Draw(t, "nodePools") {
			sc.NodePools = append(sc.NodePools, NodePool(fmt.Sprintf("pool-%d", i)).Draw(t, "nodePool"))
		}
		sc.NodeClasses = []karpenter.NodeClass{{Name: "default"}}
		return sc
	})
}

// AutoscaledCluster is [Cluster] with one more node group, asg, that
// cluster-autoscaler manages: a trunk-capable type, one node or none at
// the start, up to four, with the pod-eni template tag or without it.
// The harness's node actions leave it to the autoscaler.
func AutoscaledCluster() *rapid.Generator[*scenario.Scenario] {
	return rapid.Custom(func(t *rapid.T) *scenario.Scenario {
		sc := Cluster().Draw(t, "cluster")
		typ := TrunkInstanceType().Draw(t, "asgType")
		count := rapid.IntRange(0, 1).Draw(t, "asgCount")
		a := &scenario.Autoscaling{MaxSize: 4}
		if rapid.Bool().Draw(t, "asgTag") {
			if it, err := limits.Default().Lookup(typ); err == nil {
				a.TemplatePodENI = it.BranchInterfaces
			}
		}
		sc.NodeGroups = append(sc.NodeGroups, scenario.NodeGroup{Name: "asg", InstanceType: typ, Count: count,
			OS: limits.OSLinux, Autoscaling: a})
		return sc
	})
}

// RunningCluster is [Cluster] started from a running state, as an
// imported cluster is: in each node group of a type that can hold a trunk,
// some nodes join with their trunk attached (trunkAttached), perhaps with
// a branch or two on it that no pod owns (unownedBranches), and one to
// three workloads created at time zero have some pods running already
// (running), those a policy matches on branch ENIs of their own. The
// running pods are drawn to fit: no more than the attached nodes' branch
// slots and the nodes' addresses hold, and none when the policies
// together name more groups than one interface takes, so every draw
// builds. It shrinks toward nothing running.
func RunningCluster() *rapid.Generator[*scenario.Scenario] {
	return rapid.Custom(func(t *rapid.T) *scenario.Scenario {
		sc := Cluster().Draw(t, "cluster")
		// Trunks attached at the start need aws-node to have asked.
		sc.CNI.DisablePodENI = false
		branchRoom, ipRoom := 0, 0
		for i := range sc.NodeGroups {
			g := &sc.NodeGroups[i]
			typ, err := limits.Default().Lookup(g.InstanceType)
			if err != nil {
				continue // a type the table lacks joins without a trunk
			}
			c := typ.Capacity(true)
			ipRoom += g.Count * min(c.IPPods, c.MaxPods-c.HostNetworkPods)
			if typ.CanTrunk(limits.OSLinux) == nil {
				g.TrunkAttached = rapid.IntRange(0, g.Count).Draw(t, "trunkAttached")
				if g.TrunkAttached > 0 {
					g.UnownedBranches = rapid.IntRange(0, min(2, c.BranchPods)).Draw(t, "unownedBranches")
				}
				branchRoom += g.TrunkAttached * min(c.BranchPods-g.UnownedBranches, c.MaxPods-c.HostNetworkPods)
			}
		}
		var groups []branch.SecurityGroupID
		for _, p := range sc.SecurityGroupPolicies {
			groups = append(groups, p.Groups...)
		}
		if branch.NewGroupSet(groups...).Len() > branch.DefaultGroupsPerInterface {
			branchRoom = 0
		}
		room := min(branchRoom, ipRoom)
		sc.Workloads = Workloads(1, 3).Draw(t, "workloads")
		for i := range sc.Workloads {
			w := &sc.Workloads[i]
			w.At = 0
			w.Running = rapid.IntRange(0, min(w.Replicas, room)).Draw(t, "running")
			room -= w.Running
		}
		return sc
	})
}
