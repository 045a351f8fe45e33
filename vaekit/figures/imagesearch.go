package figures

import (
	"context"
	"fmt"
	"slices"

	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/chart"
	"github.com/vaekit/vaekit/vaekit/experiments"
	"gonum.org/v1/plot"
)

func init() {
	register(Spec{Name: "image-search", Article: articleLecture,
		Summary: "ORL faces, people held out of training: AE reconstructions; nearest faces by pixels and by deep-AE code; precision@k (same person)",
		Make: func(ctx context.Context, opts experiments.Options) (*Result, error) {
			return ImageSearch(ctx, experiments.DefaultImageSearchExperiment(opts.Quick, opts.Seed), opts)
		},
		Compare: []Comparison{ // the default 30-number codes.
			{Metric: "precision@5", A: "precision_at_5_ae", B: "precision_at_5_pca30", NameA: "deep AE code", NameB: "PCA code", Larger: true},
			{Metric: "precision@5", A: "precision_at_5_ae", B: "precision_at_5_pixels", NameA: "deep AE code", NameB: "pixels", Larger: true}}})
}

// halve averages 2×2 blocks: the faces at a quarter of the pixels, as
// Hinton & Salakhutdinov shrank theirs.
func halve(s *datasets.ImageSet) *datasets.ImageSet {
	h, w := s.Rows/2, s.Cols/2
	out := &datasets.ImageSet{Name: s.Name + " (halved)", Count: s.Count, Rows: h, Cols: w,
		Pixels: make([]uint8, 0, s.Count*h*w), Labels: s.Labels, ClassNames: s.ClassNames}
	for i := range s.Count {
		img := s.Pixels[i*s.Rows*s.Cols:]
		for y := range h {
			for x := range w {
				sum := int(img[2*y*s.Cols+2*x]) + int(img[2*y*s.Cols+2*x+1]) + int(img[(2*y+1)*s.Cols+2*x]) + int(img[(2*y+1)*s.Cols+2*x+1])
				out.Pixels = append(out.Pixels, uint8((sum+2)/4))
			}
		}
	}
	return out
}

// FaceSearch is what image-search measures: the faces, and for each face
// its reconstruction and code by the autoencoder of its fold (the one that
// did not train on that person), and precision@k in each space.
type FaceSearch struct {
	Experiment experiments.ImageSearchExperiment
	Faces      *datasets.ImageSet // halved.
	Fold       []int              // each face's fold: the autoencoder it is searched with never saw its person.
	Pixels     [][]float32
	Recon      [][]float32
	Codes      [][]float32
	MSE        float64 // per held-out face.
	MSETrain   float64 // per face the first fold's autoencoder trained on.
	Spaces     []SearchSpace
	History    *vaekit.History // the first fold's.
}

// SearchSpace is one space faces are compared in (a face's vector in its
// fold's space), with precision@k for each of the experiment's k, averaged
// over the folds.
type SearchSpace struct {
	Key, Name string
	Vectors   [][]float32
	Precision []float64
}

// ImageSearch trains the autoencoders on the faces and compares retrieval of
// held-out people by pixel distance, by PCA codes of the same size and by the
// AE's codes.
func ImageSearch(ctx context.Context, exp experiments.ImageSearchExperiment, opts experiments.Options) (*Result, error) {
	return drawn(MeasureImageSearch(ctx, exp, opts))
}

// facesOf is the faces of the people keep says, and their indices in s.
func facesOf(s *datasets.ImageSet, name string, keep func(person int) bool) (*datasets.ImageSet, []int) {
	out := &datasets.ImageSet{Name: name, Rows: s.Rows, Cols: s.Cols, ClassNames: s.ClassNames}
	var idx []int
	size := s.Rows * s.Cols
	for i := range s.Count {
		if keep(int(s.Labels[i])) {
			out.Pixels = append(out.Pixels, s.Pixels[i*size:(i+1)*size]...)
			out.Labels = append(out.Labels, s.Labels[i])
			idx = append(idx, i)
		}
	}
	out.Count = len(idx)
	return out, idx
}

// MeasureImageSearch trains (or loads) one autoencoder a fold and measures
// retrieval of the fold's held-out people, leave-one-out, in pixels, PCA codes
// (fitted on the same training faces) and AE codes.
func MeasureImageSearch(ctx context.Context, exp experiments.ImageSearchExperiment, opts experiments.Options) (*FaceSearch, error) {
	full, err := experiments.Loader(ctx).Faces(datasets.ORL)
	if err != nil {
		return nil, err
	}
	f := &FaceSearch{Experiment: exp, Faces: halve(full)}
	n := f.Faces.Count
	if exp.Folds < 2 || exp.Folds > len(f.Faces.ClassNames)/2 {
		return nil, fmt.Errorf("image-search: %d folds, want 2 to %d (each holds out people the autoencoder never sees)", exp.Folds, len(f.Faces.ClassNames)/2)
	}
	for _, q := range exp.Queries {
		if q < 0 || q >= n {
			return nil, fmt.Errorf("image-search: query %d, want 0..%d", q, n-1)
		}
	}
	code := exp.Layers[len(exp.Layers)-1]
	f.Pixels = vaekit.ImageData(f.Faces).Rows()
	f.Fold, f.Recon, f.Codes = make([]int, n), make([][]float32, n), make([][]float32, n)
	f.Spaces = []SearchSpace{
		{Key: "pixels", Name: "pixels (2576 numbers)", Vectors: f.Pixels},
		{Key: fmt.Sprintf("pca%d", code), Name: fmt.Sprintf("PCA code (%d)", code), Vectors: make([][]float32, n)},
		{Key: "ae", Name: fmt.Sprintf("deep AE code (%d)", code), Vectors: f.Codes},
	}
	for i := range f.Spaces {
		f.Spaces[i].Precision = make([]float64, len(exp.Ks))
	}
	sse := 0.0
	for k := range exp.Folds {
		train, _ := facesOf(f.Faces, fmt.Sprintf("%s, fold %d of %d: training people", f.Faces.Name, k, exp.Folds), func(p int) bool { return p%exp.Folds != k })
		test, idx := facesOf(f.Faces, fmt.Sprintf("%s, fold %d of %d: held-out people", f.Faces.Name, k, exp.Folds), func(p int) bool { return p%exp.Folds == k })
		trainData, testData := vaekit.ImageData(train), vaekit.ImageData(test)
		hyper := struct {
			vaekit.AEConfig
			Fold, Folds int
		}{exp.AEConfig, k, exp.Folds}
		ae, hist, err := experiments.FitAE(ctx, "faces-ae", hyper, exp.AEConfig, trainData, opts)
		if err != nil {
			return nil, fmt.Errorf("image-search, fold %d: %w", k, err)
		}
		codes, err := ae.Encode(testData)
		if err != nil {
			return nil, err
		}
		recon, err := ae.Reconstruct(testData)
		if err != nil {
			return nil, err
		}
		mse, err := vaekit.MSEPerImage(testData, recon)
		if err != nil {
			return nil, err
		}
		sse += mse * float64(test.Count)
		if k == 0 {
			f.History = hist
			trainRecon, err := ae.Reconstruct(trainData)
			if err != nil {
				return nil, err
			}
			if f.MSETrain, err = vaekit.MSEPerImage(trainData, trainRecon); err != nil {
				return nil, err
			}
		}
		pca, err := vaekit.FitPCA(trainData, code)
		if err != nil {
			return nil, err
		}
		projected := pca.Project(testData)
		for j, i := range idx {
			f.Fold[i], f.Recon[i], f.Codes[i], f.Spaces[1].Vectors[i] = k, recon[j], codes[j], projected[j]
		}
		for s := range f.Spaces {
			p, err := vaekit.PrecisionAtK(foldRows(f.Spaces[s].Vectors, idx), testData.Labels, exp.Ks, vaekit.Euclidean)
			if err != nil {
				return nil, err
			}
			for j := range p {
				f.Spaces[s].Precision[j] += p[j] / float64(exp.Folds)
			}
		}
	}
	f.MSE = sse / float64(n)
	return f, nil
}

// foldRows are rows[i] for the indices idx.
func foldRows(rows [][]float32, idx []int) [][]float32 {
	out := make([][]float32, len(idx))
	for j, i := range idx {
		out[j] = rows[i]
	}
	return out
}

// Draw is image-search: faces and reconstructions, precision@k, and the
// nearest faces of a few queries by pixels and by AE code.
func (f *FaceSearch) Draw() (*Result, error) {
	exp, faces := f.Experiment, f.Faces
	metrics := map[string]any{
		"mse_per_image":          f.MSE,
		"mse_per_image_training": f.MSETrain,
		"mse_note": fmt.Sprintf("sum of squared errors per 46×56 face, pixels in [0,1]: mse_per_image over the faces of people " +
			"the autoencoder did not train on; mse_per_image_training over the faces fold 0's autoencoder trained on"),
		"retrieval_note": fmt.Sprintf("the 40 people in %d folds (person p in fold p mod %d): each fold's autoencoder and PCA are fitted on the other folds' faces, "+
			"and each of the fold's faces queries the fold's other faces by Euclidean distance; precision@k = share of the k nearest that show "+
			"the same person (9 others exist), averaged over the folds; the AE never sees the labels", exp.Folds, exp.Folds),
		"folds": exp.Folds,
	}
	lines := &chart.Lines{Title: "retrieving the same person among people not trained on", XLabel: "k nearest faces", YLabel: "precision@k",
		Points: true, Legend: chart.BottomLeft}
	xs := make([]float64, len(exp.Ks))
	for i, k := range exp.Ks {
		xs[i] = float64(k)
	}
	for _, sp := range f.Spaces {
		for i, k := range exp.Ks {
			metrics[fmt.Sprintf("precision_at_%d_%s", k, sp.Key)] = sp.Precision[i]
		}
		lines.Series = append(lines.Series, chart.Series{Name: sp.Name, X: xs, Y: sp.Precision})
	}
	precPlot, err := lines.Plot()
	if err != nil {
		return nil, err
	}
	const shown = 8
	rg := &chart.Grid{Title: fmt.Sprintf("held-out faces and their AE reconstructions\n(mse %.1f per face; %.1f on faces it trained on)", f.MSE, f.MSETrain),
		Rows: 2, Cols: shown, Height: faces.Rows, Width: faces.Cols, RowLabels: []string{"face", "AE"}}
	for _, row := range [][][]float32{f.Pixels, f.Recon} {
		for i := range shown {
			rg.Images = append(rg.Images, row[i*50])
		}
	}
	reconPlot, err := rg.Plot()
	if err != nil {
		return nil, err
	}
	var nbPlots []*plot.Plot
	for _, sp := range []struct {
		name    string
		vectors [][]float32
	}{{"by pixel distance", f.Pixels}, {"by deep-AE code distance", f.Codes}} {
		p, err := f.neighbours("nearest faces "+sp.name, sp.vectors).Plot()
		if err != nil {
			return nil, err
		}
		nbPlots = append(nbPlots, p)
	}
	fig := &chart.Figure{Title: "Similar-face search with a deep autoencoder (ORL faces, 40 people × 10)",
		Panels: [][]*plot.Plot{{reconPlot, precPlot}, nbPlots}, RowHeights: []float64{1, 0.95}}
	fig.Size(10, 5.6)
	return &Result{Figure: fig, Metrics: metrics, Hyperparameters: exp, History: f.History,
		Dataset: map[string]any{"name": "orl-faces", "images": faces.Count, "people": len(faces.ClassNames),
			"rows": faces.Rows, "cols": faces.Cols, "note": "92×112 faces halved to 46×56 by 2×2 averaging"}}, nil
}

// neighbours is a grid of each query face and its nearest faces in a space.
func (f *FaceSearch) neighbours(title string, vectors [][]float32) *chart.Grid {
	exp, faces, labels := f.Experiment, f.Faces, f.Faces.Labels
	g := &chart.Grid{Title: title, Rows: len(exp.Queries), Cols: 1 + exp.Show,
		Height: faces.Rows, Width: faces.Cols, ColLabels: []string{"query"}}
	for i := 1; i <= exp.Show; i++ {
		g.ColLabels = append(g.ColLabels, fmt.Sprint(i))
	}
	for _, q := range exp.Queries {
		same := 0
		g.Images = append(g.Images, f.Pixels[q])
		var fold []int // the query's fold: the faces searched with the same autoencoder.
		for i := range f.Fold {
			if f.Fold[i] == f.Fold[q] {
				fold = append(fold, i)
			}
		}
		for _, j := range vaekit.Neighbours(foldRows(vectors, fold), slices.Index(fold, q), exp.Show, vaekit.Euclidean) {
			i := fold[j]
			g.Images = append(g.Images, f.Pixels[i])
			if labels[i] == labels[q] {
				same++
			}
		}
		g.RowLabels = append(g.RowLabels, fmt.Sprintf("%s: %d/%d\nsame person", faces.ClassNames[labels[q]], same, exp.Show))
	}
	return g
}
