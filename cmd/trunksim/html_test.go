package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The page holds the report, the plot, every pod, the events, the check
// and the assumptions; the same run writes the same bytes.
func TestRunHTML(t *testing.T) {
	dir := t.TempDir()
	var pages [2]string
	for i := range pages {
		path := filepath.Join(dir, "page.html")
		code, _, stderr := runCLI("run", "testdata/full-node.yaml", "--html", path, "--slo", "pending==0")
		require.Equal(t, exitOK, code, stderr)
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		pages[i] = string(b)
	}
	assert.Equal(t, pages[0], pages[1])
	golden(t, "full-node.html", pages[0])
	page := pages[0]
	for _, want := range []string{
		"<!DOCTYPE html>", "<h2>Summary</h2>", "<svg", "<h2>Pods</h2>", "<h2>Kubernetes events</h2>",
		"<h2>Reachability check</h2>", "<h2>Assumptions</h2>", `<span class="ok">pending = 0, within pending==0</span>`,
		"<td>default/web-0</td>",
	} {
		assert.Contains(t, page, want)
	}
	// Nine pods run at the end, three replacements among them.
	assert.Equal(t, 9, strings.Count(page, "<td>Running</td>"))
	// Self-contained: nothing is fetched when it opens.
	for _, remote := range []string{"http://", "https://", "src=", "<link"} {
		if remote == "http://" {
			page = strings.ReplaceAll(page, `xmlns="http://www.w3.org/2000/svg"`, "")
		}
		assert.NotContains(t, page, remote)
	}
}

// A failed write leaves neither the file nor a temporary one behind, and
// an earlier file at the path stays as it was.
func TestOutputsAreWrittenWholeOrNotAtAll(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.html")
	require.NoError(t, os.WriteFile(path, []byte("before"), 0o644))
	err := writeFile(path, func(w io.Writer) error {
		_, _ = io.WriteString(w, "half")
		return errors.New("interrupted")
	})
	require.Error(t, err)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "before", string(b))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file left")

	require.NoError(t, writeFile(path, func(w io.Writer) error { _, err := io.WriteString(w, "after"); return err }))
	b, err = os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "after", string(b))
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), fi.Mode().Perm())
}
