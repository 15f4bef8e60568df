package reach_test

import (
	"fmt"
	"net/netip"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/cni"
	"github.com/trunksim/trunksim/reach"
)

func ExampleModel_Reach() {
	nodeSG := branch.MustParseSecurityGroupID("sg-0a000001")
	webSG := branch.MustParseSecurityGroupID("sg-0a000002")

	cluster := reach.NewGroup(nodeSG, "cluster")
	cluster.Ingress = []reach.Rule{{Protocol: reach.AllProtocols, Peer: reach.GroupPeer(nodeSG)}}
	web := reach.NewGroup(webSG, "web") // no ingress, all egress

	m, err := reach.New(reach.Config{Groups: []reach.Group{cluster, web}, VPC: netip.MustParsePrefix("10.0.0.0/16")})
	if err != nil {
		fmt.Println(err)
		return
	}
	subnet := reach.Subnet{CIDR: netip.MustParsePrefix("10.0.1.0/24")}
	pod := reach.BranchPodOn("web", branch.NewGroupSet(webSG), reach.Node{Name: "ng-0", Groups: branch.NewGroupSet(nodeSG), Subnet: subnet})
	coredns := reach.PodOn("coredns", reach.Node{Name: "ng-1", Groups: branch.NewGroupSet(nodeSG), Subnet: subnet})

	v, err := m.Reach(pod, coredns, reach.UDP, 53)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(v.Explain())
	// Output:
	// web → coredns udp 53: denied
	//   mode: strict (either mode gives this path)
	//   path: vpc: traffic between different hosts crosses the VPC in either mode: the sender's outbound and the receiver's inbound rules apply
	//   [pass] egress of branch ENI of web [sg-0a000002]: allowed by sg-0a000002 egress[0]: all to 0.0.0.0/0
	//   [FAIL] ingress of ENI of node ng-1 holding coredns's secondary IP [sg-0a000001]: no rule allows udp 53 from web [sg-0a000002] at 10.0.1.0/24
	//          near miss: sg-0a000001 ingress[0]: all from sg-0a000001
}

func ExampleCheckCluster() {
	nodeSG := branch.MustParseSecurityGroupID("sg-0a000001")
	webSG := branch.MustParseSecurityGroupID("sg-0a000002")
	cluster := reach.NewGroup(nodeSG, "cluster")
	cluster.Ingress = []reach.Rule{
		{Protocol: reach.AllProtocols, Peer: reach.GroupPeer(nodeSG)},
		{Protocol: reach.AllProtocols, Peer: reach.GroupPeer(webSG)},
	}
	web := reach.NewGroup(webSG, "web")

	r, err := reach.CheckCluster(reach.Cluster{
		Config:     reach.Config{Mode: cni.Strict, Groups: []reach.Group{cluster, web}},
		NodeGroups: []reach.NodeGroup{{Name: "ng", InstanceType: "m5.large", Groups: []branch.SecurityGroupID{nodeSG}}},
		Policies: []branch.Policy{{Namespace: "default", Name: "web",
			PodSelector: &branch.LabelSelector{MatchLabels: map[string]string{"app": "web"}}, Groups: []branch.SecurityGroupID{webSG}}},
		Workloads: []reach.Workload{{Name: "web", Namespace: "default", Labels: map[string]string{"app": "web"}, Probes: []uint16{8080}}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range r.Findings {
		fmt.Printf("%s %s: %s\n", f.Severity, f.Code, f.Summary)
		for _, fx := range f.Fixes {
			fmt.Println("  fix:", fx.Command())
		}
	}
	fmt.Println("ok:", r.OK())
	// Output:
	// error probe: the kubelet's TCP probes of web on port 8080 fail
	//   fix: aws ec2 authorize-security-group-ingress --group-id sg-0a000002 --ip-permissions 'IpProtocol=tcp,FromPort=8080,ToPort=8080,UserIdGroupPairs=[{GroupId=sg-0a000001}]'
	//   fix: kubectl patch daemonset aws-node -n kube-system -p '{"spec":{"template":{"spec":{"initContainers":[{"name":"aws-vpc-cni-init","env":[{"name":"DISABLE_TCP_EARLY_DEMUX","value":"true"}]}]}}}}'
	// ok: false
}
