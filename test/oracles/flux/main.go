// Command flux-oracle answers, with Flux's own libraries, the questions FluxOps's parity tests
// ask about image automation. It reads one JSON request on stdin and writes one JSON answer.
//
//	flux-oracle setters   which marked values Flux's Setters strategy changes (kyaml, as
//	                      image-automation-controller's internal/update does it)
//	flux-oracle template  a commit message rendered by Go text/template with sprig's hermetic
//	                      functions over Flux's commit template data
//
// Test-only code: it is built by test/reconciler/images/lock/*.int.test.ts into a temp dir.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"text/template"

	sprig "github.com/Masterminds/sprig/v3"
	"k8s.io/kube-openapi/pkg/validation/spec"
	"sigs.k8s.io/kustomize/kyaml/fieldmeta"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/openapi"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

func main() {
	if len(os.Args) != 2 {
		fail(fmt.Errorf("usage: flux-oracle setters|template < request.json"))
	}
	var err error
	switch os.Args[1] {
	case "setters":
		err = setters()
	case "template":
		err = renderTemplate()
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(2)
}

// ----------------------------------------------------------------------------------------------
// setters

type image struct {
	Name   string `json:"name"`
	Tag    string `json:"tag"`
	Digest string `json:"digest"`
}

type settersRequest struct {
	Files    map[string]string `json:"files"`
	Policies map[string]image  `json:"policies"`
}

type setterChange struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Column int    `json:"column"`
	Setter string `json:"setter"`
	Old    string `json:"from"`
	New    string `json:"to"`
}

type settersAnswer struct {
	Changes      []setterChange `json:"changes"`
	ProblemFiles []string       `json:"problemFiles"`
}

// The definition a setter name resolves to, built the way image-automation-controller does.
func setterSchema(name, value string) spec.Schema {
	schema := spec.StringProperty()
	schema.Extensions = map[string]interface{}{}
	schema.Extensions.Add("x-k8s-cli", map[string]interface{}{
		"setter": map[string]string{"name": name, "value": value},
	})
	return *schema
}

func setters() error {
	fieldmeta.SetShortHandRef("$imagepolicy")
	openapi.SuppressBuiltInSchemaUse()
	var req settersRequest
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		return err
	}
	defs := map[string]spec.Schema{}
	for key, img := range req.Policies {
		full := img.Name + ":" + img.Tag
		if img.Digest != "" {
			full += "@" + img.Digest
		}
		defs[fieldmeta.SetterDefinitionPrefix+key] = setterSchema(key, full)
		defs[fieldmeta.SetterDefinitionPrefix+key+":tag"] = setterSchema(key+":tag", img.Tag)
		defs[fieldmeta.SetterDefinitionPrefix+key+":name"] = setterSchema(key+":name", img.Name)
		defs[fieldmeta.SetterDefinitionPrefix+key+":digest"] = setterSchema(key+":digest", img.Digest)
	}
	schema := &spec.Schema{}
	schema.Definitions = defs

	answer := settersAnswer{Changes: []setterChange{}, ProblemFiles: []string{}}
	paths := make([]string, 0, len(req.Files))
	for p := range req.Files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, path := range paths {
		text := req.Files[path]
		if !strings.Contains(text, `"$imagepolicy"`) {
			continue
		}
		// kio.ByteReader cuts the stream at separator lines and parses each piece alone, so
		// yaml.v3's line numbers restart per piece. Cutting it the same way here (and reading each
		// piece with ByteReader) gives the same nodes plus each piece's first line in the file.
		pieces, starts, err := splitLikeKyaml(strings.ReplaceAll(text, "\r\n", "\n"))
		problem := err != nil
		var found []setterChange
		for i := 0; i < len(pieces) && !problem; i++ {
			nodes, err := (&kio.ByteReader{Reader: strings.NewReader(pieces[i]), PreserveSeqIndent: true}).Read()
			if err != nil {
				problem = true
				break
			}
			for _, n := range nodes {
				walk(n.YNode(), func(scalar *yaml.Node) {
					name, value, ok := setterFor(scalar, schema)
					if ok && value != scalar.Value {
						found = append(found, setterChange{path, starts[i] + scalar.Line - 1, scalar.Column, name, scalar.Value, value})
					}
				})
			}
		}
		if problem {
			answer.ProblemFiles = append(answer.ProblemFiles, path)
			continue
		}
		answer.Changes = append(answer.Changes, found...)
	}
	return json.NewEncoder(os.Stdout).Encode(answer)
}

// splitLikeKyaml cuts a stream as kio.ByteReader does (same separator rule and errors) and
// returns the pieces with the 1-based line on which each starts.
func splitLikeKyaml(s string) ([]string, []int, error) {
	separator := regexp.MustCompile(`\n---.*\n`)
	var pieces []string
	var starts []int
	prev := 0
	for _, loc := range separator.FindAllStringIndex(s, -1) {
		rest := strings.TrimSpace(s[loc[0]+4 : loc[1]])
		if len(rest) > 0 && rest[0] != '#' {
			return nil, nil, fmt.Errorf("invalid document separator")
		}
		pieces = append(pieces, s[prev:loc[0]]+"\n")
		starts = append(starts, strings.Count(s[:prev], "\n")+1)
		prev = loc[1]
	}
	pieces = append(pieces, s[prev:])
	starts = append(starts, strings.Count(s[:prev], "\n")+1)
	return pieces, starts, nil
}

// walk visits the scalars Flux's setters visit: mapping values (never keys), sequence items.
func walk(n *yaml.Node, visit func(*yaml.Node)) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			walk(c, visit)
		}
	case yaml.MappingNode:
		for i := 1; i < len(n.Content); i += 2 {
			walk(n.Content[i], visit)
		}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			walk(c, visit)
		}
	case yaml.ScalarNode:
		visit(n)
	}
}

// setterFor reads a scalar's comments with kyaml's fieldmeta and resolves the setter it names.
func setterFor(n *yaml.Node, schema *spec.Schema) (string, string, bool) {
	fm := fieldmeta.FieldMeta{SettersSchema: schema}
	if err := fm.Read(yaml.NewRNode(n)); err != nil || fm.IsEmpty() || fm.Schema.Ref.String() == "" {
		return "", "", false
	}
	resolved, err := openapi.Resolve(&fm.Schema.Ref, schema)
	if err != nil || resolved == nil {
		return "", "", false
	}
	ext, ok := resolved.Extensions["x-k8s-cli"].(map[string]interface{})
	if !ok {
		return "", "", false
	}
	setter, ok := ext["setter"].(map[string]string)
	if !ok {
		return "", "", false
	}
	return setter["name"], setter["value"], true
}

// ----------------------------------------------------------------------------------------------
// template: Flux's TemplateData (internal/source and internal/update), reproduced.

// NamespacedName prints as "namespace/name", like k8s.io/apimachinery's types.NamespacedName.
type NamespacedName struct {
	Namespace string
	Name      string
}

func (n NamespacedName) String() string { return n.Namespace + "/" + n.Name }

type ObjectIdentifier struct {
	yaml.ResourceIdentifier
}

type Change struct {
	OldValue string
	NewValue string
	Setter   string
}

type ObjectChanges map[ObjectIdentifier][]Change

type Result struct {
	FileChanges map[string]ObjectChanges
}

// Flux collects Changes() by ranging over maps (random order); the oracle uses the order
// FluxOps documents (the request's order) so answers can be compared byte for byte. Kept
// outside Result so that printing a Result shows exactly Flux's fields.
var orderedChanges []Change

func (r Result) Changes() []Change {
	seen := map[Change]struct{}{}
	var out []Change
	for _, c := range orderedChanges {
		if _, ok := seen[c]; !ok {
			seen[c] = struct{}{}
			out = append(out, c)
		}
	}
	return out
}

func (r Result) Objects() ObjectChanges {
	out := make(ObjectChanges)
	files := make([]string, 0, len(r.FileChanges))
	for f := range r.FileChanges {
		files = append(files, f)
	}
	sort.Strings(files)
	for _, f := range files {
		for obj, changes := range r.FileChanges[f] {
			out[obj] = append(out[obj], changes...)
		}
	}
	return out
}

type TemplateData struct {
	AutomationObject NamespacedName
	Changed          Result
	Values           map[string]string
}

type templateRequest struct {
	Template         string `json:"template"`
	AutomationObject struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"automationObject"`
	Changes []struct {
		File   string `json:"file"`
		Object struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Name       string `json:"name"`
			Namespace  string `json:"namespace"`
		} `json:"object"`
		OldValue string `json:"oldValue"`
		NewValue string `json:"newValue"`
		Setter   string `json:"setter"`
	} `json:"changes"`
	Values map[string]string `json:"values"`
}

type templateAnswer struct {
	Output string `json:"output"`
	Error  string `json:"error,omitempty"`
}

func renderTemplate() error {
	var req templateRequest
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		return err
	}
	data := TemplateData{
		AutomationObject: NamespacedName{Namespace: req.AutomationObject.Namespace, Name: req.AutomationObject.Name},
		Changed:          Result{FileChanges: map[string]ObjectChanges{}},
		Values:           req.Values,
	}
	if data.Values == nil {
		data.Values = map[string]string{}
	}
	for _, c := range req.Changes {
		id := ObjectIdentifier{yaml.ResourceIdentifier{
			TypeMeta: yaml.TypeMeta{APIVersion: c.Object.APIVersion, Kind: c.Object.Kind},
			NameMeta: yaml.NameMeta{Name: c.Object.Name, Namespace: c.Object.Namespace},
		}}
		if data.Changed.FileChanges[c.File] == nil {
			data.Changed.FileChanges[c.File] = ObjectChanges{}
		}
		ch := Change{OldValue: c.OldValue, NewValue: c.NewValue, Setter: c.Setter}
		data.Changed.FileChanges[c.File][id] = append(data.Changed.FileChanges[c.File][id], ch)
		orderedChanges = append(orderedChanges, ch)
	}
	var answer templateAnswer
	t, err := template.New("commit message").Funcs(sprig.HermeticTxtFuncMap()).Parse(req.Template)
	if err != nil {
		answer.Error = err.Error()
	} else {
		var b strings.Builder
		if err := t.Execute(&b, data); err != nil {
			answer.Error = err.Error()
		} else {
			answer.Output = b.String()
		}
	}
	return json.NewEncoder(os.Stdout).Encode(answer)
}
