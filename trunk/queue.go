package trunk

// deque is the delete queue: a ring buffer of branches that grows by
// doubling, so pushes at either end and pops at the head cost O(1) and
// allocate only while the queue reaches a new high-water mark.
type deque struct {
	buf  []Branch // len(buf) is zero or a power of two
	head int
	n    int
}

func (q *deque) len() int { return q.n }

// at returns the i-th entry from the head; 0 <= i < q.n.
func (q *deque) at(i int) *Branch { return &q.buf[(q.head+i)&(len(q.buf)-1)] }

func (q *deque) grow() {
	if q.n < len(q.buf) {
		return
	}
	size := max(8, 2*len(q.buf))
	buf := make([]Branch, size)
	for i := 0; i < q.n; i++ {
		buf[i] = *q.at(i)
	}
	q.buf, q.head = buf, 0
}

func (q *deque) pushBack(b Branch) {
	q.grow()
	q.n++
	*q.at(q.n - 1) = b
}

func (q *deque) pushFront(b Branch) {
	q.grow()
	q.head = (q.head - 1) & (len(q.buf) - 1)
	q.n++
	*q.at(0) = b
}

// popFront removes and returns the head; q.n > 0.
func (q *deque) popFront() Branch {
	slot := q.at(0)
	b := *slot
	*slot = Branch{} // drop the strings for the collector
	q.head = (q.head + 1) & (len(q.buf) - 1)
	q.n--
	return b
}

// appendTo appends the entries in queue order.
func (q *deque) appendTo(dst []Branch) []Branch {
	for i := 0; i < q.n; i++ {
		dst = append(dst, *q.at(i))
	}
	return dst
}

// reset empties the queue, keeping its buffer.
func (q *deque) reset() {
	clear(q.buf)
	q.head, q.n = 0, 0
}
