package stacks

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/peerpods/provisioner/components/cluster"
	"github.com/peerpods/provisioner/components/contract"
	"gopkg.in/yaml.v3"
)

// The stack file is the record of what the cluster says: peerpods init
// writes every setting of ClusterSettings with its source comment, and
// peerpods discover compares the file with the cluster (Compare) and
// updates it (Record), keeping its comments and every other key. A run
// reads the file and only compares (Discovery.Drift).

// Change is a setting the stack file lacks, or whose value differs from
// what the cluster says.
type Change struct {
	// Setting is relative to peerpods:, such as "aws.region".
	Setting string
	// File is the stack file's value ("" when the file lacks the setting)
	// and Cluster the cluster's, lists joined with commas; From says where
	// the cluster's was read.
	File, Cluster, From string
	// Missing is true when the file lacks the setting.
	Missing bool
	value   any
}

// String is the change as peerpods discover prints it.
func (c Change) String() string {
	if c.Missing {
		return fmt.Sprintf("+ peerpods:%s: %q  # from %s", c.Setting, c.Cluster, c.From)
	}
	return fmt.Sprintf("~ peerpods:%s: %q -> %q  # from %s", c.Setting, c.File, c.Cluster, c.From)
}

// Compare returns the settings of the stack file (its contents) that the
// cluster with facts f contradicts or that the file lacks, in the order of
// ClusterSettings. The file's cloud is kept when it is the cluster's
// platform or libvirt; its identity mode chooses the settings. Settings the
// file makes unused (Found.Unless: aws.instanceId instead of aws.infraId)
// are no change.
func Compare(file []byte, f cluster.Facts) ([]Change, error) {
	sf, err := parseStackFile(file)
	if err != nil {
		return nil, err
	}
	platform := f.Cloud
	if platform == "" {
		platform = contract.Libvirt
	}
	c := platform
	if v, ok := sf.scalar("cloud"); ok && (v == string(contract.Libvirt) || v == string(platform)) {
		c = contract.Cloud(v)
	}
	id, _ := sf.scalar("identity")
	var out []Change
	for _, s := range ClusterSettings(f, c, contract.IdentityOr(c, contract.Identity(id))) {
		if strings.Count(s.Setting, ".") > 1 || slices.ContainsFunc(s.Unless, sf.has) {
			continue
		}
		file, given, comparable := sf.text(s.Setting)
		switch {
		case !given:
			out = append(out, Change{Setting: s.Setting, Cluster: s.Text(), From: s.From, Missing: true, value: s.Value})
		case comparable && file != s.Text():
			out = append(out, Change{Setting: s.Setting, File: file, Cluster: s.Text(), From: s.From, value: s.Value})
		}
	}
	return out, nil
}

// Record writes changes into the stack file (its contents): each value is
// set, or added with a comment naming where it was read; every other key
// and comment stays.
func Record(file []byte, changes []Change) ([]byte, error) {
	sf, err := parseStackFile(file)
	if err != nil {
		return nil, err
	}
	for _, c := range changes {
		m, key := sf.config, Namespace+":"+c.Setting
		if cloud, field, ok := strings.Cut(c.Setting, "."); ok {
			if m, err = sf.object(cloud); err != nil {
				return nil, err
			}
			key = field
		}
		var v yaml.Node
		if err := v.Encode(c.value); err != nil {
			return nil, err
		}
		if v.Kind == yaml.SequenceNode {
			v.Style = yaml.FlowStyle
		}
		comment := "# From " + c.From + "."
		if k, old := lookup(m, key); k != nil {
			if k.HeadComment == "" || strings.HasPrefix(k.HeadComment, "# From ") {
				k.HeadComment = comment
			}
			v.LineComment = old.LineComment
			*old = v
			continue
		}
		m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key, HeadComment: comment}, &v)
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(sf.doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// stackFile is a parsed stack file: its document and config mapping.
type stackFile struct {
	doc, config *yaml.Node
}

func parseStackFile(file []byte) (stackFile, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(file, &doc); err != nil {
		return stackFile{}, err
	}
	if doc.Kind == 0 { // an empty file
		doc = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode, Tag: "!!map"}}}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return stackFile{}, errors.New("the stack file is not a YAML mapping")
	}
	root := doc.Content[0]
	_, config := lookup(root, "config")
	switch {
	case config == nil:
		config = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		root.Content = append(root.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "config"}, config)
	case config.Kind == yaml.ScalarNode && config.Tag == "!!null":
		*config = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	case config.Kind != yaml.MappingNode:
		return stackFile{}, errors.New("the stack file's config is not a mapping")
	}
	return stackFile{doc: &doc, config: config}, nil
}

// lookup returns the key and value nodes of key in mapping m.
func lookup(m *yaml.Node, key string) (k, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

// object returns the mapping peerpods:<cloud>, added when missing.
func (sf stackFile) object(cloud string) (*yaml.Node, error) {
	key := Namespace + ":" + cloud
	_, v := lookup(sf.config, key)
	switch {
	case v == nil:
		v = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		sf.config.Content = append(sf.config.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
	case v.Kind != yaml.MappingNode:
		return nil, fmt.Errorf("%s in the stack file is not an object", key)
	}
	return v, nil
}

// node returns the value node of setting (relative to peerpods:).
func (sf stackFile) node(setting string) *yaml.Node {
	if cloud, field, ok := strings.Cut(setting, "."); ok {
		_, obj := lookup(sf.config, Namespace+":"+cloud)
		if obj == nil || obj.Kind != yaml.MappingNode {
			return nil
		}
		_, v := lookup(obj, field)
		return v
	}
	_, v := lookup(sf.config, Namespace+":"+setting)
	return v
}

func (sf stackFile) has(setting string) bool { return sf.node(setting) != nil }

// scalar returns the plain value of a top-level setting.
func (sf stackFile) scalar(setting string) (string, bool) {
	v := sf.node(setting)
	if v == nil || v.Kind != yaml.ScalarNode {
		return "", false
	}
	return v.Value, true
}

// text returns setting's value as Found.Text writes it: given is false
// when the file lacks it, comparable false when it is neither a string
// nor a list of strings (a secret, say).
func (sf stackFile) text(setting string) (text string, given, comparable bool) {
	v := sf.node(setting)
	switch {
	case v == nil:
		return "", false, false
	case v.Kind == yaml.ScalarNode:
		return v.Value, true, true
	case v.Kind == yaml.SequenceNode:
		var l []string
		for _, e := range v.Content {
			if e.Kind != yaml.ScalarNode {
				return "", true, false
			}
			l = append(l, e.Value)
		}
		return strings.Join(l, ","), true, true
	}
	return "", true, false
}
