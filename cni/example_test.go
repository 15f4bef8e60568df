package cni_test

import (
	"errors"
	"fmt"

	"github.com/trunksim/trunksim/cni"
)

// Asking a release which behaviours it has, by name.
func Example() {
	v, err := cni.ParseVersion("v1.16.3")
	if err != nil {
		panic(err)
	}
	for _, f := range []cni.Feature{cni.FeaturePodENI, cni.FeatureStandardMode, cni.FeatureIPv6Branches, cni.FeatureTrunkExcluded, cni.FeatureTrunkSlotHeld} {
		fmt.Printf("%-16s since %-8v %v has it: %v\n", f, f.Since(), v, v.Has(f))
	}
	var newest cni.Version
	fmt.Println(newest, "has trunk-slot-held:", newest.Has(cni.FeatureTrunkSlotHeld))
	// Output:
	// pod-eni          since v1.7.0   v1.16.3 has it: true
	// standard-mode    since v1.11.0  v1.16.3 has it: true
	// ipv6-branches    since v1.16.0  v1.16.3 has it: true
	// trunk-excluded   since v1.16.4  v1.16.3 has it: false
	// trunk-slot-held  since v1.20.4  v1.16.3 has it: false
	// latest has trunk-slot-held: true
}

func ExampleParseVersion() {
	_, err := cni.ParseVersion("1.20")
	var ve *cni.VersionError
	fmt.Println(errors.Is(err, cni.ErrBadVersion), errors.As(err, &ve) && ve.Value == "1.20")
	fmt.Println(err)
	// Output:
	// true true
	// cni: invalid version "1.20" (want a release such as v1.20.4)
}
