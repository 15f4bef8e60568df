package karpenter

import (
	"slices"
	"strings"
)

// priceRow is one row of the generated price table.
type priceRow struct {
	name string
	usd  float64
}

// reservedDivisor is how much cheaper than on-demand the AWS provider
// prices a reserved offering: the capacity is already paid for, and the
// tiny price keeps the order of types (pkg/providers/instancetype/offering/
// reserved_capacity_resolver.go).
const reservedDivisor = 10_000_000

// OnDemandPrice returns the us-east-1 Linux on-demand price of an instance
// type in USD per hour, from the AWS provider's static table
// ([PricesSource]), and false when the table has no price for it. An
// offering without a price is not launchable upstream
// (pkg/providers/instancetype/offering/base_resolver.go).
func OnDemandPrice(name string) (float64, bool) {
	i, found := slices.BinarySearchFunc(onDemandPrices[:], name, func(row priceRow, name string) int {
		return strings.Compare(row.name, name)
	})
	if !found {
		return 0, false
	}
	return onDemandPrices[i].usd, true
}

// Price returns the price of an offering of an instance type in USD per
// hour, as the AWS provider knows it before its first price update
// (pkg/providers/pricing/pricing.go Reset): on-demand from the static
// table, spot equal to on-demand until spot prices are fetched, and
// reserved at on-demand divided by 10,000,000. It returns false when the
// type has no on-demand price or ct is invalid.
func Price(name string, ct CapacityType) (float64, bool) {
	usd, ok := OnDemandPrice(name)
	if !ok {
		return 0, false
	}
	switch ct {
	case OnDemand, Spot:
		return usd, true
	case Reserved:
		return usd / reservedDivisor, true
	}
	return 0, false
}
