package datasets

import (
	_ "embed"
	"fmt"
	"strings"
)

//go:embed orl-faces.sha256
var orlSums string

// orlMirrors serve the original archive of the ORL faces, att_faces.zip (the
// AT&T Laboratories Cambridge archive, and the copies that Idiap's bob and
// OpenIMAJ download).
var orlMirrors = []string{
	"https://www.cl.cam.ac.uk/research/dtg/attarchive/pub/data",
	"http://www.idiap.ch/software/bob/data/bob",
	"http://datasets.openimaj.org",
}

// ORL is the AT&T / Olivetti Research Laboratory face database: 40 people,
// 10 images each, 92×112 grey levels, as sN/K.pgm (N = 1..40, K = 1..10).
// Please credit the Olivetti Research Laboratory when using it.
var ORL = func() *FaceDataset {
	ds := &FaceDataset{Name: "orl-faces", People: 40, PerPerson: 10, Rows: 112, Cols: 92}
	archive := &Archive{Path: "orl-faces/att_faces.zip", Mirrors: orlMirrors, Dir: "orl-faces", Files: map[string]string{}}
	for _, line := range strings.Split(strings.TrimSpace(orlSums), "\n") {
		rel, sum, _ := strings.Cut(line, " ")
		archive.Files[rel] = sum
	}
	for p := 1; p <= ds.People; p++ {
		for k := 1; k <= ds.PerPerson; k++ {
			rel := fmt.Sprintf("s%d/%d.pgm", p, k)
			ds.files = append(ds.files, File{Path: "orl-faces/" + rel, SHA256: archive.Files[rel], Archive: archive})
		}
	}
	return ds
}()

// FaceDataset describes a face database: PerPerson images of each person,
// all of the same size.
type FaceDataset struct {
	Name                          string
	People, PerPerson, Rows, Cols int
	files                         []File // person by person.
}

// LoadORLFaces loads the 400 ORL faces with NewLoader().
func LoadORLFaces() (*ImageSet, error) { return NewLoader().Faces(ORL) }

// Faces loads every image of a face database, person by person; an image's
// label is its person (0-based), named "s1", "s2", ... as the files are.
func (l *Loader) Faces(ds *FaceDataset) (*ImageSet, error) {
	set := &ImageSet{Name: ds.Name, Count: len(ds.files), Rows: ds.Rows, Cols: ds.Cols,
		Pixels: make([]uint8, 0, len(ds.files)*ds.Rows*ds.Cols)}
	for p := range ds.People {
		set.ClassNames = append(set.ClassNames, fmt.Sprintf("s%d", p+1))
	}
	for i, f := range ds.files {
		content, err := l.ReadFile(f)
		if err != nil {
			return nil, err
		}
		img, err := ReadPGM(content)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Path, err)
		}
		if img.Width != ds.Cols || img.Height != ds.Rows {
			return nil, fmt.Errorf("%s: %d×%d pixels, want %d×%d", f.Path, img.Width, img.Height, ds.Cols, ds.Rows)
		}
		set.Pixels = append(set.Pixels, img.Pixels...)
		set.Labels = append(set.Labels, uint8(i/ds.PerPerson))
	}
	return set, nil
}
