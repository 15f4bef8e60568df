package controller

// The controller's Kubernetes clients. main.go sets --apiserver-qps and
// --apiserver-burst (20, 30) on the one rest.Config every client is made
// from, and client-go gives each client made from a config without a
// RateLimiter its own token bucket at those figures (client-go v0.33.0
// rest/config.go RESTClientForConfigAndClient; kubernetes/clientset.go
// NewForConfigAndClient gives a clientset one for all its groups). So
// three limiters are in play, not one:
//
//   - the clientset of main.go (kubernetes.NewForConfig), which reads the
//     pod from the API server before a branch is made
//     (pkg/k8s/pod/client_wrapper.go GetPodFromAPIServer) and through
//     which the event broadcaster writes every event (pkg/k8s/wrapper.go
//     NewK8sWrapper: StartRecordingToSink on clientSet.CoreV1());
//   - the manager's client for pods, which patches the pod-eni annotation
//     (client_wrapper.go AnnotatePod: mgr.GetClient().Patch);
//     controller-runtime makes one REST client, so one limiter, per kind
//     (controller-runtime v0.20.4 pkg/client/client_rest_resources.go);
//   - the manager's client for nodes, which advertises the pod-eni
//     capacity (pkg/k8s/wrapper.go AdvertiseCapacityIfNotSet).

// eventSink is client-go's event broadcaster (tools/record/event.go): one
// goroutine writes the recorded events one at a time, each waiting on the
// clientset's limiter, where the pod reads wait too; the events recorded
// meanwhile queue behind it, up to MaxQueuedEvents, and the broadcaster
// drops the rest (watch.NewLongQueueBroadcaster with DropIfChannelFull).
// A restart loses the queue with the process.
//
// client-go's spam filter (tools/record/events_cache.go: 25 events per
// object and type, then one per 5 minutes) is not modelled: the
// controller records at most two events per pod per attempt (provider.go
// CreateAndAnnotateResources) and a pod's attempts are spaced by the
// workqueue's back-off and the 30-minute resync, so no object reaches it.
type eventSink struct {
	writing bool  // a write waits on the limiter; its tEventSink wake-up ends it
	queued  int32 // events recorded while it waits
}

// MaxQueuedEvents is how many events wait for the broadcaster's writes
// before it drops the rest (client-go tools/record/event.go
// maxQueuedEvents).
const MaxQueuedEvents = 1000

// sinkEvent hands a recorded event to the sink.
func (c *Controller) sinkEvent() {
	s := &c.sink
	switch {
	case !s.writing:
		c.writeEvent()
	case s.queued < MaxQueuedEvents:
		s.queued++
	default:
		c.stats.EventsDropped++
	}
}

// writeEvent writes the next event: it takes a token from the clientset's
// limiter now and holds the sink until the token comes. API server
// latency is taken as zero, as for every Kubernetes call.
func (c *Controller) writeEvent() {
	c.stats.EventsWritten++
	wait, _ := c.clientset.Reserve(c.now, 1)
	if wait > 0 {
		c.sink.writing = true
		c.wake(wait, timer(tEventSink, 0))
	}
}

// eventWritten ends a write that waited, and starts the next.
func (c *Controller) eventWritten() {
	c.sink.writing = false
	if c.sink.queued > 0 {
		c.sink.queued--
		c.writeEvent()
	}
}
