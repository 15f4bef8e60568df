package cni_test

import (
	"go/build"
	"strings"
	"testing"
)

// The package contract: a leaf importing the standard library and at
// most package limits, so that sim and reach can both import it.
func TestImportsOnlyTheStandardLibraryAndLimits(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range pkg.Imports {
		first, _, _ := strings.Cut(path, "/")
		if strings.Contains(first, ".") && path != "github.com/trunksim/trunksim/limits" {
			t.Errorf("cni imports %s", path)
		}
	}
}
