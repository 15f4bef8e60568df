// Package autoscaler is cluster-autoscaler's main loop for node groups on
// AWS, as it grows and shrinks Auto Scaling groups for pods
// kube-scheduler cannot place, as a deterministic state machine: inputs
// in, effects out, time passed in. It follows cluster-autoscaler-1.36.1
// (paths under cluster-autoscaler/).
//
// Every ScanInterval (10s) it fits the unschedulable pods onto the nodes
// there and the nodes asked for and not yet joined, and grows a group by
// bin-packing the rest onto the group's template node. The template is a
// node of the group Ready for a minute, as the cluster shows it, or else
// the Auto Scaling group's template: 110 pods and the pod-eni of the
// group's node-template resource tag, and none without one. The
// autoscaler knows nothing of vpc.amazonaws.com/pod-eni of its own, so
//   - a group with no node and no tag never grows for security-group pods
//     (kubernetes/autoscaler#6021, #6804);
//   - a node stops being upcoming once it joins, before the controller
//     advertises its pod-eni, so pods waiting for that trunk can make it
//     grow the group again (kubernetes/autoscaler#2947), and the spare
//     node goes only when it has been empty for ScaleDownUnneeded, no
//     sooner than ScaleDownDelayAfterAdd after the last scale-up.
//
// The model's pods ask for no CPU or memory: utilization is not
// modelled, so only empty nodes are removed, and the expander's
// least-waste choice is replaced by the group that needs the fewest
// nodes. Scale-up failures, back-off and node provisioning timeouts are
// not modelled.
package autoscaler
