// Package examples holds runnable scenario files, a property-based test a
// user would write, and capacity-planning benchmarks over the scenarios:
//
//	go test ./examples -bench . -benchtime 10x
//
// reports each scenario's simulated p50 and p99 pod start-up seconds and
// pods made ready per simulated second next to wall time and allocations,
// so benchstat can compare two versions or two configurations.
package examples
