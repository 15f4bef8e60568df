package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Hostile input bounds: every command answers within these on a 2-core
// machine, whatever it is given. Peak heap is sampled beside the call.
const (
	hostileTime = 5 * time.Second
	hostileHeap = 200 << 20
)

const policyDoc = `securityGroupPolicies:
  - apiVersion: vpcresources.k8s.aws/v1beta1
    kind: SecurityGroupPolicy
    metadata: {name: all, namespace: default}
    spec:
      podSelector: {}
      securityGroups: {groupIds: [sg-0123456789abcdef0]}
`

// TestHostileInputsAreAnsweredQuicklyAndClearly feeds each command what
// people and programs get wrong or do on purpose, and holds every answer
// to the contract: the documented exit status, a message that names the
// place (file and line, or the flag) and says what is allowed, quoting no
// more than a short prefix of a long value, within hostileTime and
// hostileHeap.
func TestHostileInputsAreAnsweredQuicklyAndClearly(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds inputs of many megabytes")
	}
	dir := t.TempDir()
	file := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
		return p
	}
	longName := strings.Repeat("a", 10<<20)
	var labels strings.Builder
	labels.WriteString("workloads:\n  - name: w\n    replicas: 1\n    labels:\n")
	for i := 0; labels.Len() < 2<<20-100; i++ {
		fmt.Fprintf(&labels, "      k%d: v\n", i)
	}
	deep := strings.Repeat("[", 200_000) + strings.Repeat("]", 200_000)
	var placeholders strings.Builder
	for i := range 50_000 {
		fmt.Fprintf(&placeholders, "x%d,", i)
	}
	manyMalformed := strings.Replace(policyDoc, "[sg-0123456789abcdef0]", "["+strings.TrimSuffix(placeholders.String(), ",")+"]", 1)

	for _, tc := range []struct {
		name  string
		args  []string
		stdin string
		code  int
		say   []string
	}{
		{"a file over the size limit", []string{"run", file("huge.yaml", "seed: 1\n#"+strings.Repeat("x", 17<<20))}, "", exitFailure,
			[]string{"huge.yaml: input too large: more than 2 MiB"}},
		{"a file of 200,000 label keys", []string{"run", file("labels.yaml", labels.String())}, "", exitOK,
			nil},
		{"a 1 MB name", []string{"run", file("name.yaml", "nodeGroups:\n  - {name: "+longName[:1<<20]+", instanceType: m5.large}\n")}, "", exitFailure,
			[]string{"name.yaml:2: nodeGroups[0].name:", "aaaa"}},
		{"nesting 200,000 deep", []string{"run", file("deep.yaml", "seed: "+deep+"\n")}, "", exitFailure,
			[]string{"deep.yaml"}},
		{"binary garbage", []string{"run", file("garbage.yaml", "\x00\x01\xff\xfe{{{:::\n")}, "", exitFailure,
			[]string{"garbage.yaml"}},
		{"a retry period below the kubelet's floor", []string{"run", file("retry.yaml", "kubelet: {retryPeriod: 1ns}\n")}, "", exitFailure,
			[]string{"retry.yaml:1: kubelet.retryPeriod: invalid value 1ns: must be at least 1s"}},
		{"a count past the bound", []string{"run", file("count.yaml", "nodeGroups:\n  - {name: a, instanceType: m5.large, count: 2000000}\n")}, "", exitFailure,
			[]string{"count.yaml:2: nodeGroups[0].count"}},
		{"an event after until", []string{"run", file("until.yaml", "until: 1m\nnodeGroups: [{name: a, instanceType: m5.large, count: 1}]\nevents:\n  - {at: 2m, action: deleteNode, nodeGroup: a}\n")}, "", exitFailure,
			[]string{"until.yaml:4: events[0].at"}},
		{"a policy with no group", []string{"run", "-"}, strings.Replace(policyDoc, "[sg-0123456789abcdef0]", "[]", 1), exitFailure,
			[]string{"<stdin>:7: securityGroupPolicies[0].spec.securityGroups.groupIds"}},
		{"a policy of 50,000 placeholder group IDs", []string{"check", file("placeholders.yaml", manyMalformed)}, "", exitOK,
			nil},
		{"a second document that is not an object", []string{"run", "-"}, "seed: 1\n---\nseed: 2\n", exitFailure,
			[]string{"<stdin>:3:", "a second YAML document that is not a Kubernetes object"}},
		{"an unknown flag", []string{"run", "--fast", file("ok.yaml", "seed: 1\n")}, "", exitUsage,
			[]string{"-fast"}},
		{"negative workers", []string{"sweep", "--workers", "-1", file("ok2.yaml", "seed: 1\n")}, "", exitUsage,
			[]string{"--workers -1: want 0 (every core) or more"}},
		{"a sweep over an unknown setting", []string{"sweep", "--set", "unknown.key=1", file("ok3.yaml", "seed: 1\n")}, "", exitFailure,
			[]string{"unknown.key"}},
		{"a bad SLO bound", []string{"run", "--slo", "p99<=soon", file("ok4.yaml", "seed: 1\n")}, "", exitUsage,
			[]string{"-slo", `"soon"`}},
		{"import of something that is not Kubernetes", []string{"import", "-"}, `{"Buckets": []}`, exitFailure,
			[]string{"<stdin>", "kind: missing"}},
		{"import of a truncated List", []string{"import", "-"}, `{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Node"`, exitFailure,
			[]string{"<stdin>"}},
		{"import of a 10 MB object name", []string{"import", "-"}, `{"apiVersion":"v1","kind":"Node","metadata":{"name":"` + longName + `"}}`, exitFailure,
			[]string{"<stdin>: node/", "metadata.labels"}},
		{"check of a file over the size limit", []string{"check", file("huge2.yaml", "seed: 1\n#"+strings.Repeat("x", 3<<20))}, "", exitFailure,
			[]string{"huge2.yaml: input too large: more than 2 MiB"}},
		{"check of binary garbage", []string{"check", file("garbage2.yaml", "\xff\xfe\x00{")}, "", exitFailure,
			[]string{"garbage2.yaml"}},
		{"explain of a pod the run never had", []string{"explain", "--pod", "default/nobody", file("ok5.yaml", "nodeGroups: [{name: a, instanceType: m5.large, count: 1}]\n")}, "", exitFailure,
			[]string{"default/nobody"}},
		{"explain with a pod that is not NAMESPACE/NAME", []string{"explain", "--pod", "nobody", file("ok6.yaml", "seed: 1\n")}, "", exitUsage,
			[]string{"--pod wants NAMESPACE/NAME"}},
		{"diff against a file over the size limit", []string{"diff", file("ok7.yaml", "seed: 1\n"), file("huge3.yaml", "#"+strings.Repeat("x", 3<<20))}, "", exitFailure,
			[]string{"huge3.yaml: input too large"}},
		{"diff with a setting that does not exist", []string{"diff", "--set", "controller.nope=1", file("ok8.yaml", "seed: 1\n")}, "", exitFailure,
			[]string{"controller.nope"}},
		{"limits of a type no release knows", []string{"limits", strings.Repeat("m5.huge", 1000)}, "", exitFailure,
			[]string{"m5.hugem5.huge"}},
		{"plan with a negative pod count", []string{"plan", "--sg-pods", "-5", "--types", "m5.large"}, "", exitUsage,
			[]string{"--sg-pods"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var code int
			var stdout, stderr string
			elapsed, peak := timeAndHeap(func() { code, stdout, stderr = runCLIWithInput(tc.stdin, tc.args...) })
			assert.Equal(t, tc.code, code, "stderr: %.300s", stderr)
			for _, want := range tc.say {
				assert.Contains(t, stderr, want)
			}
			assert.Less(t, len(stderr), 2000, "a message quotes a short prefix at most: %.300s...", stderr)
			if code != exitOK {
				assert.Empty(t, stdout, "a refused input prints no report")
			}
			assert.Less(t, elapsed, hostileTime*raceSlowdown, "answered in %v", elapsed)
			assert.Less(t, peak, uint64(hostileHeap), "peak heap %d MiB", peak>>20)
		})
	}
}

// timeAndHeap runs f and returns its wall time and the peak heap in use above
// what was in use before it, sampled every millisecond.
func timeAndHeap(f func()) (time.Duration, uint64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak atomic.Uint64
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				if m.HeapInuse > base && m.HeapInuse-base > peak.Load() {
					peak.Store(m.HeapInuse - base)
				}
			}
		}
	}()
	start := time.Now()
	f()
	elapsed := time.Since(start)
	close(done)
	return elapsed, peak.Load()
}
