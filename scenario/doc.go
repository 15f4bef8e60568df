// Package scenario reads trunksim scenario files: YAML documents that
// describe a cluster (controller, EC2, kubelet and CNI settings, node
// groups, service accounts, SecurityGroupPolicy objects), the workloads it
// runs and the events that happen to it, and turns them into a running
// [sim.Sim].
//
// # Format
//
// The top-level keys are seed, until, placement, controller, ec2, kubelet,
// cni, karpenter, clusterAutoscaler, network, dns, nodeGroups, serviceAccounts,
// securityGroupPolicies, securityGroups, workloads, nodePools,
// ec2NodeClasses and events. A minimal scenario:
//
//	seed: 1
//	nodeGroups:
//	  - {name: ng, instanceType: m5.xlarge, count: 3}
//	securityGroupPolicies:
//	  - apiVersion: vpcresources.k8s.aws/v1beta1
//	    kind: SecurityGroupPolicy
//	    metadata: {name: web, namespace: default}
//	    spec:
//	      podSelector: {matchLabels: {app: web}}
//	      securityGroups: {groupIds: [sg-0123456789abcdef0]}
//	workloads:
//	  - {name: web, labels: {app: web}, replicas: 20, at: 1m}
//	events:
//	  - {at: 5m, action: deleteNode, nodeGroup: ng}
//
// securityGroupPolicies, nodePools and ec2NodeClasses take objects as
// kubectl prints them: a list of them, or a kind: List (or a typed List
// such as SecurityGroupPolicyList) with items, nested in any mix.
// Documents after the scenario's, each such an object or a List of them
// in any mix of the three kinds, add to its objects, so a cluster's can
// follow a scenario after a --- line:
//
//	(cat scenario.yaml; echo ---; kubectl get securitygrouppolicies,nodepools,ec2nodeclasses -A -o yaml) | trunksim run -
//
// An object read from a later document is named by where it was, such as
// documents[1].items[3], in errors.
//
// A policy is taken exactly as the API server takes it, by the
// SecurityGroupPolicy CRD's schema (v1.8.2
// config/crd/bases/vpcresources.k8s.aws_securitygrouppolicies.yaml): the
// names must be valid and a groupIds list, when present, not empty; the
// rest is strings and runs as it would in a cluster, with a warning at its
// file and line that the report repeats:
//   - a group ID that is no ID (`${POD_SG}`, `my_pod_security_group_id`,
//     an ID of 16 digits) fails CreateNetworkInterface with
//     InvalidGroupId.Malformed, so the pods the policy matches stay
//     ContainerCreating (see [Scenario.MalformedGroups]);
//   - a policy the controller cannot use (no selector, no securityGroups,
//     an operator other than In, NotIn, Exists and DoesNotExist, an
//     invalid label key or value, In without values) matches no pod, as
//     the controller's filterPodSecurityGroups skips it;
//   - a field outside the schema is dropped as the API server prunes it,
//     so a misspelt podSelector leaves the policy without a selector, and
//     a selector's matchNames, which upstream's own sample uses but the
//     schema lacks, leaves what is left of the selector, often nothing,
//     matching every pod or service account its other terms match.
//     (kubectl apply, whose field validation is strict by default, would
//     refuse such a manifest; clients that set none, such as Helm, store it.)
//
// # Karpenter
//
// nodePools and ec2NodeClasses take karpenter.sh/v1 NodePool and
// karpenter.k8s.aws/v1 EC2NodeClass manifests as users write them, or as
// kubectl prints them, checked as their CRDs check them. With any NodePool,
// Karpenter launches nodes for the pods kube-scheduler cannot place
// (package karpenter); the karpenter key holds its settings
// (batchIdleDuration, batchMaxDuration, reservedENIs), the times a node
// takes to launch, register and start aws-node, and prices, on-demand USD
// an hour by instance type over the built-in us-east-1 table:
//
//	karpenter: {reservedENIs: 1, prices: {m5.large: 0.1}}
//	nodePools:
//	  - apiVersion: karpenter.sh/v1
//	    kind: NodePool
//	    metadata: {name: default}
//	    spec:
//	      template:
//	        spec:
//	          requirements:
//	            - {key: karpenter.k8s.aws/instance-family, operator: In, values: [t3, m5]}
//	          nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
//	ec2NodeClasses:
//	  - apiVersion: karpenter.k8s.aws/v1
//	    kind: EC2NodeClass
//	    metadata: {name: default}
//	    spec:
//	      amiSelectorTerms: [{alias: al2023@latest}]
//	      role: KarpenterNodeRole
//	      subnetSelectorTerms: [{tags: {karpenter.sh/discovery: demo}}]
//	      securityGroupSelectorTerms: [{id: sg-0aaaaaaaaaaaaaaa0}]
//
// Of a NodePool the model uses its requirements, template labels, taints
// (a NoSchedule or NoExecute one keeps every pod off, as the model's pods
// tolerate none), expireAfter, the nodes, pods and
// vpc.amazonaws.com/pod-eni limits, the weight, and of its disruption
// the consolidation policy, consolidateAfter and the budgets (a budget's
// schedule is taken as always active); cpu and memory limits are read and not
// modelled. Of an EC2NodeClass it uses
// kubelet.maxPods and the ids of securityGroupSelectorTerms, the nodes'
// own groups. Requirements on figures the instance table lacks (vCPU,
// memory, GPUs) are refused, as are static NodePools and Windows AMIs.
// Consolidation and expiry, like cluster-autoscaler's scale-down, happen
// on wake-ups that do not keep a run going on their own, as the resync's
// do not: a scenario that wants to see them gives until.
//
// # cluster-autoscaler
//
// A node group with autoscaling is cluster-autoscaler's (package
// autoscaler): count is its size at time zero, from minSize to maxSize,
// templatePodENI the value of its node-template pod-eni resource tag
// (none by default, as a group has unless someone adds it), and
// addNode and deleteNode events may not name it. The clusterAutoscaler
// key holds scanInterval, nodeStartupTime, scaleDownUnneededTime and
// scaleDownDelayAfterAdd:
//
//	nodeGroups:
//	  - {name: ng, instanceType: m5.large, count: 1, autoscaling: {minSize: 1, maxSize: 20, templatePodENI: 9}}
//
// # Starting from a running cluster
//
// A scenario can start from the state a cluster is in rather than from
// an empty one: trunkAttached says how many of a node group's nodes (the
// first ones) have their trunk ENI attached already, and running how
// many of a workload's replicas are running already at time zero:
//
//	nodeGroups:
//	  - {name: ng, instanceType: m5.xlarge, count: 3, trunkAttached: 3}
//	workloads:
//	  - {name: web, labels: {app: web}, replicas: 20, running: 20}
//
// Running pods are placed as kube-scheduler would have placed them; each
// that a policy matches runs on a branch ENI of its own, associated with
// its node's trunk on a VLAN and named by its pod-eni annotation, which
// EC2 holds from the start. The controller meets those nodes as after a
// restart: it finds each trunk and rebuilds it from EC2 and the pods'
// annotations, creating nothing (sim.NodeSpec.TrunkAttached,
// sim.WorkloadSpec.Running). Those pods started before the run: the
// report counts them (pods.alreadyRunning, pods.fromExistingBranches)
// and leaves them out of the start-up latency. trunkAttached is at most
// count, on Linux node groups; running is at most replicas, for a
// workload created at time zero, and its pods that need a branch must fit
// on the nodes with a trunk attached. A node group's unownedBranches puts
// that many branch ENIs no pod owns on each of those trunks, as a
// controller that lost track of them leaves; the rebuild queues them for
// deletion after the cool-down (sim.NodeSpec.UnownedBranches), and
// ec2.availableBranches puts branch ENIs in EC2 that no trunk holds, for
// the cluster ENI cleaner (sim.Sim.AddAvailableBranches).
//
// A node group's instanceType may be one the modelled controller release
// (controller.version) lacks but a newer release has: as upstream, its
// nodes join, get an Unsupported event and never a trunk, and their max
// pods come from the VPC CNI's eni-max-pods.txt, or from the group's
// maxPods when that file does not list the type either.
//
// Every setting is optional and defaults to upstream's value, as in
// [sim.Config]; [sim.Settings] lists them, and docs/settings.md is that
// list with each default, bound and meaning. Policies are written exactly as for a cluster. Durations
// are Go durations ("90s", "1m30s"). Nodes of a group are named
// <group>-0, <group>-1, ...; a workload's pods <workload>-0, ...
//
// # Events
//
// Each event has at and action, and the fields its action uses:
//
//	addNode            nodeGroup [count] [instanceType], or node instanceType
//	deleteNode         node, or nodeGroup [count] (oldest nodes first)
//	deletePods         workload [count] (newest pods first; the workload replaces them)
//	rolloutRestart     workload [maxSurge maxUnavailable] (default 25% each)
//	restartController
//	scale              workload replicas (as kubectl scale; a scale-down's pods are not replaced)
//	applyPolicy        policy (a SecurityGroupPolicy manifest, created or replaced)
//	deletePolicy       policyName (namespace/name, or a name in default)
//	setBranchENICooldown cooldown (the amazon-vpc-cni ConfigMap's branch-eni-cooldown; at least 30s applies)
//	deleteSecurityGroup securityGroup (declared under securityGroups; EC2 refuses while an interface uses it)
//	labelServiceAccount serviceAccount (namespace/name, declared) labels (the account's new labels)
//	enablePodENI       (with cni.enablePodENI false) aws-node's ENABLE_POD_ENI turned on
//
// A new cool-down holds at once for branches cooling then and released
// later, as the controller reads the ConfigMap live. A deleteSecurityGroup
// that EC2 refuses (DependencyViolation while a branch, cooling ones
// included, uses the group) is a warning in the report and the run goes
// on. After enablePodENI a node whose ordinary pods' addresses hold every
// interface gets no trunk until enough of them leave. A policy or
// service-account change holds for the pods created after it: running pods keep
// their branch, as the webhook mutates pods at creation only. The
// reachability check reads the policies of time zero only.
//
// At equal times, workloads are created first, then events run in file
// order. An event that fails while running, such as deleting a node that
// no longer exists, stops the run with an [*Error] pointing at the event.
//
// # Reachability
//
// Some keys only the reachability check (package reach, `trunksim check`)
// reads; the simulation ignores them:
//
//	cni:
//	  externalSNAT: false              # AWS_VPC_K8S_CNI_EXTERNALSNAT
//	network:
//	  vpcCIDR: 10.0.0.0/16
//	  rulesPerGroup: 60                # the quota, per direction
//	  calico: false
//	dns:
//	  coreDNS: coredns                 # a workload; omitted: ordinary pods
//	  nodeLocalDNS: true
//	nodeGroups:
//	  - name: ng
//	    ...
//	    maxPods: 110                   # kubelet maxPods set by the bootstrap; omitted: eni-max-pods.txt
//	    securityGroups: [sg-0a000001]
//	    subnet: {kind: private, cidr: 10.0.1.0/24}   # private, public or isolated
//	securityGroups:
//	  - id: sg-0a000002
//	    name: web
//	    ingress:
//	      - {protocol: tcp, port: 8080, securityGroup: sg-0a000001}
//	      - {protocol: tcp, fromPort: 8000, toPort: 8100, cidr: 10.0.0.0/16}
//	    egress:                        # omitted: EC2's default, all to 0.0.0.0/0
//	      - {protocol: udp, port: 53, securityGroup: sg-0a000001}
//	workloads:
//	  - name: web
//	    ...
//	    probes: [8080]                 # the kubelet's TCP probe ports
//	    talksTo:
//	      - {workload: db, port: 5432}             # protocol defaults to tcp
//	      - {securityGroup: sg-0a000003, port: 3306}
//	      - {cidr: 0.0.0.0/0, port: 443}           # outside the VPC
//	      - {linkLocal: podIdentityAgent, port: 80} # on the pod's node
//	    receivesFrom:
//	      - {securityGroup: sg-0a000004, port: 8080}
//
// A rule has a protocol (tcp, udp, icmp, all, or EC2's numbers), a port or
// fromPort and toPort for tcp and udp only, and exactly one of cidr and
// securityGroup. A talksTo linkLocal is an address on the pods' own node:
// podIdentityAgent (169.254.170.23), imds (169.254.169.254), nodeLocalDNS
// (169.254.20.10) or any other IPv4 address in 169.254.0.0/16; a cidr
// inside that block is refused, since a link-local address is not outside
// the VPC. Groups that rules, node groups and traffic name must be
// declared under securityGroups; groups that policies name need not be,
// since a missing one is what the check reports. A file that declares its
// groups runs as EC2 would: a policy naming a group it does not declare
// fails CreateNetworkInterface with InvalidSecurityGroupID.NotFound, and
// the report names the group and the policy. A file that declares none
// takes every group to exist, in a run and in the check. A securityGroups entry
// without egress gets EC2's default outbound rule; `egress: []` means
// none. [Scenario.Cluster] hands all of it to the check.
//
// # Strictness
//
// Outside the SecurityGroupPolicies, which are taken as the API server
// takes them (above), [Parse] refuses what a cluster would refuse and
// what is probably a mistake: unknown keys, values of the wrong YAML type (a label value must
// be a string, so `version: 1` must be quoted), negative counts, bad
// durations, unknown instance types, malformed security-group IDs or CIDR
// blocks, rules EC2 would refuse (duplicates, more than the quota),
// duplicate names, and references to node groups, workloads, service
// accounts or security groups the file does not declare. Settings whose
// zero value would mean "use the default" must be positive when written,
// so nothing written is silently replaced. Every error is an [*Error] naming the file, the line
// and the field, such as
//
//	smoke.yaml:7: nodeGroups[0].flavour: unknown field (want name, instanceType, count, trunkAttached, unownedBranches, os, maxPods, labels, securityGroups, subnet or autoscaling)
//
// and wrapping a sentinel ([ErrUnknownField], [ErrInvalidValue], ...) for
// errors.Is.
//
// # Running
//
// [Scenario.Build] sets up a simulation at time zero and schedules the
// workloads and events; [Scenario.Run] also runs it, to until or until
// nothing is in flight, and returns the report. [Scenario.Marshal] writes a
// Scenario back as YAML that parses to an equal Scenario, for programs
// that generate scenarios.
package scenario
