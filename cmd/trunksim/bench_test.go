package main

import (
	"io"
	"testing"
)

// BenchmarkRunRollout is `trunksim run testdata/rollout.yaml -o json`:
// parsing, 300 security-group pods on 20 nodes, and the report.
func BenchmarkRunRollout(b *testing.B) {
	b.ReportAllocs()
	for range b.N {
		if code := run([]string{"run", "testdata/rollout.yaml", "-o", "json"}, nil, io.Discard, io.Discard); code != exitOK {
			b.Fatalf("exit %d", code)
		}
	}
}

// BenchmarkPlanDefaultTypes is `trunksim plan --sg-pods 1000`: node counts
// and a rollout simulation for each default type.
func BenchmarkPlanDefaultTypes(b *testing.B) {
	b.ReportAllocs()
	for range b.N {
		if code := run([]string{"plan", "--sg-pods", "1000", "-o", "json"}, nil, io.Discard, io.Discard); code != exitOK {
			b.Fatalf("exit %d", code)
		}
	}
}
