package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The committed per-release and max-pods data regenerate the committed Go
// files byte for byte, through go generate's flags and through -dir.
func TestGeneratedReleasesAreUpToDate(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "releases.go")
	maxOut := filepath.Join(dir, "maxpods.go")
	var stderr bytes.Buffer
	// Run from the limits directory's point of view so headers match.
	require.Equal(t, 0, run([]string{"-dir", "../../limits", "-releases-out", out, "-max-pods-out", maxOut}, &stderr), stderr.String())
	for got, want := range map[string]string{out: "../../limits/zz_generated_releases.go", maxOut: "../../limits/zz_generated_maxpods.go"} {
		if g, w := readFile(t, got), readFile(t, want); !bytes.Equal(g, w) {
			t.Fatalf("%s is stale; run go generate ./limits\n%s", want, cmp.Diff(string(w), string(g)))
		}
	}
}

// The committed releases file is in the layout encodeReleases writes.
func TestReleasesFileIsCanonical(t *testing.T) {
	src := readFile(t, "../../limits/data/releases.json")
	f, err := decodeReleases(src)
	require.NoError(t, err)
	again, err := encodeReleases(f)
	require.NoError(t, err)
	assert.Equal(t, string(src), string(again))
}

// fixtureReleases starts a releases file whose base is the fixture.
func fixtureReleases(t *testing.T) (dir string) {
	t.Helper()
	dir = t.TempDir()
	var stderr bytes.Buffer
	base := filepath.Join(dir, "base.json")
	require.Equal(t, 0, run([]string{"-from-upstream", fixturePath, "-json", base}, &stderr), stderr.String())
	f := releasesFile{About: "x", Base: "v1.0.0", Tables: []releaseTable{{Releases: []string{"v1.0.0"}, Source: "fixture"}}}
	data, err := encodeReleases(f)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "releases.json"), data, 0o644))
	return dir
}

// writeUpstream writes a limits.go in the fixture's layout with the
// fixture's entries changed by edit.
func writeUpstream(t *testing.T, dir, name string, edit func(string) string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, []byte(edit(string(readFile(t, fixturePath)))), 0o644))
	return path
}

func TestAddRelease(t *testing.T) {
	dir := fixtureReleases(t)
	releases := filepath.Join(dir, "releases.json")
	base := filepath.Join(dir, "base.json")
	add := func(v, upstream string) {
		t.Helper()
		var stderr bytes.Buffer
		require.Equal(t, 0, run([]string{"-releases", releases, "-in", base, "-add-release", v, "-from-upstream", upstream}, &stderr), stderr.String())
	}
	same := writeUpstream(t, dir, "same.go", func(s string) string { return s })
	// A new type and a changed one.
	grown := writeUpstream(t, dir, "grown.go", func(s string) string {
		s = strings.Replace(s, `"zz9.large": {`, `"zz9.xlarge": {
		Interface: 4, IPv4PerInterface: 15, IsTrunkingCompatible: true, BranchInterface: 18,
		NetworkCards: []NetworkCard{{MaximumNetworkInterfaces: 4, NetworkCardIndex: 0}}, Hypervisor: "nitro",
	},
	"zz9.large": {`, 1)
		return strings.Replace(s, "BranchInterface:         9,", "BranchInterface:         8,", 1)
	})
	add("v1.0.1", same)
	add("v1.1.0", grown)
	add("v1.1.1", grown)

	f, err := decodeReleases(readFile(t, releases))
	require.NoError(t, err)
	require.Len(t, f.Tables, 2)
	assert.Equal(t, []string{"v1.0.0", "v1.0.1"}, f.Tables[0].Releases, "an equal table becomes another name of it")
	assert.Equal(t, []string{"v1.1.0", "v1.1.1"}, f.Tables[1].Releases)
	assert.Equal(t, "2001-02-03T04:05:06Z", f.Tables[1].GeneratedAt)
	require.Len(t, f.Rows, 2, "only the changed and the new type are stored")
	assert.Equal(t, "zz9.large", f.Rows[0].InstanceType)
	assert.Equal(t, 8, f.Rows[0].BranchInterfaces)
	assert.Equal(t, "zz9.xlarge", f.Rows[1].InstanceType)

	// A third table that drops a type reuses the stored row.
	shrunk := writeUpstream(t, dir, "shrunk.go", func(string) string {
		return strings.Replace(readFile2(t, grown), `"aa1.medium": &VPCLimits{`, `"aa0.medium": &VPCLimits{`, 1)
	})
	add("v1.2.0", shrunk)
	f, err = decodeReleases(readFile(t, releases))
	require.NoError(t, err)
	require.Len(t, f.Tables, 3)
	assert.Equal(t, []string{"aa1.medium"}, f.Tables[2].Removed)
	assert.Equal(t, []string{"v1.1.0", "v1.2.0"}, f.Rows[1].Tables)

	code, err := generateReleases(f, "releases.json")
	require.NoError(t, err)
	assert.Contains(t, string(code), `{"v1.2.0", 2},`)

	var stderr bytes.Buffer
	assert.Equal(t, 1, run([]string{"-releases", releases, "-in", base, "-add-release", "v1.1.0", "-from-upstream", grown}, &stderr))
	assert.Contains(t, stderr.String(), `release "v1.1.0" is already in the releases file`)
}

func readFile2(t *testing.T, path string) string { return string(readFile(t, path)) }

func TestCompareReleases(t *testing.T) {
	names := []string{"master", "v1.10.0", "v1.8.2", "v1.7.25", "dev", "v1.8.10"}
	slices.SortFunc(names, compareReleases)
	assert.Equal(t, []string{"v1.7.25", "v1.8.2", "v1.8.10", "v1.10.0", "dev", "master"}, names)
}

func TestDecodeReleasesRejectsBadFiles(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"unknown key", `{"base":"v1","tables":[{"releases":["v1"]}],"rows":[],"x":1}`, "unknown field"},
		{"base not first", `{"base":"v2","tables":[{"releases":["v1"]}],"rows":[]}`, "first table must be the base"},
		{"release twice", `{"base":"v1","tables":[{"releases":["v1"]},{"releases":["v1"]}],"rows":[]}`, "appears more than once"},
		{"row in unknown table", `{"base":"v1","tables":[{"releases":["v1"]}],"rows":[{"tables":["v9"],"instanceType":"a.b","hypervisor":"nitro"}]}`, "not a table's first release"},
		{"row in base", `{"base":"v1","tables":[{"releases":["v1"]}],"rows":[{"tables":["v1"],"instanceType":"a.b","hypervisor":"nitro"}]}`, "edit data/limits.json instead"},
		{"row twice", `{"base":"v1","tables":[{"releases":["v1"]},{"releases":["v2"]}],"rows":[{"tables":["v2"],"instanceType":"a.b","hypervisor":"nitro"},{"tables":["v2"],"instanceType":"a.b","hypervisor":"xen"}]}`, "holds \"a.b\" twice"},
		{"trailing", `{"base":"v1","tables":[{"releases":["v1"]}],"rows":[]} {}`, "unexpected data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeReleases([]byte(tt.src))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestParseMaxPods(t *testing.T) {
	f, err := parseMaxPods("x.txt", []byte("# c\n# source: somewhere\n\nm5.large 29\na1.medium 8\n"))
	require.NoError(t, err)
	assert.Equal(t, "somewhere", f.Source)
	assert.Equal(t, []maxPodsRow{{"a1.medium", 8}, {"m5.large", 29}}, f.Rows)
	again, err := parseMaxPods("y.txt", encodeMaxPods(f))
	require.NoError(t, err)
	assert.Equal(t, f, again)

	for src, want := range map[string]string{
		"m5.large\n":              `x.txt:1: want "instance-type max-pods"`,
		"m5.large 0\n":            "x.txt:1: max pods \"0\" is not an integer",
		"m5.large 29\nm5.large 3": `x.txt:2: instance type "m5.large" appears more than once`,
		"# only comments\n":       "x.txt: no instance types",
	} {
		_, err := parseMaxPods("x.txt", []byte(src))
		require.Error(t, err, src)
		assert.Contains(t, err.Error(), want)
	}
}

func TestRunCNIFrom(t *testing.T) {
	dir := t.TempDir()
	up := filepath.Join(dir, "eni-max-pods.txt")
	require.NoError(t, os.WriteFile(up, []byte("# upstream header\nm5.large 29\n"), 0o644))
	data := filepath.Join(dir, "data.txt")
	out := filepath.Join(dir, "maxpods.go")
	var stderr bytes.Buffer
	require.Equal(t, 0, run([]string{"-max-pods", data, "-cni-from", up, "-max-pods-out", out}, &stderr), stderr.String())
	assert.Contains(t, readFile2(t, data), "# source: "+filepath.ToSlash(up)+"\nm5.large 29\n")
	assert.Contains(t, readFile2(t, out), `{"m5.large", 29},`)
}

func TestRunReleaseUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"add without releases", []string{"-max-pods", "x", "-add-release", "v1.0.0"}, "-add-release needs -releases and -in"},
		{"bad version", []string{"-dir", "d", "-add-release", "1.0"}, `-add-release "1.0" is not a version`},
		{"upstream without add", []string{"-dir", "d", "-from-upstream", "x.go"}, "-from-upstream goes with -add-release here"},
		{"out without releases", []string{"-releases-out", "x.go"}, "-releases-out needs -releases"},
		{"both cni sources", []string{"-max-pods", "x", "-cni-release", "v1.0.0", "-cni-from", "f"}, "not both"},
		{"cni without data", []string{"-cni-from", "f"}, "need -max-pods"},
		{"single-table flags", []string{"-dir", "d", "-out", "x.go"}, "go with the single-table mode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			assert.Equal(t, 2, run(tt.args, &stderr))
			assert.Contains(t, stderr.String(), tt.want)
		})
	}
}

// Each release's table in the committed data is exactly that release's
// pkg/aws/vpc/limits.go, read from the module cache when it is there (the
// test never downloads; a release missing from the cache is skipped).
func TestReleasesMatchModuleCache(t *testing.T) {
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil || strings.TrimSpace(string(out)) == "" {
		t.Skip("no module cache")
	}
	cache := strings.TrimSpace(string(out))
	f, err := decodeReleases(readFile(t, "../../limits/data/releases.json"))
	require.NoError(t, err)
	base, err := decodeData(readFile(t, dataPath))
	require.NoError(t, err)
	checked := 0
	for ti, table := range f.Tables[1:] {
		for _, release := range table.Releases {
			path := filepath.Join(cache, controllerModule+"@"+release, "pkg", "aws", "vpc", "limits.go")
			src, err := os.ReadFile(path)
			if err != nil {
				t.Logf("%s not in the module cache; skipped", release)
				continue
			}
			parsed, err := parseUpstream(path, src)
			require.NoError(t, err, release)
			assert.Equal(t, parsed.Records, f.composed(base.InstanceTypes, ti+1), release)
			checked++
		}
	}
	if checked == 0 {
		t.Skip("no release in the module cache")
	}
}
