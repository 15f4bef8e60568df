package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/trunksim/trunksim/cni"
	"github.com/trunksim/trunksim/limits"
)

const limitsUsage = `usage: trunksim limits [TYPE...] [-o table|json] [--controller-version V]
        [--ip-family ipv4|ipv6] [--custom-networking] [--prefix-delegation] [--max-pods N] [--max-eni N] [--cni-version vX.Y.Z]

Shows what EC2 instance types offer security groups for pods: whether a node
can hold a trunk ENI, how many branch ENIs (pods with their own security
groups) it carries, kubelet's max pods, and how many pods get an IP with and
without a trunk. With no TYPE, every type in the table is listed. The table
is that of a resource-controller release (--controller-version, default
` + limits.DefaultRelease + `); the output says which. The networking flags
compute the same figures for an IPv6 cluster, custom networking, prefix
delegation, a kubelet maxPods set by the node's bootstrap, or an older VPC
CNI release.

Examples:
  trunksim limits m5.large c5.xlarge t3.large
  trunksim limits -o json m5.large
  trunksim limits --controller-version v1.8.2 i4i.large r9g.large
  trunksim limits --ip-family ipv6 m5.large
  trunksim limits --custom-networking --max-pods 20 m5.large

Flags:
`

// outputFormat is the value of -o; Set refuses anything but the two
// formats, so a typo is a usage error rather than a silent default.
type outputFormat string

func (f *outputFormat) String() string { return string(*f) }

func (f *outputFormat) Set(s string) error {
	if s != "table" && s != "json" {
		return errors.New("want table or json")
	}
	*f = outputFormat(s)
	return nil
}

// runLimits implements `trunksim limits`. It returns 0 on success, 1 when a
// named type is unknown, and 2 for a usage error.
func runLimits(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("trunksim limits")
	format := outputFormat("table")
	fs.Var(&format, "o", "output `format`: table or json")
	release := fs.String("controller-version", limits.DefaultRelease,
		"resource-controller `release` whose instance table to use: "+strings.Join(limits.Releases(), ", "))
	modes := addNetworkingFlags(fs)
	names, status := parseCommand(fs, limitsUsage, args, stdout, stderr)
	if status >= 0 {
		return status
	}
	net, trunks, err := modes.networking()
	if err != nil {
		fmt.Fprintf(stderr, "trunksim limits: %v\n", err)
		return 2
	}

	tbl, err := limits.ForRelease(*release)
	if err != nil {
		var unknown *limits.UnknownReleaseError
		msg := err.Error()
		if errors.As(err, &unknown) {
			msg = unknown.Message()
		}
		fmt.Fprintf(stderr, "trunksim limits: --controller-version: %s\n", msg)
		return 2
	}
	var types []limits.InstanceType
	if len(names) == 0 {
		types = tbl.All()
	} else {
		failed := false
		for _, name := range names {
			it, err := tbl.Lookup(name)
			if err != nil {
				msg := err.Error()
				var unknown *limits.UnknownTypeError
				if errors.As(err, &unknown) {
					msg = unknown.Message()
				}
				fmt.Fprintf(stderr, "trunksim limits: %s\n", msg)
				failed = true
				continue
			}
			types = append(types, it)
		}
		if failed {
			return 1
		}
	}

	rows := make([]limitsRow, len(types))
	for i, it := range types {
		rows[i] = newLimitsRow(it, net, trunks)
		rows[i].ControllerRelease = tbl.Release()
		if modes.set() {
			rows[i].withMode(modes.describe(net, trunks))
		}
	}
	if format == "json" {
		err = writeLimitsJSON(stdout, rows)
	} else {
		err = writeLimitsTable(stdout, rows, len(names) > 0, tbl.Release(), modes.set())
	}
	if err != nil {
		fmt.Fprintf(stderr, "trunksim limits: %v\n", err)
		return 1
	}
	return 0
}

// parseInterspersed parses fs over args and returns the positional
// arguments, allowing flags before, between and after them. After "--"
// everything is positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), nil
		}
		if len(rest) == 0 {
			return positional, nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// limitsRow is one instance type as the command reports it. The JSON field
// names are a stable contract.
type limitsRow struct {
	InstanceType          string `json:"instanceType"`
	Interfaces            int    `json:"interfaces"`
	DefaultCardInterfaces int    `json:"defaultCardInterfaces"`
	IPv4PerInterface      int    `json:"ipv4PerInterface"`
	TrunkingCompatible    bool   `json:"trunkingCompatible"`
	BranchInterfaces      int    `json:"branchInterfaces"`
	Hypervisor            string `json:"hypervisor"`
	BareMetal             bool   `json:"bareMetal"`
	MaxPods               int    `json:"maxPods"`
	IPPodsWithoutTrunk    int    `json:"ipPodsWithoutTrunk"`
	// IPPodsWithTrunk equals IPPodsWithoutTrunk for a type that never gets
	// a trunk.
	IPPodsWithTrunk int `json:"ipPodsWithTrunk"`
	BranchPods      int `json:"branchPods"`
	// The with-trunk capacity exists only for types that can hold a trunk.
	PodsWithTrunk         *int   `json:"podsWithTrunk,omitempty"`
	BindingLimitWithTrunk string `json:"bindingLimitWithTrunk,omitempty"`
	TrunkIneligibleReason string `json:"trunkIneligibleReason,omitempty"`
	// ControllerRelease names the resource-controller release whose
	// table the figures come from, on every row so that the output stays
	// an array.
	ControllerRelease string `json:"controllerRelease"`
	// The networking mode and the ordinary pods with a trunk appear only
	// when a networking flag is given, so the default output stays as it was.
	Networking              *modeJSON `json:"networking,omitempty"`
	RegularPodsWithTrunk    *int      `json:"regularPodsWithTrunk,omitempty"`
	RegularBindingWithTrunk string    `json:"regularBindingWithTrunk,omitempty"`

	capacity limits.Capacity
	refusal  *limits.IneligibleError
	// noTrunk says why the CNI release gives no trunk to a type that could
	// hold one (IPv6 before v1.16.0).
	noTrunk string
}

// withMode adds the networking mode and the ordinary-pod figures.
func (r *limitsRow) withMode(m *modeJSON) {
	r.Networking = m
	if r.PodsWithTrunk != nil {
		regular := r.capacity.RegularPods
		r.RegularPodsWithTrunk = &regular
		r.RegularBindingWithTrunk = r.capacity.RegularBinding.String()
	}
}

func newLimitsRow(it limits.InstanceType, net limits.Networking, trunks bool) limitsRow {
	slot := it.TrunkSlotFor(net)
	withTrunk := trunks && slot
	r := limitsRow{
		InstanceType:          it.Name,
		Interfaces:            it.Interfaces,
		DefaultCardInterfaces: it.DefaultCardInterfaces(),
		IPv4PerInterface:      it.IPv4PerInterface,
		TrunkingCompatible:    it.TrunkingCompatible,
		BranchInterfaces:      it.BranchInterfaces,
		Hypervisor:            it.Hypervisor.String(),
		BareMetal:             it.BareMetal,
		MaxPods:               it.MaxPodsFor(net),
		IPPodsWithoutTrunk:    it.IPPodsFor(net, false),
		IPPodsWithTrunk:       it.IPPodsFor(net, withTrunk),
		BranchPods:            it.BranchPods(),
		capacity:              it.CapacityFor(net, withTrunk),
	}
	switch {
	case errors.As(it.CanTrunk(limits.OSLinux), &r.refusal):
		r.TrunkIneligibleReason = r.refusal.Reason.String()
	case !slot:
		r.TrunkIneligibleReason = "no-interface-slot"
		r.noTrunk = fmt.Sprintf("MAX_ENI %d leaves aws-node no interface slot for a trunk, so it never asks for one", net.MaxENI)
	case !trunks:
		r.TrunkIneligibleReason = "cni-release"
		r.noTrunk = "the VPC CNI gives IPv6 pods branch ENIs only from " + cni.IPv6Branches.String()
	default:
		pods := r.capacity.Pods
		r.PodsWithTrunk = &pods
		r.BindingLimitWithTrunk = r.capacity.Binding.String()
	}
	return r
}

func writeLimitsJSON(w io.Writer, rows []limitsRow) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(rows)
}

// releaseLine says whose table the figures are, and which releases share
// it.
func releaseLine(release string) string {
	line := "Instance table of resource-controller release " + release
	if same := limits.SameTable(release); len(same) > 1 {
		line += " (the same table ships in " + strings.Join(same, ", ") + ")"
	}
	if source, at := limits.ReleaseSource(release); source != "" {
		line += "; from " + source
		if at != "" {
			line += ", generated " + at
		}
	}
	return line + "."
}

// limitWords names a binding limit in the table.
var limitWords = map[limits.Limit]string{
	limits.LimitMaxPods:  "max pods",
	limits.LimitIPs:      "IPs",
	limits.LimitBranches: "branches",
}

const limitsLegend = `ENIS counts the default network card only, as the controller and the VPC CNI do.
MAX PODS is kubelet's limit: ENIs x (IPv4 per ENI - 1) + 2 host-network pods (EKS eni-max-pods).
IP PODS get a secondary IP; with a trunk (security groups for pods) one ENI carries no pod IPs.
BRANCH PODS have their own security groups, one branch ENI each (vpc.amazonaws.com/pod-eni).
PODS is what a node with a trunk runs: min(MAX PODS, 2 + IP PODS + BRANCH PODS), and BINDS is the limit reached.
`

// writeLimitsTable prints the table, a line per type explaining its trunk
// (only ineligible types when listing everything), and a legend.
func writeLimitsTable(w io.Writer, rows []limitsRow, named bool, release string, mode bool) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\t\t\t\t\twithout trunk\twith trunk")
	fmt.Fprintln(tw, "TYPE\tENIS\tIPV4/ENI\tTRUNK\tMAX PODS\tIP PODS\tIP PODS\tBRANCH PODS\tPODS\tBINDS")
	for _, r := range rows {
		trunk, withIP, branches, pods, binds := "yes", podsCell(r.IPPodsWithTrunk), strconv.Itoa(r.BranchPods),
			strconv.Itoa(r.capacity.Pods), limitWords[r.capacity.Binding]
		if r.refusal != nil || r.noTrunk != "" {
			trunk, withIP, branches, pods, binds = "no", "-", "-", "-", "-"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n",
			r.InstanceType, r.DefaultCardInterfaces, r.IPv4PerInterface, trunk, r.MaxPods, podsCell(r.IPPodsWithoutTrunk),
			withIP, branches, pods, binds)
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintln(w)
	eligible := 0
	for _, r := range rows {
		switch {
		case r.refusal != nil:
			fmt.Fprintf(w, "%s cannot hold a trunk ENI: %s.\n", r.InstanceType, r.refusal.Detail())
		case r.noTrunk != "":
			fmt.Fprintf(w, "%s gets no trunk ENI: %s.\n", r.InstanceType, r.noTrunk)
		case named:
			eligible++
			fmt.Fprintf(w, "%s with a trunk: %v", r.InstanceType, r.capacity)
			if stranded := r.capacity.StrandedPods(); stranded > 0 {
				fmt.Fprintf(w, "; with no branch pods, %d scheduled pods would wait for an IP", stranded)
			}
			if mode {
				fmt.Fprintf(w, "; pods without security groups of their own: %d, %s", r.capacity.RegularPods, bindsWords(r.capacity.RegularBinding))
			}
			fmt.Fprintln(w, ".")
		default:
			eligible++
		}
	}
	if !named {
		fmt.Fprintf(w, "%d of %d instance types can hold a trunk ENI.\n", eligible, len(rows))
	}
	fmt.Fprintln(w, releaseLine(release))
	fmt.Fprintln(w)
	if mode && len(rows) > 0 && rows[0].Networking != nil {
		m := rows[0].Networking
		maxENI := ""
		if m.MaxENI > 0 {
			maxENI = fmt.Sprintf(", MAX_ENI %d", m.MaxENI)
		}
		fmt.Fprintf(w, "Networking: %s, custom networking %t, prefix delegation %t, max pods %s%s, CNI %s.\n",
			m.IPFamily, m.CustomNetworking, m.PrefixDelegation, maxPodsWords(m.MaxPodsOverride), maxENI, m.CNIVersion)
	}
	_, err := io.WriteString(w, limitsLegend)
	return err
}
