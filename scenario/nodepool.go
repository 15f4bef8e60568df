package scenario

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/karpenter"
)

// The API versions and kinds of Karpenter's objects a scenario takes.
const (
	NodePoolAPIVersion  = "karpenter.sh/v1"
	NodeClassAPIVersion = "karpenter.k8s.aws/v1"
)

// karpenterDuration is the pattern of expireAfter and consolidateAfter
// in karpenter.sh_nodepools.yaml: a Go duration of whole s, m and h
// parts, or Never.
var karpenterDuration = regexp.MustCompile(`^(([0-9]+(s|m|h))+|Never)$`)

// defaultExpireAfter is the CRD's default for expireAfter.
const defaultExpireAfter = 720 * time.Hour

// exact decodes a string that must be want.
func (d *decoder) exact(want string) func(*yaml.Node, string) error {
	return func(n *yaml.Node, path string) error {
		s, err := d.str(n, path)
		if err != nil {
			return err
		}
		if s != want {
			n, _ = d.resolve(n, path)
			return d.invalid(n, path, nil, "%q: want %s", s, want)
		}
		return nil
	}
}

// metadata decodes an object's metadata: its name, and what the API
// server writes and kubectl -o yaml prints, read and ignored so an object
// exported from a cluster loads as is. A nil namespace refuses one, as
// for a cluster-scoped kind.
func (d *decoder) metadata(name, namespace *string) func(*yaml.Node, string) error {
	return func(n *yaml.Node, path string) error {
		anyString := func(string) error { return nil }
		fields := []field{
			{key: "name", required: true, decode: d.setName(name, checkDNSSubdomain)},
			// Labels and annotations change nothing the model does.
			{key: "labels", decode: func(n *yaml.Node, path string) error {
				var ignored map[string]string
				return d.labels(&ignored)(n, path)
			}},
			{key: "annotations", decode: func(n *yaml.Node, path string) (err error) {
				_, err = d.stringMap(n, path, anyString, anyString)
				return err
			}},
			{key: "uid", decode: ignoreValue}, {key: "resourceVersion", decode: ignoreValue},
			{key: "generation", decode: ignoreValue}, {key: "creationTimestamp", decode: ignoreValue},
			{key: "managedFields", decode: ignoreValue}, {key: "selfLink", decode: ignoreValue},
			{key: "finalizers", decode: ignoreValue}, {key: "ownerReferences", decode: ignoreValue},
			{key: "deletionTimestamp", decode: ignoreValue}, {key: "deletionGracePeriodSeconds", decode: ignoreValue},
			{key: "generateName", decode: ignoreValue},
		}
		if namespace != nil {
			fields = append(fields, field{key: "namespace", decode: d.setName(namespace, checkDNSLabel)})
		}
		_, err := d.object(n, path, fields)
		return err
	}
}

// karpenterDurationValue decodes a duration in the CRD's pattern; Never
// is zero, and so 0s is refused where zero would read as Never.
func (d *decoder) karpenterDurationValue(dst *time.Duration) func(*yaml.Node, string) error {
	return d.karpenterDuration(dst, false)
}

// karpenterDuration is karpenterDurationValue; zeroOK takes 0s as zero,
// for consolidateAfter, whose Never is kept apart.
func (d *decoder) karpenterDuration(dst *time.Duration, zeroOK bool) func(*yaml.Node, string) error {
	return func(n *yaml.Node, path string) error {
		s, err := d.str(n, path)
		if err != nil {
			return err
		}
		r, _ := d.resolve(n, path)
		if !karpenterDuration.MatchString(s) {
			return d.invalid(r, path, nil, "%q: want a duration of whole s, m and h, such as 720h, or Never", s)
		}
		if s == "Never" {
			*dst = 0
			return nil
		}
		v, err := time.ParseDuration(s)
		if err == nil && v == 0 && zeroOK {
			*dst = 0
			return nil
		}
		if err != nil || v <= 0 || v > 100*365*24*time.Hour {
			return d.invalid(r, path, nil, "%q: want a duration above 0s and within 100 years, or Never", s)
		}
		*dst = v
		return nil
	}
}

// nodePools decodes the nodePools key: NodePool manifests.
func (d *decoder) nodePools(n *yaml.Node, path string) error {
	return d.objects(n, path, []string{NodePoolAPIVersion}, d.oneNodePool)
}

func (d *decoder) oneNodePool(n *yaml.Node, path string) error {
	np, err := d.nodePool(n, path)
	d.sc.NodePools = append(d.sc.NodePools, np)
	return err
}

// ec2NodeClasses decodes the ec2NodeClasses key: EC2NodeClass manifests.
func (d *decoder) ec2NodeClasses(n *yaml.Node, path string) error {
	return d.objects(n, path, []string{NodeClassAPIVersion}, d.oneNodeClass)
}

func (d *decoder) oneNodeClass(n *yaml.Node, path string) error {
	nc, err := d.nodeClass(n, path)
	d.sc.NodeClasses = append(d.sc.NodeClasses, nc)
	return err
}

func (d *decoder) nodePool(n *yaml.Node, path string) (karpenter.NodePool, error) {
	defer func(prune string) { d.prune = prune }(d.prune)
	d.prune = "NodePool"
	// The CRD's defaults: expire after 720h; consolidate when empty or
	// underutilized, after 0s.
	np := karpenter.NodePool{ExpireAfter: defaultExpireAfter,
		Consolidation: karpenter.Consolidation{Policy: karpenter.WhenEmptyOrUnderutilized}}
	consolidateNever := false
	template := func(n *yaml.Node, path string) error {
		_, err := d.object(n, path, []field{
			{key: "metadata", decode: func(n *yaml.Node, path string) error {
				anyString := func(string) error { return nil }
				_, err := d.object(n, path, []field{
					{key: "labels", decode: d.labels(&np.Labels)},
					{key: "annotations", decode: func(n *yaml.Node, path string) (err error) {
						_, err = d.stringMap(n, path, anyString, anyString)
						return err
					}},
				})
				return err
			}},
			{key: "spec", required: true, decode: func(n *yaml.Node, path string) error {
				_, err := d.object(n, path, []field{
					{key: "requirements", required: true, decode: d.requirements(&np.Requirements)},
					{key: "nodeClassRef", required: true, decode: func(n *yaml.Node, path string) error {
						_, err := d.object(n, path, []field{
							{key: "group", required: true, decode: d.exact("karpenter.k8s.aws")},
							{key: "kind", required: true, decode: d.exact("EC2NodeClass")},
							{key: "name", required: true, decode: d.setName(&np.NodeClass, checkDNSSubdomain)},
						})
						return err
					}},
					{key: "taints", decode: d.taints(&np.Tainted)},
					{key: "startupTaints", decode: d.taints(nil)},
					{key: "expireAfter", decode: d.karpenterDurationValue(&np.ExpireAfter)},
					{key: "terminationGracePeriod", decode: d.karpenterDurationValue(new(time.Duration))},
				})
				return err
			}},
		})
		return err
	}
	_, err := d.object(n, path, d.manifest(NodePoolAPIVersion, "NodePool", &np.Name, nil, func(n *yaml.Node, path string) error {
		_, err := d.object(n, path, []field{
			{key: "template", required: true, decode: template},
			{key: "disruption", decode: func(n *yaml.Node, path string) error {
				_, err := d.object(n, path, []field{
					{key: "consolidationPolicy", decode: func(n *yaml.Node, path string) error {
						if err := d.oneOf("WhenEmpty", "WhenEmptyOrUnderutilized", "Balanced")(n, path); err != nil {
							return err
						}
						s, _ := d.str(n, path)
						np.Consolidation.Policy, _ = karpenter.ParseConsolidationPolicy(s)
						return nil
					}},
					{key: "consolidateAfter", decode: func(n *yaml.Node, path string) error {
						if s, err := d.str(n, path); err == nil && s == "Never" {
							consolidateNever = true
						}
						return d.karpenterDuration(&np.Consolidation.After, true)(n, path)
					}},
					{key: "budgets", decode: d.budgets(&np.Consolidation.Budgets)},
				})
				return err
			}},
			{key: "limits", decode: d.nodePoolLimits(&np.Limits)},
			{key: "weight", decode: func(n *yaml.Node, path string) error {
				v, err := d.integer(n, path, 1, 100)
				np.Weight = int(v)
				return err
			}},
			{key: "replicas", decode: func(n *yaml.Node, path string) error {
				r, _ := d.resolve(n, path)
				return d.invalid(r, path, nil, ": static NodePools (replicas) are not modelled; leave it out to provision for pending pods")
			}},
		})
		return err
	}))
	if consolidateNever {
		np.Consolidation = karpenter.Consolidation{}
	}
	return np, err
}

// budgetNodes is the pattern of a budget's nodes in the CRD: a count or
// a percentage.
var budgetNodes = regexp.MustCompile(`^((100|[0-9]{1,2})%|[0-9]+)$`)

// budgets decodes spec.disruption.budgets, with the reasons each is for.
func (d *decoder) budgets(dst *[]karpenter.Budget) func(*yaml.Node, string) error {
	reasons := map[string]karpenter.Reason{"Empty": karpenter.ReasonEmpty, "Underutilized": karpenter.ReasonUnderutilized,
		"Drifted": karpenter.ReasonDrifted, "Unhealthy": karpenter.ReasonUnhealthy}
	return func(n *yaml.Node, path string) error {
		return d.list(n, path, func(i int, item *yaml.Node, path string) error {
			if i >= 50 { // the CRD's maxItems
				r, _ := d.resolve(item, path)
				return d.invalid(r, path, nil, ": at most 50 budgets")
			}
			var b karpenter.Budget
			_, err := d.object(item, path, []field{
				{key: "nodes", required: true, decode: func(n *yaml.Node, path string) error {
					s, err := d.str(n, path)
					if err != nil {
						return err
					}
					if !budgetNodes.MatchString(s) {
						r, _ := d.resolve(n, path)
						return d.invalid(r, path, nil, "%q: want a count or a percentage such as 10%%", s)
					}
					b.Percent = strings.HasSuffix(s, "%")
					_, err = fmt.Sscan(strings.TrimSuffix(s, "%"), &b.Nodes)
					return err
				}},
				{key: "reasons", decode: func(n *yaml.Node, path string) error {
					rs, err := d.strings(n, path)
					if err != nil {
						return err
					}
					for _, r := range rs {
						bit, ok := reasons[r]
						if !ok {
							rn, _ := d.resolve(n, path)
							return d.invalid(rn, path, nil, "%q: want Underutilized, Empty, Drifted or Unhealthy", r)
						}
						b.Reasons |= bit
					}
					return nil
				}},
				{key: "schedule", decode: func(n *yaml.Node, path string) error { _, err := d.str(n, path); return err }},
				{key: "duration", decode: d.karpenterDurationValue(new(time.Duration))},
			})
			*dst = append(*dst, b)
			return err
		})
	}
}

// oneOf decodes a string that must be one of names.
func (d *decoder) oneOf(names ...string) func(*yaml.Node, string) error {
	return func(n *yaml.Node, path string) error {
		s, err := d.str(n, path)
		if err == nil && !slices.Contains(names, s) {
			r, _ := d.resolve(n, path)
			return d.invalid(r, path, nil, "%q: want %s", s, orList(names))
		}
		return err
	}
}

// requirements decodes a NodePool's requirements, each checked as the
// CRD and Karpenter's validation check it.
func (d *decoder) requirements(dst *karpenter.Requirements) func(*yaml.Node, string) error {
	return func(n *yaml.Node, path string) error {
		return d.list(n, path, func(i int, item *yaml.Node, path string) error {
			if i >= 100 { // the CRD's maxItems
				r, _ := d.resolve(item, path)
				return d.invalid(r, path, nil, ": at most 100 requirements")
			}
			var r karpenter.Requirement
			_, err := d.object(item, path, []field{
				{key: "key", required: true, decode: func(n *yaml.Node, path string) (err error) {
					r.Key, err = d.str(n, path)
					return err
				}},
				{key: "operator", required: true, decode: func(n *yaml.Node, path string) error {
					s, err := d.str(n, path)
					if err != nil {
						return err
					}
					if r.Operator, err = karpenter.ParseOperator(s); err != nil {
						rn, _ := d.resolve(n, path)
						return d.invalid(rn, path, nil, "%q: want In, NotIn, Exists, DoesNotExist, Gt, Lt, Gte or Lte", s)
					}
					return nil
				}},
				{key: "values", decode: func(n *yaml.Node, path string) (err error) {
					r.Values, err = d.strings(n, path)
					return err
				}},
				{key: "minValues", decode: func(n *yaml.Node, path string) error {
					v, err := d.integer(n, path, 1, 50)
					r.MinValues = int(v)
					return err
				}},
			})
			if err != nil {
				return err
			}
			r.Key = karpenter.NormalizeKey(r.Key)
			if err := r.Validate(); err != nil {
				var re *karpenter.RequirementError
				if errors.As(err, &re) {
					return d.invalidNear(join(path, re.Field), ": %v", re.Err)
				}
				return d.invalidAt(path, ": %v", err)
			}
			*dst = append(*dst, r)
			return nil
		})
	}
}

// taints decodes a list of taints; tainted, when not nil, is set if one
// keeps pods off (NoSchedule or NoExecute), which the model's pods never
// tolerate.
func (d *decoder) taints(tainted *bool) func(*yaml.Node, string) error {
	return func(n *yaml.Node, path string) error {
		return d.list(n, path, func(_ int, item *yaml.Node, path string) error {
			var effect string
			_, err := d.object(item, path, []field{
				{key: "key", required: true, decode: d.setName(new(string), checkLabelKey)},
				{key: "value", decode: func(n *yaml.Node, path string) error { _, err := d.str(n, path); return err }},
				{key: "effect", required: true, decode: func(n *yaml.Node, path string) (err error) {
					if err = d.oneOf("NoSchedule", "PreferNoSchedule", "NoExecute")(n, path); err == nil {
						effect, _ = d.str(n, path)
					}
					return err
				}},
				{key: "timeAdded", decode: ignoreValue},
			})
			if tainted != nil && (effect == "NoSchedule" || effect == "NoExecute") {
				*tainted = true
			}
			return err
		})
	}
}

// nodePoolLimits decodes spec.limits: nodes, pods and pod-eni are
// enforced; every other resource is checked as a quantity and left out,
// as the instance table has no CPU, memory or other figures.
func (d *decoder) nodePoolLimits(dst *karpenter.Limits) func(*yaml.Node, string) error {
	return func(n *yaml.Node, path string) error {
		r, err := d.resolve(n, path)
		if err != nil {
			return err
		}
		if r.Kind != yaml.MappingNode {
			return d.wrongType(r, path, "a mapping of resource names to quantities")
		}
		for i := 0; i+1 < len(r.Content); i += 2 {
			k, v := r.Content[i], r.Content[i+1]
			p := join(path, k.Value)
			d.sc.lines[p] = k.Line
			vr, err := d.resolve(v, p)
			if err != nil {
				return err
			}
			q, err := resource.ParseQuantity(vr.Value)
			if vr.Kind != yaml.ScalarNode || err != nil || q.Sign() < 0 {
				return d.invalid(vr, p, nil, "%q: want a non-negative quantity such as 1000 or 64Gi", vr.Value)
			}
			var l *karpenter.Limit
			switch k.Value {
			case "nodes":
				l = &dst.Nodes
			case "pods":
				l = &dst.Pods
			case "vpc.amazonaws.com/pod-eni":
				l = &dst.PodENI
			default:
				continue
			}
			n, ok := q.AsInt64()
			if !ok {
				return d.invalid(vr, p, nil, "%q: want a whole number", vr.Value)
			}
			*l = karpenter.LimitOf(n)
		}
		return nil
	}
}

func (d *decoder) nodeClass(n *yaml.Node, path string) (karpenter.NodeClass, error) {
	defer func(prune string) { d.prune = prune }(d.prune)
	d.prune = "EC2NodeClass"
	var nc karpenter.NodeClass
	var role, profile bool
	terms := func(n *yaml.Node, path string) error {
		count := 0
		err := d.list(n, path, func(int, *yaml.Node, string) error { count++; return nil })
		if err == nil && (count < 1 || count > 30) {
			r, _ := d.resolve(n, path)
			return d.invalid(r, path, nil, ": want 1 to 30 selector terms")
		}
		return err
	}
	_, err := d.object(n, path, d.manifest(NodeClassAPIVersion, "EC2NodeClass", &nc.Name, nil, func(n *yaml.Node, path string) error {
		_, err := d.object(n, path, []field{
			{key: "amiSelectorTerms", required: true, decode: func(n *yaml.Node, path string) error {
				if err := terms(n, path); err != nil {
					return err
				}
				return d.list(n, path, func(_ int, item *yaml.Node, path string) error {
					if r, _ := d.resolve(item, path); r.Kind == yaml.MappingNode {
						if a := mappingValue(r, "alias"); a != nil && strings.HasPrefix(a.Value, "windows") {
							return d.invalid(a, join(path, "alias"), nil, "%q: Windows nodes are not provisioned in the model (security groups for pods need Linux)", a.Value)
						}
					}
					return nil
				})
			}},
			{key: "amiFamily", decode: func(n *yaml.Node, path string) error {
				s, err := d.str(n, path)
				if err == nil && strings.HasPrefix(s, "Windows") {
					r, _ := d.resolve(n, path)
					return d.invalid(r, path, nil, "%q: Windows nodes are not provisioned in the model (security groups for pods need Linux)", s)
				}
				return d.oneOf("AL2", "AL2023", "Bottlerocket", "Custom", "Windows2019", "Windows2022", "Windows2025")(n, path)
			}},
			{key: "subnetSelectorTerms", required: true, decode: terms},
			{key: "securityGroupSelectorTerms", required: true, decode: func(n *yaml.Node, path string) error {
				if err := terms(n, path); err != nil {
					return err
				}
				return d.list(n, path, func(_ int, item *yaml.Node, path string) error {
					var id branch.SecurityGroupID
					_, err := d.object(item, path, []field{
						{key: "id", decode: d.groupID(&id)},
						{key: "name", decode: ignoreValue},
						{key: "tags", decode: ignoreValue},
					})
					if id.IsValid() {
						nc.SecurityGroups = append(nc.SecurityGroups, id)
					}
					return err
				})
			}},
			{key: "role", decode: func(n *yaml.Node, path string) error { role = true; _, err := d.str(n, path); return err }},
			{key: "instanceProfile", decode: func(n *yaml.Node, path string) error { profile = true; _, err := d.str(n, path); return err }},
			{key: "kubelet", decode: func(n *yaml.Node, path string) error {
				r, err := d.resolve(n, path)
				if err != nil || r.Kind != yaml.MappingNode {
					if err == nil {
						err = d.wrongType(r, path, "a mapping")
					}
					return err
				}
				if v := mappingValue(r, "maxPods"); v != nil {
					p := join(path, "maxPods")
					d.sc.lines[p] = v.Line
					m, err := d.integer(v, p, 1, MaxCount)
					nc.MaxPods = int(m)
					return err
				}
				return nil
			}},
			{key: "blockDeviceMappings", decode: ignoreValue}, {key: "instanceStorePolicy", decode: ignoreValue},
			{key: "metadataOptions", decode: ignoreValue}, {key: "tags", decode: ignoreValue},
			{key: "associatePublicIPAddress", decode: ignoreValue}, {key: "ipPrefixCount", decode: ignoreValue},
			{key: "capacityReservationSelectorTerms", decode: ignoreValue}, {key: "placementGroupSelector", decode: ignoreValue},
			{key: "detailedMonitoring", decode: ignoreValue}, {key: "userData", decode: ignoreValue},
			{key: "context", decode: ignoreValue}, {key: "networkInterfaces", decode: ignoreValue},
			{key: "cpuOptions", decode: ignoreValue}, {key: "enclaveOptions", decode: ignoreValue},
			{key: "connectionTracking", decode: ignoreValue},
		})
		if err == nil && role == profile {
			// The CRD's rule on the spec: exactly one of the two.
			return d.invalidAt(path, ": want exactly one of role and instanceProfile")
		}
		return err
	}))
	return nc, err
}

// karpenterCrossCheck checks what spans objects: each NodePool's
// EC2NodeClass exists, names are unique.
func (d *decoder) karpenterCrossCheck() error {
	sc := d.sc
	classes := map[string]bool{}
	for i, nc := range sc.NodeClasses {
		if classes[nc.Name] {
			return d.invalidAt(fmt.Sprintf("ec2NodeClasses[%d].metadata.name", i), ": EC2NodeClass %q is defined twice", nc.Name)
		}
		classes[nc.Name] = true
	}
	pools := map[string]bool{}
	for i, np := range sc.NodePools {
		if pools[np.Name] {
			return d.invalidAt(fmt.Sprintf("nodePools[%d].metadata.name", i), ": NodePool %q is defined twice", np.Name)
		}
		pools[np.Name] = true
		if !classes[np.NodeClass] {
			return d.invalidAt(fmt.Sprintf("nodePools[%d].spec.template.spec.nodeClassRef.name", i), ": no EC2NodeClass %q in ec2NodeClasses", np.NodeClass)
		}
	}
	return nil
}

// karpenterDurationText writes a duration as the CRD's pattern takes it:
// whole hours, minutes and seconds, or Never for zero.
func karpenterDurationText(d time.Duration) string {
	if d == 0 {
		return "Never"
	}
	var b strings.Builder
	for _, u := range []struct {
		d    time.Duration
		unit string
	}{{time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if n := d / u.d; n > 0 {
			fmt.Fprintf(&b, "%d%s", n, u.unit)
			d -= n * u.d
		}
	}
	return b.String()
}

func nodePoolNode(np karpenter.NodePool) *yaml.Node {
	m := mapping()
	m.add("apiVersion", str(NodePoolAPIVersion))
	m.add("kind", str("NodePool"))
	meta := mapping()
	meta.add("name", str(np.Name))
	m.addMapping("metadata", meta)
	tspec := mapping()
	var reqs []*yaml.Node
	for _, r := range np.Requirements {
		rm := mapping()
		rm.add("key", str(r.Key))
		rm.add("operator", str(r.Operator.String()))
		if len(r.Values) > 0 {
			vs := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
			for _, v := range r.Values {
				vs.Content = append(vs.Content, str(v))
			}
			rm.add("values", vs)
		}
		rm.count("minValues", r.MinValues)
		reqs = append(reqs, rm.Node)
	}
	tspec.add("requirements", &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: reqs})
	ref := mapping()
	ref.add("group", str("karpenter.k8s.aws"))
	ref.add("kind", str("EC2NodeClass"))
	ref.add("name", str(np.NodeClass))
	tspec.addMapping("nodeClassRef", ref)
	if np.Tainted {
		taint := mapping()
		taint.add("key", str("dedicated"))
		taint.add("effect", str("NoSchedule"))
		tspec.list("taints", []*yaml.Node{taint.Node})
	}
	tspec.add("expireAfter", str(karpenterDurationText(np.ExpireAfter)))
	tmpl := mapping()
	if len(np.Labels) > 0 {
		tm := mapping()
		tm.labels("labels", np.Labels)
		tmpl.addMapping("metadata", tm)
	}
	tmpl.addMapping("spec", tspec)
	spec := mapping()
	spec.addMapping("template", tmpl)
	lim := mapping()
	for _, l := range []struct {
		key string
		l   karpenter.Limit
	}{{"nodes", np.Limits.Nodes}, {"pods", np.Limits.Pods}, {"vpc.amazonaws.com/pod-eni", np.Limits.PodENI}} {
		if n, ok := l.l.Max(); ok {
			lim.add(l.key, integer(int(n)))
		}
	}
	spec.addMapping("limits", lim)
	dis := mapping()
	if c := np.Consolidation; c.Policy == 0 {
		dis.add("consolidateAfter", str("Never"))
	} else {
		dis.add("consolidationPolicy", str(c.Policy.String()))
		dis.add("consolidateAfter", str(karpenterDurationText(c.After)))
		if c.After == 0 {
			dis.Content[len(dis.Content)-1] = str("0s")
		}
		var budgets []*yaml.Node
		for _, b := range c.Budgets {
			bm := flowMapping()
			v := strconv.Itoa(b.Nodes)
			if b.Percent {
				v += "%"
			}
			bm.add("nodes", str(v))
			if b.Reasons != 0 {
				rs := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
				for _, r := range []struct {
					bit  karpenter.Reason
					name string
				}{{karpenter.ReasonEmpty, "Empty"}, {karpenter.ReasonUnderutilized, "Underutilized"}, {karpenter.ReasonDrifted, "Drifted"}, {karpenter.ReasonUnhealthy, "Unhealthy"}} {
					if b.Reasons&r.bit != 0 {
						rs.Content = append(rs.Content, str(r.name))
					}
				}
				bm.add("reasons", rs)
			}
			budgets = append(budgets, bm.Node)
		}
		dis.list("budgets", budgets)
	}
	spec.addMapping("disruption", dis)
	spec.count("weight", np.Weight)
	m.addMapping("spec", spec)
	return m.Node
}

func nodeClassNode(nc karpenter.NodeClass) *yaml.Node {
	m := mapping()
	m.add("apiVersion", str(NodeClassAPIVersion))
	m.add("kind", str("EC2NodeClass"))
	meta := mapping()
	meta.add("name", str(nc.Name))
	m.addMapping("metadata", meta)
	spec := mapping()
	term := func(k, v string) *yaml.Node {
		t := flowMapping()
		t.add(k, str(v))
		return t.Node
	}
	spec.list("amiSelectorTerms", []*yaml.Node{term("alias", "al2023@latest")})
	spec.add("role", str("KarpenterNodeRole"))
	spec.list("subnetSelectorTerms", []*yaml.Node{term("id", "subnet-0")})
	var groups []*yaml.Node
	for _, id := range nc.SecurityGroups {
		groups = append(groups, term("id", id.String()))
	}
	if len(groups) == 0 {
		t := flowMapping()
		tags := flowMapping()
		tags.add("karpenter.sh/discovery", str("cluster"))
		t.addMapping("tags", tags)
		groups = append(groups, t.Node)
	}
	spec.list("securityGroupSelectorTerms", groups)
	if nc.MaxPods > 0 {
		k := mapping()
		k.add("maxPods", integer(nc.MaxPods))
		spec.addMapping("kubelet", k)
	}
	m.addMapping("spec", spec)
	return m.Node
}

// manifest returns the fields of a Kubernetes object of apiVersion and
// kind: its metadata, read for the name (and namespace, when not nil),
// its status, ignored, and its spec, which spec decodes.
func (d *decoder) manifest(apiVersion, kind string, name, namespace *string, spec func(*yaml.Node, string) error) []field {
	return []field{
		{key: "apiVersion", required: true, decode: d.exact(apiVersion)},
		{key: "kind", required: true, decode: d.exact(kind)},
		{key: "metadata", required: true, decode: d.metadata(name, namespace)},
		{key: "status", decode: ignoreValue},
		{key: "spec", required: true, decode: spec},
	}
}
