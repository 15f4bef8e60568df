package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Module paths the refresh downloads from with the go command.
const (
	controllerModule = "github.com/aws/amazon-vpc-resource-controller-k8s"
	cniModule        = "github.com/aws/amazon-vpc-cni-k8s"
)

// releaseFlags are the flags of the per-release and max-pods modes.
type releaseFlags struct {
	dir         string
	releases    string
	releasesOut string
	maxPods     string
	maxPodsOut  string
	addRelease  string
	cniRelease  string
	cniFrom     string
	// base and upstream are -in and -from-upstream, shared with the
	// single-table mode.
	base     string
	upstream string
}

func (r *releaseFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&r.dir, "dir", "", "the limits package `directory`: sets every path below to its usual place there")
	fs.StringVar(&r.releases, "releases", "", "read (and with -add-release rewrite) the per-release data `file` (data/releases.json)")
	fs.StringVar(&r.releasesOut, "releases-out", "", "write the Go release tables to `file`")
	fs.StringVar(&r.maxPods, "max-pods", "", "read (and with -cni-release rewrite) the max-pods data `file` (data/eni-max-pods.txt)")
	fs.StringVar(&r.maxPodsOut, "max-pods-out", "", "write the Go max-pods table to `file`")
	fs.StringVar(&r.addRelease, "add-release", "", "add controller release `version` (vX.Y.Z) to -releases; reads -from-upstream, else downloads the module")
	fs.StringVar(&r.cniRelease, "cni-release", "", "refresh -max-pods from the VPC CNI module at `version`")
	fs.StringVar(&r.cniFrom, "cni-from", "", "refresh -max-pods from this eni-max-pods.txt `file` instead of downloading")
}

// any reports whether a flag of these modes was given.
func (r *releaseFlags) any() bool {
	return r.dir != "" || r.releases != "" || r.releasesOut != "" || r.maxPods != "" || r.maxPodsOut != "" ||
		r.addRelease != "" || r.cniRelease != "" || r.cniFrom != ""
}

// validate fills the -dir defaults and returns a usage problem, or "".
func (r *releaseFlags) validate(out, jsonOut, commit string) string {
	if out != "" || jsonOut != "" || commit != "" {
		return "-out, -json and -source-commit go with the single-table mode, not with -dir, -releases or -max-pods"
	}
	if r.dir != "" {
		def := func(p *string, rel string) {
			if *p == "" {
				*p = filepath.Join(r.dir, rel)
			}
		}
		def(&r.base, "data/limits.json")
		def(&r.releases, "data/releases.json")
		def(&r.releasesOut, "zz_generated_releases.go")
		def(&r.maxPods, "data/eni-max-pods.txt")
		def(&r.maxPodsOut, "zz_generated_maxpods.go")
	}
	switch {
	case r.addRelease != "" && (r.releases == "" || r.base == ""):
		return "-add-release needs -releases and -in (or -dir)"
	case r.addRelease != "" && !validVersion(r.addRelease):
		return fmt.Sprintf("-add-release %q is not a version vX.Y.Z", r.addRelease)
	case r.upstream != "" && r.addRelease == "":
		return "-from-upstream goes with -add-release here"
	case r.releasesOut != "" && r.releases == "":
		return "-releases-out needs -releases"
	case r.cniRelease != "" && r.cniFrom != "":
		return "give -cni-release or -cni-from, not both"
	case r.cniRelease != "" && !validVersion(r.cniRelease):
		return fmt.Sprintf("-cni-release %q is not a version vX.Y.Z", r.cniRelease)
	case (r.cniRelease != "" || r.cniFrom != "" || r.maxPodsOut != "") && r.maxPods == "":
		return "-cni-release, -cni-from and -max-pods-out need -max-pods"
	case r.releases == "" && r.maxPods == "":
		return "give -releases, -max-pods or -dir"
	}
	return ""
}

func validVersion(s string) bool { _, ok := parseVersion(s); return ok }

// output is a file to write once everything has been rendered.
type output struct {
	path string
	data []byte
}

// run renders every requested output and writes them only if all
// rendered, so a failure leaves the files as they were.
func (r *releaseFlags) run() error {
	var outs []output
	if r.releases != "" {
		o, err := r.releaseOutputs()
		if err != nil {
			return err
		}
		outs = append(outs, o...)
	}
	if r.maxPods != "" {
		o, err := r.maxPodsOutputs()
		if err != nil {
			return err
		}
		outs = append(outs, o...)
	}
	for _, o := range outs {
		if err := os.WriteFile(o.path, o.data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// label is how a generated header names its input: relative to -dir when
// one is given, so a refresh writes what go generate writes.
func (r *releaseFlags) label(path string) string {
	if r.dir != "" {
		if rel, err := filepath.Rel(r.dir, path); err == nil {
			return filepath.ToSlash(rel)
		}
	}
	return filepath.ToSlash(path)
}

func (r *releaseFlags) releaseOutputs() ([]output, error) {
	src, err := os.ReadFile(r.releases)
	if err != nil {
		return nil, err
	}
	f, err := decodeReleases(src)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.releases, err)
	}
	var outs []output
	if r.addRelease != "" {
		if err := r.add(&f); err != nil {
			return nil, err
		}
		data, err := encodeReleases(f)
		if err != nil {
			return nil, err
		}
		outs = append(outs, output{r.releases, data})
	}
	if r.releasesOut != "" {
		code, err := generateReleases(f, r.label(r.releases))
		if err != nil {
			return nil, err
		}
		outs = append(outs, output{r.releasesOut, code})
	}
	return outs, nil
}

// add reads the release's limits.go and records it in f.
func (r *releaseFlags) add(f *releasesFile) error {
	baseSrc, err := os.ReadFile(r.base)
	if err != nil {
		return err
	}
	base, err := decodeData(baseSrc)
	if err != nil {
		return fmt.Errorf("%s: %w", r.base, err)
	}
	path, source := r.upstream, filepath.ToSlash(r.upstream)
	if path == "" {
		dir, err := downloadModule(controllerModule, r.addRelease)
		if err != nil {
			return err
		}
		path = filepath.Join(dir, "pkg", "aws", "vpc", "limits.go")
		source = controllerModule + "@" + r.addRelease + " pkg/aws/vpc/limits.go"
	}
	upSrc, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	parsed, err := parseUpstream(path, upSrc)
	if err != nil {
		return err
	}
	return f.addRelease(base.InstanceTypes, r.addRelease, source, parsed)
}

func (r *releaseFlags) maxPodsOutputs() ([]output, error) {
	var outs []output
	var f maxPodsFile
	if r.cniRelease != "" || r.cniFrom != "" {
		path, source := r.cniFrom, filepath.ToSlash(r.cniFrom)
		if path == "" {
			dir, err := downloadModule(cniModule, r.cniRelease)
			if err != nil {
				return nil, err
			}
			path = filepath.Join(dir, "misc", "eni-max-pods.txt")
			source = cniModule + "@" + r.cniRelease + " misc/eni-max-pods.txt"
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		if f, err = parseMaxPods(path, src); err != nil {
			return nil, err
		}
		f.Source = source
		outs = append(outs, output{r.maxPods, encodeMaxPods(f)})
	} else {
		src, err := os.ReadFile(r.maxPods)
		if err != nil {
			return nil, err
		}
		if f, err = parseMaxPods(r.maxPods, src); err != nil {
			return nil, err
		}
		if f.Source == "" {
			return nil, fmt.Errorf("%s: no %q line naming the source", r.maxPods, sourcePrefix)
		}
	}
	if r.maxPodsOut != "" {
		code, err := generateMaxPods(f, r.label(r.maxPods))
		if err != nil {
			return nil, err
		}
		outs = append(outs, output{r.maxPodsOut, code})
	}
	return outs, nil
}

// downloadModule fetches module@version into the module cache with the go
// command and returns its directory. It runs in a scratch module so that
// the project's go.mod and go.sum stay as they are.
func downloadModule(module, version string) (string, error) {
	scratch, err := os.MkdirTemp("", "limitsgen-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(scratch)
	if err := os.WriteFile(filepath.Join(scratch, "go.mod"), []byte("module limitsgen.scratch\n"), 0o644); err != nil {
		return "", err
	}
	cmd := exec.Command("go", "mod", "download", "-json", module+"@"+version)
	cmd.Dir = scratch
	raw, err := cmd.Output()
	var info struct{ Dir, Error string }
	_ = json.Unmarshal(raw, &info)
	switch {
	case info.Error != "":
		return "", fmt.Errorf("go mod download %s@%s: %s", module, version, info.Error)
	case err != nil:
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return "", fmt.Errorf("go mod download %s@%s: %v: %s", module, version, err, exit.Stderr)
		}
		return "", fmt.Errorf("go mod download %s@%s: %w", module, version, err)
	case info.Dir == "":
		return "", fmt.Errorf("go mod download %s@%s gave no directory", module, version)
	}
	return info.Dir, nil
}
