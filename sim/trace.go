package sim

import (
	"crypto/sha256"
	"hash"
	"io"
	"strconv"
	"time"
	"unicode/utf8"
)

// tracer writes the canonical event log: one JSON object per line,
//
//	{"t":12.345678901,"event":"PodRunning","object":"pod/default/web-0","detail":"..."}
//
// with t in seconds of virtual time. The log is always hashed, so the
// report carries its SHA-256 whether or not it is written anywhere.
type tracer struct {
	w      io.Writer
	h      hash.Hash
	buf    []byte
	counts map[string]int
	err    error
}

func (t *tracer) init() {
	t.h = sha256.New()
	t.counts = make(map[string]int)
}

func (t *tracer) rec(now time.Duration, event, object, detail string) {
	b := t.buf[:0]
	b = append(b, `{"t":`...)
	b = appendSeconds(b, now)
	b = append(b, `,"event":`...)
	b = appendJSONString(b, event)
	b = append(b, `,"object":`...)
	b = appendJSONString(b, object)
	if detail != "" {
		b = append(b, `,"detail":`...)
		b = appendJSONString(b, detail)
	}
	b = append(b, "}\n"...)
	t.buf = b
	t.h.Write(b)
	if t.w != nil && t.err == nil {
		_, t.err = t.w.Write(b)
	}
}

func (t *tracer) sum() []byte { return t.h.Sum(nil) }

func (t *tracer) reasons() map[string]int {
	m := make(map[string]int, len(t.counts))
	for k, v := range t.counts {
		m[k] = v
	}
	return m
}

// event records a Kubernetes-style event (type, reason, object, message).
func (s *Sim) event(typ, reason, object, msg string) {
	s.tr.counts[reason]++
	s.tr.rec(s.Now(), reason, object, typ+": "+msg)
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

func appendJSONString(b []byte, s string) []byte {
	const hexd = "0123456789abcdef"
	b = append(b, '"')
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
	return append(b, '"')
}
