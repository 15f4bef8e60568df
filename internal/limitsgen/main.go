package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

// run is main without the process: it returns the exit status, 2 for a
// usage error and 1 for anything else that failed.
func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("limitsgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	in := fs.String("in", "", "read the project data `file` (limits/data/limits.json)")
	upstream := fs.String("from-upstream", "", "read upstream's pkg/aws/vpc/limits.go `file` instead")
	commit := fs.String("source-commit", "", "upstream `commit` to record in the data file, with -from-upstream")
	out := fs.String("out", "", "write the Go table to `file`")
	jsonOut := fs.String("json", "", "write the data file to `file`")
	var rel releaseFlags
	rel.register(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: limitsgen (-in data.json | -from-upstream limits.go) [-out table.go] [-json data.json]")
		fmt.Fprintln(stderr, "       limitsgen -releases releases.json -releases-out releases.go")
		fmt.Fprintln(stderr, "       limitsgen -max-pods eni-max-pods.txt -max-pods-out maxpods.go")
		fmt.Fprintln(stderr, "       limitsgen -dir limits [-add-release vX.Y.Z [-from-upstream limits.go]] [-cni-release vX.Y.Z]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	usage := func(msg string) int {
		fmt.Fprintln(stderr, "limitsgen:", msg)
		fs.Usage()
		return 2
	}
	if fs.NArg() > 0 {
		return usage(fmt.Sprintf("unexpected argument %q", fs.Arg(0)))
	}
	if rel.any() {
		rel.base, rel.upstream = *in, *upstream
		if msg := rel.validate(*out, *jsonOut, *commit); msg != "" {
			return usage(msg)
		}
		if err := rel.run(); err != nil {
			fmt.Fprintln(stderr, "limitsgen:", err)
			return 1
		}
		return 0
	}
	switch {
	case (*in == "") == (*upstream == ""):
		return usage("give exactly one of -in and -from-upstream")
	case *out == "" && *jsonOut == "":
		return usage("give -out, -json or both")
	case *commit != "" && *upstream == "":
		return usage("-source-commit goes with -from-upstream")
	}
	if err := generate(*in, *upstream, *commit, *out, *jsonOut); err != nil {
		fmt.Fprintln(stderr, "limitsgen:", err)
		return 1
	}
	return 0
}

// generate loads the data from exactly one of inPath and upstreamPath and
// writes the requested outputs. Nothing is written unless every output was
// rendered.
func generate(inPath, upstreamPath, commit, outPath, jsonPath string) error {
	var data dataFile
	source := inPath
	if inPath != "" {
		src, err := os.ReadFile(inPath)
		if err != nil {
			return err
		}
		if data, err = decodeData(src); err != nil {
			return fmt.Errorf("%s: %w", inPath, err)
		}
	} else {
		source = upstreamPath
		src, err := os.ReadFile(upstreamPath)
		if err != nil {
			return err
		}
		parsed, err := parseUpstream(upstreamPath, src)
		if err != nil {
			return err
		}
		data = fromUpstream(parsed, commit)
	}
	var table, jsonData []byte
	var err error
	if outPath != "" {
		if table, err = generateTable(data, filepath.ToSlash(source)); err != nil {
			return err
		}
	}
	if jsonPath != "" {
		if jsonData, err = encodeData(data); err != nil {
			return err
		}
	}
	if table != nil {
		if err := os.WriteFile(outPath, table, 0o644); err != nil {
			return err
		}
	}
	if jsonData != nil {
		if err := os.WriteFile(jsonPath, jsonData, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// fromUpstream wraps parsed records in a data file.
func fromUpstream(u upstreamFile, commit string) dataFile {
	return dataFile{
		About:         aboutText(u.GeneratedAt),
		SourceCommit:  commit,
		Fields:        standardFieldDocs,
		InstanceTypes: u.Records,
	}
}
