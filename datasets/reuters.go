package datasets

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// ErrBadSGML is returned (wrapped, with details) for a Reuters-21578 file
// that does not parse.
var ErrBadSGML = errors.New("malformed Reuters-21578 SGML")

// Story is one Reuters-21578 news story.
type Story struct {
	NewID      int
	LewisSplit string   // "TRAIN", "TEST" or "NOT-USED".
	HasTopics  bool     // TOPICS="YES": indexed for topics (the ModApte split needs it).
	Topics     []string // e.g. ["grain", "wheat"].
	Title      string
	Body       string
}

var (
	reutersOpen  = regexp.MustCompile(`<REUTERS([^>]*)>`)
	reutersAttr  = regexp.MustCompile(`([A-Z]+)="([^"]*)"`)
	reutersTopic = regexp.MustCompile(`<D>([^<]*)</D>`)
)

// ReadReutersSGML parses one reut2-NNN.sgm file into its stories.
func ReadReutersSGML(data []byte) ([]Story, error) {
	var stories []Story
	rest := data
	for {
		loc := reutersOpen.FindSubmatchIndex(rest)
		if loc == nil {
			break
		}
		end := bytes.Index(rest[loc[1]:], []byte("</REUTERS>"))
		if end < 0 {
			return nil, fmt.Errorf("%w: story %d has no </REUTERS>", ErrBadSGML, len(stories)+1)
		}
		s := Story{}
		for _, m := range reutersAttr.FindAllSubmatch(rest[loc[2]:loc[3]], -1) {
			switch string(m[1]) {
			case "NEWID":
				s.NewID, _ = strconv.Atoi(string(m[2]))
			case "LEWISSPLIT":
				s.LewisSplit = string(m[2])
			case "TOPICS":
				s.HasTopics = string(m[2]) == "YES"
			}
		}
		if s.NewID <= 0 {
			return nil, fmt.Errorf("%w: story %d has no NEWID", ErrBadSGML, len(stories)+1)
		}
		body := rest[loc[1] : loc[1]+end]
		if t := element(body, "TOPICS"); t != nil {
			for _, m := range reutersTopic.FindAllSubmatch(t, -1) {
				s.Topics = append(s.Topics, string(m[1]))
			}
		}
		s.Title = html.UnescapeString(strings.TrimSpace(string(element(body, "TITLE"))))
		s.Body = html.UnescapeString(strings.TrimSpace(string(element(body, "BODY"))))
		stories = append(stories, s)
		rest = rest[loc[1]+end+len("</REUTERS>"):]
	}
	return stories, nil
}

// element is the content of the first <name>...</name> in data, or nil.
func element(data []byte, name string) []byte {
	start := bytes.Index(data, []byte("<"+name+">"))
	if start < 0 {
		return nil
	}
	start += len(name) + 2
	end := bytes.Index(data[start:], []byte("</"+name+">"))
	if end < 0 {
		return nil
	}
	return data[start : start+end]
}

// reutersMirrors serve the UCI KDD archive's reuters21578.tar.gz.
var reutersMirrors = []string{"https://kdd.ics.uci.edu/databases/reuters21578"}

// Reuters is Reuters-21578, Distribution 1.0: 21,578 stories in 22 SGML files.
var Reuters = func() []File {
	archive := &Archive{Path: "reuters21578/reuters21578.tar.gz", Mirrors: reutersMirrors, Dir: "reuters21578",
		Files: map[string]string{
			"reut2-000.sgm": "0ec53cda8f6d605a3ba710df14be7f00fc02f0c222a14748101df22326afe0f6",
			"reut2-001.sgm": "1528e7e82d110d88d0234eb9619eadb7f9fd805711971df05975b92277dfdf4d",
			"reut2-002.sgm": "99f18068d0518952987dedd78c622e5c2a584e357d264d3754696c815f3e6628",
			"reut2-003.sgm": "78a3a8d7e04bc9d42c4614d5d5c60a4293dbe3f708df6fb5a71d9ef31f4b3fa3",
			"reut2-004.sgm": "726342c19a65873330b412378cd6a3f0d512035f5223146ddd60930c62eb6ff0",
			"reut2-005.sgm": "d09de619b6dd2d047d5124681f6df90550abaf592020d1c1ce338ae9b91522e7",
			"reut2-006.sgm": "b5535c0d66b01f4976f84621a4a795afbc00d2c4bd0a1b7ae426df6630fb361d",
			"reut2-007.sgm": "aa706007ec84a03537a3921ca976d60e11b3f99e4b9e9b2d5c81dd384d2c2062",
			"reut2-008.sgm": "a3994583694a00b7c744097c1d7eabfcf90f2e6650cc21663e46828035a336cb",
			"reut2-009.sgm": "29995f606dd1a9bdf907eacc9d879846c716860d9d9141676979474aaea39c7d",
			"reut2-010.sgm": "996df6008089bd09fa5b28a4d2eb0ee5f7b9d4601cde566fed3926ac82960fa3",
			"reut2-011.sgm": "d3a2782015247d9c2bffb8926267827fdd449c70d619435ef01a25a1c56a53ca",
			"reut2-012.sgm": "da31035d483851f2aebce5b66d779e5e2c0ac9dcfe098596c6d544e81c5604ab",
			"reut2-013.sgm": "8f7700bc0455fac3fcc12377ced4807b7df8aba1f21ecad059b9cc2b1cf0b8be",
			"reut2-014.sgm": "ef936bd3e0f36cf722afa9a6957563549775af32e9e28b4f539c8737ceda83ab",
			"reut2-015.sgm": "6d3bcec73eff871b8a5403588af814c4e50a0de6bc25707480522ab836f74026",
			"reut2-016.sgm": "be2f03a185fff70131f3b4fdbd6229b7ee2be077eba9691eaa597c8cfbda8812",
			"reut2-017.sgm": "f370e610b4b1342e41a98e0c426a08541044bd1d7e539674f32372a6060b73b5",
			"reut2-018.sgm": "a5f971bf25448e915781962309e669359a35fbcaf3017a806eca0590897f209a",
			"reut2-019.sgm": "d3b07097fba2633d130b4914aceba671645985248943ce9e39c289315339dffb",
			"reut2-020.sgm": "f6ad1b724125c202566c63b35ea0b5ee23881f8b7ed47a32829d5af05d8e860d",
			"reut2-021.sgm": "3f5196d32869723c9042aa5756805b4e90360f1f45ea17f4594fa0e2b3630b18",
		}}
	var files []File
	for name, sum := range archive.Files {
		files = append(files, File{Path: "reuters21578/" + name, SHA256: sum, Archive: archive})
	}
	sort.Slice(files, func(a, b int) bool { return files[a].Path < files[b].Path })
	return files
}()

// ReutersTopics are the ten most frequent topics of the ModApte training
// split, the classes of the usual "R10" subset.
var ReutersTopics = []string{"earn", "acq", "money-fx", "grain", "crude", "trade", "interest", "ship", "wheat", "corn"}

// Reuters loads a ModApte split of Reuters-21578: the stories marked
// TOPICS="YES" with LEWISSPLIT TRAIN (or TEST), as a corpus over the vocab
// most frequent training words; each story's class is the first of its
// topics among ReutersTopics, and stories with none are left out: of the
// 9,603 ModApte training stories and 3,299 test stories, 6,490 and 2,545 remain.
func (l *Loader) Reuters(split Split, vocab int) (*Corpus, error) {
	want := map[Split]string{Train: "TRAIN", Test: "TEST"}[split]
	if want == "" {
		return nil, fmt.Errorf("reuters21578: unknown split %q (want %q or %q)", split, Train, Test)
	}
	if vocab <= 0 {
		return nil, fmt.Errorf("reuters21578: vocabulary size %d, want a positive number of words", vocab)
	}
	class := map[string]int{}
	for i, t := range ReutersTopics {
		class[t] = i
	}
	var texts [2][][]string
	var labels [2][]uint8
	for _, f := range Reuters {
		content, err := l.ReadFile(f)
		if err != nil {
			return nil, err
		}
		stories, err := ReadReutersSGML(content)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Path, err)
		}
		for _, s := range stories {
			if !s.HasTopics || (s.LewisSplit != "TRAIN" && s.LewisSplit != "TEST") {
				continue
			}
			c := -1
			for _, t := range s.Topics {
				if i, ok := class[t]; ok {
					c = i
					break
				}
			}
			if c < 0 {
				continue
			}
			k := 0
			if s.LewisSplit == "TEST" {
				k = 1
			}
			texts[k] = append(texts[k], Tokenize(s.Title+" "+s.Body))
			labels[k] = append(labels[k], uint8(c))
		}
	}
	// Every training word, alphabetical, so that mostFrequent's ties by ID
	// are alphabetical; words seen only in the test split can't be chosen.
	seen := map[string]bool{}
	for _, toks := range texts[0] {
		for _, w := range toks {
			seen[w] = true
		}
	}
	all := slices.Sorted(maps.Keys(seen))
	id := make(map[string]int32, len(all))
	for i, w := range all {
		id[w] = int32(i)
	}
	bags := func(texts [][]string) []Bag {
		out := make([]Bag, len(texts))
		for j, toks := range texts {
			counts := map[int32]int32{}
			for _, t := range toks {
				if i, ok := id[t]; ok {
					counts[i]++
				}
			}
			out[j].Words = slices.Sorted(maps.Keys(counts))
			for _, i := range out[j].Words {
				out[j].Counts = append(out[j].Counts, counts[i])
			}
		}
		return out
	}
	train := bags(texts[0])
	keep := mostFrequent(train, len(all), vocab)
	docs, k := train, 0
	if split == Test {
		docs, k = bags(texts[1]), 1
	}
	c := &Corpus{Name: "reuters21578/" + string(split), Labels: labels[k], ClassNames: ReutersTopics, Docs: restrict(docs, keep)}
	for _, i := range keep {
		c.Vocabulary = append(c.Vocabulary, all[i])
	}
	return c, nil
}

// Tokenize lower-cases text and splits it into runs of letters.
func Tokenize(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return r < 'a' || r > 'z' })
}
