package main

import (
	"bytes"
	"html/template"
	"io"
	"slices"
	"strings"

	"github.com/trunksim/trunksim/reach"
	"github.com/trunksim/trunksim/scenario"
	"github.com/trunksim/trunksim/sim"
	"github.com/trunksim/trunksim/sim/slo"
)

// htmlPodRows bounds the per-pod table, slowest first, so the page of a
// million-pod run still opens.
const htmlPodRows = 2000

// The page is one file: styles, the SVG plot and the few lines of script
// that sort the pod table are inline, so it opens without a network and
// can be attached to a pull request. It has no timestamps or random
// identifiers, so the same run writes the same bytes.
var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{"seconds": seconds}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>trunksim: {{.File}}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5em 0; }
td, th { padding: 0.2em 0.7em; text-align: left; border-bottom: 1px solid #eee; vertical-align: top; }
th { background: #f4f4f4; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
#pods th { cursor: pointer; }
.error { color: #b2182b; font-weight: bold; } .warning { color: #b35806; }
.ok { color: #1b7837; } code, pre { background: #f6f6f6; padding: 0 0.3em; }
pre { padding: 0.5em; overflow-x: auto; }
</style>
</head>
<body>
<h1>{{.File}} <small>(seed {{.Report.Seed}}, {{seconds .Report.SimulatedSeconds}} simulated)</small></h1>

<h2>Summary</h2>
<table>
<tr><th>Pods</th><td>{{.Report.Pods.Running}} running, {{.Report.Pods.Pending}} pending, {{.Report.Pods.Failed}} failed, {{.Report.Pods.Succeeded}} completed at the end; {{.Report.Pods.Created}} created, {{.Report.Pods.SecurityGroupPods}} with security groups of their own</td></tr>
<tr><th>Start-up</th><td>{{with .Report.StartupLatencySeconds}}p50 {{seconds .P50}}, p90 {{seconds .P90}}, p99 {{seconds .P99}}, max {{seconds .Max}}{{end}} (security-group pods, creation to network ready)</td></tr>
{{if .Parts}}<tr><th>Mean by part</th><td>{{range $i, $p := .Parts}}{{if $i}}, {{end}}{{$p.Name}} {{seconds $p.Seconds}}{{end}}</td></tr>{{end}}
<tr><th>Last pod ready</th><td>at {{seconds .Report.LastReadySeconds}}</td></tr>
<tr><th>EC2 calls</th><td>{{.Calls}}: {{.Report.EC2.Throttled}} throttled, {{.Report.EC2.Errors}} failed{{range .CallsByAction}}<br>{{.Name}} {{.Count}}{{end}}</td></tr>
{{with .Report.BranchENIs}}<tr><th>Branch ENIs</th><td>{{.Created}} created, {{.Deleted}} deleted; peak {{.PeakInUse}} in use, {{.PeakCooling}} cooling; {{.Leaked}} leaked; {{.CapacityRequeues}} creates requeued at the capacity gate</td></tr>{{end}}
{{with .Report.Trunks}}<tr><th>Trunk ENIs</th><td>{{.Created}} created, {{.Deleted}} deleted, {{.Unsupported}} nodes that cannot hold one; ready p50 {{seconds .ReadyLatencySeconds.P50}}, max {{seconds .ReadyLatencySeconds.Max}} after joining</td></tr>{{end}}
{{- with .Report.Provisioning}}
<tr><th>Provisioning</th><td>{{.NodesLaunched}} nodes launched by Karpenter in {{.Batches}} batching windows, {{.NodesDeleted}} deleted, {{.NotInitialized}} never initialized; {{.UnprovisionableEvents}} FailedScheduling events from Karpenter{{range .NodePools}}<br>NodePool {{.Name}}: {{.Launched}} launched{{end}}<br>first Pending pod to first node ready {{seconds .FirstPendingToNodeReadySeconds}}; ${{printf "%.3f" .HourlyCostUSD}} an hour at the end</td></tr>{{end}}
{{- with .Report.ClusterAutoscaler}}
<tr><th>Autoscaling</th><td>cluster-autoscaler scaled up {{.ScaleUps}} times, adding {{.NodesAdded}} nodes, and removed {{.NodesRemoved}}; {{.NoScaleUpScans}} scans left pods with no group to grow{{range .Groups}}<br>group {{.Name}}: {{.Size}} at the end{{end}}</td></tr>{{end}}
{{if .Bounds}}<tr><th>Service levels</th><td>{{range .Bounds}}<span class="{{if .Held}}ok{{else}}error{{end}}">{{.}}</span><br>{{end}}</td></tr>{{end}}
<tr><th>Trace</th><td><code>{{.Report.TraceSHA256}}</code> (SHA-256)</td></tr>
</table>

<h2>Over time</h2>
{{.Plot}}

{{if .Warnings}}<h2>Warnings</h2><ul>{{range .Warnings}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{if .Pending}}<h2>Pods not running at the end, by reason</h2><table><tr><th class="n">pods</th><th>reason</th></tr>{{range .Pending}}<tr><td class="n">{{.Count}}</td><td>{{.Name}}</td></tr>{{end}}</table>{{end}}

<h2>Pods</h2>
<p>{{if .MorePods}}The {{len .Pods}} slowest of {{.AllPods}} pods; {{.MorePods}} more are not listed.{{else}}Every pod at the end of the run.{{end}} Click a heading to sort.</p>
<table id="pods">
<thead><tr><th>pod</th><th>phase</th><th>node</th><th>own groups</th><th class="n">created (s)</th><th class="n">ready (s)</th><th class="n">start-up (s)</th><th>largest part</th><th>waiting for</th></tr></thead>
<tbody>{{range .Pods}}
<tr><td>{{.Name}}</td><td>{{.Phase}}</td><td>{{.Node}}</td><td>{{if .SG}}yes{{end}}</td><td class="n">{{printf "%.3f" .Created}}</td><td class="n">{{if .Ready}}{{printf "%.3f" .ReadyAt}}{{end}}</td><td class="n">{{if .Ready}}{{printf "%.3f" .Startup}}{{end}}</td><td>{{.Part}}</td><td>{{.Reason}}</td></tr>{{end}}
</tbody>
</table>

<h2>Kubernetes events</h2>
<table><tr><th>reason</th><th class="n">count</th></tr>{{range .Events}}<tr><td>{{.Name}}</td><td class="n">{{.Count}}</td></tr>{{end}}</table>

<h2>Reachability check</h2>
{{with .Check}}{{if .Err}}<p class="error">{{.Err}}</p>{{else}}<p>{{if .OK}}<span class="ok">No errors</span>{{else}}<span class="error">{{.Errors}} errors</span>{{end}}, {{.Warnings}} warnings over {{.Flows}} flows ({{.Mode}} mode).</p>
{{range .Findings}}<h3 class="{{.Severity}}">{{.Severity}} {{.Code}}{{if .Workload}}: {{.Workload}}{{end}}{{if .Peer}} / {{.Peer}}{{end}}</h3>
<p>{{.Summary}}</p>{{if .Fixes}}<p>Fix:</p><ul>{{range .Fixes}}<li>{{.Text}}{{if .Command}}<pre>{{.Command}}</pre>{{end}}</li>{{end}}</ul>{{end}}{{end}}{{end}}{{end}}

<h2>Assumptions</h2>
<ul>{{range .Report.Assumptions}}<li>{{.}}</li>{{end}}</ul>

<script>
// Sort the pod table by the clicked column; numbers as numbers.
document.querySelectorAll('#pods th').forEach(function (th, col) {
  var up = true;
  th.addEventListener('click', function () {
    var body = document.querySelector('#pods tbody');
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[col].textContent, y = b.cells[col].textContent;
      var nx = parseFloat(x), ny = parseFloat(y);
      var c = (isNaN(nx) || isNaN(ny)) ? x.localeCompare(y) : nx - ny;
      return up ? c : -c;
    });
    up = !up;
    rows.forEach(function (r) { body.appendChild(r); });
  });
});
</script>
</body>
</html>
`))

type namedCount struct {
	Name  string
	Count int
}

type namedSeconds struct {
	Name    string
	Seconds float64
}

type podRow struct {
	Name, Phase, Node, Part, Reason string
	SG, Ready                       bool
	Created, ReadyAt, Startup       float64
}

type pageCheck struct {
	Err                     string
	OK                      bool
	Errors, Warnings, Flows int
	Mode                    string
	Findings                []reach.Finding
}

type page struct {
	File                  string
	Report                sim.Report
	Parts                 []namedSeconds
	Calls                 int
	CallsByAction, Events []namedCount
	Pending               []namedCount
	Warnings              []string
	Bounds                []slo.Result
	Plot                  template.HTML
	Pods                  []podRow
	AllPods, MorePods     int
	Check                 pageCheck
}

// writeHTML writes the run's page.
func writeHTML(w io.Writer, sc *scenario.Scenario, s *sim.Sim, r sim.Report, bounds []slo.Result) error {
	p := page{File: sc.File, Report: r, Warnings: r.Warnings, Bounds: bounds}
	for _, c := range breakdown(r.StartupBreakdownSeconds) {
		p.Parts = append(p.Parts, namedSeconds{c.name, c.n})
	}
	for _, c := range byCount(r.EC2.Calls) {
		p.CallsByAction = append(p.CallsByAction, namedCount{c.name, int(c.n)})
		p.Calls += int(c.n)
	}
	for _, c := range byCount(r.Events) {
		p.Events = append(p.Events, namedCount{c.name, int(c.n)})
	}
	for _, c := range byCount(r.PendingReasons) {
		p.Pending = append(p.Pending, namedCount{c.name, int(c.n)})
	}
	var svg bytes.Buffer
	if err := writePlot(&svg, sc.File, s.Series(), s.StartupLatencies(), markers(sc)); err != nil {
		return err
	}
	// The plot is our own SVG, built from numbers and escaped labels.
	p.Plot = template.HTML(svg.String())
	p.Pods, p.AllPods = podRows(s.Pods())
	p.MorePods = p.AllPods - len(p.Pods)
	p.Check = checkOf(sc)
	return pageTemplate.Execute(w, p)
}

// podRows lists the pods, slowest first and pending ones before them,
// at most htmlPodRows of them.
func podRows(pods []sim.PodStatus) ([]podRow, int) {
	rows := make([]podRow, 0, len(pods))
	for _, st := range pods {
		row := podRow{Name: st.Namespace + "/" + st.Name, Phase: st.Phase.String(), Node: st.Node, SG: st.NeedsBranch,
			Created: st.Created.Seconds(), Ready: st.NetworkReady, Reason: st.Reason}
		if st.NetworkReady {
			row.ReadyAt, row.Startup = st.Ready.Seconds(), (st.Ready - st.Created).Seconds()
			if parts := breakdown(st.Startup); len(parts) > 0 {
				row.Part = parts[0].name
			}
		}
		rows = append(rows, row)
	}
	slices.SortStableFunc(rows, func(a, b podRow) int {
		switch {
		case a.Ready != b.Ready:
			if !a.Ready {
				return -1
			}
			return 1
		case a.Startup > b.Startup:
			return -1
		case a.Startup < b.Startup:
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	return rows[:min(len(rows), htmlPodRows)], len(rows)
}

func checkOf(sc *scenario.Scenario) pageCheck {
	r, err := reach.CheckCluster(sc.Cluster())
	if err != nil {
		return pageCheck{Err: err.Error()}
	}
	return pageCheck{OK: r.OK(), Errors: r.Count(reach.Error), Warnings: r.Count(reach.Warning), Flows: r.Flows,
		Mode: r.Mode.String(), Findings: r.Findings}
}
