package karpenter

import (
	"strings"
	"testing"

	"github.com/trunksim/trunksim/limits"
)

// TestStaticOnDemandPrices checks figures of the AWS provider's static
// us-east-1 table (pkg/providers/pricing/zz_generated.pricing_aws.go at
// v1.15.2).
func TestStaticOnDemandPrices(t *testing.T) {
	for name, want := range map[string]float64{"m5.large": 0.096, "t3.medium": 0.0416, "c6g.medium": 0.034, "c5.2xlarge": 0.34} {
		if got, ok := OnDemandPrice(name); !ok || got != want {
			t.Errorf("OnDemandPrice(%q) = %v, %v, want %v", name, got, ok, want)
		}
	}
	for _, name := range []string{"", "m5.larg", "zz.large"} {
		if _, ok := OnDemandPrice(name); ok {
			t.Errorf("OnDemandPrice(%q) found a price", name)
		}
	}
	if !strings.Contains(PricesSource, "karpenter-provider-aws@") || PricesGenerated == "" {
		t.Errorf("source %q generated %q", PricesSource, PricesGenerated)
	}
}

// TestInitialSpotAndReservedPrices follows the AWS provider: spot starts
// equal to on-demand until the first spot update
// (pkg/providers/pricing/pricing.go Reset), and a reserved offering costs
// on-demand / 10,000,000 (offering/reserved_capacity_resolver.go).
func TestInitialSpotAndReservedPrices(t *testing.T) {
	tests := []struct {
		ct   CapacityType
		want float64
		ok   bool
	}{
		{OnDemand, 0.096, true},
		{Spot, 0.096, true},
		{Reserved, 0.096 / 10_000_000, true},
		{0, 0, false},
	}
	for _, tt := range tests {
		if got, ok := Price("m5.large", tt.ct); got != tt.want || ok != tt.ok {
			t.Errorf("Price(m5.large, %v) = %v, %v, want %v, %v", tt.ct, got, ok, tt.want, tt.ok)
		}
	}
	if _, ok := Price("no.such", Spot); ok {
		t.Error("Price of an unknown type found")
	}
}

func TestPriceTableIsSorted(t *testing.T) {
	for i := 1; i < len(onDemandPrices); i++ {
		if onDemandPrices[i-1].name >= onDemandPrices[i].name {
			t.Fatalf("rows %d and %d out of order: %q, %q", i-1, i, onDemandPrices[i-1].name, onDemandPrices[i].name)
		}
	}
}

// TestDefaultTypesWithoutPrice lists the default table's types that have
// no price, which Karpenter would treat as unavailable
// (pkg/providers/instancetype/offering/base_resolver.go). The count is
// pinned so that a change of either table shows.
func TestDefaultTypesWithoutPrice(t *testing.T) {
	var missing []string
	for _, it := range limits.Default().All() {
		if _, ok := OnDemandPrice(it.Name); !ok {
			missing = append(missing, it.Name)
		}
	}
	t.Logf("%d of %d default types have no price: %s", len(missing), limits.Default().Len(), strings.Join(missing, " "))
	if want := 70; len(missing) != want {
		t.Errorf("%d default types have no price, want %d", len(missing), want)
	}
}
