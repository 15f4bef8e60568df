// Package sweep runs many independent simulations of one scenario: every
// combination of a grid of settings, each with every seed of a list, in
// parallel on all cores, with results that do not depend on how many
// cores there are or how the runs were spread over them.
//
// # Plans and points
//
// A [Sweep] is made by [New] from a scenario file's YAML, a list of seeds
// (see [ParseSeeds]) and any number of [Axis] values (see [ParseAxis]),
// each naming a key of the scenario, such as controller.userClientQPS
// (any key of [sim.Settings]) or nodeGroups.workers.count, and the values
// it takes. Its points are the
// cross product, numbered from 0: the first axis varies slowest, the
// seeds fastest. New applies every combination of settings to the YAML
// and parses it with [scenario.Parse], so a bad key or value is refused
// before anything runs.
//
// # Running
//
// [Sweep.Run] runs points on a number of goroutines, each point in a
// simulation of its own, and hands the results to a callback in point
// order as soon as each and all before it are done. A run is a pure
// function of its scenario and seed, so the results, and any output made
// from them in that order, are the same bytes with one worker or with
// sixty-four. This is the one package of the module that starts
// goroutines; nothing inside a simulation sees them.
//
// # Shards
//
// A sweep too large for one machine is split with a [Shard], "i/n" for i
// in 0..n-1: shard i takes the points whose index is i modulo n, which
// spreads slow and fast settings evenly. Each shard writes its results as
// JSON lines ([Result] per line); [Merge] reads the shards' files back,
// checks that they are of the same sweep and hold every point exactly
// once, and returns the results in point order, so a merged output is the
// output of the whole sweep run in one place.
//
// With the trunksim command, a Kubernetes Indexed Job runs shard i in the
// pod whose completion index is i:
//
//	command: ["sh", "-c", "trunksim sweep /in/scenario.yaml --seeds 1-10000 --shard $JOB_COMPLETION_INDEX/50 -o jsonl > /out/shard-$JOB_COMPLETION_INDEX.jsonl"]
//
// with completions: 50 and completionMode: Indexed, and once every index
// has completed,
//
//	trunksim sweep merge /out/shard-*.jsonl -o jsonl > sweep.jsonl
//
// Any batch system that gives each task an index works the same way.
package sweep
