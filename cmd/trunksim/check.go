package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/reach"
)

const checkUsage = `usage: trunksim check SCENARIO.yaml [-o text|json]

Checks, before anything is deployed, that every pod with security groups of
its own can still do its job once it no longer carries its node's groups:
resolve names (CoreDNS on UDP and TCP 53, or NodeLocal DNSCache), pass the
kubelet's probes, reach the workloads, security groups, addresses and
link-local services of its node (the EKS Pod Identity agent, the instance
metadata service) listed in its talksTo, and be reached by its callers. Paths are judged as the VPC
CNI routes them in the scenario's enforcing mode (strict or standard), with
its SNAT and early-demux settings. Each finding names every check that
failed and the fix: the rule to add, the mode or variable to set.

The exit status is 1 when the check finds an error (or the file does not
parse), so the command can guard a CI pipeline; warnings alone exit 0.

Examples:
  trunksim check examples/reachability/scenario.yaml
  trunksim check cluster.yaml -o json

Flags:
`

// runCheck implements `trunksim check`.
func runCheck(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	const name = "trunksim check"
	fs := newFlagSet(name)
	format := newChoice("text", "text", "json")
	fs.Var(format, "o", "report `format`: text or json")
	sc, _, status := loadScenario(fs, name, checkUsage, args, stdin, stdout, stderr)
	if status >= 0 {
		return status
	}
	report, err := reach.CheckCluster(sc.Cluster())
	if err != nil {
		fmt.Fprintf(stderr, "%s: %s: %v\n", name, sc.File, err)
		return exitFailure
	}
	if format.value == "json" {
		err = writeJSON(stdout, checkJSON(sc.File, report, sc.MalformedGroups))
	} else {
		_, err = io.WriteString(stdout, checkText(sc.File, report, sc.MalformedGroups))
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return exitFailure
	}
	if !report.OK() {
		return exitFailure
	}
	return exitOK
}

// checkText writes the report for people: a summary line, the workloads
// as the check resolved them, the findings worst first with their
// evidence and fixes, then the notes.
func checkText(file string, r reach.Report, malformed []string) string {
	b := &strings.Builder{}
	sg, plain := 0, 0
	for _, w := range r.Workloads {
		if w.Groups != nil {
			sg++
		} else {
			plain++
		}
	}
	fmt.Fprintf(b, "%s: %s mode, %s with security groups of their own, %d without\n", file, r.Mode, plural(sg, "workload"), plain)
	fmt.Fprintf(b, "%s judged: %s, %s\n", plural(r.Flows, "flow"), plural(r.Count(reach.Error), "error"), plural(r.Count(reach.Warning), "warning"))

	if len(r.Workloads) > 0 {
		b.WriteString("\nWorkloads\n")
		tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
		for _, w := range r.Workloads {
			groups := "node's groups"
			if w.Groups != nil {
				groups = "[" + strings.Join(groupNames(branch.NewGroupSet(w.Groups...).IDs(), malformed), ", ") + "]"
			}
			where := "on " + strings.Join(w.NodeGroups, ", ")
			if len(w.NodeGroups) == 0 {
				where = "no node group"
			}
			status := "ok"
			switch {
			case !w.Runs:
				status = "never gets a network"
			case w.Errors+w.Warnings > 0:
				status = plural(w.Errors, "error") + ", " + plural(w.Warnings, "warning")
			}
			policies := strings.Join(w.Policies, ", ")
			if policies == "" {
				policies = "no policy"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", w.Name, groups, policies, where, status)
		}
		tw.Flush()
	}

	for i, f := range r.Findings {
		fmt.Fprintf(b, "\n%d. %s %s: %s\n", i+1, strings.ToUpper(f.Severity.String()), f.Code, f.Summary)
		if v := f.Verdict; v != nil {
			b.WriteString(indent(v.Explain(), "   "))
		}
		for _, fx := range f.Fixes {
			writeFix(b, "fix", fx)
		}
		for _, alt := range f.Alternatives {
			for i, fx := range alt {
				label := "or"
				if i > 0 {
					label = "and"
				}
				writeFix(b, label, fx)
			}
		}
		for _, s := range f.Sources {
			b.WriteString(wrap("source: "+s, "   ", "           "))
		}
	}
	if len(r.Notes) > 0 {
		b.WriteString("\nNotes\n")
		for _, n := range r.Notes {
			b.WriteString(wrap("- "+n, "  ", "    "))
		}
	}
	return b.String()
}

func writeFix(b *strings.Builder, label string, fx reach.Fix) {
	b.WriteString(wrap(label+": "+fx.Text, "   ", "        "))
	if c := fx.Command(); c != "" {
		b.WriteString("        " + c + "\n")
	}
}

// indent prefixes every line of s, wrapping the long ones.
func indent(s, prefix string) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		trimmed := strings.TrimLeft(line, " ")
		lead := prefix + line[:len(line)-len(trimmed)]
		b.WriteString(wrap(trimmed, lead, lead+"  "))
	}
	return b.String()
}

// wrap breaks s at spaces so lines stay within 110 columns, the first
// line prefixed by first and the rest by rest.
func wrap(s, first, rest string) string {
	const width = 110
	var b strings.Builder
	line := first
	fresh := true
	for _, word := range strings.Fields(s) {
		if !fresh && len(line)+1+len(word) > width {
			b.WriteString(line + "\n")
			line, fresh = rest, true
		}
		if !fresh {
			line += " "
		}
		line += word
		fresh = false
	}
	b.WriteString(line + "\n")
	return b.String()
}

// checkReport is the JSON form of `trunksim check`.
type checkReport struct {
	File      string          `json:"file"`
	Mode      string          `json:"mode"`
	OK        bool            `json:"ok"`
	Errors    int             `json:"errors"`
	Warnings  int             `json:"warnings"`
	Flows     int             `json:"flows"`
	Workloads []checkWorkload `json:"workloads"`
	Findings  []checkFinding  `json:"findings"`
	Notes     []string        `json:"notes"`
}

type checkWorkload struct {
	Name       string   `json:"name"`
	Namespace  string   `json:"namespace"`
	Groups     []string `json:"groups"`
	Policies   []string `json:"policies"`
	NodeGroups []string `json:"nodeGroups"`
	Runs       bool     `json:"runs"`
	Errors     int      `json:"errors"`
	Warnings   int      `json:"warnings"`
}

type checkFinding struct {
	Severity     reach.Severity `json:"severity"`
	Code         reach.Code     `json:"code"`
	Workload     string         `json:"workload,omitempty"`
	Peer         string         `json:"peer,omitempty"`
	Summary      string         `json:"summary"`
	Placements   int            `json:"placements,omitempty"`
	Failing      int            `json:"failing,omitempty"`
	Verdict      *checkVerdict  `json:"verdict,omitempty"`
	Fixes        []checkFix     `json:"fixes"`
	Alternatives [][]checkFix   `json:"alternatives,omitempty"`
	Sources      []string       `json:"sources,omitempty"`
}

type checkVerdict struct {
	Flow        string       `json:"flow"`
	Allowed     bool         `json:"allowed"`
	Mode        string       `json:"mode"`
	ModeMatters bool         `json:"modeMatters"`
	Path        reach.Path   `json:"path"`
	Route       string       `json:"route"`
	Checks      []checkCheck `json:"checks"`
}

type checkCheck struct {
	Kind       reach.CheckKind          `json:"kind"`
	Passed     bool                     `json:"passed"`
	Interface  string                   `json:"interface,omitempty"`
	Groups     []branch.SecurityGroupID `json:"groups,omitempty"`
	Rule       string                   `json:"rule,omitempty"`
	NearMisses []string                 `json:"nearMisses,omitempty"`
	NoRoute    reach.NoRoute            `json:"noRoute,omitempty"`
	Detail     string                   `json:"detail,omitempty"`
}

type checkFix struct {
	Kind      reach.FixKind `json:"kind"`
	Text      string        `json:"text"`
	Command   string        `json:"command,omitempty"`
	Group     string        `json:"group,omitempty"`
	Direction string        `json:"direction,omitempty"`
	Rule      string        `json:"rule,omitempty"`
	Container string        `json:"container,omitempty"`
	Env       string        `json:"env,omitempty"`
	Value     string        `json:"value,omitempty"`
	Version   string        `json:"version,omitempty"`
}

// groupNames spells ids as EC2 does, and a stand-in for a malformed ID
// (branch.MalformedGroupID) as the text the policy wrote.
func groupNames(ids []branch.SecurityGroupID, malformed []string) []string {
	if ids == nil {
		return nil
	}
	standIns := make(map[branch.SecurityGroupID]string, len(malformed))
	for _, text := range malformed {
		standIns[branch.MalformedGroupID(text)] = text
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		if text, ok := standIns[id]; ok {
			out[i] = text
		} else {
			out[i] = id.String()
		}
	}
	return out
}

func checkJSON(file string, r reach.Report, malformed []string) checkReport {
	out := checkReport{File: file, Mode: r.Mode.String(), OK: r.OK(), Errors: r.Count(reach.Error),
		Warnings: r.Count(reach.Warning), Flows: r.Flows, Notes: r.Notes,
		Workloads: []checkWorkload{}, Findings: []checkFinding{}}
	for _, w := range r.Workloads {
		// Groups stays null for ordinary pods: they have none of their own.
		out.Workloads = append(out.Workloads, checkWorkload{Name: w.Name, Namespace: w.Namespace, Groups: groupNames(w.Groups, malformed),
			Policies: orEmpty(w.Policies), NodeGroups: orEmpty(w.NodeGroups), Runs: w.Runs, Errors: w.Errors, Warnings: w.Warnings})
	}
	for _, f := range r.Findings {
		cf := checkFinding{Severity: f.Severity, Code: f.Code, Workload: f.Workload, Peer: f.Peer, Summary: f.Summary,
			Placements: f.Placements, Failing: f.Failing, Sources: f.Sources, Fixes: []checkFix{}}
		if v := f.Verdict; v != nil {
			cv := &checkVerdict{Flow: v.Flow(), Allowed: v.Allowed, Mode: v.Mode.String(), ModeMatters: v.ModeMatters,
				Path: v.Path, Route: v.Route, Checks: []checkCheck{}}
			for _, c := range v.Checks {
				cc := checkCheck{Kind: c.Kind, Passed: c.Passed, Interface: c.Interface, Groups: c.Groups.IDs(),
					NoRoute: c.NoRoute, Detail: c.Detail}
				if c.Passed && c.Match.Group.IsValid() {
					cc.Rule = c.Match.String()
				}
				for _, m := range c.NearMisses {
					cc.NearMisses = append(cc.NearMisses, m.String())
				}
				cv.Checks = append(cv.Checks, cc)
			}
			cf.Verdict = cv
		}
		for _, fx := range f.Fixes {
			cf.Fixes = append(cf.Fixes, jsonFix(fx))
		}
		for _, alt := range f.Alternatives {
			var set []checkFix
			for _, fx := range alt {
				set = append(set, jsonFix(fx))
			}
			cf.Alternatives = append(cf.Alternatives, set)
		}
		out.Findings = append(out.Findings, cf)
	}
	return out
}

// orEmpty returns s, or an empty slice for nil, so JSON lists are never null.
func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func jsonFix(fx reach.Fix) checkFix {
	c := checkFix{Kind: fx.Kind, Text: fx.Text, Command: fx.Command()}
	switch fx.Kind {
	case reach.FixAddRule:
		c.Group, c.Direction, c.Rule = fx.Group.String(), fx.Direction.String(), fx.Rule.String()
	case reach.FixSetEnv:
		c.Container, c.Env, c.Value = fx.Container, fx.Env, fx.Value
	case reach.FixUpgradeCNI:
		c.Version = fx.Version.String()
	}
	return c
}
