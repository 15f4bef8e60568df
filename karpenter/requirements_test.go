package karpenter

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/trunksim/trunksim/limits"
)

func TestOperatorStringAndParse(t *testing.T) {
	for o := In; o <= Lte; o++ {
		got, err := ParseOperator(o.String())
		if err != nil || got != o {
			t.Errorf("ParseOperator(%q) = %v, %v", o.String(), got, err)
		}
	}
	if Operator(0).String() != "Operator(0)" || Operator(9).IsValid() {
		t.Errorf("invalid operators: %v %v", Operator(0), Operator(9).IsValid())
	}
	for _, s := range []string{"", "in", "Equals"} {
		_, err := ParseOperator(s)
		var re *RequirementError
		if !errors.Is(err, ErrBadRequirement) || !errors.As(err, &re) || re.Field != "operator" {
			t.Errorf("ParseOperator(%q) = %v; want a RequirementError for operator", s, err)
		}
	}
}

func TestCapacityTypeString(t *testing.T) {
	for ct, want := range map[CapacityType]string{OnDemand: "on-demand", Spot: "spot", Reserved: "reserved", 0: "CapacityType(0)"} {
		if ct.String() != want {
			t.Errorf("%d.String() = %q, want %q", ct, ct.String(), want)
		}
	}
}

// TestValidateRequirement mirrors the NodePool CRD's rules (AWS
// pkg/apis/crds/karpenter.sh_nodepools.yaml) and core's
// ValidateRequirement and validateWellKnownValues
// (pkg/apis/v1/nodeclaim_validation.go); each row names the rule.
func TestValidateRequirement(t *testing.T) {
	tests := []struct {
		rule  string
		r     Requirement
		field string // "" for valid
	}{
		{"In with values", Requirement{Key: keyArch, Operator: In, Values: []string{"arm64"}}, ""},
		{"In needs a value (CRD, ValidateRequirement)", Requirement{Key: keyArch, Operator: In}, "values"},
		{"NotIn may be empty", Requirement{Key: keyArch, Operator: NotIn}, ""},
		{"Exists without values", Requirement{Key: keyFamily, Operator: Exists}, ""},
		{"Exists takes no values (Kubernetes node selectors)", Requirement{Key: keyFamily, Operator: Exists, Values: []string{"m5"}}, "values"},
		{"DoesNotExist takes no values", Requirement{Key: "example.com/team", Operator: DoesNotExist, Values: []string{"a"}}, "values"},
		{"Gt one integer", Requirement{Key: keyGeneration, Operator: Gt, Values: []string{"5"}}, ""},
		{"Gte zero", Requirement{Key: keyGeneration, Operator: Gte, Values: []string{"0"}}, ""},
		{"Gt needs exactly one value (CRD)", Requirement{Key: keyGeneration, Operator: Gt, Values: []string{"5", "6"}}, "values"},
		{"Lt needs a value", Requirement{Key: keyGeneration, Operator: Lt}, "values"},
		{"Lte needs an integer", Requirement{Key: keyGeneration, Operator: Lte, Values: []string{"five"}}, "values"},
		{"Gt needs a non-negative integer", Requirement{Key: keyGeneration, Operator: Gt, Values: []string{"-1"}}, "values"},
		{"unknown operator (SupportedNodeSelectorOps)", Requirement{Key: keyArch, Values: []string{"amd64"}}, "operator"},
		{"value must be a label value (IsValidLabelValue)", Requirement{Key: "example.com/team", Operator: In, Values: []string{"not valid!"}}, "values"},
		{"value at most 63 characters", Requirement{Key: "example.com/team", Operator: In, Values: []string{strings.Repeat("a", 64)}}, "values"},
		{"key must be a qualified name (IsQualifiedName)", Requirement{Key: "bad key", Operator: Exists}, "key"},
		{"empty key", Requirement{Operator: Exists}, "key"},
		{"custom key is allowed", Requirement{Key: "example.com/team", Operator: In, Values: []string{"a"}}, ""},
		{"beta key is normalised", Requirement{Key: "beta.kubernetes.io/arch", Operator: In, Values: []string{"arm64"}}, ""},
		{"karpenter.sh/nodepool is restricted (CRD)", Requirement{Key: keyNodePool, Operator: In, Values: []string{"a"}}, "key"},
		{"karpenter.sh domain is restricted (CRD, IsRestrictedLabel)", Requirement{Key: "karpenter.sh/registered", Operator: Exists}, "key"},
		{"a subdomain of karpenter.sh is restricted", Requirement{Key: "x.karpenter.sh/a", Operator: Exists}, "key"},
		{"kubernetes.io/hostname is restricted (CRD, RestrictedLabels)", Requirement{Key: keyHostname, Operator: Exists}, "key"},
		{"unlisted karpenter.k8s.aws key is restricted (CRD)", Requirement{Key: "karpenter.k8s.aws/foo", Operator: Exists}, "key"},
		{"bare karpenter.k8s.aws is restricted (CRD)", Requirement{Key: awsDomain, Operator: Exists}, "key"},
		{"instance-cpu is not modelled", Requirement{Key: awsDomain + "/instance-cpu", Operator: Gt, Values: []string{"4"}}, "key"},
		{"zone-id is not modelled", Requirement{Key: keyZoneID, Operator: Exists}, "key"},
		{"zone is accepted", Requirement{Key: "failure-domain.beta.kubernetes.io/zone", Operator: In, Values: []string{"us-east-1a"}}, ""},
		{"capacity type known value (validateWellKnownValues)", Requirement{Key: keyCapacityType, Operator: In, Values: []string{"spot", "on-demand"}}, ""},
		{"capacity type mixed values keep the known", Requirement{Key: keyCapacityType, Operator: In, Values: []string{"spot", "cheap"}}, ""},
		{"capacity type only unknown values", Requirement{Key: keyCapacityType, Operator: In, Values: []string{"cheap"}}, "values"},
		{"capacity type fewer known values than minValues", Requirement{Key: keyCapacityType, Operator: In, Values: []string{"spot", "cheap"}, MinValues: 2}, "minValues"},
		{"capacity type NotIn is not checked", Requirement{Key: keyCapacityType, Operator: NotIn, Values: []string{"cheap"}}, ""},
		{"minValues 1 to 50 (CRD)", Requirement{Key: keyFamily, Operator: Exists, MinValues: 50}, ""},
		{"minValues above 50", Requirement{Key: keyFamily, Operator: Exists, MinValues: 51}, "minValues"},
		{"minValues negative", Requirement{Key: keyFamily, Operator: Exists, MinValues: -1}, "minValues"},
		{"In lists at least minValues (CRD, ValidateRequirement)", Requirement{Key: keyFamily, Operator: In, Values: []string{"m5"}, MinValues: 2}, "minValues"},
		{"In lists exactly minValues", Requirement{Key: keyFamily, Operator: In, Values: []string{"m5", "c5"}, MinValues: 2}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			err := tt.r.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var re *RequirementError
			if !errors.Is(err, ErrBadRequirement) || !errors.As(err, &re) {
				t.Fatalf("Validate() = %v, want a RequirementError", err)
			}
			if re.Field != tt.field || re.Index != -1 || re.Key != tt.r.Key {
				t.Errorf("field %q index %d key %q, want %q -1 %q", re.Field, re.Index, re.Key, tt.field, tt.r.Key)
			}
			if !strings.HasPrefix(err.Error(), "requirement."+tt.field+": ") {
				t.Errorf("message %q does not name the field %q", err, tt.field)
			}
		})
	}
}

func TestUnmodelledKeyErrorSuggestsAlternatives(t *testing.T) {
	err := Requirements{
		{Key: keyArch, Operator: In, Values: []string{"amd64"}},
		{Key: awsDomain + "/instance-memory", Operator: Gt, Values: []string{"8191"}},
	}.Validate()
	var um *UnmodelledKeyError
	if !errors.As(err, &um) || um.Key != awsDomain+"/instance-memory" {
		t.Fatalf("Validate() = %v, want an UnmodelledKeyError", err)
	}
	msg := err.Error()
	for _, want := range []string{"requirements[1].key: ", "not modelled", "no such data", keySize, keyInstanceType} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
}

// TestAllowsNodeSelectorSemantics checks the operators on the labels of
// m5.large and c6g.medium: a missing label fails In, Exists and the
// integer comparisons and passes NotIn and DoesNotExist, as a Kubernetes
// node selector does.
func TestAllowsNodeSelectorSemantics(t *testing.T) {
	m5 := Offering{Type: mustType(t, "m5.large"), CapacityType: OnDemand}
	c6g := Offering{Type: mustType(t, "c6g.medium"), CapacityType: Spot}
	macM4 := Offering{Type: mustType(t, "mac-m4.metal"), CapacityType: OnDemand}
	r := func(key string, op Operator, values ...string) Requirements {
		return Requirements{{Key: key, Operator: op, Values: values}}
	}
	tests := []struct {
		name string
		rs   Requirements
		o    Offering
		want bool
	}{
		{"no requirements", nil, m5, true},
		{"In match", r(keyArch, In, "amd64"), m5, true},
		{"In miss", r(keyArch, In, "amd64"), c6g, false},
		{"beta key", r("beta.kubernetes.io/arch", In, "arm64"), c6g, true},
		{"NotIn", r(keyFamily, NotIn, "m5", "c5"), m5, false},
		{"NotIn other", r(keyFamily, NotIn, "m5", "c5"), c6g, true},
		{"Gt", r(keyGeneration, Gt, "5"), m5, false},
		{"Gt other", r(keyGeneration, Gt, "5"), c6g, true},
		{"Gte", r(keyGeneration, Gte, "5"), m5, true},
		{"Lt", r(keyGeneration, Lt, "6"), m5, true},
		{"Lte", r(keyGeneration, Lte, "5"), c6g, false},
		{"Gt on a non-integer label", r(keySize, Gt, "1"), m5, false},
		{"In on a missing label", r(keyCategory, In, "mac"), macM4, false},
		{"Exists on a missing label", r(keyCategory, Exists), macM4, false},
		{"Gt on a missing label", r(keyGeneration, Gt, "0"), macM4, false},
		{"NotIn on a missing label", r(keyCategory, NotIn, "mac"), macM4, true},
		{"DoesNotExist on a missing label", r(keyGeneration, DoesNotExist), macM4, true},
		{"DoesNotExist on a present label", r(keyGeneration, DoesNotExist), m5, false},
		{"hypervisor of bare metal is empty", r(keyHypervisor, In, ""), macM4, true},
		{"windows build is absent", r(keyWindowsBuild, DoesNotExist), m5, true},
		{"os", r(keyOS, In, "windows"), m5, false},
		{"capacity type", r(keyCapacityType, In, "spot"), m5, false},
		{"capacity type other", r(keyCapacityType, In, "spot"), c6g, true},
		{"custom key constrains only node labels", r("example.com/team", In, "a"), m5, true},
		{"zone is not checked", r(keyZone, In, "nowhere-1a"), m5, true},
		{"reserved is never allowed", nil, Offering{Type: m5.Type, CapacityType: Reserved}, false},
		{"all must hold", append(r(keyArch, In, "amd64"), r(keySize, In, "xlarge")...), m5, false},
	}
	for _, tt := range tests {
		if got := tt.rs.Allows(tt.o); got != tt.want {
			t.Errorf("%s: Allows(%s %v) = %v, want %v", tt.name, tt.o.Type.Name, tt.o.CapacityType, got, tt.want)
		}
	}
}

func TestUncheckedListsZoneAndRegion(t *testing.T) {
	rs := Requirements{
		{Key: keyArch, Operator: In, Values: []string{"amd64"}},
		{Key: "failure-domain.beta.kubernetes.io/zone", Operator: In, Values: []string{"us-east-1a"}},
		{Key: keyRegion, Operator: In, Values: []string{"us-east-1"}},
	}
	if got := rs.Unchecked(); len(got) != 2 || got[0].Key != rs[1].Key || got[1].Key != keyRegion {
		t.Errorf("Unchecked() = %v", got)
	}
}

// TestGetCapacityTypePrecedence follows the AWS provider's
// getCapacityType (pkg/providers/instance/instance.go): reserved, then
// spot, then on-demand; reserved is never offered here. Karpenter v1
// adds no default capacity-type requirement (core
// pkg/apis/v1/nodepool_defaults.go), so none means spot and on-demand.
func TestGetCapacityTypePrecedence(t *testing.T) {
	ct := func(values ...string) Requirements {
		return Requirements{{Key: keyCapacityType, Operator: In, Values: values}}
	}
	tests := []struct {
		name string
		rs   Requirements
		want []CapacityType
	}{
		{"none", nil, []CapacityType{Spot, OnDemand}},
		{"on-demand", ct("on-demand"), []CapacityType{OnDemand}},
		{"both in any order", ct("on-demand", "spot", "reserved"), []CapacityType{Spot, OnDemand}},
		{"reserved alone", ct("reserved"), nil},
		{"mixed unknown", ct("spot", "cheap"), []CapacityType{Spot}},
		{"NotIn spot", Requirements{{Key: keyCapacityType, Operator: NotIn, Values: []string{"spot"}}}, []CapacityType{OnDemand}},
		{"DoesNotExist", Requirements{{Key: keyCapacityType, Operator: DoesNotExist}}, nil},
	}
	for _, tt := range tests {
		if got := tt.rs.CapacityTypes(); !slices.Equal(got, tt.want) {
			t.Errorf("%s: CapacityTypes() = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestResolveCustomLabelsFromRequirements follows core's
// resolveCustomLabelsFromRequirements
// (pkg/controllers/provisioning/scheduling/nodeclaimtemplate.go) for the
// deterministic case: a custom key left with one In value is stamped on
// the node; well-known keys are not.
func TestResolveCustomLabelsFromRequirements(t *testing.T) {
	rs := Requirements{
		{Key: "example.com/team", Operator: In, Values: []string{"payments"}},
		{Key: "example.com/tier", Operator: In, Values: []string{"gold", "silver"}},
		{Key: "example.com/tier", Operator: NotIn, Values: []string{"silver"}},
		{Key: "example.com/zone", Operator: In, Values: []string{"a", "b"}},
		{Key: "example.com/flag", Operator: Exists},
		{Key: keyArch, Operator: In, Values: []string{"arm64"}},
	}
	got := rs.NodeLabels()
	want := map[string]string{"example.com/team": "payments", "example.com/tier": "gold"}
	if len(got) != len(want) {
		t.Fatalf("NodeLabels() = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("NodeLabels()[%q] = %q, want %q", k, got[k], v)
		}
	}
	if Requirements(nil).NodeLabels() != nil {
		t.Error("NodeLabels of no requirements is not nil")
	}
}

// TestSatisfiesMinValues follows core's InstanceTypes.SatisfiesMinValues
// (pkg/cloudprovider/types.go): distinct admitted values per key with
// minValues, the largest minValues of a key winning.
func TestSatisfiesMinValues(t *testing.T) {
	var types []limits.InstanceType
	for _, n := range []string{"c5.large", "c5.xlarge", "m5.large", "c6g.medium"} {
		types = append(types, mustType(t, n))
	}
	tests := []struct {
		name    string
		rs      Requirements
		wantKey string
	}{
		{"no minValues", Requirements{{Key: keyFamily, Operator: Exists}}, ""},
		{"three families", Requirements{{Key: keyFamily, Operator: Exists, MinValues: 3}}, ""},
		{"four families", Requirements{{Key: keyFamily, Operator: Exists, MinValues: 4}}, keyFamily},
		{"only admitted values count", Requirements{{Key: keyFamily, Operator: NotIn, Values: []string{"m5"}, MinValues: 3}}, keyFamily},
		{"largest minValues of a key", Requirements{
			{Key: keyFamily, Operator: Exists, MinValues: 1},
			{Key: keyInstanceType, Operator: Exists, MinValues: 4},
			{Key: keyFamily, Operator: Exists, MinValues: 4},
		}, keyFamily},
		{"capacity types", Requirements{{Key: keyCapacityType, Operator: In, Values: []string{"spot", "on-demand"}, MinValues: 2}}, ""},
		{"zones are not checked", Requirements{{Key: keyZone, Operator: Exists, MinValues: 3}}, ""},
		{"custom keys have no values on types", Requirements{{Key: "example.com/team", Operator: Exists, MinValues: 1}}, "example.com/team"},
	}
	for _, tt := range tests {
		key, ok := SatisfiesMinValues(types, tt.rs)
		if key != tt.wantKey || ok != (tt.wantKey == "") {
			t.Errorf("%s: SatisfiesMinValues = %q, %v, want %q", tt.name, key, ok, tt.wantKey)
		}
	}
}

// TestInAndNotInAreComplements: for every default type and any value of
// any answerable key, exactly one of In [v] and NotIn [v] holds.
func TestInAndNotInAreComplements(t *testing.T) {
	all := limits.Default().All()
	keys := []string{keyInstanceType, keyFamily, keySize, keyCategory, keyGeneration, keyHypervisor, keyArch, keyOS, keyCapacityType, keyWindowsBuild}
	rapid.Check(t, func(t *rapid.T) {
		it := rapid.SampledFrom(all).Draw(t, "type")
		key := rapid.SampledFrom(keys).Draw(t, "key")
		ct := rapid.SampledFrom([]CapacityType{OnDemand, Spot}).Draw(t, "capacityType")
		// Draw the value from the type's own labels half the time, so
		// that In is not almost always false.
		value := rapid.StringMatching(`[a-z0-9.-]{0,8}`).Draw(t, "value")
		if own, ok := WellKnownLabels(it).Get(key); ok && rapid.Bool().Draw(t, "own") {
			value = own
		}
		o := Offering{Type: it, CapacityType: ct}
		in := Requirements{{Key: key, Operator: In, Values: []string{value}}}.Allows(o)
		notIn := Requirements{{Key: key, Operator: NotIn, Values: []string{value}}}.Allows(o)
		if in == notIn {
			t.Fatalf("%s %s=%q: In %v, NotIn %v", it.Name, key, value, in, notIn)
		}
	})
}

// BenchmarkAllows filters the whole default table with a typical NodePool.
func BenchmarkAllows(b *testing.B) {
	all := limits.Default().All()
	rs := Requirements{
		{Key: keyCategory, Operator: In, Values: []string{"c", "m", "r"}},
		{Key: keyGeneration, Operator: Gt, Values: []string{"4"}},
		{Key: keyArch, Operator: In, Values: []string{"amd64"}},
		{Key: keyCapacityType, Operator: In, Values: []string{"on-demand"}},
		{Key: "example.com/team", Operator: In, Values: []string{"payments"}},
		{Key: keyZone, Operator: In, Values: []string{"us-east-1a"}},
	}
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		for _, it := range all {
			if rs.Allows(Offering{Type: it, CapacityType: OnDemand}) {
				n++
			}
		}
		if n == 0 {
			b.Fatal("nothing allowed")
		}
	}
}
