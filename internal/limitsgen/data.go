package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// dataFile is the layout of limits/data/limits.json. Field order matters:
// it is the order the file is written in.
type dataFile struct {
	About         string    `json:"about"`
	SourceCommit  string    `json:"sourceCommit"`
	Fields        fieldDocs `json:"fields"`
	InstanceTypes []record  `json:"instanceTypes"`
}

// fieldDocs describes each record field for readers of the JSON file.
type fieldDocs struct {
	Interfaces              string `json:"interfaces"`
	IPv4PerInterface        string `json:"ipv4PerInterface"`
	TrunkingCompatible      string `json:"trunkingCompatible"`
	BranchInterfaces        string `json:"branchInterfaces"`
	DefaultNetworkCardIndex string `json:"defaultNetworkCardIndex"`
	NetworkCards            string `json:"networkCards"`
	Hypervisor              string `json:"hypervisor"`
	BareMetal               string `json:"bareMetal"`
}

var standardFieldDocs = fieldDocs{
	Interfaces:              "max network interfaces on the instance (all cards)",
	IPv4PerInterface:        "IPv4 addresses per interface",
	TrunkingCompatible:      "can hold a trunk ENI",
	BranchInterfaces:        "max branch ENIs on the trunk (0 when not compatible)",
	DefaultNetworkCardIndex: "card holding the primary interface",
	NetworkCards:            "per-card max interfaces",
	Hypervisor:              "nitro, xen, or empty (bare metal)",
	BareMetal:               "metal instance",
}

// record is one instance type as the data file spells it. Hypervisor keeps
// upstream's spelling, where "" means bare metal.
type record struct {
	InstanceType            string `json:"instanceType"`
	Interfaces              int    `json:"interfaces"`
	IPv4PerInterface        int    `json:"ipv4PerInterface"`
	TrunkingCompatible      bool   `json:"trunkingCompatible"`
	BranchInterfaces        int    `json:"branchInterfaces"`
	DefaultNetworkCardIndex int    `json:"defaultNetworkCardIndex"`
	NetworkCards            []card `json:"networkCards"`
	Hypervisor              string `json:"hypervisor"`
	BareMetal               bool   `json:"bareMetal"`
}

type card struct {
	Index         int `json:"index"`
	MaxInterfaces int `json:"maxInterfaces"`
}

// hypervisorConstants maps upstream's hypervisor strings to the limits
// package's constants.
var hypervisorConstants = map[string]string{
	"nitro": "HypervisorNitro",
	"xen":   "HypervisorXen",
	"":      "HypervisorNone",
}

// aboutText describes the data file; generatedAt is the time upstream's
// limits.go states, if any.
func aboutText(generatedAt string) string {
	when := "that file gives no generation time"
	if generatedAt != "" {
		when = "that file says it was generated " + generatedAt
	}
	return "EC2 instance-type network limits for security groups for pods, as published in " +
		"aws/amazon-vpc-resource-controller-k8s pkg/aws/vpc/limits.go (" + when + "). " +
		"Facts only: one object per instance type."
}

// decodeData reads a data file strictly: unknown keys and trailing data are
// errors, so a misspelt field cannot silently become zero.
func decodeData(src []byte) (dataFile, error) {
	var f dataFile
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return dataFile{}, fmt.Errorf("decode data file: %w", err)
	}
	if dec.More() {
		return dataFile{}, fmt.Errorf("decode data file: unexpected data after the top-level object")
	}
	if err := checkRecords(f.InstanceTypes); err != nil {
		return dataFile{}, err
	}
	sortRecords(f.InstanceTypes)
	return f, nil
}

// encodeData writes f with one-space indentation and a final newline.
func encodeData(f dataFile) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(f); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// checkRecords rejects what the generated Go code could not express: a
// missing or repeated name, or a hypervisor with no constant. Everything
// else is for limits.NewTable to judge, so that the rules live in one place.
func checkRecords(records []record) error {
	seen := make(map[string]bool, len(records))
	for i, r := range records {
		if r.InstanceType == "" {
			return fmt.Errorf("instance type #%d has no name", i+1)
		}
		if seen[r.InstanceType] {
			return fmt.Errorf("instance type %q appears more than once", r.InstanceType)
		}
		seen[r.InstanceType] = true
		if _, ok := hypervisorConstants[r.Hypervisor]; !ok {
			return fmt.Errorf("instance type %q: hypervisor %q is not nitro, xen or empty", r.InstanceType, r.Hypervisor)
		}
	}
	return nil
}

func sortRecords(records []record) {
	slices.SortFunc(records, func(a, b record) int { return strings.Compare(a.InstanceType, b.InstanceType) })
}
