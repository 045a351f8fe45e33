package datasets

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

func TestNewsgroupsRealFiles(t *testing.T) {
	l := &Loader{DataDir: sharedData(t)}
	train, err := l.Corpus(Newsgroups, Train, 2000)
	if err != nil {
		t.Fatal(err)
	}
	test, err := l.Corpus(Newsgroups, Test, 2000)
	if err != nil {
		t.Fatal(err)
	}
	if len(train.Docs) != 11269 || len(test.Docs) != 7505 || len(train.Vocabulary) != 2000 || !slices.Equal(train.Vocabulary, test.Vocabulary) {
		t.Fatalf("20news: %d train, %d test documents, %d words (same vocabulary: %v)",
			len(train.Docs), len(test.Docs), len(train.Vocabulary), slices.Equal(train.Vocabulary, test.Vocabulary))
	}
	topics := map[uint8]int{}
	for _, l := range train.Labels {
		topics[l]++
	}
	if len(topics) != 20 || train.ClassNames[15] != "soc.religion.christian" {
		t.Errorf("topics: %v", topics)
	}
	// The most frequent words of a newsgroup collection are function words.
	if !slices.Contains(train.Vocabulary[:20], "the") {
		t.Errorf("the 20 most frequent words: %v", train.Vocabulary[:20])
	}
	// Most posts keep some words of the top 2,000.
	empty := 0
	for _, d := range train.Docs {
		if len(d.Words) == 0 {
			empty++
		}
	}
	if empty > 100 {
		t.Errorf("%d training posts have none of the 2,000 words", empty)
	}
	x := train.LogCounts()
	if len(x) != 11269*2000 {
		t.Fatalf("LogCounts: %d values", len(x))
	}
	d := train.Docs[0]
	if got, want := x[int(d.Words[0])], float32(math.Log1p(float64(d.Counts[0]))); got != want {
		t.Errorf("LogCounts[0][%d] = %v, want log(1+%d) = %v", d.Words[0], got, d.Counts[0], want)
	}
	if _, err := l.Corpus(Newsgroups, Train, 0); err == nil {
		t.Error("a vocabulary of 0 words was accepted")
	}
}

func TestReadCounts(t *testing.T) {
	docs, err := ReadCounts([]byte("1 1 4\n1 3 2\n3 2 1\n"), 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 3 || !slices.Equal(docs[0].Words, []int32{0, 2}) || !slices.Equal(docs[0].Counts, []int32{4, 2}) ||
		len(docs[1].Words) != 0 || !slices.Equal(docs[2].Words, []int32{1}) {
		t.Errorf("parsed %+v", docs)
	}
	for _, c := range []struct{ data, want string }{
		{"1 1\n", "want \"docID wordID count\""},
		{"1 x 2\n", `"x" is not a positive number`},
		{"1 9 2\n", "beyond the 3-word vocabulary"},
		{"2 1 1\n1 1 1\n", "out of order"},
		{"1 1 0\n", "not a positive number"},
	} {
		if _, err := ReadCounts([]byte(c.data), 3); !errors.Is(err, ErrBadCounts) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want ErrBadCounts mentioning %q", c.data, err, c.want)
		}
	}
}

func FuzzReadCounts(f *testing.F) {
	f.Add([]byte("1 1 4\n1 3 2\n3 2 1\n"), 3)
	f.Add([]byte("1 1 1"), 1)
	f.Fuzz(func(t *testing.T, data []byte, words int) {
		docs, err := ReadCounts(data, words)
		if err != nil {
			if !errors.Is(err, ErrBadCounts) {
				t.Fatalf("error not wrapping ErrBadCounts: %v", err)
			}
			return
		}
		for _, d := range docs {
			if len(d.Words) != len(d.Counts) {
				t.Fatal("words and counts differ in length")
			}
			for i, w := range d.Words {
				if w < 0 || int(w) >= words || d.Counts[i] < 1 {
					t.Fatalf("word %d count %d out of range", w, d.Counts[i])
				}
			}
		}
	})
}

// TestCorpusArchiveDownload serves a tiny corpus as a .tgz archive: its
// counts and labels come from the archive, verified, and the vocabulary
// from its own file.
func TestCorpusArchiveDownload(t *testing.T) {
	members := map[string]string{
		"tiny/matlab/train.data": "1 1 3\n1 2 1\n2 3 2\n", "tiny/matlab/train.label": "1\n2\n",
		"tiny/matlab/test.data": "1 2 5\n", "tiny/matlab/test.label": "2\n",
	}
	var tgz bytes.Buffer
	gz := gzip.NewWriter(&tgz)
	tw := tar.NewWriter(gz)
	for name, content := range members {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg})
		tw.Write([]byte(content))
	}
	tw.Close()
	gz.Close()
	vocab := "alpha\nbeta\ngamma\n"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/tiny.tgz":
			w.Write(tgz.Bytes())
		case "/vocabulary.txt":
			w.Write([]byte(vocab))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	sum := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	archive := &Archive{Path: "tiny/tiny.tgz", Mirrors: []string{srv.URL}, Dir: "tiny", Files: map[string]string{}}
	for name, content := range members {
		archive.Files[strings.TrimPrefix(name, "tiny/matlab/")] = sum(content)
	}
	file := func(name string) File {
		return File{Path: "tiny/" + name, SHA256: archive.Files[name], Archive: archive}
	}
	ds := &CorpusDataset{Name: "tiny", ClassNames: []string{"a", "b"},
		counts:     map[Split]File{Train: file("train.data"), Test: file("test.data")},
		labels:     map[Split]File{Train: file("train.label"), Test: file("test.label")},
		vocabulary: File{Path: "tiny/vocabulary.txt", SHA256: sum(vocab), Mirrors: []string{srv.URL}}}
	c, err := downloadLoader(t.TempDir()).Corpus(ds, Test, 2)
	if err != nil {
		t.Fatal(err)
	}
	// Training counts: alpha 3, beta 1, gamma 2 → the 2 kept words are alpha, gamma.
	if !slices.Equal(c.Vocabulary, []string{"alpha", "gamma"}) || len(c.Docs) != 1 || len(c.Docs[0].Words) != 0 || c.Labels[0] != 1 {
		t.Errorf("corpus %+v", c)
	}
	archive.Files["test.label"] = sum("1\n")
	if _, err := downloadLoader(t.TempDir()).Corpus(ds, Test, 2); !errors.Is(err, ErrChecksum) || !strings.Contains(err.Error(), "test.label in tiny/tiny.tgz") {
		t.Errorf("a changed member: %v, want a checksum error naming it", err)
	}
}

// The vocabulary both corpora use: most frequent first, ties by lower ID,
// and the bags rewritten over the new IDs in increasing order.
func TestMostFrequentAndRestrict(t *testing.T) {
	docs := []Bag{{Words: []int32{0, 1, 3}, Counts: []int32{3, 5, 2}}, {Words: []int32{2, 3}, Counts: []int32{1, 1}}}
	keep := mostFrequent(docs, 4, 3) // totals 3, 5, 1, 3
	if !slices.Equal(keep, []int32{1, 0, 3}) {
		t.Fatalf("mostFrequent = %v, want [1 0 3]", keep)
	}
	got := restrict(docs, keep)
	if !slices.Equal(got[0].Words, []int32{0, 1, 2}) || !slices.Equal(got[0].Counts, []int32{5, 3, 2}) ||
		!slices.Equal(got[1].Words, []int32{2}) || !slices.Equal(got[1].Counts, []int32{1}) {
		t.Errorf("restrict = %+v", got)
	}
	if n := len(mostFrequent(docs, 4, 10)); n != 4 {
		t.Errorf("asking for 10 of 4 words gave %d", n)
	}
}
