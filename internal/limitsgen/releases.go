package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/format"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// releasesFile is the layout of limits/data/releases.json: the instance
// tables of every resource-controller release, stored as differences from
// the base table (limits/data/limits.json) so that a row shared by several
// releases is written once.
type releasesFile struct {
	About string `json:"about"`
	// Base names the table that data/limits.json holds; it is the first
	// entry of Tables and has no rows of its own.
	Base   string         `json:"base"`
	Tables []releaseTable `json:"tables"`
	// Rows are the records that differ from the base table or are not in
	// it, each with the tables that hold it.
	Rows []releaseRow `json:"rows"`
}

// releaseTable is one distinct instance table and the releases that ship
// it. Releases[0] names the table in Rows.
type releaseTable struct {
	Releases []string `json:"releases"`
	// Source says where the table was read, for example the module path
	// and version of the controller.
	Source string `json:"source"`
	// GeneratedAt is the time upstream's limits.go states, or "".
	GeneratedAt string `json:"generatedAt"`
	// Removed lists base types the table does not have.
	Removed []string `json:"removed,omitempty"`
}

// releaseRow is a record and the names of the tables holding it.
type releaseRow struct {
	Tables []string `json:"tables"`
	record
}

// releasesAbout describes releases.json to its readers.
const releasesAbout = "Instance-type network limits of each release of aws/amazon-vpc-resource-controller-k8s " +
	"(pkg/aws/vpc/limits.go of that release), stored as the rows that differ from data/limits.json. " +
	"A release's table is the base table with each row listing that table added or replacing the type " +
	"of the same name, minus the removed types. Facts only."

// decodeReleases reads a releases file strictly and checks that every row
// names known tables and that no table holds a type twice.
func decodeReleases(src []byte) (releasesFile, error) {
	var f releasesFile
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return releasesFile{}, fmt.Errorf("decode releases file: %w", err)
	}
	if dec.More() {
		return releasesFile{}, fmt.Errorf("decode releases file: unexpected data after the top-level object")
	}
	return f, f.check()
}

func (f releasesFile) check() error {
	if len(f.Tables) == 0 || len(f.Tables[0].Releases) == 0 || f.Tables[0].Releases[0] != f.Base {
		return fmt.Errorf("releases file: the first table must be the base %q", f.Base)
	}
	known := map[string]int{}
	for i, t := range f.Tables {
		if len(t.Releases) == 0 {
			return fmt.Errorf("releases file: table #%d names no release", i+1)
		}
		for _, r := range t.Releases {
			if _, dup := known[r]; dup {
				return fmt.Errorf("releases file: release %q appears more than once", r)
			}
			known[r] = i
		}
	}
	if len(f.Tables) > 16 {
		return fmt.Errorf("releases file: %d tables; the generated code holds at most 16", len(f.Tables))
	}
	held := map[[2]string]bool{}
	for _, row := range f.Rows {
		if err := checkRecords([]record{row.record}); err != nil {
			return err
		}
		if len(row.Tables) == 0 {
			return fmt.Errorf("releases file: row %q is in no table", row.InstanceType)
		}
		for _, name := range row.Tables {
			i, ok := known[name]
			if !ok || f.Tables[i].Releases[0] != name {
				return fmt.Errorf("releases file: row %q names %q, which is not a table's first release", row.InstanceType, name)
			}
			if i == 0 {
				return fmt.Errorf("releases file: row %q names the base table; edit data/limits.json instead", row.InstanceType)
			}
			key := [2]string{name, row.InstanceType}
			if held[key] {
				return fmt.Errorf("releases file: table %q holds %q twice", name, row.InstanceType)
			}
			held[key] = true
		}
	}
	return nil
}

// encodeReleases writes f with one table and one row per line, so that a
// refresh shows up in a diff as the rows it adds or moves.
func encodeReleases(f releasesFile) ([]byte, error) {
	var b bytes.Buffer
	line := func(v any) error {
		raw, err := json.Marshal(v)
		if err != nil {
			return err
		}
		b.Write(raw)
		return nil
	}
	b.WriteString("{\n \"about\": ")
	if err := line(f.About); err != nil {
		return nil, err
	}
	b.WriteString(",\n \"base\": ")
	if err := line(f.Base); err != nil {
		return nil, err
	}
	b.WriteString(",\n \"tables\": [")
	for i, t := range f.Tables {
		b.WriteString(map[bool]string{true: "\n  ", false: ",\n  "}[i == 0])
		if err := line(t); err != nil {
			return nil, err
		}
	}
	b.WriteString("\n ],\n \"rows\": [")
	for i, r := range f.Rows {
		b.WriteString(map[bool]string{true: "\n  ", false: ",\n  "}[i == 0])
		if err := line(r); err != nil {
			return nil, err
		}
	}
	b.WriteString("\n ]\n}\n")
	return b.Bytes(), nil
}

// composed returns the records of the table at index ti, sorted by name.
func (f releasesFile) composed(base []record, ti int) []record {
	name := f.Tables[ti].Releases[0]
	byName := make(map[string]record, len(base))
	for _, r := range base {
		byName[r.InstanceType] = r
	}
	for _, gone := range f.Tables[ti].Removed {
		delete(byName, gone)
	}
	for _, row := range f.Rows {
		if slices.Contains(row.Tables, name) {
			byName[row.InstanceType] = row.record
		}
	}
	out := make([]record, 0, len(byName))
	for _, r := range byName {
		out = append(out, r)
	}
	sortRecords(out)
	return out
}

// addRelease records that release ships the records of u. A table equal
// to an existing one becomes another name of it; otherwise a new table is
// added, reusing rows that other tables already hold.
func (f *releasesFile) addRelease(base []record, release, source string, u upstreamFile) error {
	for _, t := range f.Tables {
		if slices.Contains(t.Releases, release) {
			return fmt.Errorf("release %q is already in the releases file", release)
		}
	}
	f.About = releasesAbout
	records := append([]record(nil), u.Records...)
	sortRecords(records)
	for i := range f.Tables {
		if reflect.DeepEqual(f.composed(base, i), records) {
			f.Tables[i].Releases = append(f.Tables[i].Releases, release)
			return nil
		}
	}
	table := releaseTable{Releases: []string{release}, Source: source, GeneratedAt: u.GeneratedAt}
	inRelease := make(map[string]bool, len(records))
	baseByName := make(map[string]record, len(base))
	for _, r := range base {
		baseByName[r.InstanceType] = r
	}
	for _, r := range records {
		inRelease[r.InstanceType] = true
		if b, ok := baseByName[r.InstanceType]; ok && reflect.DeepEqual(b, r) {
			continue
		}
		if i := slices.IndexFunc(f.Rows, func(row releaseRow) bool { return reflect.DeepEqual(row.record, r) }); i >= 0 {
			f.Rows[i].Tables = append(f.Rows[i].Tables, release)
			continue
		}
		f.Rows = append(f.Rows, releaseRow{Tables: []string{release}, record: r})
	}
	for _, b := range base {
		if !inRelease[b.InstanceType] {
			table.Removed = append(table.Removed, b.InstanceType)
		}
	}
	f.Tables = append(f.Tables, table)
	slices.SortStableFunc(f.Rows, func(a, b releaseRow) int { return strings.Compare(a.InstanceType, b.InstanceType) })
	return f.check()
}

// compareReleases orders release names as versions, vX.Y.Z numerically,
// with names that are not versions (such as "master") after them in
// alphabetical order.
func compareReleases(a, b string) int {
	va, oka := parseVersion(a)
	vb, okb := parseVersion(b)
	switch {
	case oka && okb:
		return slices.Compare(va, vb)
	case oka:
		return -1
	case okb:
		return 1
	}
	return strings.Compare(a, b)
}

func parseVersion(s string) ([]int, bool) {
	rest, ok := strings.CutPrefix(s, "v")
	if !ok {
		return nil, false
	}
	parts := strings.Split(rest, ".")
	if len(parts) != 3 {
		return nil, false
	}
	out := make([]int, 3)
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return nil, false
		}
		out[i] = n
	}
	return out, true
}

// generateReleases renders the limits package's zz_generated_releases.go.
func generateReleases(f releasesFile, source string) ([]byte, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	tableIndex := map[string]int{}
	type named struct {
		name  string
		table int
	}
	var names []named
	for i, t := range f.Tables {
		tableIndex[t.Releases[0]] = i
		for _, r := range t.Releases {
			names = append(names, named{r, i})
		}
	}
	slices.SortFunc(names, func(a, b named) int { return compareReleases(a.name, b.name) })

	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by internal/limitsgen from %s; DO NOT EDIT.\n\n", source)
	b.WriteString("package limits\n\n")
	b.WriteString("// releaseTables describes each distinct table; index 0 is generatedTypes.\n")
	b.WriteString("var releaseTables = [...]releaseTable{\n")
	for _, t := range f.Tables {
		fmt.Fprintf(&b, "\t{%s, %s, %s, %s},\n", quoteList(t.Releases), strconv.Quote(t.Source),
			strconv.Quote(t.GeneratedAt), quoteList(t.Removed))
	}
	b.WriteString("}\n\n")
	b.WriteString("// releaseNames lists every release in version order with its table.\n")
	b.WriteString("var releaseNames = [...]releaseName{\n")
	for _, n := range names {
		fmt.Fprintf(&b, "\t{%s, %d},\n", strconv.Quote(n.name), n.table)
	}
	b.WriteString("}\n\n")
	b.WriteString("// releaseRows are the types that differ from generatedTypes; mask has bit i\n")
	b.WriteString("// set when releaseTables[i] holds the row.\n")
	fmt.Fprintf(&b, "var releaseRows = [%d]releaseRow{\n", len(f.Rows))
	for _, row := range f.Rows {
		mask := 0
		for _, t := range row.Tables {
			mask |= 1 << tableIndex[t]
		}
		fmt.Fprintf(&b, "\t{%#04x, InstanceType", mask)
		writeTypeLiteral(&b, row.record)
		b.WriteString("},\n")
	}
	b.WriteString("}\n")
	return format.Source(b.Bytes())
}

func quoteList(s []string) string {
	if len(s) == 0 {
		return "nil"
	}
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = strconv.Quote(v)
	}
	return "[]string{" + strings.Join(q, ", ") + "}"
}
