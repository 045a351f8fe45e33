package datasets

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestORLFacesRealFiles(t *testing.T) {
	l := &Loader{DataDir: sharedData(t)}
	set, err := l.Faces(ORL)
	if err != nil {
		t.Fatal(err)
	}
	if set.Count != 400 || set.Rows != 112 || set.Cols != 92 || len(set.Pixels) != 400*112*92 || len(set.ClassNames) != 40 {
		t.Fatalf("ORL: %d images of %d×%d, %d pixels, %d people", set.Count, set.Rows, set.Cols, len(set.Pixels), len(set.ClassNames))
	}
	perPerson := map[uint8]int{}
	for _, l := range set.Labels {
		perPerson[l]++
	}
	if len(perPerson) != 40 || perPerson[0] != 10 || perPerson[39] != 10 || set.Labels[10] != 1 {
		t.Errorf("labels: %v", perPerson)
	}
	// A face: mid-grey on average, not blank.
	sum, lo, hi := 0, 255, 0
	for _, v := range set.Pixels[:112*92] {
		sum, lo, hi = sum+int(v), min(lo, int(v)), max(hi, int(v))
	}
	if mean := sum / (112 * 92); mean < 40 || mean > 200 || hi-lo < 100 {
		t.Errorf("s1/1.pgm: mean %d, range %d..%d", mean, lo, hi)
	}
}

func pgmBytes(header string, pixels ...byte) []byte { return append([]byte(header), pixels...) }

func TestReadPGM(t *testing.T) {
	img, err := ReadPGM(pgmBytes("P5\n# made by hand\n3 2\n# comment\n15\n", 0, 15, 5, 10, 1, 2))
	if err != nil {
		t.Fatal(err)
	}
	if img.Width != 3 || img.Height != 2 || !bytes.Equal(img.Pixels, []byte{0, 255, 85, 170, 17, 34}) {
		t.Errorf("decoded %+v, want 3×2 scaled to 0..255", img)
	}
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"ASCII greymap", pgmBytes("P2\n2 1\n255\n0 0"), "magic"},
		{"truncated", pgmBytes("P5\n4 4\n255\n", 1, 2, 3), "16 pixels announced, 3 bytes"},
		{"16-bit", pgmBytes("P5 1 1 65535\n", 0, 0), "16-bit"},
		{"not a number", pgmBytes("P5\nwide 1\n255\n", 0), `width "wide"`},
		{"huge", pgmBytes("P5 100000 100000 255\n"), "too large"},
		{"above maximum", pgmBytes("P5 2 1 7\n", 3, 9), "above the maximum"},
		{"empty", nil, "magic"},
	} {
		if _, err := ReadPGM(c.data); !errors.Is(err, ErrBadPGM) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want ErrBadPGM mentioning %q", c.name, err, c.want)
		}
	}
}

func FuzzReadPGM(f *testing.F) {
	if raw, err := os.ReadFile(filepath.Join(sharedData(f), "orl-faces", "s1", "1.pgm")); err == nil {
		f.Add(raw)
	}
	f.Add(pgmBytes("P5\n# c\n3 2\n15\n", 0, 15, 5, 10, 1, 2))
	f.Add(pgmBytes("P5 1 1 255 ", 7))
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := ReadPGM(data)
		if err != nil {
			if !errors.Is(err, ErrBadPGM) {
				t.Fatalf("error not wrapping ErrBadPGM: %v", err)
			}
			return
		}
		if img.Width <= 0 || img.Height <= 0 || len(img.Pixels) != img.Width*img.Height {
			t.Fatalf("inconsistent image: %d×%d with %d pixels", img.Width, img.Height, len(img.Pixels))
		}
	})
}

// twoFaces is a face data set of two real ORL images, published as a zip
// archive on base.
func twoFaces(t *testing.T, base string) (*FaceDataset, map[string][]byte) {
	contents := map[string][]byte{}
	archive := &Archive{Path: "faces2/faces.zip", Mirrors: []string{base}, Dir: "faces2", Files: map[string]string{}}
	ds := &FaceDataset{Name: "faces2", People: 2, PerPerson: 1, Rows: 112, Cols: 92}
	for _, rel := range []string{"s1/1.pgm", "s2/1.pgm"} {
		raw, err := os.ReadFile(filepath.Join(sharedData(t), "orl-faces", filepath.FromSlash(rel)))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(raw)
		contents[rel] = raw
		archive.Files[rel] = hex.EncodeToString(sum[:])
		ds.files = append(ds.files, File{Path: "faces2/" + rel, SHA256: archive.Files[rel], Archive: archive})
	}
	return ds, contents
}

func zipOf(t *testing.T, members map[string][]byte) []byte {
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	for name, content := range members {
		w, err := z.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(content)
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestFacesArchiveDownload serves a face archive from a local server: a good
// one is downloaded, its members verified and cached, and the archive
// removed; a corrupted member, a truncated archive, a missing member and no
// network each fail with a clear error and nothing kept.
func TestFacesArchiveDownload(t *testing.T) {
	var body []byte
	var requests int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests++
		if r.URL.Path != "/faces.zip" {
			http.NotFound(w, r)
			return
		}
		w.Write(body)
	}))
	defer srv.Close()
	ds, contents := twoFaces(t, srv.URL)

	t.Run("good archive", func(t *testing.T) {
		body = zipOf(t, map[string][]byte{"att_faces/s1/1.pgm": contents["s1/1.pgm"], "att_faces/s2/1.pgm": contents["s2/1.pgm"], "att_faces/README": []byte("x")})
		cache := t.TempDir()
		set, err := downloadLoader(cache).Faces(ds)
		if err != nil || set.Count != 2 || set.Labels[1] != 1 {
			t.Fatalf("faces from the archive: %v", err)
		}
		if _, err := os.Stat(filepath.Join(cache, "faces2", "s2", "1.pgm")); err != nil {
			t.Errorf("member not cached: %v", err)
		}
		if _, err := os.Stat(filepath.Join(cache, "faces2", "faces.zip")); !os.IsNotExist(err) {
			t.Errorf("the archive was kept: %v", err)
		}
		before := requests
		if _, err := downloadLoader(cache).Faces(ds); err != nil || requests != before {
			t.Errorf("second load made %d requests (%v)", requests-before, err)
		}
	})
	for _, c := range []struct {
		name    string
		members map[string][]byte
		cut     int
		want    string
		is      error
	}{
		{"corrupted member", map[string][]byte{"s1/1.pgm": append([]byte{}, contents["s2/1.pgm"]...), "s2/1.pgm": contents["s2/1.pgm"]}, 0, "s1/1.pgm in faces2/faces.zip", ErrChecksum},
		{"missing member", map[string][]byte{"s1/1.pgm": contents["s1/1.pgm"]}, 0, "holds 1 of the 2", ErrDownload},
		{"one member twice", map[string][]byte{"a/s1/1.pgm": contents["s1/1.pgm"], "b/s1/1.pgm": contents["s1/1.pgm"]}, 0, "holds 1 of the 2", ErrDownload},
		{"truncated archive", map[string][]byte{"s1/1.pgm": contents["s1/1.pgm"], "s2/1.pgm": contents["s2/1.pgm"]}, 5000, "not a readable zip", ErrDownload},
	} {
		t.Run(c.name, func(t *testing.T) {
			body = zipOf(t, c.members)
			if c.cut > 0 {
				body = body[:c.cut]
			}
			cache := t.TempDir()
			_, err := downloadLoader(cache).Faces(ds)
			if !errors.Is(err, c.is) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%v, want %v mentioning %q", err, c.is, c.want)
			}
			if _, err := os.Stat(filepath.Join(cache, "faces2", "s2", "1.pgm")); c.name != "corrupted member" && err == nil {
				t.Errorf("a file was cached from a bad archive")
			}
			noPartialFiles(t, cache)
		})
	}
	t.Run("no network", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close() // nothing listens there now: connections are refused.
		ds, _ := twoFaces(t, "http://"+addr)
		_, err = downloadLoader(t.TempDir()).Faces(ds)
		if !errors.Is(err, ErrOffline) || !strings.Contains(err.Error(), "faces2/s1/1.pgm") {
			t.Errorf("%v, want ErrOffline naming the file", err)
		}
	})
}
