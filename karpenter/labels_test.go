package karpenter

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/trunksim/trunksim/limits"
)

func mustType(t testing.TB, name string) limits.InstanceType {
	t.Helper()
	it, err := limits.Default().Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return it
}

func get(l Labels, key string) string {
	v, ok := l.Get(key)
	if !ok {
		return "<absent>"
	}
	return v
}

// TestComputeRequirementsLabels checks the labels of a few types against
// what the AWS provider's computeRequirements
// (pkg/providers/instancetype/types.go) gives them.
func TestComputeRequirementsLabels(t *testing.T) {
	keys := []string{keyInstanceType, keyFamily, keySize, keyCategory, keyGeneration, keyHypervisor, keyArch, keyOS}
	tests := []struct {
		name string
		want []string // in the order of keys
	}{
		{"m5.xlarge", []string{"m5.xlarge", "m5", "xlarge", "m", "5", "nitro", "amd64", "linux"}},
		{"c6g.medium", []string{"c6g.medium", "c6g", "medium", "c", "6", "nitro", "arm64", "linux"}},
		{"m5.metal", []string{"m5.metal", "m5", "metal", "m", "5", "", "amd64", "linux"}},
		{"c4.large", []string{"c4.large", "c4", "large", "c", "4", "xen", "amd64", "linux"}},
		{"u-6tb1.56xlarge", []string{"u-6tb1.56xlarge", "u-6tb1", "56xlarge", "u", "1", "nitro", "amd64", "linux"}},
		{"u7i-12tb.224xlarge", []string{"u7i-12tb.224xlarge", "u7i-12tb", "224xlarge", "u", "7", "nitro", "amd64", "linux"}},
		{"m7i-flex.large", []string{"m7i-flex.large", "m7i-flex", "large", "m", "7", "nitro", "amd64", "linux"}},
		{"c7g-flex.large", []string{"c7g-flex.large", "c7g-flex", "large", "c", "7", "nitro", "arm64", "linux"}},
		{"mac2-m2.metal", []string{"mac2-m2.metal", "mac2-m2", "metal", "mac", "2", "", "arm64", "linux"}},
		{"mac1.metal", []string{"mac1.metal", "mac1", "metal", "mac", "1", "", "amd64", "linux"}},
		// The pattern needs digits right after the letters, so upstream
		// gives these Macs no category and no generation.
		{"mac-m4.metal", []string{"mac-m4.metal", "mac-m4", "metal", "<absent>", "<absent>", "", "arm64", "linux"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := WellKnownLabels(mustType(t, tt.name))
			for i, key := range keys {
				if got := get(l, key); got != tt.want[i] {
					t.Errorf("%s = %q, want %q", key, got, tt.want[i])
				}
			}
		})
	}
}

// TestLabelsOfEveryDefaultType checks every type in the default table:
// family and size are the two halves of the name, and every type has a
// non-empty category and generation except the four Macs whose names
// upstream's pattern does not match.
func TestLabelsOfEveryDefaultType(t *testing.T) {
	var noScheme []string
	for _, it := range limits.Default().All() {
		l := WellKnownLabels(it)
		family, size, _ := strings.Cut(it.Name, ".")
		if get(l, keyFamily) != family || get(l, keySize) != size || family == "" || size == "" {
			t.Errorf("%s: family %q size %q", it.Name, get(l, keyFamily), get(l, keySize))
		}
		category, ok1 := l.Get(keyCategory)
		generation, ok2 := l.Get(keyGeneration)
		if ok1 != ok2 {
			t.Errorf("%s: category present %v but generation present %v", it.Name, ok1, ok2)
		}
		if !ok1 {
			noScheme = append(noScheme, it.Name)
			continue
		}
		if category == "" || generation == "" {
			t.Errorf("%s: empty category %q or generation %q", it.Name, category, generation)
		}
	}
	want := []string{"mac-m3ultra.metal", "mac-m4.metal", "mac-m4max.metal", "mac-m4pro.metal"}
	if !slices.Equal(noScheme, want) {
		t.Errorf("types without category and generation = %q, want %q", noScheme, want)
	}
}

// upstreamScheme is the pattern of the AWS provider's
// pkg/providers/instancetype/types.go, which parseScheme replaces.
var upstreamScheme = regexp.MustCompile(`(^[a-z]+)(\-[0-9]+tb)?([0-9]+).*\.`)

func regexScheme(name string) (string, string, bool) {
	m := upstreamScheme.FindStringSubmatch(name)
	if len(m) != 4 {
		return "", "", false
	}
	return m[1], m[3], true
}

// TestInstanceTypeSchemeMatchesUpstreamRegexp checks parseScheme against
// upstream's regular expression (pkg/providers/instancetype/types.go
// instanceTypeScheme) on every default type and on random names.
func TestInstanceTypeSchemeMatchesUpstreamRegexp(t *testing.T) {
	check := func(t interface{ Fatalf(string, ...any) }, name string) {
		c1, g1, ok1 := parseScheme(name)
		c2, g2, ok2 := regexScheme(name)
		if c1 != c2 || g1 != g2 || ok1 != ok2 {
			t.Fatalf("%q: parseScheme = %q %q %v, regexp = %q %q %v", name, c1, g1, ok1, c2, g2, ok2)
		}
	}
	for _, it := range limits.Default().All() {
		check(t, it.Name)
	}
	rapid.Check(t, func(t *rapid.T) {
		check(t, rapid.StringMatching(`[a-z0-9.tb-]{0,12}`).Draw(t, "name"))
	})
}

// TestArchitectureMatchesDescribeInstanceTypes is a differential test of
// the naming rule against the real DescribeInstanceTypes output that the
// AWS provider keeps as test fixtures
// (pkg/fake/zz_generated.describe_instance_types.go at v1.15.2,
// ProcessorInfo.SupportedArchitectures and Hypervisor), mapped to
// Kubernetes names as AWSToKubeArchitectures does (pkg/apis/v1/labels.go).
func TestArchitectureMatchesDescribeInstanceTypes(t *testing.T) {
	fixtures := []struct{ name, arch, hypervisor string }{
		{"c6g.large", "arm64", "nitro"},
		{"g4dn.8xlarge", "amd64", "nitro"},
		{"g5.12xlarge", "amd64", "nitro"},
		{"g6.12xlarge", "amd64", "nitro"},
		{"inf2.24xlarge", "amd64", "nitro"},
		{"inf2.xlarge", "amd64", "nitro"},
		{"m5.large", "amd64", "nitro"},
		{"m5.metal", "amd64", ""},
		{"m5.xlarge", "amd64", "nitro"},
		{"m6idn.32xlarge", "amd64", "nitro"},
		{"m7i-flex.large", "amd64", "nitro"},
		{"p5.48xlarge", "amd64", "nitro"},
		{"t3.large", "amd64", "nitro"},
		{"t4g.medium", "arm64", "nitro"},
		{"t4g.small", "arm64", "nitro"},
		{"t4g.xlarge", "arm64", "nitro"},
		{"trn1.2xlarge", "amd64", "nitro"},
	}
	for _, f := range fixtures {
		l := WellKnownLabels(mustType(t, f.name))
		if got := get(l, keyArch); got != f.arch {
			t.Errorf("%s: arch %q, DescribeInstanceTypes says %q", f.name, got, f.arch)
		}
		if got := get(l, keyHypervisor); got != f.hypervisor {
			t.Errorf("%s: hypervisor %q, DescribeInstanceTypes says %q", f.name, got, f.hypervisor)
		}
	}
}

// TestArm64FamiliesOfTheDefaultTable pins the families the naming rule
// calls arm64, so that a new family or a change to the rule shows here.
// Beyond the fixtures above, the list is from EC2's documented naming
// (a "g" attribute for Graviton, Apple silicon for mac2 and later).
func TestArm64FamiliesOfTheDefaultTable(t *testing.T) {
	var got []string
	for _, it := range limits.Default().All() {
		if get(WellKnownLabels(it), keyArch) == "arm64" && !slices.Contains(got, it.Family()) {
			got = append(got, it.Family())
		}
	}
	slices.Sort(got)
	want := []string{
		"a1", "c6g", "c6gd", "c6gn", "c7g", "c7g-flex", "c7gd", "c7gn", "c8g", "c8g-flex", "c8gb", "c8gd", "c8gn",
		"c9g", "c9gd", "g5g", "hpc7g", "i4g", "i8g", "i8ge", "im4gn", "is4gen", "m6g", "m6gd", "m7g", "m7g-flex",
		"m7gd", "m8g", "m8g-flex", "m8gb", "m8gd", "m8gn", "m9g", "m9gd", "mac-m3ultra", "mac-m4", "mac-m4max",
		"mac-m4pro", "mac2", "mac2-m1ultra", "mac2-m2", "mac2-m2pro", "r6g", "r6gd", "r7g", "r7gd", "r8g", "r8gb",
		"r8gd", "r8gn", "r9g", "r9gd", "t4g", "x2gd", "x8g",
	}
	if !slices.Equal(got, want) {
		t.Errorf("arm64 families:\n got %q\nwant %q", got, want)
	}
}
