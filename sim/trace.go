package sim

import (
	"crypto/sha256"
	"hash"
	"io"
	"strconv"
	"time"
	"unicode/utf8"
	"unsafe"
)

// tracer writes the canonical event log: one JSON object per line,
//
//	{"t":12.345678901,"event":"PodRunning","object":"pod/default/web-0","detail":"..."}
//
// with t in seconds of virtual time. The log is always hashed, so the
// report carries its SHA-256 whether or not it is written anywhere.
//
// Lines are built in place, piece by piece, so recording an event
// allocates nothing, and they are hashed in blocks of hashChunk bytes
// rather than one at a time. A line goes to the writer, when there is
// one, as soon as it is complete.
type tracer struct {
	w      io.Writer
	h      hash.Hash
	buf    []byte // lines not hashed yet; the last one may be open
	line   int    // where the open line starts in buf
	counts map[string]int
	err    error
}

// hashChunk is how many bytes of complete lines the tracer gathers before
// hashing them.
const hashChunk = 32 << 10

func (t *tracer) init() {
	t.h = sha256.New()
	t.buf = make([]byte, 0, hashChunk+1024)
	t.counts = make(map[string]int)
}

// begin opens a line: the time and the event.
func (t *tracer) begin(now time.Duration, event string) {
	if len(t.buf) >= hashChunk {
		t.h.Write(t.buf)
		t.buf = t.buf[:0]
	}
	t.line = len(t.buf)
	b := append(t.buf, `{"t":`...)
	b = appendSeconds(b, now)
	b = append(b, `,"event":"`...)
	b = appendJSONChars(b, event)
	t.buf = append(b, `","object":"`...)
}

// object writes the open line's object as kind/name, or name alone when
// kind is empty.
func (t *tracer) object(kind, name string) {
	if kind != "" {
		t.buf = appendJSONChars(t.buf, kind)
		t.buf = append(t.buf, '/')
	}
	t.buf = appendJSONChars(t.buf, name)
	t.buf = append(t.buf, '"')
}

// objectPod writes the open line's object as pod/namespace/name, which is
// "pod/" and the pod's key; a key with nothing to escape, as most are, is
// copied as it is.
func (t *tracer) objectPod(p *pod) {
	if p.plainKey {
		t.buf = append(append(append(t.buf, "pod/"...), p.key...), '"')
		return
	}
	t.object("pod", p.key)
}

// plain reports whether s has no byte JSON escapes.
func plain(s string) bool {
	for i := plainWords(s); i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// detail opens the line's detail; text adds to it, and end closes
// it with the line.
func (t *tracer) detail() { t.buf = append(t.buf, `,"detail":"`...) }

func (t *tracer) text(s string) { t.buf = appendJSONChars(t.buf, s) }

// textBytes is text for a message built in a buffer. The buffer is read
// as a string in place: nothing changes it while it is escaped.
func (t *tracer) textBytes(b []byte) {
	if len(b) > 0 {
		t.buf = appendJSONChars(t.buf, unsafe.String(&b[0], len(b)))
	}
}

// end closes the line, and its detail when withDetail says one is open,
// and writes the line out.
func (t *tracer) end(withDetail bool) {
	if withDetail {
		t.buf = append(t.buf, '"')
	}
	t.buf = append(t.buf, "}\n"...)
	if t.w != nil && t.err == nil {
		_, t.err = t.w.Write(t.buf[t.line:])
	}
}

// rec records a line whose object and detail are ready-made strings; an
// empty detail is left out.
func (t *tracer) rec(now time.Duration, event, object, detail string) {
	t.begin(now, event)
	t.object("", object)
	if detail != "" {
		t.detail()
		t.text(detail)
	}
	t.end(detail != "")
}

// sum returns the SHA-256 of every line so far.
func (t *tracer) sum() []byte {
	t.h.Write(t.buf)
	t.buf = t.buf[:0]
	return t.h.Sum(nil)
}

func (t *tracer) reasons() map[string]int {
	m := make(map[string]int, len(t.counts))
	for k, v := range t.counts {
		m[k] = v
	}
	return m
}

// event records a Kubernetes-style event (type, reason, object, message).
func (s *Sim) event(typ, reason, object, msg string) {
	t := s.eventBegin(typ, reason, "", object)
	t.text(msg)
	t.end(true)
}

// eventBegin opens a Kubernetes-style event about object kind/name (name
// alone when kind is empty) whose detail starts with its type; the caller
// writes the message with text and closes it with end(true).
func (s *Sim) eventBegin(typ, reason, kind, name string) *tracer {
	t := s.eventOpen(reason)
	t.object(kind, name)
	t.eventType(typ)
	return t
}

// podEvent is eventBegin for a pod.
func (s *Sim) podEvent(typ, reason string, p *pod) *tracer {
	t := s.eventOpen(reason)
	t.objectPod(p)
	t.eventType(typ)
	return t
}

func (s *Sim) eventOpen(reason string) *tracer {
	s.tr.counts[reason]++
	s.tr.begin(s.Now(), reason)
	return &s.tr
}

func (t *tracer) eventType(typ string) {
	t.detail()
	t.text(typ)
	t.text(": ")
}

// appendSeconds writes d as seconds with nanosecond precision and no
// trailing zeros, exactly and without floating point.
func appendSeconds(b []byte, d time.Duration) []byte {
	if d < 0 {
		b = append(b, '-')
		d = -d
	}
	b = strconv.AppendInt(b, int64(d/time.Second), 10)
	ns := int64(d % time.Second)
	if ns == 0 {
		return b
	}
	var frac [10]byte
	frac[0] = '.'
	for i := 9; i >= 1; i-- {
		frac[i] = byte('0' + ns%10)
		ns /= 10
	}
	n := 10
	for frac[n-1] == '0' {
		n--
	}
	return append(b, frac[:n]...)
}

// plainWords returns a length, a multiple of eight, of a prefix of s
// that has no byte JSON escapes: below 0x20, a quote, a backslash or
// non-ASCII. It tests eight bytes at once; a word it flags may still be
// plain, which only ends the prefix early.
func plainWords(s string) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		quote, backslash := x^(ones*'"'), x^(ones*'\\')
		// A byte below n sets its high bit in (x - ones*n) &^ x, a zero
		// byte in (y - ones) &^ y; a high bit in x is non-ASCII.
		if ((x-ones*0x20)&^x|(quote-ones)&^quote|(backslash-ones)&^backslash|x)&highs != 0 {
			break
		}
	}
	return i
}

// appendJSONChars appends s escaped for a JSON string, without quotes.
// Escaping works character by character, so pieces joined at an ASCII
// character escape to the same bytes as the whole.
func appendJSONChars(b []byte, s string) []byte {
	const hexd = "0123456789abcdef"
	// Names and messages are plain ASCII as a rule: copy the run of
	// characters that need no escape in one go, found eight at a time.
	plain := plainWords(s)
	for plain < len(s) {
		if c := s[plain]; c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			break
		}
		plain++
	}
	b = append(b, s[:plain]...)
	s = s[plain:]
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			b = append(b, c)
			i++
			continue
		}
		if c < utf8.RuneSelf {
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexd[c>>4], hexd[c&0xf])
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return b
}
