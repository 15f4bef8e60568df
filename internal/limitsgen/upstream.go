package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"strings"
)

// upstreamFile is what parseUpstream extracts from the controller's
// pkg/aws/vpc/limits.go.
type upstreamFile struct {
	// GeneratedAt is the time the file's header comment states, or "".
	GeneratedAt string
	Records     []record
}

// generatedAtPrefix starts the header comment line that dates the upstream
// file.
const generatedAtPrefix = "This file was generated at "

// parseUpstream reads the map literal `var Limits = map[string]*VPCLimits{...}`
// from the Go source of upstream's limits.go. It walks the syntax tree, so
// layout and comments do not matter, and it fails on anything it does not
// understand (an unknown field, a computed value) rather than guessing.
func parseUpstream(filename string, src []byte) (upstreamFile, error) {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, filename, src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return upstreamFile{}, err
	}
	p := &upstreamParser{fset: fset}
	var out upstreamFile
	for _, group := range file.Comments {
		for _, c := range group.List {
			text := strings.TrimSpace(strings.TrimPrefix(c.Text, "//"))
			if stamp, ok := strings.CutPrefix(text, generatedAtPrefix); ok && out.GeneratedAt == "" {
				out.GeneratedAt = strings.TrimSpace(stamp)
			}
		}
	}
	lit, err := p.findLimits(file)
	if err != nil {
		return upstreamFile{}, err
	}
	seen := make(map[string]bool, len(lit.Elts))
	for _, elt := range lit.Elts {
		kv, ok := elt.(*ast.KeyValueExpr)
		if !ok {
			return upstreamFile{}, p.errorf(elt, "want an instance type name as the key")
		}
		name, err := p.stringValue(kv.Key)
		if err != nil {
			return upstreamFile{}, err
		}
		if seen[name] {
			return upstreamFile{}, p.errorf(kv.Key, "instance type %q appears more than once", name)
		}
		seen[name] = true
		r, err := p.limitsValue(name, kv.Value)
		if err != nil {
			return upstreamFile{}, err
		}
		out.Records = append(out.Records, r)
	}
	if len(out.Records) == 0 {
		return upstreamFile{}, fmt.Errorf("%s: Limits holds no instance types", filename)
	}
	if err := checkRecords(out.Records); err != nil {
		return upstreamFile{}, err
	}
	sortRecords(out.Records)
	return out, nil
}

type upstreamParser struct {
	fset *token.FileSet
}

func (p *upstreamParser) errorf(at ast.Node, format string, args ...any) error {
	return fmt.Errorf("%s: %s", p.fset.Position(at.Pos()), fmt.Sprintf(format, args...))
}

// findLimits returns the composite literal assigned to the package-level
// variable Limits, after checking it is a map from string to VPCLimits.
func (p *upstreamParser) findLimits(file *ast.File) (*ast.CompositeLit, error) {
	for _, decl := range file.Decls {
		gen, ok := decl.(*ast.GenDecl)
		if !ok || gen.Tok != token.VAR {
			continue
		}
		for _, spec := range gen.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				if name.Name != "Limits" {
					continue
				}
				if i >= len(vs.Values) {
					return nil, p.errorf(name, "Limits has no value")
				}
				lit, ok := vs.Values[i].(*ast.CompositeLit)
				if !ok {
					return nil, p.errorf(vs.Values[i], "Limits is not a composite literal")
				}
				mt, ok := lit.Type.(*ast.MapType)
				if !ok || !isIdent(mt.Key, "string") || !isTypeName(mt.Value, "VPCLimits") {
					return nil, p.errorf(lit, "Limits is not a map[string]*VPCLimits")
				}
				return lit, nil
			}
		}
	}
	return nil, fmt.Errorf("%s: no package-level variable Limits", p.fset.File(file.Pos()).Name())
}

// limitsValue reads one VPCLimits literal: {...}, VPCLimits{...} or
// &VPCLimits{...}.
func (p *upstreamParser) limitsValue(name string, expr ast.Expr) (record, error) {
	lit, err := p.structLit(expr, "VPCLimits")
	if err != nil {
		return record{}, err
	}
	r := record{InstanceType: name}
	err = p.eachField(lit, func(field string, value ast.Expr) error {
		var err error
		switch field {
		case "Interface":
			r.Interfaces, err = p.intValue(value)
		case "IPv4PerInterface":
			r.IPv4PerInterface, err = p.intValue(value)
		case "IsTrunkingCompatible":
			r.TrunkingCompatible, err = p.boolValue(value)
		case "BranchInterface":
			r.BranchInterfaces, err = p.intValue(value)
		case "DefaultNetworkCardIndex":
			r.DefaultNetworkCardIndex, err = p.intValue(value)
		case "NetworkCards":
			r.NetworkCards, err = p.cardsValue(value)
		case "Hypervisor":
			r.Hypervisor, err = p.stringValue(value)
		case "IsBareMetal":
			r.BareMetal, err = p.boolValue(value)
		default:
			err = p.errorf(value, "instance type %q: unknown VPCLimits field %s", name, field)
		}
		return err
	})
	return r, err
}

// cardsValue reads a []NetworkCard literal. NetworkPerformance is skipped:
// it describes bandwidth, which nothing here models.
func (p *upstreamParser) cardsValue(expr ast.Expr) ([]card, error) {
	lit, ok := expr.(*ast.CompositeLit)
	if !ok {
		return nil, p.errorf(expr, "NetworkCards is not a composite literal")
	}
	if at, ok := lit.Type.(*ast.ArrayType); !ok || at.Len != nil || !isIdent(at.Elt, "NetworkCard") {
		return nil, p.errorf(lit, "NetworkCards is not a []NetworkCard literal")
	}
	cards := make([]card, 0, len(lit.Elts))
	for _, elt := range lit.Elts {
		cl, err := p.structLit(elt, "NetworkCard")
		if err != nil {
			return nil, err
		}
		var c card
		err = p.eachField(cl, func(field string, value ast.Expr) error {
			var err error
			switch field {
			case "MaximumNetworkInterfaces":
				c.MaxInterfaces, err = p.intValue(value)
			case "NetworkCardIndex":
				c.Index, err = p.intValue(value)
			case "NetworkPerformance":
				_, err = p.stringValue(value)
			default:
				err = p.errorf(value, "unknown NetworkCard field %s", field)
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		cards = append(cards, c)
	}
	return cards, nil
}

// structLit unwraps an optional & and checks that a literal's type, when
// written out, is typeName.
func (p *upstreamParser) structLit(expr ast.Expr, typeName string) (*ast.CompositeLit, error) {
	if u, ok := expr.(*ast.UnaryExpr); ok && u.Op == token.AND {
		expr = u.X
	}
	lit, ok := expr.(*ast.CompositeLit)
	if !ok || (lit.Type != nil && !isIdent(lit.Type, typeName)) {
		return nil, p.errorf(expr, "want a %s literal", typeName)
	}
	return lit, nil
}

// eachField calls fn for every "Field: value" element of lit, rejecting
// positional elements and repeated fields.
func (p *upstreamParser) eachField(lit *ast.CompositeLit, fn func(field string, value ast.Expr) error) error {
	seen := make(map[string]bool, len(lit.Elts))
	for _, elt := range lit.Elts {
		kv, ok := elt.(*ast.KeyValueExpr)
		if !ok {
			return p.errorf(elt, "want Field: value")
		}
		key, ok := kv.Key.(*ast.Ident)
		if !ok {
			return p.errorf(kv.Key, "want a field name")
		}
		if seen[key.Name] {
			return p.errorf(key, "field %s appears more than once", key.Name)
		}
		seen[key.Name] = true
		if err := fn(key.Name, kv.Value); err != nil {
			return err
		}
	}
	return nil
}

func (p *upstreamParser) intValue(expr ast.Expr) (int, error) {
	lit, ok := expr.(*ast.BasicLit)
	if !ok || lit.Kind != token.INT {
		return 0, p.errorf(expr, "want an integer literal")
	}
	n, err := strconv.ParseInt(lit.Value, 0, 32)
	if err != nil {
		return 0, p.errorf(expr, "integer %s: %v", lit.Value, err)
	}
	return int(n), nil
}

func (p *upstreamParser) boolValue(expr ast.Expr) (bool, error) {
	switch {
	case isIdent(expr, "true"):
		return true, nil
	case isIdent(expr, "false"):
		return false, nil
	}
	return false, p.errorf(expr, "want true or false")
}

func (p *upstreamParser) stringValue(expr ast.Expr) (string, error) {
	lit, ok := expr.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", p.errorf(expr, "want a string literal")
	}
	s, err := strconv.Unquote(lit.Value)
	if err != nil {
		return "", p.errorf(expr, "string %s: %v", lit.Value, err)
	}
	return s, nil
}

func isIdent(expr ast.Expr, name string) bool {
	id, ok := expr.(*ast.Ident)
	return ok && id.Name == name
}

// isTypeName accepts T and *T.
func isTypeName(expr ast.Expr, name string) bool {
	if star, ok := expr.(*ast.StarExpr); ok {
		expr = star.X
	}
	return isIdent(expr, name)
}
