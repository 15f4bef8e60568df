// Command pricegen writes the karpenter package's table of on-demand
// prices from the static us-east-1 table that Karpenter's AWS provider
// ships (pkg/providers/pricing/zz_generated.pricing_aws.go). The prices are
// public list prices; only the figures are carried over.
//
// From the repository root:
//
//	go run ./internal/pricegen -version v1.15.2 -out karpenter/zz_generated_prices.go
//
// It asks the go command for the module's zip (go mod download), which
// needs the network the first time; a Go version error from the module's
// go.mod is ignored, since only the zip is read. -zip reads a zip already
// on disk instead.
package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

const (
	module     = "github.com/aws/karpenter-provider-aws"
	pricesPath = "pkg/providers/pricing/zz_generated.pricing_aws.go"
	region     = "us-east-1"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

// run is main without the process: it returns the exit status, 2 for a
// usage error and 1 for anything else that failed.
func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("pricegen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	version := fs.String("version", "v1.15.2", "`version` of "+module+" to read")
	zipPath := fs.String("zip", "", "read the module from this zip `file` instead of asking the go command")
	out := fs.String("out", "", "write the Go table to `file` (required)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *out == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: pricegen [-version vX.Y.Z] [-zip module.zip] -out zz_generated_prices.go")
		return 2
	}
	if err := generate(*version, *zipPath, *out); err != nil {
		fmt.Fprintln(stderr, "pricegen:", err)
		return 1
	}
	return 0
}

func generate(version, zipPath, out string) error {
	if zipPath == "" {
		var err error
		if zipPath, err = download(version); err != nil {
			return err
		}
	}
	src, err := readFromZip(zipPath, module+"@"+version+"/"+pricesPath)
	if err != nil {
		return err
	}
	table, err := extract(src)
	if err != nil {
		return fmt.Errorf("%s@%s %s: %w", module, version, pricesPath, err)
	}
	table.source = module + "@" + version + " " + pricesPath
	code, err := render(table)
	if err != nil {
		return err
	}
	return os.WriteFile(out, code, 0o644)
}

// download returns the path of the module's zip in the module cache.
func download(version string) (string, error) {
	cmd := exec.Command("go", "mod", "download", "-json", module+"@"+version)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	runErr := cmd.Run()
	var info struct{ Zip, Error string }
	if err := json.Unmarshal(stdout.Bytes(), &info); err != nil {
		return "", fmt.Errorf("go mod download %s@%s: %v (%v)", module, version, err, runErr)
	}
	// A newer go directive in the module's go.mod fails the command but
	// leaves the zip, which is all that is needed.
	if info.Zip == "" {
		return "", fmt.Errorf("go mod download %s@%s: %s", module, version, info.Error)
	}
	if _, err := os.Stat(info.Zip); err != nil {
		return "", fmt.Errorf("go mod download %s@%s: %s: %w", module, version, info.Error, err)
	}
	return info.Zip, nil
}

func readFromZip(zipPath, name string) ([]byte, error) {
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	f, err := zr.Open(name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", zipPath, err)
	}
	defer f.Close()
	return io.ReadAll(f)
}

// price is one row of the table.
type price struct {
	name string
	usd  float64
}

// priceTable is what extract finds and render writes.
type priceTable struct {
	source    string
	generated string
	prices    []price
}

var generatedLine = regexp.MustCompile(`generated at (\S+) for ` + regexp.QuoteMeta(region))

// extract reads the us-east-1 map out of upstream's Go source, parsed as
// syntax so that its layout does not matter, with the time in its
// "generated at ... for us-east-1" comment.
func extract(src []byte) (priceTable, error) {
	var t priceTable
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "prices.go", src, parser.ParseComments)
	if err != nil {
		return t, err
	}
	for _, group := range file.Comments {
		if m := generatedLine.FindStringSubmatch(group.Text()); m != nil {
			t.generated = m[1]
			break
		}
	}
	if t.generated == "" {
		return t, fmt.Errorf("no %q comment", "generated at ... for "+region)
	}
	var walkErr error
	ast.Inspect(file, func(n ast.Node) bool {
		kv, ok := n.(*ast.KeyValueExpr)
		if !ok || walkErr != nil || t.prices != nil {
			return walkErr == nil && t.prices == nil
		}
		if key, ok := stringLit(kv.Key); !ok || key != region {
			return true
		}
		inner, ok := kv.Value.(*ast.CompositeLit)
		if !ok {
			walkErr = fmt.Errorf("%s: the %s entry is not a map literal", fset.Position(kv.Pos()), region)
			return false
		}
		t.prices, walkErr = rows(fset, inner)
		return false
	})
	if walkErr != nil {
		return t, walkErr
	}
	if len(t.prices) == 0 {
		return t, fmt.Errorf("no %s prices", region)
	}
	slices.SortFunc(t.prices, func(a, b price) int { return strings.Compare(a.name, b.name) })
	for i := 1; i < len(t.prices); i++ {
		if t.prices[i].name == t.prices[i-1].name {
			return t, fmt.Errorf("%s is listed twice", t.prices[i].name)
		}
	}
	return t, nil
}

func rows(fset *token.FileSet, lit *ast.CompositeLit) ([]price, error) {
	out := make([]price, 0, len(lit.Elts))
	for _, elt := range lit.Elts {
		kv, ok := elt.(*ast.KeyValueExpr)
		if !ok {
			return nil, fmt.Errorf("%s: want instance type: price", fset.Position(elt.Pos()))
		}
		name, ok := stringLit(kv.Key)
		if !ok || name == "" {
			return nil, fmt.Errorf("%s: want a quoted instance type", fset.Position(kv.Key.Pos()))
		}
		num, ok := kv.Value.(*ast.BasicLit)
		if !ok || (num.Kind != token.FLOAT && num.Kind != token.INT) {
			return nil, fmt.Errorf("%s: %s: want a number", fset.Position(kv.Value.Pos()), name)
		}
		usd, err := strconv.ParseFloat(num.Value, 64)
		if err != nil || usd < 0 {
			return nil, fmt.Errorf("%s: %s: bad price %s", fset.Position(num.Pos()), name, num.Value)
		}
		out = append(out, price{name, usd})
	}
	return out, nil
}

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

// render writes the karpenter package's Go file.
func render(t priceTable) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, `// Code generated by internal/pricegen from %s; DO NOT EDIT.
//
// To refresh from a newer release of the AWS provider, run from the
// repository root
//
//	go run ./internal/pricegen -version vX.Y.Z -out karpenter/zz_generated_prices.go

package karpenter

// PricesSource names the table the on-demand prices were read from.
const PricesSource = %q

// PricesGenerated is when upstream generated that table, from its
// "generated at ... for %s" comment.
const PricesGenerated = %q

// onDemandPrices is the %s Linux on-demand price in USD per hour of
// each instance type, sorted by name.
var onDemandPrices = [%d]priceRow{
`, t.source, t.source, region, t.generated, region, len(t.prices))
	for _, p := range t.prices {
		fmt.Fprintf(&b, "\t{%q, %s},\n", p.name, strconv.FormatFloat(p.usd, 'g', -1, 64))
	}
	b.WriteString("}\n")
	return format.Source(b.Bytes())
}
