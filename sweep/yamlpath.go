package sweep

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// step is one step of a setting's path: a mapping key or list element
// name, or a list index.
type step struct {
	key   string
	index int // when key is ""
}

// parsePath reads a dotted path such as nodeGroups[0].count or
// nodeGroups.workers.count.
func parsePath(path string) ([]step, error) {
	if path == "" {
		return nil, errors.New("empty key")
	}
	var steps []step
	for _, part := range strings.Split(path, ".") {
		name, rest, _ := strings.Cut(part, "[")
		if name == "" || strings.ContainsAny(name, "]") {
			return nil, fmt.Errorf("%q: want a name, then any [index]", part)
		}
		steps = append(steps, step{key: name})
		for rest != "" {
			num, after, ok := strings.Cut(rest, "]")
			i, err := strconv.Atoi(num)
			if !ok || err != nil || i < 0 || (after != "" && after[0] != '[') {
				return nil, fmt.Errorf("%q: want [index] with a non-negative index", part)
			}
			steps = append(steps, step{index: i})
			rest = strings.TrimPrefix(after, "[")
		}
	}
	return steps, nil
}

// set puts value, a YAML scalar, at path in doc, a parsed YAML document,
// creating missing mapping keys on the way.
func set(doc *yaml.Node, path []step, value string) error {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return errors.New("the scenario is not one YAML document")
	}
	cur := doc.Content[0]
	for i, st := range path {
		last := i == len(path)-1
		var slot **yaml.Node
		switch {
		case cur.Kind == yaml.MappingNode && st.key != "":
			for k := 0; k+1 < len(cur.Content); k += 2 {
				if cur.Content[k].Value == st.key {
					slot = &cur.Content[k+1]
				}
			}
			if slot == nil {
				next := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
				cur.Content = append(cur.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: st.key}, next)
				slot = &cur.Content[len(cur.Content)-1]
			}
		case cur.Kind == yaml.SequenceNode && st.key == "":
			if st.index >= len(cur.Content) {
				return fmt.Errorf("index %d: the list has %d element(s)", st.index, len(cur.Content))
			}
			slot = &cur.Content[st.index]
		case cur.Kind == yaml.SequenceNode:
			for k, el := range cur.Content {
				if el.Kind == yaml.MappingNode && nameOf(el) == st.key {
					if slot != nil {
						return fmt.Errorf("%q: two elements have that name", st.key)
					}
					slot = &cur.Content[k]
				}
			}
			if slot == nil {
				return fmt.Errorf("%q: no element of the list has that name", st.key)
			}
		default:
			return fmt.Errorf("%s: not found (the value there is not a %s)", describe(path[:i+1]), want(st))
		}
		if last {
			*slot = &yaml.Node{Kind: yaml.ScalarNode, Value: value}
			return nil
		}
		cur = *slot
	}
	return nil
}

// nameOf returns the name key of a mapping, "" if it has none.
func nameOf(m *yaml.Node) string {
	for k := 0; k+1 < len(m.Content); k += 2 {
		if m.Content[k].Value == "name" {
			return m.Content[k+1].Value
		}
	}
	return ""
}

func want(st step) string {
	if st.key == "" {
		return "list"
	}
	return "mapping or list"
}

func describe(path []step) string {
	var b strings.Builder
	for i, st := range path {
		switch {
		case st.key == "":
			fmt.Fprintf(&b, "[%d]", st.index)
		case i > 0:
			b.WriteString("." + st.key)
		default:
			b.WriteString(st.key)
		}
	}
	return b.String()
}

// clone copies a YAML tree, so each combination of settings edits its
// own.
func clone(n *yaml.Node) *yaml.Node {
	c := *n
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, k := range n.Content {
		c.Content[i] = clone(k)
	}
	return &c
}
