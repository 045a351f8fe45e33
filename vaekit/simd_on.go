//go:build goexperiment.simd

package vaekit

// simdBuild tells whether this binary was built with GOEXPERIMENT=simd, which
// lets the Go backend use AVX2/AVX-512 matrix products (about 3× faster).
const simdBuild = true
