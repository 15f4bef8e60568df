package trunk

import "github.com/trunksim/trunksim/branch"

// ring is the delete queue as the VLAN IDs of its entries, head first.
// Every queued branch holds its own VLAN ID, so the queue never holds more
// than vlanSlots entries and a fixed ring of 128 serves without growing.
type ring struct {
	ids  [128]branch.VLAN
	head uint8
	n    uint8
}

// The ring holds every valid VLAN ID at once.
var _ [128 - vlanSlots]struct{}

func (q *ring) len() int { return int(q.n) }

// at returns the i-th ID from the head; 0 <= i < q.len().
func (q *ring) at(i int) branch.VLAN { return q.ids[(int(q.head)+i)&127] }

func (q *ring) pushBack(v branch.VLAN) {
	q.ids[(int(q.head)+int(q.n))&127] = v
	q.n++
}

func (q *ring) pushFront(v branch.VLAN) {
	q.head = (q.head - 1) & 127
	q.ids[q.head] = v
	q.n++
}

// popFront removes and returns the head; q.len() > 0.
func (q *ring) popFront() branch.VLAN {
	v := q.ids[q.head]
	q.ids[q.head] = 0
	q.head = (q.head + 1) & 127
	q.n--
	return v
}
