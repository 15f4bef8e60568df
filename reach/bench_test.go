package reach_test

import (
	"fmt"
	"testing"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/cni"
	"github.com/trunksim/trunksim/reach"
	"github.com/trunksim/trunksim/scenario"
)

var sinkVerdict reach.Verdict

// BenchmarkReach judges one flow through groups with 60 rules each, the
// default quota, the allowing rule last.
func BenchmarkReach(b *testing.B) {
	g := baseGroups()
	var filler []reach.Rule
	for i := range 59 {
		filler = append(filler, tcp(uint16(10000+i), block("192.168.0.0/16")))
	}
	g = withRules(g, sgDB, append(filler, tcp(5432, group(sgWeb))), nil)
	for _, mode := range []cni.EnforcingMode{cni.Strict, cni.Standard} {
		for _, c := range []struct {
			name     string
			from, to reach.Endpoint
		}{
			{"cross-node", web1, db2},
			{"same-node", web1, db1},
			{"internet", web1, reach.InternetHost("", cidr("0.0.0.0/0"))},
		} {
			b.Run(fmt.Sprintf("%v/%s", mode, c.name), func(b *testing.B) {
				m := newModel(b, mode, g)
				b.ReportAllocs()
				for b.Loop() {
					v, err := m.Reach(c.from, c.to, reach.TCP, 5432)
					if err != nil {
						b.Fatal(err)
					}
					sinkVerdict = v
				}
			})
		}
	}
}

var sinkReport reach.Report

// BenchmarkCheckCluster checks the example scenario, and a cluster of
// many workloads over several node groups, reporting the flows judged
// per check.
func BenchmarkCheckCluster(b *testing.B) {
	sc, err := scenario.Load("../examples/reachability/scenario.yaml")
	if err != nil {
		b.Fatal(err)
	}
	big := cluster()
	for i := range 4 {
		big.NodeGroups = append(big.NodeGroups, reach.NodeGroup{Name: fmt.Sprint("ng", i), InstanceType: "m5.xlarge",
			Groups: []branch.SecurityGroupID{sgNode}})
	}
	for i := range 40 {
		big.Workloads = append(big.Workloads, reach.Workload{Name: fmt.Sprint("svc", i), Namespace: "default",
			Labels: map[string]string{"app": "web"}, Probes: []uint16{8080},
			TalksTo: []reach.Traffic{{Workload: "db", Protocol: reach.TCP, Port: 5432}, {Workload: fmt.Sprint("svc", (i+1)%40), Protocol: reach.TCP, Port: 8080}}})
	}
	for _, c := range []struct {
		name string
		c    reach.Cluster
	}{{"example", sc.Cluster()}, {"40-workloads-5-groups", big}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r, err := reach.CheckCluster(c.c)
				if err != nil {
					b.Fatal(err)
				}
				sinkReport = r
			}
			b.ReportMetric(float64(sinkReport.Flows), "flows/op")
		})
	}
}
