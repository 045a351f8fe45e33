package vaekit

import "fmt"

// MSEPerImage is the mean over images of the sum of squared errors between
// each image and its reconstruction, pixels in [0, 1] (Hinton &
// Salakhutdinov's measure).
func MSEPerImage(data *Data, recon [][]float32) (float64, error) {
	if len(recon) != data.Len() {
		return 0, fmt.Errorf("MSEPerImage: %d reconstructions for %d images", len(recon), data.Len())
	}
	d := data.size()
	total := 0.0
	for i, r := range recon {
		for j, v := range r {
			e := float64(v) - float64(data.X[i*d+j])
			total += e * e
		}
	}
	return total / float64(len(recon)), nil
}
