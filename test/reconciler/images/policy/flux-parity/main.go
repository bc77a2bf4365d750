// Command flux-parity answers policy questions the way Flux (image-reflector-controller v1.2.0)
// does, for the FluxOps parity test. It reads one JSON array of cases on stdin and writes one JSON
// array of answers on stdout, in the same order.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"

	"regexp"

	"github.com/Masterminds/semver/v3"
	"github.com/fluxcd/pkg/version"
)

type policyCase struct {
	Op      string   `json:"op"`
	Kind    string   `json:"kind,omitempty"`
	Range   string   `json:"range,omitempty"`
	Order   string   `json:"order,omitempty"`
	Pattern *string  `json:"pattern,omitempty"`
	Extract string   `json:"extract,omitempty"`
	Tags    []string `json:"tags,omitempty"`
	Inputs  []string `json:"inputs,omitempty"`
	// semver op: IncludePrerelease for the constraint.
	IncludePre bool `json:"includePre,omitempty"`
}

type answer struct {
	Error   string   `json:"error,omitempty"`
	Latest  *string  `json:"latest,omitempty"`
	Ties    []string `json:"ties,omitempty"`
	Results []any    `json:"results,omitempty"`
	Sorted  []string `json:"sorted,omitempty"`
}

func main() {
	// One JSON array of cases per input line; one JSON array of answers per output line.
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 64<<20)
	out := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(out)
	for in.Scan() {
		var cases []policyCase
		if err := json.Unmarshal(in.Bytes(), &cases); err != nil {
			fmt.Fprintln(os.Stderr, "decode:", err)
			os.Exit(2)
		}
		if err := enc.Encode(answerAll(cases)); err != nil {
			fmt.Fprintln(os.Stderr, "encode:", err)
			os.Exit(2)
		}
		if err := out.Flush(); err != nil {
			os.Exit(2)
		}
	}
}

func answerAll(cases []policyCase) []answer {
	out := make([]answer, len(cases))
	for i, c := range cases {
		switch c.Op {
		case "policy":
			out[i] = runPolicy(c)
		case "regex":
			out[i] = runRegex(c)
		case "float":
			out[i] = runFloat(c)
		case "semver":
			out[i] = runSemver(c)
		default:
			out[i] = answer{Error: "unknown op " + c.Op}
		}
	}
	return out
}

// runPolicy is image-reflector-controller's applyPolicy, on a tag list instead of its database.
func runPolicy(c policyCase) answer {
	var policer Policer
	var err error
	switch c.Kind {
	case "semver":
		policer, err = NewSemVer(c.Range)
	case "alphabetical":
		policer, err = NewAlphabetical(strings.ToUpper(c.Order))
	case "numerical":
		policer, err = NewNumerical(strings.ToUpper(c.Order))
	}
	if err != nil {
		return answer{Error: "invalid policy: " + err.Error()}
	}
	tags := append([]string(nil), c.Tags...)
	var latest string
	var filter *RegexFilter
	if c.Pattern != nil {
		filter, err = NewRegexFilter(*c.Pattern, c.Extract)
		if err != nil {
			return answer{Error: "failed to filter tags: " + err.Error()}
		}
		filter.Apply(tags)
		tags = filter.Items()
		latest, err = policer.Latest(tags)
		if err != nil {
			return answer{Error: err.Error()}
		}
		latest = filter.GetOriginalTag(latest)
	} else {
		latest, err = policer.Latest(tags)
		if err != nil {
			return answer{Error: err.Error()}
		}
	}
	return answer{Latest: &latest, Ties: ties(c, filter, latest)}
}

// ties lists every original tag whose ordered value equals the chosen one's: Flux iterates a map
// when a filter is set, so among equal values its choice is random.
func ties(c policyCase, filter *RegexFilter, latest string) []string {
	value := func(tag string) (string, bool) {
		if filter == nil {
			return tag, true
		}
		for k, v := range filter.filtered {
			if v == tag {
				return k, true
			}
		}
		return "", false
	}
	lv, ok := value(latest)
	if !ok {
		return nil
	}
	var out []string
	for _, tag := range c.Tags {
		v, ok := value(tag)
		if !ok || tag == latest {
			continue
		}
		switch c.Kind {
		case "semver":
			a, e1 := version.ParseVersion(v)
			b, e2 := version.ParseVersion(lv)
			if e1 == nil && e2 == nil && a.Equal(b) {
				out = append(out, tag)
			}
		case "numerical":
			a, e1 := strconv.ParseFloat(v, 64)
			b, e2 := strconv.ParseFloat(lv, 64)
			if e1 == nil && e2 == nil && a == b {
				out = append(out, tag)
			}
		case "alphabetical":
			if v == lv {
				out = append(out, tag)
			}
		}
	}
	return out
}

type regexResult struct {
	Match    bool    `json:"match"`
	Expanded *string `json:"expanded,omitempty"`
}

func runRegex(c policyCase) answer {
	re, err := regexp.Compile(*c.Pattern)
	if err != nil {
		return answer{Error: err.Error()}
	}
	results := make([]any, len(c.Inputs))
	for i, in := range c.Inputs {
		m := re.FindStringSubmatchIndex(in)
		if m == nil {
			results[i] = regexResult{Match: false}
			continue
		}
		expanded := string(re.ExpandString(nil, c.Extract, in, m))
		results[i] = regexResult{Match: true, Expanded: &expanded}
	}
	return answer{Results: results}
}

type floatResult struct {
	Error string `json:"error,omitempty"`
	Bits  string `json:"bits,omitempty"`
}

func runFloat(c policyCase) answer {
	results := make([]any, len(c.Inputs))
	for i, in := range c.Inputs {
		f, err := strconv.ParseFloat(in, 64)
		switch {
		case err != nil && strings.Contains(err.Error(), "out of range"):
			results[i] = floatResult{Error: "range"}
		case err != nil:
			results[i] = floatResult{Error: "syntax"}
		case math.IsNaN(f):
			results[i] = floatResult{Bits: "nan"}
		default:
			results[i] = floatResult{Bits: strconv.FormatUint(math.Float64bits(f), 16)}
		}
	}
	return answer{Results: results}
}

type semverResult struct {
	Valid     bool `json:"valid"`
	Satisfies bool `json:"satisfies"`
}

// runSemver checks each input against the range and sorts the valid ones (stable, ascending).
func runSemver(c policyCase) answer {
	cs, err := semver.NewConstraint(c.Range)
	if err != nil {
		return answer{Error: err.Error()}
	}
	cs.IncludePrerelease = c.IncludePre
	results := make([]any, len(c.Inputs))
	var valid []*semver.Version
	for i, in := range c.Inputs {
		v, err := version.ParseVersion(in)
		if err != nil {
			results[i] = semverResult{}
			continue
		}
		valid = append(valid, v)
		results[i] = semverResult{Valid: true, Satisfies: cs.Check(v)}
	}
	sort.SliceStable(valid, func(a, b int) bool { return valid[a].LessThan(valid[b]) })
	sorted := make([]string, len(valid))
	for i, v := range valid {
		sorted[i] = v.Original()
	}
	return answer{Results: results, Sorted: sorted}
}
