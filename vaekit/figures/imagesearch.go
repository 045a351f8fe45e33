package figures

import (
	"context"
	"fmt"

	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/chart"
	"github.com/vaekit/vaekit/vaekit/experiments"
	"gonum.org/v1/plot"
)

func init() {
	register(Spec{Name: "image-search", Article: articleLecture,
		Summary: "ORL faces: AE reconstructions; nearest faces by pixels and by deep-AE code; precision@k (same person)",
		Make: func(ctx context.Context, opts experiments.Options) (*Result, error) {
			return ImageSearch(ctx, experiments.DefaultImageSearchExperiment(opts.Quick, opts.Seed), opts)
		}})
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

// FaceSearch is what image-search measures: the faces, the AE's
// reconstructions and codes, and precision@k in each space.
type FaceSearch struct {
	Experiment experiments.ImageSearchExperiment
	Faces      *datasets.ImageSet // halved.
	Pixels     [][]float32
	Recon      [][]float32
	Codes      [][]float32
	MSE        float64
	Spaces     []SearchSpace
	History    *vaekit.History
}

// SearchSpace is one space faces are compared in, with precision@k for
// each of the experiment's k.
type SearchSpace struct {
	Key, Name string
	Vectors   [][]float32
	Precision []float64
}

// ImageSearch trains the autoencoder on the faces and compares retrieval by
// pixel distance, by PCA codes of the same size and by the AE's codes.
func ImageSearch(ctx context.Context, exp experiments.ImageSearchExperiment, opts experiments.Options) (*Result, error) {
	return drawn(MeasureImageSearch(ctx, exp, opts))
}

// MeasureImageSearch trains (or loads) the faces' autoencoder and measures
// retrieval, leave-one-out, in pixels, PCA codes and AE codes.
func MeasureImageSearch(ctx context.Context, exp experiments.ImageSearchExperiment, opts experiments.Options) (*FaceSearch, error) {
	full, err := experiments.Loader(ctx).Faces(datasets.ORL)
	if err != nil {
		return nil, err
	}
	f := &FaceSearch{Experiment: exp, Faces: halve(full)}
	data := vaekit.ImageData(f.Faces)
	for _, q := range exp.Queries {
		if q < 0 || q >= f.Faces.Count {
			return nil, fmt.Errorf("image-search: query %d, want 0..%d", q, f.Faces.Count-1)
		}
	}
	ae, hist, err := experiments.FitAE(ctx, "faces-ae", exp.AEConfig, exp.AEConfig, data, opts)
	if err != nil {
		return nil, err
	}
	f.History = hist
	if f.Codes, err = ae.Encode(data); err != nil {
		return nil, err
	}
	if f.Recon, err = ae.Reconstruct(data); err != nil {
		return nil, err
	}
	if f.MSE, err = vaekit.MSEPerImage(data, f.Recon); err != nil {
		return nil, err
	}
	code := exp.Layers[len(exp.Layers)-1]
	pca, err := vaekit.FitPCA(data, code)
	if err != nil {
		return nil, err
	}
	f.Pixels = data.Rows()
	f.Spaces = []SearchSpace{
		{Key: "pixels", Name: "pixels (2576 numbers)", Vectors: f.Pixels},
		{Key: fmt.Sprintf("pca%d", code), Name: fmt.Sprintf("PCA code (%d)", code), Vectors: pca.Project(data)},
		{Key: "ae", Name: fmt.Sprintf("deep AE code (%d)", code), Vectors: f.Codes},
	}
	for i := range f.Spaces {
		if f.Spaces[i].Precision, err = vaekit.PrecisionAtK(f.Spaces[i].Vectors, data.Labels, exp.Ks, vaekit.Euclidean); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// Draw is image-search: faces and reconstructions, precision@k, and the
// nearest faces of a few queries by pixels and by AE code.
func (f *FaceSearch) Draw() (*Result, error) {
	exp, faces := f.Experiment, f.Faces
	metrics := map[string]any{
		"mse_per_image": f.MSE,
		"mse_note":      "sum of squared errors per 46×56 face, pixels in [0,1]",
		"retrieval_note": "leave-one-out over the 400 faces: each face queries the other 399 by Euclidean distance; " +
			"precision@k = share of the k nearest that show the same person (9 others exist); the AE never sees the labels",
	}
	lines := &chart.Lines{Title: "retrieving the same person, leave-one-out", XLabel: "k nearest faces", YLabel: "precision@k",
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
	rg := &chart.Grid{Title: fmt.Sprintf("faces and their AE reconstructions (mse %.1f per face)", f.MSE),
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
		for _, i := range vaekit.Neighbours(vectors, q, exp.Show, vaekit.Euclidean) {
			g.Images = append(g.Images, f.Pixels[i])
			if labels[i] == labels[q] {
				same++
			}
		}
		g.RowLabels = append(g.RowLabels, fmt.Sprintf("%s: %d/%d\nsame person", faces.ClassNames[labels[q]], same, exp.Show))
	}
	return g
}
