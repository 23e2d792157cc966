package kb

import (
	_ "embed"
	"strings"
	"sync"
	"unicode"

	"sigs.k8s.io/yaml"
)

//go:embed vocabulary.yaml
var vocabularyYAML []byte

// vocabulary is the words the reader knows (vocabulary.yaml).
type vocabulary struct {
	DimensionWords struct {
		Prefixes []string `json:"prefixes"`
		Suffixes []string `json:"suffixes"`
		Articles []string `json:"articles"`
	} `json:"dimensionWords"`
	DefinitionLabels []string            `json:"definitionLabels"`
	MetadataLabels   []string            `json:"metadataLabels"`
	NameHeaders      []string            `json:"nameHeaders"`
	YearHeaders      []string            `json:"yearHeaders"`
	KeyCategories    map[string][]string `json:"keyCategories"`
	Columns          []columnWords       `json:"columns"`
	Relations        map[string][]string `json:"relations"`
}

type columnWords struct {
	Relation string   `json:"relation"`
	Category string   `json:"category"`
	Headers  []string `json:"headers"`
}

var vocab = sync.OnceValue(func() *vocabulary {
	var v vocabulary
	if err := yaml.UnmarshalStrict(vocabularyYAML, &v); err != nil {
		panic("kb: vocabulary.yaml: " + err.Error()) // embedded and tested: a build defect
	}
	return &v
})

// words lists every word of the vocabulary, for the lexicon that repairs damaged text.
func (v *vocabulary) words() []string {
	out := append([]string{}, v.DefinitionLabels...)
	out = append(out, v.MetadataLabels...)
	out = append(out, v.NameHeaders...)
	out = append(out, v.YearHeaders...)
	out = append(out, v.DimensionWords.Suffixes...)
	for _, ws := range v.KeyCategories {
		out = append(out, ws...)
	}
	for _, c := range v.Columns {
		out = append(out, c.Headers...)
	}
	for _, ws := range v.Relations {
		out = append(out, ws...)
	}
	return out
}

// norm is the form words are compared in: lower case, without spaces, "-" and "_", and
// with full-width colons made plain.
func norm(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '-', '_', '\u00a0', '\u3000':
			return -1
		case '：':
			return ':'
		}
		return unicode.ToLower(r)
	}, s)
}

func inWords(s string, words []string) bool {
	k := norm(s)
	for _, w := range words {
		if norm(w) == k {
			return true
		}
	}
	return false
}

// column says what a table header means: a relation with the category of the entities
// it names, or nothing (an attribute).
func (v *vocabulary) column(header string) (columnWords, bool) {
	k := norm(header)
	for _, c := range v.Columns {
		for _, h := range c.Headers {
			if norm(h) == k {
				return c, true
			}
		}
	}
	return columnWords{}, false
}

func (v *vocabulary) keyCategory(header string) string {
	for cat, ws := range v.KeyCategories {
		if inWords(header, ws) {
			return cat
		}
	}
	return ""
}

// dimensionName strips a heading of its section number and the words that say it is a
// dimension: "30.6.1 四层隔离栈维度" is ("30.6.1", "四层隔离栈"), "30.6.1 Dimension: the
// four-layer isolation stack" is ("30.6.1", "four-layer isolation stack").
func (v *vocabulary) dimensionName(heading string) (number, name string) {
	s := strings.TrimSpace(heading)
	if i := strings.IndexFunc(s, unicode.IsSpace); i > 0 && isSectionNumber(s[:i]) {
		number, s = strings.TrimRight(s[:i], "."), strings.TrimSpace(s[i:])
	} else if isSectionNumber(s) {
		return strings.TrimRight(s, "."), ""
	}
	for changed := true; changed; {
		changed = false
		low := strings.ToLower(s)
		for _, p := range v.DimensionWords.Prefixes {
			if strings.HasPrefix(low, strings.ToLower(p)) {
				s, changed = strings.TrimSpace(s[len(p):]), true
				break
			}
		}
		low = strings.ToLower(s)
		for _, p := range v.DimensionWords.Suffixes {
			if strings.HasSuffix(low, strings.ToLower(p)) && len(s) > len(p) {
				s, changed = strings.TrimSpace(s[:len(s)-len(p)]), true
				break
			}
		}
		low = strings.ToLower(s)
		for _, a := range v.DimensionWords.Articles {
			if strings.HasPrefix(low, a+" ") {
				s, changed = strings.TrimSpace(s[len(a)+1:]), true
				break
			}
		}
		s = strings.TrimRight(strings.TrimSpace(s), ":：")
	}
	return number, s
}

// isSectionNumber: "30.6.1", "2.", "3".
func isSectionNumber(s string) bool {
	s = strings.TrimRight(s, ".")
	if s == "" {
		return false
	}
	for _, r := range s {
		if r != '.' && (r < '0' || r > '9') {
			return false
		}
	}
	return s[0] != '.'
}
