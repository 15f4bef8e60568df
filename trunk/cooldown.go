package trunk

import (
	"math"
	"time"
)

const (
	// DefaultCoolDown is how long a released branch ENI waits before it is
	// deleted when nothing is configured (cooldown.go
	// DefaultCoolDownPeriod). The wait lets iptables and ARP state for the
	// pod's address converge before the address can be reused.
	DefaultCoolDown = 60 * time.Second
	// MinCoolDown is the shortest cool-down the controller applies
	// (cooldown.go MinimalCoolDownPeriod).
	MinCoolDown = 30 * time.Second
	// MaxDeleteRetries is how many failed deletions of one ENI the trunk
	// tolerates before it forgets the ENI (trunk.go MaxDeleteRetries).
	MaxDeleteRetries = 3
)

// ClampCoolDown returns the cool-down the controller would apply for a
// configured value d.
//
// Zero means "not configured" and gives [DefaultCoolDown], as upstream
// falls back to 60 s when the configmap key branch-eni-cooldown is missing
// or unparsable. Any other value below [MinCoolDown], negative ones
// included, gives MinCoolDown, as upstream's getter clamps. Upstream also
// clamps an explicit "0" in the configmap to 30 s; a caller modelling that
// passes any positive value below 30 s, such as time.Nanosecond.
func ClampCoolDown(d time.Duration) time.Duration {
	switch {
	case d == 0:
		return DefaultCoolDown
	case d < MinCoolDown:
		return MinCoolDown
	}
	return d
}

// cooledAt returns the first instant at which an entry released at
// releasedAt may be deleted: upstream deletes only when the current time
// is strictly after release + cool-down. It saturates instead of
// overflowing.
func cooledAt(releasedAt, coolDown time.Duration) time.Duration {
	if releasedAt > math.MaxInt64-coolDown-1 {
		return math.MaxInt64
	}
	return releasedAt + coolDown + 1
}

// cooled reports whether s's branch may be deleted at now.
func (s *slot) cooled(now, coolDown time.Duration) bool {
	return s.skipCoolDown || now >= cooledAt(s.releasedAt, coolDown)
}
