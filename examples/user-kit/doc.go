// Package userkit is an example of a property-based test a platform team
// writes with trunksim's kit (package simtest): it checks that the team's
// SecurityGroupPolicy keeps the payments database group on payments pods
// and off every other pod, whatever nodes, pods, restarts and timing the
// kit's state-machine harness throws at it. A deliberately wrong version
// of the policy shows what the kit reports when the property breaks.
package userkit
