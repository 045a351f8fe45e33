package figures

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/chart"
	"github.com/vaekit/vaekit/vaekit/experiments"
	"gonum.org/v1/plot"
)

func init() {
	register(Spec{Name: "text-retrieval", Article: articleLecture,
		Summary: "20 Newsgroups: 2-D codes of a deep AE beside 2-D LSA; precision–recall of same-topic retrieval (AE, LSA, tf-idf)",
		Make: func(ctx context.Context, opts experiments.Options) (*Result, error) {
			return TextRetrieval(ctx, experiments.DefaultTextExperiment(opts.Quick, opts.Seed), opts)
		},
		Compare: []Comparison{
			{Metric: "precision at recall 0.1", A: "precision_at_recall_0.1_ae", B: "precision_at_recall_0.1_lsa", NameA: "deep AE", NameB: "LSA", Larger: true},
			{Metric: "precision at recall 0.5", A: "precision_at_recall_0.5_ae", B: "precision_at_recall_0.5_lsa", NameA: "deep AE", NameB: "LSA", Larger: true},
			// tf-idf is the raw words, no code: the AE's 10 numbers against all 2,000.
			{Metric: "precision at recall 0.01", A: "precision_at_recall_0.01_ae", B: "precision_at_recall_0.01_tfidf", NameA: "deep AE", NameB: "tf-idf", Larger: true},
			{Metric: "precision at recall 0.5", A: "precision_at_recall_0.5_ae", B: "precision_at_recall_0.5_tfidf", NameA: "deep AE", NameB: "tf-idf", Larger: true}}})
}

// corpusData is a corpus as log(1 + count) vectors scaled to unit length
// (so that long posts do not dominate: a post's direction is what cosine
// retrieval compares), with topic labels.
func corpusData(c *datasets.Corpus, n int) *vaekit.Data {
	if n <= 0 || n > len(c.Docs) {
		n = len(c.Docs)
	}
	labels := make([]int32, n)
	for i := range labels {
		labels[i] = int32(c.Labels[i])
	}
	v := len(c.Vocabulary)
	x := c.LogCounts()[:n*v]
	for i := range n {
		row := x[i*v : (i+1)*v]
		norm := 0.0
		for _, e := range row {
			norm += float64(e) * float64(e)
		}
		if norm > 0 {
			scale := float32(1 / math.Sqrt(norm))
			for j := range row {
				row[j] *= scale
			}
		}
	}
	return &vaekit.Data{Name: c.Name, X: x, Shape: []int{v}, Labels: labels}
}

// tfidf weights the counts of docs by idf, log(N / document frequency) in
// the training posts.
func tfidf(docs []datasets.Bag, idf []float64) [][]float32 {
	out := make([][]float32, len(docs))
	for i, d := range docs {
		out[i] = make([]float32, len(idf))
		for j, w := range d.Words {
			out[i][w] = float32(float64(d.Counts[j]) * idf[w])
		}
	}
	return out
}

// TextSearch is what text-retrieval measures: precision at each recall in
// each space, and the 2-D codes of the test posts by the 2-D AE and LSA.
type TextSearch struct {
	Experiment  experiments.TextExperiment
	Recalls     []float64
	Spaces      []SearchSpace // Precision: at each of Recalls.
	Pictures    []TextPicture
	ClassNames  []string // of the test corpus.
	TestLabels  []int32
	Queries     int
	TrainSize   int
	Train, Test string // corpus names.
	History     *vaekit.History
}

// TextPicture is a set of 2-D codes of the test posts.
type TextPicture struct {
	Title string
	Codes [][]float32
}

// TextRetrieval trains the two text autoencoders and draws the 2-D codes
// and the precision–recall curves.
func TextRetrieval(ctx context.Context, exp experiments.TextExperiment, opts experiments.Options) (*Result, error) {
	return drawn(MeasureTextRetrieval(ctx, exp, opts))
}

// MeasureTextRetrieval trains (or loads) the text autoencoders (the
// experiment's code, and 2-D) and measures retrieval in AE codes, LSA and tf-idf.
func MeasureTextRetrieval(ctx context.Context, exp experiments.TextExperiment, opts experiments.Options) (*TextSearch, error) {
	train, err := experiments.Loader(ctx).Corpus(datasets.Newsgroups, datasets.Train, exp.Vocabulary)
	if err != nil {
		return nil, err
	}
	test, err := experiments.Loader(ctx).Corpus(datasets.Newsgroups, datasets.Test, exp.Vocabulary)
	if err != nil {
		return nil, err
	}
	db, all := corpusData(train, exp.TrainSize), corpusData(test, 0)
	queries, qIdx := textQueries(exp, test, all)
	trainAE := func(code int) (*vaekit.AE, *vaekit.History, error) {
		cfg := exp.AEConfig
		cfg.Layers = append(append([]int{}, cfg.Layers[:len(cfg.Layers)-1]...), code)
		hyper := struct {
			Config vaekit.AEConfig
			Vocab  int
		}{cfg, exp.Vocabulary}
		return experiments.FitAE(ctx, "text-ae", hyper, cfg, db, opts)
	}
	ae, hist, err := trainAE(exp.Code)
	if err != nil {
		return nil, err
	}
	ae2, _, err := trainAE(2)
	if err != nil {
		return nil, err
	}
	t := &TextSearch{Experiment: exp, Recalls: []float64{0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1},
		ClassNames: test.ClassNames, TestLabels: all.Labels, Queries: len(qIdx), TrainSize: db.Len(),
		Train: train.Name, Test: test.Name, History: hist}
	// One decomposition for both LSAs: the code's and the 2-D picture's.
	lsaAll, err := vaekit.FitLSA(db, max(exp.Code, 2))
	if err != nil {
		return nil, err
	}
	lsa, err := lsaAll.Leading(exp.Code)
	if err != nil {
		return nil, err
	}
	queryDocs := make([]datasets.Bag, len(qIdx))
	for i, q := range qIdx {
		queryDocs[i] = test.Docs[q]
	}
	aeQ, err := ae.Encode(queries)
	if err != nil {
		return nil, err
	}
	aeDB, err := ae.Encode(db)
	if err != nil {
		return nil, err
	}
	idf := inverseDocumentFrequency(train.Docs[:db.Len()], exp.Vocabulary)
	for _, sp := range []struct {
		key, name string
		q, db     [][]float32
	}{
		{"ae", fmt.Sprintf("deep AE code (%d)", exp.Code), aeQ, aeDB},
		{"lsa", fmt.Sprintf("LSA (%d)", exp.Code), lsa.Project(queries), lsa.Project(db)},
		{"tfidf", fmt.Sprintf("tf-idf (%d words)", exp.Vocabulary), tfidf(queryDocs, idf), tfidf(train.Docs[:db.Len()], idf)},
	} {
		prec, err := vaekit.PrecisionAtRecall(sp.q, queries.Labels, sp.db, db.Labels, t.Recalls, vaekit.CosineDistance)
		if err != nil {
			return nil, err
		}
		t.Spaces = append(t.Spaces, SearchSpace{Key: sp.key, Name: sp.name, Precision: prec})
	}
	lsa2, err := lsaAll.Leading(2)
	if err != nil {
		return nil, err
	}
	ae2Codes, err := ae2.Encode(all)
	if err != nil {
		return nil, err
	}
	t.Pictures = []TextPicture{{"a 2-D deep AE of its own, 2000-500-250-125-2", ae2Codes}, {"LSA, 2 dimensions", lsa2.Project(all)}}
	return t, nil
}

// textQueries picks exp.Queries test posts, evenly spread (all when 0).
func textQueries(exp experiments.TextExperiment, test *datasets.Corpus, all *vaekit.Data) (*vaekit.Data, []int) {
	step := 1
	if exp.Queries > 0 && exp.Queries < all.Len() {
		step = all.Len() / exp.Queries
	}
	var qIdx []int
	for i := 0; i < all.Len() && (exp.Queries <= 0 || len(qIdx) < exp.Queries); i += step {
		qIdx = append(qIdx, i)
	}
	queries := &vaekit.Data{Name: test.Name + " queries", Shape: all.Shape}
	for _, i := range qIdx {
		queries.X = append(queries.X, all.X[i*exp.Vocabulary:(i+1)*exp.Vocabulary]...)
		queries.Labels = append(queries.Labels, all.Labels[i])
	}
	return queries, qIdx
}

// inverseDocumentFrequency is log(N / df) of each word over docs.
func inverseDocumentFrequency(docs []datasets.Bag, vocabulary int) []float64 {
	df := make([]float64, vocabulary)
	for _, d := range docs {
		for _, w := range d.Words {
			df[w]++
		}
	}
	idf := make([]float64, vocabulary)
	for w := range idf {
		idf[w] = math.Log(float64(len(docs)) / math.Max(df[w], 1))
	}
	return idf
}

// Draw is text-retrieval: the two 2-D pictures and the precision–recall curves.
func (t *TextSearch) Draw() (*Result, error) {
	exp := t.Experiment
	metrics := map[string]any{"note": "test posts query the training posts by cosine similarity; a hit is a post of the same newsgroup; " +
		"precision at recall r: at the first rank where the share r of the query's topic has been retrieved, averaged over queries",
		"recalls": t.Recalls}
	lines := &chart.Lines{Title: fmt.Sprintf("retrieving posts of the same newsgroup (%d queries)", t.Queries),
		XLabel: "recall", YLabel: "precision", LogX: true, Points: true, Legend: chart.BottomLeft}
	for _, sp := range t.Spaces {
		for _, r := range []float64{0.01, 0.1, 0.5} { // the recalls the comparisons read.
			metrics[fmt.Sprintf("precision_at_recall_%g_%s", r, sp.Key)] = sp.Precision[slices.Index(t.Recalls, r)]
		}
		metrics["curve_"+sp.Key] = sp.Precision
		lines.Series = append(lines.Series, chart.Series{Name: sp.Name, X: t.Recalls, Y: sp.Precision})
	}
	prPlot, err := lines.Plot()
	if err != nil {
		return nil, err
	}
	var pictures []*plot.Plot
	for _, pic := range t.Pictures {
		s := &chart.Scatter{Title: pic.Title, XLabel: "code[0]", YLabel: "code[1]"}
		for _, topic := range exp.Topics {
			s.ClassNames = append(s.ClassNames, t.ClassNames[topic])
		}
		for i, c := range pic.Codes {
			for k, topic := range exp.Topics {
				if int(t.TestLabels[i]) == topic {
					s.X, s.Y, s.Classes = append(s.X, float64(c[0])), append(s.Y, float64(c[1])), append(s.Classes, k)
				}
			}
		}
		p, err := s.Plot()
		if err != nil {
			return nil, err
		}
		pictures = append(pictures, p)
	}
	fig := &chart.Figure{Title: fmt.Sprintf("20 Newsgroups: codes of %d of the 20 groups (above), retrieval over all 20 (below)", len(exp.Topics)),
		Panels: [][]*plot.Plot{{pictures[0], pictures[1]}, {prPlot}}}
	fig.Size(6.5, 6.6)
	metrics["pictures_note"] = fmt.Sprintf("the 2-D pictures show the test posts of %d of the 20 newsgroups (Topics), for legibility; retrieval uses all 20", len(exp.Topics))
	return &Result{Figure: fig, Metrics: metrics, Hyperparameters: exp, History: t.History,
		Dataset: map[string]any{"name": "20news", "train": t.Train, "train_size": t.TrainSize, "test": t.Test,
			"queries": t.Queries, "vocabulary": exp.Vocabulary}}, nil
}
