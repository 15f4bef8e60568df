// Package bucket is a token bucket in virtual time that takes the same
// decisions as golang.org/x/time/rate's Limiter, bit for bit.
//
// The controller's rate-limited clients and the fake EC2's account-side
// throttling are modelled on x/time/rate, which stays the reference: a
// Limiter driven at epoch.Add(now) and a Bucket driven at now give the
// same delays, the same answers and the same token counts at every step,
// float64 rounding included. The differential test in this package
// checks that on random limits, bursts, sizes and times.
//
// A Bucket is a plain value with no lock, no allocation and no
// time.Time: the simulation core reserves from it on every call it makes,
// and a Limiter's mutex, time.Time arithmetic and Reservation cost several
// times the bucket's own arithmetic there.
//
// What carries over from the Limiter:
//
//   - A new bucket is full. Before its first update a Limiter's last time
//     is the zero time.Time, so the time since then saturates at the
//     longest time.Duration; a Bucket does the same. This holds for any
//     epoch after the year 600, such as fakeec2.Epoch.
//   - Tokens accrue at the limit per second, computed as
//     elapsed.Seconds() * limit, and are capped at the burst.
//   - A reservation of n tokens that leaves the bucket short waits
//     (short / limit) seconds, converted to a time.Duration; a wait past
//     the longest time.Duration is InfDuration.
//   - A reservation of more than the burst is refused, and a refused
//     reservation changes nothing. Allow refuses any reservation that
//     would wait.
//   - An Inf limit grants every reservation at once and changes nothing.
//   - A limit of zero or less adds no tokens, and a short reservation then
//     waits InfDuration (which Reserve still grants, as ReserveN does).
//   - A time earlier than the last update counts as no time elapsed, and
//     the update moves the last time back to it.
//
// Only the operations the simulator uses are here: Reserve (ReserveN and
// DelayFrom at the same time), Allow (AllowN), SetLimit and SetBurst
// (SetLimitAt and SetBurstAt) and TokensAt. There is no Cancel.
package bucket
