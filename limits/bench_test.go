package limits_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/trunksim/trunksim/limits"
)

var (
	sinkType     limits.InstanceType
	sinkErr      error
	sinkCapacity limits.Capacity
)

func BenchmarkLookup(b *testing.B) {
	tbl := limits.Default()
	for _, name := range []string{"m5.large", "p5.48xlarge"} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				sinkType, sinkErr = tbl.Lookup(name)
			}
		})
	}
	b.Run("unknown", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			sinkType, sinkErr = tbl.Lookup("m5.larg")
		}
	})
}

func BenchmarkTableCanTrunk(b *testing.B) {
	tbl := limits.Default()
	b.ReportAllocs()
	for range b.N {
		sinkType, sinkErr = tbl.CanTrunk("c5.xlarge", limits.OSLinux)
	}
}

func BenchmarkCapacity(b *testing.B) {
	it, err := limits.Default().Lookup("c5.xlarge")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for range b.N {
		sinkCapacity = it.Capacity(true)
	}
}

func BenchmarkNewTable(b *testing.B) {
	all := limits.Default().All()
	b.ReportAllocs()
	for range b.N {
		if _, err := limits.NewTable(all); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(all)), "types")
}

// The hot calls: a lookup costs one small allocation (the caller's copy of
// the network cards, which keeps the shared table immutable); the
// arithmetic and a successful eligibility check cost none.
func TestAllocs(t *testing.T) {
	tbl := limits.Default()
	it, err := tbl.Lookup("c5.xlarge")
	assert.NoError(t, err)
	assert.Equal(t, 1.0, testing.AllocsPerRun(100, func() { sinkType, sinkErr = tbl.Lookup("c5.xlarge") }))
	assert.Zero(t, testing.AllocsPerRun(100, func() { sinkCapacity = it.Capacity(true) }))
	assert.Zero(t, testing.AllocsPerRun(100, func() { sinkErr = it.CanTrunk(limits.OSLinux) }))
}

func BenchmarkLookupRelease(b *testing.B) {
	tbl, err := limits.ForRelease("v1.8.2")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for range b.N {
		sinkType, sinkErr = tbl.Lookup("r9g.large")
	}
}
