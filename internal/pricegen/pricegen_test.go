package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A made-up file in the shape of upstream's: a map of regions to maps of
// instance types to prices, with a "generated at" comment.
const sample = `package pricing

// generated at 2026-01-02T03:04:05Z for us-east-1

var Initial = map[string]map[string]float64{
	"us-east-1": {
		"m9.large": 0.1, "a9.large": 0.25,
		"z9.large": 1,
	},
	"us-east-2": {"m9.large": 9},
}
`

func TestExtractReadsUsEast1Sorted(t *testing.T) {
	table, err := extract([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	if table.generated != "2026-01-02T03:04:05Z" {
		t.Errorf("generated = %q", table.generated)
	}
	want := []price{{"a9.large", 0.25}, {"m9.large", 0.1}, {"z9.large", 1}}
	if len(table.prices) != len(want) {
		t.Fatalf("prices = %v, want %v", table.prices, want)
	}
	for i := range want {
		if table.prices[i] != want[i] {
			t.Errorf("prices[%d] = %v, want %v", i, table.prices[i], want[i])
		}
	}
	code, err := render(table)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(code, []byte(`{"a9.large", 0.25},`)) || !bytes.Contains(code, []byte("[3]priceRow")) {
		t.Errorf("render:\n%s", code)
	}
}

func TestExtractErrors(t *testing.T) {
	tests := map[string]string{
		"no comment":   strings.Replace(sample, "generated at", "made at", 1),
		"no region":    strings.Replace(sample, `"us-east-1": {`, `"eu-west-1": {`, 1),
		"not a number": strings.Replace(sample, "0.25", `"cheap"`, 1),
		"twice":        strings.Replace(sample, `"z9.large"`, `"m9.large"`, 1),
		"not Go":       "package",
	}
	for name, src := range tests {
		if _, err := extract([]byte(src)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestUsage(t *testing.T) {
	var stderr bytes.Buffer
	if code := run([]string{"-version", "v1"}, &stderr); code != 2 {
		t.Errorf("run without -out = %d, want 2", code)
	}
}

// TestCheckedInTableIsCurrent regenerates the table from the module zip
// when it is already in the module cache, and compares it with the
// checked-in file. It never downloads.
func TestCheckedInTableIsCurrent(t *testing.T) {
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Skip("no go command:", err)
	}
	zipPath := filepath.Join(strings.TrimSpace(string(out)), "cache", "download", "github.com", "aws", "karpenter-provider-aws", "@v", "v1.15.2.zip")
	if _, err := os.Stat(zipPath); err != nil {
		t.Skip("module zip not in the cache:", zipPath)
	}
	dst := filepath.Join(t.TempDir(), "prices.go")
	if err := generate("v1.15.2", zipPath, dst); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(dst)
	want, err := os.ReadFile("../../karpenter/zz_generated_prices.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("karpenter/zz_generated_prices.go differs from what pricegen writes; run go generate ./karpenter")
	}
}
