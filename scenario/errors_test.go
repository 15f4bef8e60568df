package scenario

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/limits"
	"github.com/trunksim/trunksim/sim"
)

// policyYAML is a valid policy list entry, indented for securityGroupPolicies.
const policyYAML = `  - apiVersion: vpcresources.k8s.aws/v1beta1
    kind: SecurityGroupPolicy
    metadata: {name: web}
    spec:
      podSelector: {matchLabels: {app: web}}
      securityGroups: {groupIds: [sg-0123456789abcdef0]}
`

func TestParseErrorsNameFileLineAndField(t *testing.T) {
	tests := []struct {
		name  string
		yaml  string
		line  int
		field string
		is    error
		also  error  // a second error the result must match, or nil
		text  string // a fragment the message must contain
	}{
		// Structure.
		{"syntax error", "seed: 1\n  bad: [\n", 2, "", ErrSyntax, nil, "mapping values are not allowed"},
		{"empty file", "", 0, "", ErrSyntax, nil, "the file is empty"},
		{"comments only", "# nothing\n", 0, "", ErrSyntax, nil, "the file is empty"},
		{"null document", "---\n", 0, "", ErrSyntax, nil, "the file is empty"},
		{"two documents", "seed: 1\n---\nseed: 2\n", 3, "", ErrSyntax, nil, "a second YAML document that is not a Kubernetes object"},
		{"top level is a list", "- seed: 1\n", 1, "", ErrWrongType, nil, "want a mapping, got a list"},
		{"unknown top-level key", "seed: 1\nsede: 2\n", 2, "sede", ErrUnknownField, nil, "want seed, until"},
		{"unknown nested key", "nodeGroups:\n  - name: a\n    instanceType: m5.large\n    count: 1\n    flavour: x\n", 5, "nodeGroups[0].flavour", ErrUnknownField, nil, "want name, instanceType, count, trunkAttached, unownedBranches, os, maxPods, labels, securityGroups, subnet or autoscaling"},
		{"duplicate key", "seed: 1\nuntil: 1m\nseed: 2\n", 3, "seed", ErrDuplicate, nil, "first at line 1"},
		{"merge key", "controller:\n  <<: {branchWorkers: 3}\n", 2, "controller", ErrUnknownField, nil, "merge keys"},
		{"missing required", "nodeGroups:\n  - name: a\n    count: 1\n", 2, "nodeGroups[0].instanceType", ErrMissingField, nil, "missing required field"},
		{"mapping where a list belongs", "nodeGroups: {name: a}\n", 1, "nodeGroups", ErrWrongType, nil, "want a list, got a mapping"},
		{"list where a mapping belongs", "controller: [1]\n", 1, "controller", ErrWrongType, nil, "want a mapping, got a list"},
		{"alias bomb is not expanded", aliasBomb(), 1, "a0", ErrUnknownField, nil, "want seed"},

		// Scalars.
		{"seed negative", "seed: -1\n", 1, "seed", ErrInvalidValue, nil, "from 0 to"},
		{"seed a string", "seed: one\n", 1, "seed", ErrWrongType, nil, `got the string "one"`},
		{"integer too large", "nodeGroups:\n  - {name: a, instanceType: m5.large, count: 99999999999999999999}\n", 2, "nodeGroups[0].count", ErrWrongType, nil, "want an integer"},
		{"negative count", "nodeGroups:\n  - name: a\n    instanceType: m5.large\n    count: -3\n", 4, "nodeGroups[0].count", ErrInvalidValue, nil, "-3: must not be negative"},
		{"count above the bound", "nodeGroups:\n  - {name: a, instanceType: m5.large, count: 1000001}\n", 2, "nodeGroups[0].count", ErrInvalidValue, nil, "at most 1000000"},
		{"count a float", "nodeGroups:\n  - {name: a, instanceType: m5.large, count: 1.5}\n", 2, "nodeGroups[0].count", ErrWrongType, nil, "got the number 1.5"},
		{"bad duration", "until: 5 minutes\n", 1, "until", ErrInvalidValue, nil, "want a duration"},
		{"duration without unit", "until: 5\n", 1, "until", ErrInvalidValue, nil, "a number needs a unit"},
		{"negative duration", "workloads:\n  - {name: w, replicas: 1, at: -1s}\n", 2, "workloads[0].at", ErrInvalidValue, nil, "must not be negative"},
		{"zero cooldown", "controller:\n  cooldown: 0s\n", 2, "controller.cooldown", ErrInvalidValue, nil, "greater than zero"},
		{"duration beyond a year", "until: 9000h\n", 1, "until", ErrInvalidValue, nil, "at most 8760h"},
		{"zero QPS", "controller:\n  userClientQPS: 0\n", 2, "controller.userClientQPS", ErrInvalidValue, nil, "greater than zero"},
		{"NaN QPS", "controller:\n  userClientQPS: .nan\n", 2, "controller.userClientQPS", ErrInvalidValue, nil, "finite"},
		{"zero burst", "controller:\n  userClientBurst: 0\n", 2, "controller.userClientBurst", ErrInvalidValue, nil, "at least 1"},
		{"groups per interface above 16", "controller:\n  groupsPerInterface: 17\n", 2, "controller.groupsPerInterface", ErrInvalidValue, nil, "at most 16"},
		{"bool as string", "controller:\n  sharedEC2Client: \"yes\"\n", 2, "controller.sharedEC2Client", ErrWrongType, nil, "want true or false"},
		{"unquoted label number", "workloads:\n  - name: w\n    replicas: 1\n    labels: {version: 1}\n", 4, "workloads[0].labels.version", ErrWrongType, nil, "quote it"},
		{"bad label key", "workloads:\n  - {name: w, replicas: 1, labels: {\"-x\": a}}\n", 2, "workloads[0].labels.-x", ErrInvalidValue, nil, "label key"},
		{"bad namespace", "workloads:\n  - {name: w, namespace: Prod, replicas: 1}\n", 2, "workloads[0].namespace", ErrInvalidValue, nil, "lower-case"},

		// Enumerations.
		{"unknown preset", "controller: {preset: fast}\n", 1, "controller.preset", ErrInvalidValue, sim.ErrBadConfig, "upstream or raised-limits"},
		{"unknown placement", "placement: spread\n", 1, "placement", ErrInvalidValue, nil, "least-allocated or most-allocated"},
		{"unknown enforcing mode", "cni: {enforcingMode: lax}\n", 1, "cni.enforcingMode", ErrInvalidValue, nil, "strict or standard"},
		{"unknown IP family", "cni: {ipFamily: v4}\n", 1, "cni.ipFamily", ErrInvalidValue, nil, "ipv4 or ipv6"},
		{"malformed CNI version", "cni: {version: latest}\n", 1, "cni.version", ErrInvalidValue, sim.ErrBadConfig, "v1.20.4"},
		{"CNI too old", "cni: {version: v1.6.3}\n", 1, "cni.version", ErrInvalidValue, nil, "v1.7.0 or later"},
		{"unknown OS", "nodeGroups:\n  - {name: a, instanceType: m5.large, count: 1, os: macos}\n", 2, "nodeGroups[0].os", ErrInvalidValue, limits.ErrInvalidValue, "linux or windows"},
		{"unknown instance type", "nodeGroups:\n  - name: a\n    instanceType: m5.larg\n    count: 1\n", 3, "nodeGroups[0].instanceType", ErrInvalidValue, limits.ErrUnknownType, "did you mean m5.large"},

		// Faults.
		{"unknown EC2 action", "ec2:\n  faults:\n    - {api: CreateENI, code: X, probability: 1}\n", 3, "ec2.faults[0].api", ErrInvalidValue, nil, "CreateENI"},
		{"malformed fault code", "ec2:\n  faults:\n    - {api: CreateNetworkInterface, code: \"no such\", probability: 1}\n", 3, "ec2.faults[0].code", ErrInvalidValue, nil, "EC2 error code"},
		{"fault with neither code nor delay", "ec2:\n  faults:\n    - {api: CreateNetworkInterface, probability: 1}\n", 3, "ec2.faults[0]", ErrInvalidValue, nil, "exactly one of code"},
		{"fault with code and delay", "ec2:\n  faults:\n    - {api: CreateNetworkInterface, code: X, delay: 5s, probability: 1}\n", 3, "ec2.faults[0]", ErrInvalidValue, nil, "exactly one of code"},
		{"probability above one", "ec2:\n  faults:\n    - {api: CreateNetworkInterface, code: X, probability: 1.5}\n", 3, "ec2.faults[0].probability", ErrInvalidValue, nil, "at most 1"},
		{"fault window empty", "ec2:\n  faults:\n    - api: CreateNetworkInterface\n      code: X\n      probability: 1\n      from: 5m\n      until: 1m\n", 7, "ec2.faults[0].until", ErrInvalidValue, nil, "after from"},

		// Policies.
		{"policy apiVersion", "securityGroupPolicies:\n  - apiVersion: v1\n    kind: SecurityGroupPolicy\n", 2, "securityGroupPolicies[0].apiVersion", ErrInvalidValue, nil, "want vpcresources.k8s.aws/v1beta1"},
		{"policy kind", "securityGroupPolicies:\n  - apiVersion: vpcresources.k8s.aws/v1beta1\n    kind: NetworkPolicy\n", 3, "securityGroupPolicies[0].kind", ErrInvalidValue, nil, "want SecurityGroupPolicy"},
		{"policy without metadata", "securityGroupPolicies:\n  - apiVersion: vpcresources.k8s.aws/v1beta1\n    kind: SecurityGroupPolicy\n    spec: {podSelector: {}, securityGroups: {groupIds: [sg-01234567]}}\n", 2, "securityGroupPolicies[0].metadata", ErrMissingField, nil, ""},
		{"no group IDs", strings.Replace("securityGroupPolicies:\n"+policyYAML, "[sg-0123456789abcdef0]", "[]", 1), 7, "securityGroupPolicies[0].spec.securityGroups.groupIds", ErrInvalidValue, nil, "at least one"},
		{"duplicate policy", "securityGroupPolicies:\n" + policyYAML + policyYAML, 10, "securityGroupPolicies[1].metadata.name", ErrDuplicate, nil, `policy "default/web" (first at securityGroupPolicies[0], line 2)`},

		// Names and references.
		{"duplicate node group", "nodeGroups:\n  - {name: a, instanceType: m5.large, count: 1}\n  - {name: a, instanceType: m5.large, count: 2}\n", 3, "nodeGroups[1].name", ErrDuplicate, nil, `node group "a"`},
		{"duplicate workload", "workloads:\n  - {name: w, replicas: 1}\n  - {name: w, namespace: other, replicas: 1}\n", 3, "workloads[1].name", ErrDuplicate, nil, `workload "w"`},
		{"duplicate service account", "serviceAccounts:\n  - {name: a}\n  - {name: a, namespace: default}\n", 3, "serviceAccounts[1].name", ErrDuplicate, nil, "default/a"},
		{"duplicate security group", "securityGroups:\n  - {id: sg-01234567}\n  - {id: sg-01234567, name: again}\n", 3, "securityGroups[1].id", ErrDuplicate, nil, "sg-01234567"},
		{"security group with rules", "securityGroups:\n  - {id: sg-01234567, rules: []}\n", 2, "securityGroups[0].rules", ErrUnknownField, nil, "want id, name, ingress or egress"},
		{"undeclared service account", "workloads:\n  - {name: w, replicas: 1, serviceAccount: builder}\n", 2, "workloads[0].serviceAccount", ErrInvalidValue, nil, "declare it under serviceAccounts"},
		{"interval past the end of time", "workloads:\n  - {name: w, replicas: 1000000, interval: 1h}\n", 2, "workloads[0].interval", ErrInvalidValue, nil, "last of 1000000 pods"},

		// Events.
		{"event without at", "events:\n  - {action: restartController}\n", 2, "events[0].at", ErrMissingField, nil, ""},
		{"unknown action", "events:\n  - {at: 1m, action: reboot}\n", 2, "events[0].action", ErrInvalidValue, nil, "want addNode, deleteNode"},
		{"field the action does not use", "events:\n  - at: 1m\n    action: restartController\n    node: a-0\n", 4, "events[0].node", ErrUnknownField, nil, "for action restartController"},
		{"deleteNode without a target", "events:\n  - {at: 1m, action: deleteNode}\n", 2, "events[0].nodeGroup", ErrMissingField, nil, "needs node or nodeGroup"},
		{"node and nodeGroup", "nodeGroups:\n  - {name: a, instanceType: m5.large, count: 1}\nevents:\n  - {at: 1m, action: deleteNode, node: a-0, nodeGroup: a}\n", 4, "events[0].nodeGroup", ErrInvalidValue, nil, "not both"},
		{"count with node", "events:\n  - at: 1m\n    action: deleteNode\n    node: a-0\n    count: 2\n", 5, "events[0].count", ErrInvalidValue, nil, "count goes with nodeGroup"},
		{"addNode by name without type", "events:\n  - {at: 1m, action: addNode, node: extra}\n", 2, "events[0].instanceType", ErrMissingField, nil, "instanceType"},
		{"zero event count", "nodeGroups:\n  - {name: a, instanceType: m5.large, count: 1}\nevents:\n  - {at: 1m, action: deleteNode, nodeGroup: a, count: 0}\n", 4, "events[0].count", ErrInvalidValue, nil, "at least 1"},
		{"unknown node group", "events:\n  - at: 1m\n    action: addNode\n    nodeGroup: b\n", 4, "events[0].nodeGroup", ErrInvalidValue, nil, `"b": no such node group`},
		{"unknown workload", "events:\n  - at: 1m\n    action: deletePods\n    workload: w\n", 4, "events[0].workload", ErrInvalidValue, nil, "no such workload"},
		{"deleting more pods than replicas", "workloads:\n  - {name: w, replicas: 2}\nevents:\n  - at: 1m\n    action: deletePods\n    workload: w\n    count: 3\n", 7, "events[0].count", ErrInvalidValue, nil, "only 2 replicas"},
		{"more trunks than nodes", "nodeGroups:\n  - name: a\n    instanceType: m5.large\n    count: 2\n    trunkAttached: 3\n", 5, "nodeGroups[0].trunkAttached", ErrInvalidValue, nil, "3: more than the group's 2 node(s)"},
		{"trunks on windows", "nodeGroups:\n  - {name: a, instanceType: m5.large, count: 2, os: windows, trunkAttached: 1}\n", 2, "nodeGroups[0].trunkAttached", ErrInvalidValue, nil, "windows nodes hold no trunk ENI"},
		{"unowned branches without a trunk", "nodeGroups:\n  - {name: a, instanceType: m5.large, count: 2, unownedBranches: 1}\n", 2, "nodeGroups[0].unownedBranches", ErrInvalidValue, nil, "branches need trunks attached"},
		{"negative trunks", "nodeGroups:\n  - {name: a, instanceType: m5.large, count: 2, trunkAttached: -1}\n", 2, "nodeGroups[0].trunkAttached", ErrInvalidValue, nil, "-1"},
		{"more running than replicas", "workloads:\n  - name: w\n    replicas: 2\n    running: 3\n", 4, "workloads[0].running", ErrInvalidValue, nil, "3: more than the workload's 2 replicas"},
		{"running pods of a later workload", "workloads:\n  - {name: w, replicas: 2, running: 1, at: 1m}\n", 2, "workloads[0].running", ErrInvalidValue, nil, "there at time zero, but the workload is created at 1m0s"},
		{"scale with no replicas", "workloads:\n  - {name: w, replicas: 2}\nevents:\n  - {at: 1m, action: scale, workload: w}\n", 4, "events[0].replicas", ErrMissingField, nil, "scale needs replicas"},
		{"scale of a Job", "workloads:\n  - {name: w, replicas: 2, lifetime: 1m}\nevents:\n  - {at: 1m, action: scale, workload: w, replicas: 3}\n", 4, "events[0].workload", ErrInvalidValue, nil, "only a workload without a lifetime scales"},
		{"rollout of a Job", "workloads:\n  - {name: w, replicas: 2, lifetime: 1m}\nevents:\n  - {at: 1m, action: rolloutRestart, workload: w}\n", 4, "events[0].workload", ErrInvalidValue, nil, "only a workload without a lifetime has a rolling update"},
		{"scale with a count", "workloads:\n  - {name: w, replicas: 2}\nevents:\n  - {at: 1m, action: scale, workload: w, replicas: 3, count: 1}\n", 4, "events[0].count", ErrUnknownField, nil, "it uses at, action, workload or replicas"},
		{"deleting what a scale-up made", "workloads:\n  - {name: w, replicas: 2}\nevents:\n  - {at: 1m, action: scale, workload: w, replicas: 4}\n  - {at: 2m, action: deletePods, workload: w, count: 5}\n", 5, "events[1].count", ErrInvalidValue, nil, "only 4 replicas"},
		{"rollout that cannot progress", "workloads:\n  - {name: w, replicas: 2}\nevents:\n  - {at: 1m, action: rolloutRestart, workload: w, maxSurge: 0}\n", 4, "events[0].maxSurge", ErrInvalidValue, nil, "cannot both be 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc, err := Parse("bad.yaml", []byte(tt.yaml))
			require.Error(t, err)
			assert.Nil(t, sc)
			var e *Error
			require.True(t, errors.As(err, &e), "want *Error, got %T: %v", err, err)
			assert.Equal(t, "bad.yaml", e.File)
			assert.Equal(t, tt.line, e.Line, "line of: %v", err)
			assert.Equal(t, tt.field, e.Field, "field of: %v", err)
			assert.ErrorIs(t, err, tt.is)
			if tt.also != nil {
				assert.ErrorIs(t, err, tt.also)
			}
			prefix := "bad.yaml"
			if tt.line > 0 {
				prefix += ":" + strconv.Itoa(tt.line)
			}
			if tt.field != "" {
				prefix += ": " + tt.field
			}
			assert.True(t, strings.HasPrefix(err.Error(), prefix+": "), "%q does not start with %q", err.Error(), prefix)
			assert.Contains(t, err.Error(), tt.text)
		})
	}
}

// aliasBomb is a small document whose aliases expand to 10^8 values.
func aliasBomb() string {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i <= 8; i++ {
		prev := "*a" + strconv.Itoa(i-1)
		b.WriteString("a" + strconv.Itoa(i) + ": &a" + strconv.Itoa(i) + " [" + strings.Repeat(prev+", ", 9) + prev + "]\n")
	}
	b.WriteString("workloads:\n  - {name: w, replicas: 1, labels: *a8}\n")
	return b.String()
}

func TestParseBoundsTheValuesWalked(t *testing.T) {
	doc := "workloads:\n  - &w {name: w, replicas: 1, labels: {a: b, c: d}}\n  - *w\n  - *w\n"
	_, err := parse("big.yaml", []byte(doc), 12)
	assert.ErrorIs(t, err, ErrInvalidValue)
	assert.ErrorContains(t, err, "too many values")
	// The same document within budget fails only on the duplicate name.
	_, err = parse("big.yaml", []byte(doc), 1000)
	assert.ErrorIs(t, err, ErrDuplicate)
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load("testdata/no-such-file.yaml")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no-such-file.yaml")
}

// An input past MaxBytes is refused before it is parsed, naming the input.
func TestReadRefusesTooLarge(t *testing.T) {
	big := strings.NewReader("seed: 1\n" + strings.Repeat("#", MaxBytes))
	_, err := Read("<stdin>", big)
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrTooLarge)
	assert.Equal(t, "<stdin>: input too large: more than 2 MiB", err.Error())

	sc, err := Read("<stdin>", strings.NewReader("seed: 3\n"))
	require.NoError(t, err)
	assert.Equal(t, "<stdin>", sc.File)
}

// An event or workload after until would never happen: refused, naming
// the field, rather than dropped.
func TestParseRefusesWhatComesAfterUntil(t *testing.T) {
	src := "until: 5m\nnodeGroups:\n  - {name: a, instanceType: m5.large, count: 1}\nworkloads:\n  - {name: w, labels: {app: w}, replicas: 1, at: %s}\nevents:\n  - {at: %s, action: deleteNode, node: a-0}\n"
	_, err := Parse("late.yaml", []byte(fmt.Sprintf(src, "1m", "6m")))
	require.ErrorIs(t, err, ErrInvalidValue)
	assert.Contains(t, err.Error(), "late.yaml:7: events[0].at: invalid value 6m0s is after until 5m0s: the event would never run")
	_, err = Parse("late.yaml", []byte(fmt.Sprintf(src, "10m", "1m")))
	require.ErrorIs(t, err, ErrInvalidValue)
	assert.Contains(t, err.Error(), "workloads[0].at")
	_, err = Parse("ok.yaml", []byte(fmt.Sprintf(src, "5m", "5m")))
	require.NoError(t, err)
}

// A SecurityGroupPolicy exported with kubectl -o yaml, server metadata
// and status included, loads as written.
func TestPolicyAsKubectlPrintsItLoads(t *testing.T) {
	src := `securityGroupPolicies:
  - apiVersion: vpcresources.k8s.aws/v1beta1
    kind: SecurityGroupPolicy
    metadata:
      annotations:
        kubectl.kubernetes.io/last-applied-configuration: |
          {"apiVersion":"vpcresources.k8s.aws/v1beta1"}
      creationTimestamp: "2026-11-01T10:00:00Z"
      generation: 1
      managedFields:
      - {apiVersion: vpcresources.k8s.aws/v1beta1, fieldsType: FieldsV1, manager: kubectl, operation: Update}
      name: web
      namespace: default
      resourceVersion: "1002"
      uid: 1b2c3d4e-0000-4000-8000-000000000002
    spec:
      podSelector: {matchLabels: {app: web}}
      securityGroups: {groupIds: [sg-0123456789abcdef0]}
    status: {}
`
	sc, err := Parse("exported.yaml", []byte(src))
	require.NoError(t, err)
	require.Len(t, sc.SecurityGroupPolicies, 1)
	assert.Equal(t, "web", sc.SecurityGroupPolicies[0].Name)
}

// A huge value or key is quoted by a short prefix, not whole.
func TestErrorsQuoteAShortPrefix(t *testing.T) {
	long := strings.Repeat("x", 1<<20)
	for _, src := range []string{
		"nodeGroups:\n  - {name: a, instanceType: " + long + ", count: 1}\n",
		"nodeGroups:\n  - name: a\n    instanceType: m5.large\n    count: 1\n    ? " + long + "\n    : 1\n",
	} {
		_, err := Parse("big.yaml", []byte(src))
		require.Error(t, err)
		assert.Less(t, len(err.Error()), 1000, "%.200s", err.Error())
		assert.Contains(t, err.Error(), " bytes)")
	}
}
