package limits

import (
	"testing"

	"pgregory.net/rapid"
)

// slowEditDistance is the textbook full-matrix optimal string alignment
// distance, the reference for the rolling-row version.
func slowEditDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

func TestEditDistanceMatchesReference(t *testing.T) {
	alphabet := rapid.SampledFrom([]rune("ab.5lx"))
	rapid.Check(t, func(t *rapid.T) {
		a := string(rapid.SliceOfN(alphabet, 0, 10).Draw(t, "a"))
		b := string(rapid.SliceOfN(alphabet, 0, 10).Draw(t, "b"))
		limit := rapid.IntRange(0, 12).Draw(t, "limit")
		want := slowEditDistance(a, b)
		got := editDistance(a, b, limit)
		if want <= limit && got != want {
			t.Fatalf("editDistance(%q, %q, %d) = %d, want %d", a, b, limit, got, want)
		}
		if want > limit && got <= limit {
			t.Fatalf("editDistance(%q, %q, %d) = %d, want above the limit (true distance %d)", a, b, limit, got, want)
		}
	})
}

func TestEditDistanceExamples(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"m5.larg", "m5.large", 1},
		{"m5.lrage", "m5.large", 1},
		{"m5xlarge", "m5.xlarge", 1},
		{"", "abc", 3},
		{"same", "same", 0},
	} {
		if got := editDistance(tt.a, tt.b, 10); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
