package scenario

import (
	"errors"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzParse checks that no input makes Parse panic, that every failure is
// an *Error, and that whatever parses survives Marshal and Parse again
// unchanged. The seed corpus is in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	for _, file := range []string{"testdata/contract-smoke.yaml", "testdata/every-key.yaml"} {
		data, err := os.ReadFile(file)
		require.NoError(f, err)
		f.Add(data)
	}
	// Policies as kubectl prints them: a List under the key, and documents
	// after the scenario.
	f.Add([]byte("securityGroupPolicies:\n  apiVersion: v1\n  kind: List\n  items:\n  - {apiVersion: vpcresources.k8s.aws/v1beta1, kind: SecurityGroupPolicy, metadata: {name: a, uid: x}, spec: {podSelector: {}, securityGroups: {groupIds: [sg-01234567]}}}\n"))
	f.Add([]byte("seed: 1\n---\napiVersion: vpcresources.k8s.aws/v1beta1\nkind: SecurityGroupPolicyList\nitems: [{apiVersion: vpcresources.k8s.aws/v1beta1, kind: SecurityGroupPolicy, metadata: {name: b}, spec: {serviceAccountSelector: {matchLabels: {a: b}}, securityGroups: {groupIds: [sg-01234567]}}}]\n---\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := Parse("fuzz.yaml", data)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error is a %T, not an *Error: %v", err, err)
			}
			if sc != nil {
				t.Fatal("Parse returned a scenario and an error")
			}
			return
		}
		out, err := sc.Marshal()
		require.NoError(t, err)
		back, err := Parse("fuzz.yaml", out)
		require.NoError(t, err, "%s", out)
		require.Equal(t, plain(sc), plain(back), "%s", out)
	})
}
