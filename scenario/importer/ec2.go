package importer

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// The EC2 side of a snapshot: what `aws ec2 describe-security-groups`,
// `describe-subnets`, `describe-vpcs`, `describe-instances` and
// `describe-network-interfaces` print with --output json. Only the fields
// a scenario needs are declared; encoding/json drops the rest, so tags,
// owners, addresses and descriptions never reach the written file.

// ec2Output is one describe call's output: exactly one of its lists is
// set (NextToken and other keys are ignored).
type ec2Output struct {
	SecurityGroups    *[]ec2Group     `json:"SecurityGroups"`
	Subnets           *[]ec2Subnet    `json:"Subnets"`
	Vpcs              *[]ec2VPC       `json:"Vpcs"`
	Reservations      *[]ec2Reserved  `json:"Reservations"`
	NetworkInterfaces *[]ec2Interface `json:"NetworkInterfaces"`
}

type ec2Group struct {
	GroupID          string          `json:"GroupId"`
	IPPermissions    []ec2Permission `json:"IpPermissions"`
	IPPermissionsOut []ec2Permission `json:"IpPermissionsEgress"`
}

// ec2Permission is one IpPermission: a protocol and port range with the
// peers it admits. EC2 writes -1 for "all" in IpProtocol and, for ICMP,
// the type and code in FromPort and ToPort.
type ec2Permission struct {
	IPProtocol string `json:"IpProtocol"`
	FromPort   *int   `json:"FromPort"`
	ToPort     *int   `json:"ToPort"`
	IPRanges   []struct {
		CidrIP string `json:"CidrIp"`
	} `json:"IpRanges"`
	IPv6Ranges    []json.RawMessage `json:"Ipv6Ranges"`
	PrefixListIDs []json.RawMessage `json:"PrefixListIds"`
	GroupPairs    []struct {
		GroupID string `json:"GroupId"`
	} `json:"UserIdGroupPairs"`
}

type ec2Subnet struct {
	SubnetID         string `json:"SubnetId"`
	CidrBlock        string `json:"CidrBlock"`
	AvailabilityZone string `json:"AvailabilityZone"`
	VpcID            string `json:"VpcId"`
}

type ec2VPC struct {
	VpcID     string `json:"VpcId"`
	CidrBlock string `json:"CidrBlock"`
}

type ec2Reserved struct {
	Instances []ec2Instance `json:"Instances"`
}

type ec2Instance struct {
	InstanceID     string `json:"InstanceId"`
	InstanceType   string `json:"InstanceType"`
	SubnetID       string `json:"SubnetId"`
	SecurityGroups []struct {
		GroupID string `json:"GroupId"`
	} `json:"SecurityGroups"`
}

// ec2Interface is an ENI; InterfaceType is "trunk" or "branch" for the
// ones the resource controller creates, Status "in-use" or "available".
type ec2Interface struct {
	ID            string `json:"NetworkInterfaceId"`
	InterfaceType string `json:"InterfaceType"`
	Status        string `json:"Status"`
	Description   string `json:"Description"`
	Attachment    *struct {
		InstanceID string `json:"InstanceId"`
	} `json:"Attachment"`
	TagSet []struct {
		Key   string `json:"Key"`
		Value string `json:"Value"`
	} `json:"TagSet"`
}

// trunkTag is the tag the controller puts on a branch ENI naming its
// trunk (pkg/config/type.go TrunkENIIDTag).
const trunkTag = "vpcresources.k8s.aws/trunk-eni-id"

func (ni ec2Interface) tag(key string) string {
	for _, t := range ni.TagSet {
		if t.Key == key {
			return t.Value
		}
	}
	return ""
}

// ec2State is what the describe outputs say, keyed by ID.
type ec2State struct {
	groups    []ec2Group // input order; a later copy of a group replaces the earlier one
	subnets   map[string]ec2Subnet
	vpcs      map[string]ec2VPC
	instances map[string]ec2Instance
	// instanceFile names the input each instance came from, for errors.
	instanceFile map[string]string
	// trunks counts trunk ENIs per instance; branches the controller's
	// branch ENIs by status.
	trunks   map[string]int
	branches map[string]int
	// trunkOf maps a trunk ENI's ID to its instance; onTrunk lists the
	// in-use branch ENIs by the trunk their tag names (untagged counts
	// those without one).
	trunkOf  map[string]string
	onTrunk  map[string][]string
	untagged int
	seen     bool
}

func newEC2State() ec2State {
	return ec2State{subnets: map[string]ec2Subnet{}, vpcs: map[string]ec2VPC{},
		instances: map[string]ec2Instance{}, instanceFile: map[string]string{}, trunks: map[string]int{}, branches: map[string]int{},
		trunkOf: map[string]string{}, onTrunk: map[string][]string{}}
}

// isEC2Output reports whether raw looks like an AWS CLI describe output:
// a JSON object with one of the lists this package reads.
func isEC2Output(raw json.RawMessage) bool {
	var keys map[string]json.RawMessage
	if json.Unmarshal(raw, &keys) != nil {
		return false
	}
	for _, k := range []string{"SecurityGroups", "Subnets", "Vpcs", "Reservations", "NetworkInterfaces"} {
		if _, ok := keys[k]; ok {
			return true
		}
	}
	return false
}

// addEC2 adds one describe output.
func (s *Snapshot) addEC2(file string, raw json.RawMessage) error {
	var out ec2Output
	if err := json.Unmarshal(raw, &out); err != nil {
		return &ObjectError{File: file, Object: "aws ec2 describe output", Err: err}
	}
	e := &s.ec2
	e.seen = true
	if out.SecurityGroups != nil {
		for i, g := range *out.SecurityGroups {
			if err := checkGroup(g); err != nil {
				return &ObjectError{File: file, Object: "security group " + g.GroupID, Field: fmt.Sprintf("SecurityGroups[%d]", i), Err: err}
			}
			e.addGroup(g)
		}
	}
	if out.Subnets != nil {
		for i, sn := range *out.Subnets {
			if sn.SubnetID == "" || sn.CidrBlock == "" {
				return &ObjectError{File: file, Object: "subnet " + sn.SubnetID, Field: fmt.Sprintf("Subnets[%d]", i),
					Err: errors.New("want SubnetId and CidrBlock")}
			}
			e.subnets[sn.SubnetID] = sn
		}
	}
	if out.Vpcs != nil {
		for _, v := range *out.Vpcs {
			e.vpcs[v.VpcID] = v
		}
	}
	if out.Reservations != nil {
		for i, r := range *out.Reservations {
			for j, in := range r.Instances {
				if in.InstanceID == "" {
					return &ObjectError{File: file, Object: "instance", Field: fmt.Sprintf("Reservations[%d].Instances[%d].InstanceId", i, j),
						Err: errors.New("missing")}
				}
				e.instances[in.InstanceID] = in
				e.instanceFile[in.InstanceID] = file
			}
		}
	}
	if out.NetworkInterfaces != nil {
		for _, ni := range *out.NetworkInterfaces {
			e.addInterface(ni)
		}
	}
	return nil
}

func checkGroup(g ec2Group) error {
	if !strings.HasPrefix(g.GroupID, "sg-") {
		return fmt.Errorf("GroupId %q: want an ID such as sg-0123456789abcdef0", g.GroupID)
	}
	return nil
}

func (e *ec2State) addGroup(g ec2Group) {
	for i, have := range e.groups {
		if have.GroupID == g.GroupID {
			e.groups[i] = g
			return
		}
	}
	e.groups = append(e.groups, g)
}

// addInterface counts the trunk and branch ENIs the resource controller
// made (InterfaceType trunk and branch; descriptions aws-k8s-trunk-eni
// and aws-k8s-branch-eni in pkg/provider/branch/trunk of
// aws/amazon-vpc-resource-controller-k8s). Other ENIs are the CNI's or
// the user's and say nothing a scenario models.
func (e *ec2State) addInterface(ni ec2Interface) {
	switch {
	case ni.InterfaceType == "trunk" || ni.Description == "aws-k8s-trunk-eni":
		if ni.Attachment != nil && ni.Attachment.InstanceID != "" {
			e.trunks[ni.Attachment.InstanceID]++
			e.trunkOf[ni.ID] = ni.Attachment.InstanceID
		} else {
			e.trunks[""]++
		}
	case ni.InterfaceType == "branch" || ni.Description == "aws-k8s-branch-eni":
		e.branches[ni.Status]++
		if ni.Status != "in-use" {
			break
		}
		if trunk := ni.tag(trunkTag); trunk != "" {
			e.onTrunk[trunk] = append(e.onTrunk[trunk], ni.ID)
		} else {
			e.untagged++
		}
	}
}

// instanceOf returns the instance a node runs on, from the last segment
// of its spec.providerID (aws:///zone/i-...), as the controller reads it.
func (e *ec2State) instanceOf(providerID string) (ec2Instance, bool) {
	id := providerID[strings.LastIndex(providerID, "/")+1:]
	in, ok := e.instances[id]
	return in, ok
}

// group returns the group with id, if the input described it.
func (e *ec2State) group(id string) (ec2Group, bool) {
	for _, g := range e.groups {
		if g.GroupID == id {
			return g, true
		}
	}
	return ec2Group{}, false
}
