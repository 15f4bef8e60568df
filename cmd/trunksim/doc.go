// Command trunksim simulates EC2 trunk and branch network interfaces as
// EKS uses them for security groups for pods, so capacity and rollout
// questions are answered before anything is deployed.
//
// Usage:
//
//	trunksim <command> [arguments]
//
// The commands are:
//
//	limits   instance types' trunk, branch ENI and pod limits
//	run      run a scenario file and report what happened
//	plan     how many nodes N security-group pods need, and how long their rollout takes
//	check    whether security-group pods can still reach DNS, probes, their peers and the internet
//	sweep    run a scenario over seeds and a grid of settings on all cores, in shards
//	help     help on a command
//
// Every command takes --help, which shows its flags and an example.
//
// Exit status is 0 on success, 1 when the command ran but failed (a
// scenario that does not parse, a run that stopped with an error, an
// unknown instance type, a run too big for the memory limit), 2 for a
// usage error, and 130 when Ctrl-C or SIGTERM stopped it; run, sweep,
// explain and diff then stop with what finished.
package main
