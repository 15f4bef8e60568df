// Package slo states service-level bounds on a run's report and checks
// them, so that a simulation can gate a pipeline: "p99<=2m" holds when
// the 99th percentile of security-group pods' start-up latency is at most
// two minutes.
//
// A [Bound] is a small comparable value: a [Metric] of [sim.Report], an
// [Op] and a limit. [Parse] reads the form the CLI's --slo flag takes;
// [Bound.Check] judges one report and says by how much a bound broke.
//
// Latency bounds are over the pods that asked for security groups of
// their own, as the report's percentiles are. A run in which such pods
// exist but none got its network has no finite latency: every latency
// bound that caps it breaks. A run without such pods has nothing to
// bound, and latency caps hold.
//
// Parse errors are *SyntaxError values wrapping [ErrSyntax]; the package
// holds no state.
package slo
