package datasets

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// ErrBadCounts is returned (wrapped, with the line) for a malformed
// word-count file.
var ErrBadCounts = errors.New("malformed word counts")

// newsgroupsMirrors serve Jason Rennie's "bydate" 20 Newsgroups as word
// counts (20news-bydate-matlab.tgz), with its vocabulary.
var newsgroupsMirrors = []string{"http://qwone.com/~jason/20Newsgroups"}

// Newsgroups is the 20 Newsgroups collection ("bydate" split) as word
// counts: 11,269 training and 7,505 test posts, 61,188 words, 20 topics.
var Newsgroups = func() *CorpusDataset {
	archive := &Archive{Path: "20news-bow/20news-bydate-matlab.tgz", Mirrors: newsgroupsMirrors, Dir: "20news-bow",
		Files: map[string]string{
			"train.data":  "dc3bf23fa28511494ee406bd3baa6565ad156c0d48e56bc9aea247c4dd0b81be",
			"train.label": "90e46f67c51005c7bb707a61cd4a49bd996bc98c5c2acaaa36fbd22dc179101f",
			"test.data":   "2e739450e07c6201ae4eff90bb26cd69d26c45243bd923a29fc2caaae3a4c34a",
			"test.label":  "5eb0491245caaffb86980dcd7b707e65815ae0a600b214ac99e62fa5a713e6e1",
		}}
	file := func(name string) File {
		return File{Path: "20news-bow/" + name, SHA256: archive.Files[name], Archive: archive}
	}
	return &CorpusDataset{Name: "20news",
		counts:     map[Split]File{Train: file("train.data"), Test: file("test.data")},
		labels:     map[Split]File{Train: file("train.label"), Test: file("test.label")},
		vocabulary: File{Path: "20news-bow/vocabulary.txt", SHA256: "3c0f0d64a814ba8836334a0f23925cef751fb3636baea55772f1f8ede4b791bc", Mirrors: newsgroupsMirrors},
		ClassNames: []string{"alt.atheism", "comp.graphics", "comp.os.ms-windows.misc", "comp.sys.ibm.pc.hardware",
			"comp.sys.mac.hardware", "comp.windows.x", "misc.forsale", "rec.autos", "rec.motorcycles", "rec.sport.baseball",
			"rec.sport.hockey", "sci.crypt", "sci.electronics", "sci.med", "sci.space", "soc.religion.christian",
			"talk.politics.guns", "talk.politics.mideast", "talk.politics.misc", "talk.religion.misc"},
	}
}()

// CorpusDataset describes a labelled text collection stored as word counts.
type CorpusDataset struct {
	Name           string
	ClassNames     []string
	counts, labels map[Split]File
	vocabulary     File
}

// Corpus is one split of a text collection as bags of words over a
// vocabulary of the most frequent words.
type Corpus struct {
	Name       string
	Vocabulary []string // the kept words, most frequent (in the training split) first.
	Docs       []Bag
	Labels     []uint8
	ClassNames []string
}

// Bag is one document's words (indices into Vocabulary) and their counts.
type Bag struct {
	Words  []int32
	Counts []int32
}

// LoadNewsgroups loads a split of 20 Newsgroups with NewLoader(), keeping
// the vocab most frequent words of the training split (Hinton &
// Salakhutdinov kept 2,000).
func LoadNewsgroups(split Split, vocab int) (*Corpus, error) {
	return NewLoader().Corpus(Newsgroups, split, vocab)
}

// Corpus loads a split, restricted to the vocab words most frequent in the
// training split (so that both splits share one vocabulary).
func (l *Loader) Corpus(ds *CorpusDataset, split Split, vocab int) (*Corpus, error) {
	if _, ok := ds.counts[split]; !ok {
		return nil, fmt.Errorf("%s: unknown split %q (want %q or %q)", ds.Name, split, Train, Test)
	}
	if vocab <= 0 {
		return nil, fmt.Errorf("%s: vocabulary size %d, want a positive number of words", ds.Name, vocab)
	}
	words, err := l.ReadFile(ds.vocabulary)
	if err != nil {
		return nil, err
	}
	allWords := strings.Fields(string(words))
	train, err := l.readCounts(ds.counts[Train], len(allWords))
	if err != nil {
		return nil, err
	}
	c := &Corpus{Name: ds.Name + "/" + string(split), ClassNames: ds.ClassNames}
	keep := mostFrequent(train, len(allWords), vocab)
	for _, id := range keep {
		c.Vocabulary = append(c.Vocabulary, allWords[id])
	}
	docs := train
	if split != Train {
		if docs, err = l.readCounts(ds.counts[split], len(allWords)); err != nil {
			return nil, err
		}
	}
	labels, err := l.ReadFile(ds.labels[split])
	if err != nil {
		return nil, err
	}
	for i, field := range strings.Fields(string(labels)) {
		v, err := strconv.Atoi(field)
		if err != nil || v < 1 || v > len(ds.ClassNames) {
			return nil, fmt.Errorf("%s: label %q of document %d, want 1..%d", ds.labels[split].Path, field, i+1, len(ds.ClassNames))
		}
		c.Labels = append(c.Labels, uint8(v-1))
	}
	if len(c.Labels) < len(docs) {
		return nil, fmt.Errorf("%s: %d labels for %d documents in %s", ds.labels[split].Path, len(c.Labels), len(docs), ds.counts[split].Path)
	}
	c.Labels = c.Labels[:len(docs)]
	c.Docs = restrict(docs, keep)
	return c, nil
}

// readCounts reads a verified word-count file.
func (l *Loader) readCounts(f File, words int) ([]Bag, error) {
	content, err := l.ReadFile(f)
	if err != nil {
		return nil, err
	}
	docs, err := ReadCounts(content, words)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Path, err)
	}
	return docs, nil
}

// mostFrequent returns the IDs of the n words (of a vocabulary of size
// words) that occur most often in docs, most frequent first, ties by the
// lower ID: the vocabulary selection both text corpora use.
func mostFrequent(docs []Bag, words, n int) []int32 {
	total := make([]int64, words)
	for _, d := range docs {
		for i, w := range d.Words {
			total[w] += int64(d.Counts[i])
		}
	}
	order := make([]int32, words)
	for i := range order {
		order[i] = int32(i)
	}
	sort.SliceStable(order, func(a, b int) bool { return total[order[a]] > total[order[b]] })
	return order[:min(n, words)]
}

// restrict rewrites docs over the kept words, the word keep[r] becoming r;
// other words are dropped. Each bag's words are in increasing order.
func restrict(docs []Bag, keep []int32) []Bag {
	rank := make(map[int32]int32, len(keep))
	for r, id := range keep {
		rank[id] = int32(r)
	}
	out := make([]Bag, len(docs))
	for i, d := range docs {
		var b Bag
		for j, w := range d.Words {
			if r, ok := rank[w]; ok {
				b.Words, b.Counts = append(b.Words, r), append(b.Counts, d.Counts[j])
			}
		}
		sort.Sort(byWord(b))
		out[i] = b
	}
	return out
}

// byWord sorts a bag's words (and their counts with them).
type byWord Bag

func (b byWord) Len() int           { return len(b.Words) }
func (b byWord) Less(i, j int) bool { return b.Words[i] < b.Words[j] }
func (b byWord) Swap(i, j int) {
	b.Words[i], b.Words[j] = b.Words[j], b.Words[i]
	b.Counts[i], b.Counts[j] = b.Counts[j], b.Counts[i]
}

// ReadCounts parses "docID wordID count" lines (1-based IDs, documents in
// order, at most words distinct words) into one bag per document; a
// document ID with no line is an empty bag.
func ReadCounts(data []byte, words int) ([]Bag, error) {
	var docs []Bag
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		f := strings.Fields(text)
		if len(f) != 3 {
			return nil, fmt.Errorf("%w: line %d: %q, want \"docID wordID count\"", ErrBadCounts, line, text)
		}
		var v [3]int
		for i, s := range f {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("%w: line %d: %q is not a positive number", ErrBadCounts, line, s)
			}
			v[i] = n
		}
		doc, word, count := v[0], v[1], v[2]
		if word > words {
			return nil, fmt.Errorf("%w: line %d: word %d beyond the %d-word vocabulary", ErrBadCounts, line, word, words)
		}
		if doc < len(docs) || doc > len(docs)+1_000_000 {
			return nil, fmt.Errorf("%w: line %d: document %d out of order (after %d)", ErrBadCounts, line, doc, len(docs))
		}
		for len(docs) < doc {
			docs = append(docs, Bag{})
		}
		d := &docs[doc-1]
		d.Words, d.Counts = append(d.Words, int32(word-1)), append(d.Counts, int32(min(count, math.MaxInt32)))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadCounts, err)
	}
	return docs, nil
}

// LogCounts is the corpus as a dense documents × vocabulary matrix of
// log(1 + count), row-major: the input of the text autoencoder.
func (c *Corpus) LogCounts() []float32 {
	out := make([]float32, len(c.Docs)*len(c.Vocabulary))
	for i, d := range c.Docs {
		row := out[i*len(c.Vocabulary):]
		for j, w := range d.Words {
			row[w] = float32(math.Log1p(float64(d.Counts[j])))
		}
	}
	return out
}
