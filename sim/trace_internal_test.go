package sim

import (
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// escapeEachByte is appendJSONChars written one character at a time, the
// definition the fast path must keep to.
func escapeEachByte(s string) []byte {
	const hexd = "0123456789abcdef"
	var b []byte
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf:
			b = append(b, c)
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < utf8.RuneSelf:
			b = append(b, '\\', 'u', '0', '0', hexd[c>>4], hexd[c&0xf])
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, `\ufffd`...)
			} else {
				b = append(b, s[i:i+size]...)
			}
			i += size
			continue
		}
		i++
	}
	return b
}

// Escaping copies plain runs whole but gives the bytes escaping each
// character does, for any string, valid UTF-8 or not.
func TestJSONEscapingIsCharacterByCharacter(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := rapid.OneOf(rapid.String(),
			rapid.Custom(func(t *rapid.T) string { return string(rapid.SliceOf(rapid.Byte()).Draw(t, "bytes")) })).Draw(t, "s")
		require.Equal(t, string(escapeEachByte(s)), string(appendJSONChars(nil, s)))
	})
	for _, s := range []string{"", "pod/default/web-0", "a\"b\\c\nd\te\x01f\x7f", "é\xff\xe2\x82", "\xe2\x82/x"} {
		require.Equal(t, string(escapeEachByte(s)), string(appendJSONChars([]byte("x"), s))[1:], s)
	}
}

// The eight-at-a-time scan misses no byte: every byte value, at every
// place in a word, escapes as it does alone.
func TestJSONEscapingEveryByteEverywhere(t *testing.T) {
	for at := range 24 {
		for c := range 256 {
			b := []byte("abcdefghijklmnopqrstuvwx")
			b[at] = byte(c)
			s := string(b)
			require.Equal(t, string(escapeEachByte(s)), string(appendJSONChars(nil, s)), "byte %#x at %d", c, at)
		}
	}
}

// BenchmarkAppendJSONChars escapes a trace's typical pieces: a pod's
// namespace and name, an event reason and a message.
func BenchmarkAppendJSONChars(b *testing.B) {
	pieces := []string{"default", "web-12345", "SecurityGroupRequested", "will get security groups sg-0123456789abcdef0"}
	b.ReportAllocs()
	buf := make([]byte, 0, 256)
	for b.Loop() {
		buf = buf[:0]
		for _, s := range pieces {
			buf = appendJSONChars(buf, s)
		}
	}
}

// plain passes only strings that escaping leaves as they are, so a pod
// key it passes may be copied into the trace as it is; it passes every
// string of plain ASCII.
func TestPlainStringsNeedNoEscaping(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		b := rapid.SliceOfN(rapid.SampledFrom([]byte("ab/-.0\"\\\n\x01\x7f\xc3\xa9\xff")), 0, 40).Draw(t, "bytes")
		s := string(b)
		ascii := true
		for _, c := range b {
			ascii = ascii && c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf
		}
		if got := plain(s); got != ascii {
			t.Fatalf("plain(%q) = %v, want %v", s, got, ascii)
		}
		if plain(s) && string(appendJSONChars(nil, s)) != s {
			t.Fatalf("plain(%q), yet escaping changes it", s)
		}
	})
}
