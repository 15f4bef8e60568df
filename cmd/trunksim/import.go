package main

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/trunksim/trunksim/scenario"
	"github.com/trunksim/trunksim/scenario/importer"
)

const importUsage = `usage: trunksim import FILE... [-o SCENARIO.yaml]

Turns what kubectl and the AWS CLI print about a cluster into a scenario
that starts from it. Give it the output of

  kubectl get nodes,pods,deployments,replicasets,statefulsets,daemonsets,jobs,securitygrouppolicies,cninodes -A -o yaml
  kubectl -n kube-system get daemonset aws-node -o yaml
  kubectl -n kube-system get configmap amazon-vpc-cni -o yaml

and optionally of aws ec2 describe-instances, describe-security-groups,
describe-subnets, describe-vpcs and describe-network-interfaces (--output
json), in any mix of files (YAML or JSON, kind: List or many documents; - is
standard input). Nodes become node groups by instance type, OS and node
group or NodePool label, and by subnet and security groups when the EC2
side is given; pods become workloads by their owners, with the owners'
replica counts; policies are kept as written; the CNI settings and the
branch ENI cool-down come from aws-node and its ConfigMap; security groups
keep their rules, so trunksim check works on the result. Nothing else is
copied. Objects of other kinds are skipped with a warning on stderr.

Examples:
  kubectl get nodes,pods,deployments,securitygrouppolicies -A -o yaml > cluster.yaml
  aws ec2 describe-security-groups --output json > groups.json
  trunksim import cluster.yaml groups.json -o scenario.yaml && trunksim run scenario.yaml

Flags:
`

// runImport implements `trunksim import`.
func runImport(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	const name = "trunksim import"
	fs := newFlagSet(name)
	out := fs.String("o", "", "write the scenario to `FILE` instead of standard output")
	files, status := parseCommand(fs, importUsage, args, stdout, stderr)
	if status >= 0 {
		return status
	}
	if len(files) == 0 {
		return usageError(stderr, name, "want at least one file of kubectl output")
	}
	snap := importer.New()
	for _, f := range files {
		if err := readInto(snap, f, stdin); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
			return exitFailure
		}
	}
	data, err := snap.Scenario()
	// Writing finds problems of its own (an instance missing from
	// describe-instances, a policy's group missing), so warn after it.
	for _, w := range snap.Warnings() {
		fmt.Fprintf(stderr, "%s: warning: %s\n", name, w)
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return exitFailure
	}
	if *out == "" {
		_, err = stdout.Write(data)
	} else {
		err = writeFile(*out, func(w io.Writer) error { _, err := w.Write(data); return err })
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return exitFailure
	}
	return exitOK
}

// readInto reads one input, at most importer.MaxBytes of it.
func readInto(snap *importer.Snapshot, file string, stdin io.Reader) error {
	if file == "-" {
		data, err := scenario.ReadBytesMax(stdinName, stdin, importer.MaxBytes)
		if err != nil {
			return err
		}
		return snap.Read(stdinName, bytes.NewReader(data))
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	data, err := scenario.ReadBytesMax(file, f, importer.MaxBytes)
	if err != nil {
		return err
	}
	return snap.Read(file, bytes.NewReader(data))
}
