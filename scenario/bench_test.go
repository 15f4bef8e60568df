package scenario

import (
	"os"
	"testing"
)

func BenchmarkParse(b *testing.B) {
	data, err := os.ReadFile("testdata/every-key.yaml")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for range b.N {
		if _, err := Parse("every-key.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRunContractSmoke measures a whole small scenario, parsed once:
// setup, 15 simulated minutes and the report.
func BenchmarkRunContractSmoke(b *testing.B) {
	sc, err := Load("testdata/contract-smoke.yaml")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var simulated float64
	for range b.N {
		r, err := sc.Run(Options{})
		if err != nil {
			b.Fatal(err)
		}
		simulated = r.SimulatedSeconds
	}
	b.ReportMetric(simulated, "sim-s/op")
}
