package datasets

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReutersRealFiles(t *testing.T) {
	l := &Loader{DataDir: sharedData(t)}
	content, err := l.ReadFile(Reuters[0])
	if err != nil {
		t.Fatal(err)
	}
	stories, err := ReadReutersSGML(content)
	if err != nil {
		t.Fatal(err)
	}
	s := stories[0]
	if len(stories) != 1000 || s.NewID != 1 || s.LewisSplit != "TRAIN" || !s.HasTopics || len(s.Topics) != 1 || s.Topics[0] != "cocoa" ||
		s.Title != "BAHIA COCOA REVIEW" || !strings.HasPrefix(s.Body, "Showers continued throughout the week") {
		t.Errorf("reut2-000.sgm: %d stories, the first %+v", len(stories), s)
	}
	train, err := l.Reuters(Train, 2000)
	if err != nil {
		t.Fatal(err)
	}
	test, err := l.Reuters(Test, 2000)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Reuters R10 ModApte: %d training and %d test stories", len(train.Docs), len(test.Docs))
	// The ModApte split has 9,603 training and 3,299 test stories (7,775 and 3,019 with a topic); 6,490 and
	// 2,545 of them have one of the ten largest topics (earn alone: 2,877 training stories).
	if len(train.Docs) != 6490 || len(test.Docs) != 2545 || len(train.Vocabulary) != 2000 {
		t.Errorf("R10: %d training, %d test stories, %d words", len(train.Docs), len(test.Docs), len(train.Vocabulary))
	}
	earn := 0
	for _, l := range train.Labels {
		if l == 0 {
			earn++
		}
	}
	if earn != 2868 { // of the 2,877 about earnings, 9 list another of the ten first
		t.Errorf("%d training stories labelled earn, want 2,868", earn)
	}
}

func TestReadReutersSGML(t *testing.T) {
	stories, err := ReadReutersSGML([]byte(`<REUTERS TOPICS="NO" LEWISSPLIT="TEST" NEWID="7"><TEXT><TITLE>A &amp; B</TITLE><BODY>x &lt; y</BODY></TEXT></REUTERS>`))
	if err != nil || len(stories) != 1 || stories[0].NewID != 7 || stories[0].HasTopics || stories[0].Title != "A & B" || stories[0].Body != "x < y" {
		t.Errorf("parsed %+v (%v)", stories, err)
	}
	for _, c := range []struct{ data, want string }{
		{`<REUTERS NEWID="1"><TEXT>no end`, "no </REUTERS>"},
		{`<REUTERS TOPICS="YES"></REUTERS>`, "no NEWID"},
	} {
		if _, err := ReadReutersSGML([]byte(c.data)); !errors.Is(err, ErrBadSGML) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want ErrBadSGML mentioning %q", c.data, err, c.want)
		}
	}
	if got := Tokenize("Oil-prices ROSE 3.5% in 1987"); strings.Join(got, " ") != "oil prices rose in" {
		t.Errorf("Tokenize: %q", got)
	}
}

func FuzzReadReutersSGML(f *testing.F) {
	if raw, err := os.ReadFile(filepath.Join(sharedData(f), "reuters21578", "reut2-000.sgm.gz")); err == nil {
		if content, err := uncompress(raw); err == nil {
			f.Add(content[:20000])
		}
	}
	f.Add([]byte(`<REUTERS NEWID="3"><TOPICS><D>acq</D></TOPICS><BODY>b</BODY></REUTERS>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		stories, err := ReadReutersSGML(data)
		if err != nil {
			if !errors.Is(err, ErrBadSGML) {
				t.Fatalf("error not wrapping ErrBadSGML: %v", err)
			}
			return
		}
		for _, s := range stories {
			if s.NewID <= 0 {
				t.Fatalf("story without a NEWID: %+v", s)
			}
		}
	})
}
