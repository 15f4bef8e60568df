package scenario

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/cni"
	"github.com/trunksim/trunksim/limits"
	"github.com/trunksim/trunksim/reach"
	"github.com/trunksim/trunksim/sim"
)

func genName() *rapid.Generator[string] { return rapid.StringMatching(`[a-z][a-z0-9]{0,6}`) }

// genLabels includes values such as "1", "true" and "no" that YAML would
// read as other types unless the writer quotes them.
func genLabels() *rapid.Generator[map[string]string] {
	return rapid.Custom(func(t *rapid.T) map[string]string {
		m := rapid.MapOfN(rapid.StringMatching(`[a-z]([a-z0-9.]{0,4}[a-z0-9])?`),
			rapid.OneOf(rapid.StringMatching(`[a-z0-9]{0,5}`), rapid.SampledFrom([]string{"true", "no", "on", "1.5", "1e3", "null", "0x1f", "0o17"})), 0, 3).Draw(t, "labels")
		if len(m) == 0 {
			return nil
		}
		return m
	})
}

func genDuration(label string, t *rapid.T, min time.Duration) time.Duration {
	return time.Duration(rapid.Int64Range(int64(min), int64(48*time.Hour)).Draw(t, label))
}

func maybe[V any](t *rapid.T, label string, gen func() V) V {
	var zero V
	if rapid.Bool().Draw(t, label) {
		return gen()
	}
	return zero
}

func genSelector(t *rapid.T, label string) *branch.LabelSelector {
	if !rapid.Bool().Draw(t, label) {
		return nil
	}
	sel := &branch.LabelSelector{MatchLabels: genLabels().Draw(t, label+".matchLabels")}
	for i := range rapid.IntRange(0, 2).Draw(t, label+".n") {
		op := branch.Operator(rapid.IntRange(int(branch.OpIn), int(branch.OpDoesNotExist)).Draw(t, fmt.Sprint(label, i)))
		req := branch.Requirement{Key: genName().Draw(t, "key"), Operator: op}
		if op == branch.OpIn || op == branch.OpNotIn {
			req.Values = rapid.SliceOfN(rapid.StringMatching(`[a-z0-9]{0,4}`), 1, 3).Draw(t, "values")
		}
		sel.MatchExpressions = append(sel.MatchExpressions, req)
	}
	return sel
}

// genScenario draws a valid, normalised Scenario.
func genScenario(t *rapid.T) *Scenario {
	sc := &Scenario{File: "gen.yaml"}
	sc.Seed = rapid.Uint64().Draw(t, "seed")
	sc.Until = maybe(t, "until?", func() time.Duration { return genDuration("until", t, 1) })
	sc.Placement = rapid.SampledFrom([]sim.Placement{0, sim.LeastAllocated, sim.MostAllocated}).Draw(t, "placement")
	pos := func(label string) float64 {
		return maybe(t, label+"?", func() float64 { return rapid.Float64Range(0.001, 1000).Draw(t, label) })
	}
	cnt := func(label string) int {
		return maybe(t, label+"?", func() int { return rapid.IntRange(1, 500).Draw(t, label) })
	}
	dur := func(label string) time.Duration {
		return maybe(t, label+"?", func() time.Duration { return genDuration(label, t, 1) })
	}
	sc.Controller = sim.Controller{
		//lint:ignore SA1019 the deprecated preset is still honoured for the files and programs that set it
		Preset:        rapid.SampledFrom([]sim.Preset{0, sim.PresetUpstream, sim.PresetRaisedLimits}).Draw(t, "preset"),
		UserClientQPS: pos("uqps"), UserClientBurst: cnt("uburst"), InstanceClientQPS: pos("iqps"), InstanceClientBurst: cnt("iburst"),
		SharedEC2Client: rapid.Bool().Draw(t, "shared"), APIServerQPS: pos("aqps"), APIServerBurst: cnt("aburst"),
		BranchWorkers: cnt("bw"), NodeWorkers: cnt("nw"), MaxRetries: cnt("retries"), CoolDown: dur("cooldown"),
		SweepInterval: dur("sweep"), Resync: dur("resync"), NodeDeleteDelay: dur("ndd"),
		GroupsPerInterface: maybe(t, "gpi?", func() int { return rapid.IntRange(1, 16).Draw(t, "gpi") }),
	}
	sc.EC2 = sim.EC2{Latency: dur("latency"), AttachDelay: dur("attach"), NoAccountThrottling: rapid.Bool().Draw(t, "nothrottle"),
		MutatingBucket: cnt("mb"), MutatingRefill: pos("mr"), DescribeBucket: cnt("db"), DescribeRefill: pos("dr"), MaxAttempts: cnt("ma")}
	for range rapid.IntRange(0, 2).Draw(t, "faults") {
		f := sim.Fault{API: sim.API(rapid.IntRange(int(sim.DescribeInstances), int(sim.DeleteNetworkInterface)).Draw(t, "api")),
			Code:        rapid.SampledFrom([]string{sim.CodeNoFreeAddresses, sim.CodeInternal, "InvalidGroup.NotFound"}).Draw(t, "code"),
			Probability: rapid.Float64Range(0.0001, 1).Draw(t, "p"), From: dur("from")}
		if rapid.Bool().Draw(t, "until?") {
			f.Until = f.From + genDuration("window", t, 1)
		}
		sc.EC2.Faults = append(sc.EC2.Faults, f)
	}
	sc.Kubelet = sim.Kubelet{RetryPeriod: maybe(t, "retry?", func() time.Duration { return genDuration("retry", t, time.Second) }), RetryJitter: pos("jitter"), BackOffOnly: rapid.Bool().Draw(t, "backoff"), AWSNodeLag: dur("awsnodelag")}
	sc.CNI = cni.Config{DisablePodENI: rapid.Bool().Draw(t, "nopodeni"),
		EnforcingMode:        rapid.SampledFrom([]cni.EnforcingMode{0, cni.Strict, cni.Standard}).Draw(t, "mode"),
		DisableTCPEarlyDemux: rapid.Bool().Draw(t, "demux"),
		IPFamily:             rapid.SampledFrom([]cni.IPFamily{0, cni.IPv4, cni.IPv6}).Draw(t, "family"),
		CustomNetworking:     rapid.Bool().Draw(t, "custom"),
		PrefixDelegation:     rapid.Bool().Draw(t, "prefixes")}
	if rapid.Bool().Draw(t, "version?") {
		sc.CNI.Version = cni.Version{Major: 1, Minor: rapid.IntRange(7, 25).Draw(t, "minor"), Patch: rapid.IntRange(0, 9).Draw(t, "patch")}
	}

	if rapid.Bool().Draw(t, "vpc?") {
		sc.Network.VPCCIDR = netip.MustParsePrefix("10.0.0.0/16")
	}
	sc.Network.RulesPerGroup = maybe(t, "rpg?", func() int { return rapid.IntRange(4, 60).Draw(t, "rpg") })
	sc.Network.ExternalSNAT = rapid.Bool().Draw(t, "externalSNAT")
	sc.Network.Calico = rapid.Bool().Draw(t, "calico")
	sc.DNS.NodeLocal = rapid.Bool().Draw(t, "nodeLocal")
	var sgIDs []branch.SecurityGroupID
	for _, id := range rapid.SliceOfNDistinct(rapid.Uint64Range(1, 1<<40), 0, 3, func(v uint64) uint64 { return v }).Draw(t, "sgs") {
		sgIDs = append(sgIDs, branch.SecurityGroupIDFromUint64(id))
	}

	types := []string{"m5.large", "m5.xlarge", "c5.4xlarge", "t3.large", "r6i.2xlarge"}
	groups := rapid.SliceOfNDistinct(genName(), 0, 3, func(s string) string { return s }).Draw(t, "groups")
	for _, g := range groups {
		ng := NodeGroup{Name: g, InstanceType: rapid.SampledFrom(types).Draw(t, "type"),
			Count: rapid.IntRange(0, 5).Draw(t, "count"), OS: rapid.SampledFrom([]limits.OS{limits.OSLinux, limits.OSWindows}).Draw(t, "os"),
			MaxPods: rapid.SampledFrom([]int{0, 0, 1, 110}).Draw(t, "maxPods"),
			Labels:  genLabels().Draw(t, "nodeLabels")}
		if len(sgIDs) > 0 {
			quota := sc.Controller.GroupsPerInterface
			if quota == 0 {
				quota = branch.DefaultGroupsPerInterface
			}
			ng.SecurityGroups = rapid.SliceOfNDistinct(rapid.SampledFrom(sgIDs), 0, min(len(sgIDs), quota), branch.SecurityGroupID.String).Draw(t, "ngGroups")
			if len(ng.SecurityGroups) == 0 {
				ng.SecurityGroups = nil
			}
		}
		ng.Subnet.Kind = rapid.SampledFrom([]reach.SubnetKind{0, reach.Private, reach.Public, reach.Isolated}).Draw(t, "subnet")
		if rapid.Bool().Draw(t, "subnetCIDR?") {
			ng.Subnet.CIDR = netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 0, byte(rapid.IntRange(0, 255).Draw(t, "octet")), 0}), 24)
		}
		sc.NodeGroups = append(sc.NodeGroups, ng)
	}
	namespaces := []string{"default", "team-a"}
	for _, ns := range namespaces {
		for _, name := range rapid.SliceOfNDistinct(genName(), 0, 2, func(s string) string { return s }).Draw(t, "sas") {
			sc.ServiceAccounts = append(sc.ServiceAccounts, ServiceAccount{Name: name, Namespace: ns, Labels: genLabels().Draw(t, "saLabels")})
		}
		for _, name := range rapid.SliceOfNDistinct(genName(), 0, 2, func(s string) string { return s }).Draw(t, "policies") {
			p := branch.Policy{Namespace: ns, Name: name, PodSelector: genSelector(t, "pod"), ServiceAccountSelector: genSelector(t, "sa")}
			if p.PodSelector == nil && p.ServiceAccountSelector == nil {
				p.PodSelector = &branch.LabelSelector{}
			}
			for range rapid.IntRange(1, 3).Draw(t, "ngroups") {
				p.Groups = append(p.Groups, branch.SecurityGroupIDFromUint64(rapid.Uint64Range(1, 1<<40).Draw(t, "sg")))
			}
			sc.SecurityGroupPolicies = append(sc.SecurityGroupPolicies, p)
		}
	}
	for i, id := range sgIDs {
		g := SecurityGroup{ID: id, Name: fmt.Sprint("g", i), Ingress: genRules(t, "ingress", sgIDs)}
		switch rapid.IntRange(0, 2).Draw(t, "egressKind") {
		case 0:
			g.Egress = []reach.Rule{reach.AllowAllEgress()}
		case 1:
			g.Egress = genRules(t, "egress", sgIDs)
		}
		sc.SecurityGroups = append(sc.SecurityGroups, g)
	}
	for _, name := range rapid.SliceOfNDistinct(genName(), 0, 3, func(s string) string { return s }).Draw(t, "workloads") {
		w := Workload{Name: name, Namespace: rapid.SampledFrom(namespaces).Draw(t, "ns"), Labels: genLabels().Draw(t, "wlabels"),
			Replicas: rapid.IntRange(0, 50).Draw(t, "replicas"), At: dur("at"), Interval: dur("interval"), Lifetime: dur("lifetime")}
		var mine []string
		for _, a := range sc.ServiceAccounts {
			if a.Namespace == w.Namespace {
				mine = append(mine, a.Name)
			}
		}
		if len(mine) > 0 && rapid.Bool().Draw(t, "sa?") {
			w.ServiceAccount = rapid.SampledFrom(mine).Draw(t, "sa")
		}
		w.Probes = rapid.SliceOfNDistinct(rapid.Uint16Range(1, 65535), 0, 3, func(p uint16) uint16 { return p }).Draw(t, "probes")
		if len(w.Probes) == 0 {
			w.Probes = nil
		}
		sc.Workloads = append(sc.Workloads, w)
	}
	for i := range sc.Workloads {
		sc.Workloads[i].TalksTo = genTraffic(t, "talksTo", sc.Workloads, sgIDs)
		sc.Workloads[i].ReceivesFrom = genTraffic(t, "receivesFrom", nil, sgIDs)
	}
	if len(sc.Workloads) > 0 && rapid.Bool().Draw(t, "coreDNS?") {
		sc.DNS.CoreDNS = rapid.SampledFrom(sc.Workloads).Draw(t, "coreDNS").Name
	}
	for range rapid.IntRange(0, 4).Draw(t, "events") {
		e := Event{At: genDuration("eventAt", t, 0), Action: Action(rapid.IntRange(int(AddNode), int(RestartController)).Draw(t, "action"))}
		switch e.Action {
		case AddNode, DeleteNode:
			if len(sc.NodeGroups) > 0 && rapid.Bool().Draw(t, "byGroup") {
				e.NodeGroup = rapid.SampledFrom(groups).Draw(t, "group")
				e.Count = cnt("ecount")
				if e.Action == AddNode {
					e.InstanceType = maybe(t, "type?", func() string { return rapid.SampledFrom(types).Draw(t, "etype") })
				}
			} else {
				e.Node = genName().Draw(t, "node")
				if e.Action == AddNode {
					e.InstanceType = rapid.SampledFrom(types).Draw(t, "etype")
				}
			}
		case DeletePods, RolloutRestart:
			if len(sc.Workloads) == 0 {
				e.Action = RestartController
				break
			}
			w := rapid.SampledFrom(sc.Workloads).Draw(t, "workload")
			if e.Action == RolloutRestart && w.Lifetime > 0 {
				e.Action = DeletePods // a Job has no rolling update
			}
			e.Workload = w.Name
			if e.Action == DeletePods && w.Replicas > 0 {
				e.Count = maybe(t, "dcount?", func() int { return rapid.IntRange(1, w.Replicas).Draw(t, "dcount") })
			}
			if e.Action == RolloutRestart && rapid.Bool().Draw(t, "shape?") {
				e.MaxSurge = rapid.IntRange(0, 3).Draw(t, "surge")
				e.MaxUnavailable = rapid.IntRange(1-min(e.MaxSurge, 1), 3).Draw(t, "unavailable")
			}
		}
		sc.Events = append(sc.Events, e)
	}
	if sc.Until > 0 {
		// Nothing may be scheduled after until, which Parse refuses.
		for _, e := range sc.Events {
			sc.Until = max(sc.Until, e.At)
		}
		for _, w := range sc.Workloads {
			sc.Until = max(sc.Until, w.At)
		}
	}
	return sc
}

// genRules draws up to four distinct rules naming CIDR blocks or the
// groups in sgIDs; nil when it draws none.
func genRules(t *rapid.T, label string, sgIDs []branch.SecurityGroupID) []reach.Rule {
	var rules []reach.Rule
	for range rapid.IntRange(0, 4).Draw(t, label) {
		r := reach.Rule{Protocol: reach.Protocol(rapid.IntRange(int(reach.TCP), int(reach.AllProtocols)).Draw(t, "proto"))}
		if r.Protocol == reach.TCP || r.Protocol == reach.UDP {
			from := rapid.Uint16Range(0, 65535).Draw(t, "from")
			r.Ports = reach.PortRange{From: from, To: rapid.Uint16Range(max(from, 1), 65535).Draw(t, "to")}
		}
		if len(sgIDs) > 0 && rapid.Bool().Draw(t, "groupPeer") {
			r.Peer = reach.GroupPeer(rapid.SampledFrom(sgIDs).Draw(t, "peer"))
		} else {
			r.Peer = reach.CIDRPeer(netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(rapid.IntRange(0, 255).Draw(t, "a")), 0, 0, 0}), 8))
		}
		r.Description = rapid.SampledFrom([]string{"", "probes", "yes", "1"}).Draw(t, "description")
		if !slices.ContainsFunc(rules, func(o reach.Rule) bool { return o.Protocol == r.Protocol && o.Ports == r.Ports && o.Peer == r.Peer }) {
			rules = append(rules, r)
		}
	}
	return rules
}

// genTraffic draws up to three flows to workloads (when given), the
// groups in sgIDs or blocks outside 10.0.0.0/16.
func genTraffic(t *rapid.T, label string, workloads []Workload, sgIDs []branch.SecurityGroupID) []reach.Traffic {
	var out []reach.Traffic
	for range rapid.IntRange(0, 3).Draw(t, label) {
		tr := reach.Traffic{Protocol: rapid.SampledFrom([]reach.Protocol{reach.TCP, reach.UDP, reach.ICMP}).Draw(t, "proto")}
		if tr.Protocol != reach.ICMP {
			tr.Port = rapid.Uint16Range(1, 65535).Draw(t, "port")
		}
		switch k := rapid.IntRange(0, 2).Draw(t, "target"); {
		case k == 0 && len(workloads) > 0:
			tr.Workload = rapid.SampledFrom(workloads).Draw(t, "workload").Name
		case k == 1 && len(sgIDs) > 0:
			tr.Group = rapid.SampledFrom(sgIDs).Draw(t, "group")
		default:
			tr.CIDR = rapid.SampledFrom([]netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("203.0.113.0/24")}).Draw(t, "cidr")
		}
		out = append(out, tr)
	}
	return out
}

func TestPropertyMarshalThenParseGivesTheSameScenario(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sc := genScenario(t)
		out, err := sc.Marshal()
		require.NoError(t, err)
		back, err := Parse(sc.File, out)
		require.NoError(t, err, "%s", out)
		require.Equal(t, plain(sc), plain(back), "%s", out)
	})
}

func TestPropertyParseIsDeterministic(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		out, err := genScenario(t).Marshal()
		require.NoError(t, err)
		a, errA := Parse("x.yaml", out)
		b, errB := Parse("x.yaml", out)
		require.NoError(t, errA)
		require.NoError(t, errB)
		require.Equal(t, a, b)
	})
}
