package scenario

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/trunksim/trunksim/controller"
	"github.com/trunksim/trunksim/sim"
)

// The simulator's settings are declared in sim's table ([sim.Settings]);
// this file reads and writes them from it, one decoder per kind, so a
// setting added there is in the format with nothing added here.

// fileSections are the settings sections, in the order a file has them
// after the top-level settings.
var fileSections = [...]sim.Section{sim.SectionController, sim.SectionEC2, sim.SectionKubelet, sim.SectionCNI, sim.SectionKarpenter, sim.SectionClusterAutoscaler}

// ownKey is a key among the settings that is the format's own rather than
// the simulator's: until, which Run reads; ec2.faults, a list;
// ec2.availableBranches, state the run starts from; and
// cni.externalSNAT, which only the reachability check reads.
type ownKey struct {
	section sim.Section
	name    string
	after   string // the setting it follows in the file; "" for the end of the section
	decode  func(d *decoder) func(*yaml.Node, string) error
	encode  func(sc *Scenario, m node)
}

// ownKeys is never written.
var ownKeys = [...]ownKey{
	{section: sim.SectionTop, name: "until", after: "seed",
		decode: func(d *decoder) func(*yaml.Node, string) error { return d.duration(&d.sc.Until, true) },
		encode: func(sc *Scenario, m node) { m.duration("until", sc.Until) }},
	{section: sim.SectionEC2, name: "faults",
		decode: func(d *decoder) func(*yaml.Node, string) error { return d.faults },
		encode: func(sc *Scenario, m node) { m.list("faults", faultNodes(sc.EC2.Faults)) }},
	{section: sim.SectionEC2, name: "availableBranches",
		decode: func(d *decoder) func(*yaml.Node, string) error { return d.count(&d.sc.AvailableBranches, 0) },
		encode: func(sc *Scenario, m node) { m.count("availableBranches", sc.AvailableBranches) }},
	{section: sim.SectionKarpenter, name: "prices",
		decode: func(d *decoder) func(*yaml.Node, string) error { return d.prices },
		encode: func(sc *Scenario, m node) { m.prices("prices", sc.Karpenter.Prices) }},
	{section: sim.SectionCNI, name: "externalSNAT", after: "disableTCPEarlyDemux",
		decode: func(d *decoder) func(*yaml.Node, string) error { return d.boolean(&d.sc.Network.ExternalSNAT) },
		encode: func(sc *Scenario, m node) { m.boolean("externalSNAT", sc.Network.ExternalSNAT) }},
}

// sectionKey is one key of a settings section: a simulator setting, or,
// when own is set, one of the format's own keys.
type sectionKey struct {
	setting sim.Setting
	own     *ownKey
}

// sectionKeys returns the keys of section in file order: the table's
// settings in its order, each of the format's own keys after the setting
// it follows.
func sectionKeys(section sim.Section, settings []sim.Setting) []sectionKey {
	var keys []sectionKey
	after := func(name string) {
		for i := range ownKeys {
			if ownKeys[i].section == section && ownKeys[i].after == name {
				keys = append(keys, sectionKey{own: &ownKeys[i]})
			}
		}
	}
	for _, s := range settings {
		if s.Section == section {
			keys = append(keys, sectionKey{setting: s})
			after(s.Name)
		}
	}
	after("")
	return keys
}

// settingFields returns the fields of section for [decoder.object].
func (d *decoder) settingFields(section sim.Section) []field {
	var fields []field
	for _, k := range sectionKeys(section, d.settings) {
		if k.own != nil {
			fields = append(fields, field{key: k.own.name, decode: k.own.decode(d)})
		} else {
			fields = append(fields, field{key: k.setting.Name, decode: d.setting(k.setting)})
		}
	}
	return fields
}

// setting decodes a value of s's kind into d.cfg. A value written must
// not be zero, since zero would mean the default: counts are at least 1,
// durations and numbers greater than zero; but a duration whose default
// is zero (kubelet.awsNodeLag) may be written as zero, which is its
// default.
func (d *decoder) setting(s sim.Setting) func(*yaml.Node, string) error {
	return func(n *yaml.Node, p string) error {
		var v any
		var err error
		switch s.Kind() {
		case sim.KindDuration:
			v, err = d.durationValue(n, p, !zeroByDefault(s))
		case sim.KindNumber:
			v, err = d.positiveValue(n, p)
		case sim.KindCount:
			hi := int64(MaxCount)
			if s.Max != 0 {
				hi = s.Max
			}
			lo := max(s.Min, 1)
			if zeroByDefault(s) {
				lo = min(s.Min, 0) // cni.maxENI takes the CNI's own -1 too
			}
			var i int64
			i, err = d.integer(n, p, lo, hi)
			v = int(i)
		case sim.KindBool:
			v, err = d.boolValue(n, p)
		case sim.KindSeed:
			v, err = d.seed(n, p)
		case sim.KindEnum, sim.KindVersion:
			return d.named(s, n, p)
		}
		if err != nil {
			return err
		}
		if err := s.SetValue(&d.cfg, v); err != nil {
			// The kind's decoder gave the type SetValue takes.
			return d.invalid(n, p, err, "%v", err)
		}
		return nil
	}
}

// named decodes an enum's name or a CNI release, which sim parses and
// judges, so the message is its reason.
func (d *decoder) named(s sim.Setting, n *yaml.Node, p string) error {
	text, err := d.str(n, p)
	if err != nil {
		return err
	}
	if err = s.SetValue(&d.cfg, text); err == nil {
		err = s.Check(&d.cfg)
	}
	var ce *sim.ConfigError
	if errors.As(err, &ce) {
		n, _ = d.resolve(n, p)
		return d.invalid(n, p, err, "%q: %s", text, ce.Why)
	}
	return err
}

func (d *decoder) seed(n *yaml.Node, p string) (uint64, error) {
	n, err := d.scalar(n, p, "a non-negative integer", "!!int")
	if err != nil {
		return 0, err
	}
	var v uint64
	if err := n.Decode(&v); err != nil {
		return 0, d.invalid(n, p, nil, "%s: want an integer from 0 to %d", n.Value, uint64(math.MaxUint64))
	}
	return v, nil
}

// prices decodes karpenter.prices: on-demand USD an hour by instance
// type, over the built-in table.
func (d *decoder) prices(n *yaml.Node, p string) error {
	r, err := d.resolve(n, p)
	if err != nil {
		return err
	}
	if isNull(r) {
		return nil
	}
	if r.Kind != yaml.MappingNode {
		return d.wrongType(r, p, "a mapping of instance types to prices")
	}
	prices := map[string]float64{}
	for i := 0; i+1 < len(r.Content); i += 2 {
		var name string
		k := r.Content[i]
		kp := join(p, k.Value)
		d.sc.lines[kp] = k.Line
		if err := d.instanceType(&name)(k, kp); err != nil {
			return err
		}
		v, err := d.positiveValue(r.Content[i+1], kp)
		if err != nil {
			return err
		}
		prices[name] = v
	}
	d.cfg.Karpenter.Prices = prices
	return nil
}

func (d *decoder) faults(n *yaml.Node, p string) error {
	return d.list(n, p, func(_ int, item *yaml.Node, p string) error {
		f, err := d.fault(item, p)
		d.cfg.EC2.Faults = append(d.cfg.EC2.Faults, f)
		return err
	})
}

// settingsNode writes section's keys that c and sc set, in file order.
func (sc *Scenario) settingsNode(section sim.Section, c *sim.Config, settings []sim.Setting) node {
	m := mapping()
	for _, k := range sectionKeys(section, settings) {
		switch {
		case k.own != nil:
			k.own.encode(sc, m)
		case k.setting.IsSet(c):
			m.add(k.setting.Name, settingValue(k.setting.Value(c)))
		}
	}
	return m
}

// settingValue writes a value of the type [sim.Setting.Value] returns.
func settingValue(v any) *yaml.Node {
	switch v := v.(type) {
	case time.Duration:
		return str(v.String())
	case float64:
		return float(v)
	case int:
		return integer(v)
	case uint64:
		return scalar("!!int", strconv.FormatUint(v, 10))
	case bool:
		return scalar("!!bool", strconv.FormatBool(v))
	}
	// An enum's name or a version; anything else is written as text too,
	// and Marshal's own Parse then refuses it.
	return str(fmt.Sprint(v))
}

// zeroByDefault reports whether a duration or count setting is zero under every
// release, so that writing zero asks for what the default gives.
func zeroByDefault(s sim.Setting) bool {
	for _, r := range controller.Releases() {
		if d := s.DefaultForRelease(r); d != "0s" && d != "0" {
			return false
		}
	}
	return true
}
