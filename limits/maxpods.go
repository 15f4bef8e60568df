package limits

import (
	"slices"
	"strings"
)

// cniMaxPodsRow is one line of the VPC CNI's eni-max-pods.txt.
type cniMaxPodsRow struct {
	name string
	pods uint16
}

// CNIMaxPods returns the max pods the Amazon VPC CNI publishes for the
// instance type name in its misc/eni-max-pods.txt (see [CNIMaxPodsSource]
// for the release), and false when that file does not list the type. EKS
// node bootstrap uses the same file, so it is the figure for a node whose
// type the chosen controller release's table lacks; for a type the table
// has, [InstanceType.MaxPods] computes the same formula from its limits.
func CNIMaxPods(name string) (int, bool) {
	i, ok := slices.BinarySearchFunc(cniMaxPods[:], name, func(r cniMaxPodsRow, n string) int {
		return strings.Compare(r.name, n)
	})
	if !ok {
		return 0, false
	}
	return int(cniMaxPods[i].pods), true
}

// CNIMaxPodsSource names the file and release [CNIMaxPods] was generated
// from, such as "github.com/aws/amazon-vpc-cni-k8s@v1.23.2
// misc/eni-max-pods.txt".
func CNIMaxPodsSource() string { return cniMaxPodsSource }
