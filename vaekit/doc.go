// Package vaekit is autoencoders, VAEs and GANs on GoMLX, and one way to
// train them.
//
// The models — VAE, AE (dense, tied, denoising), ConvAE, GAN (MLP or DCGAN,
// conditional or not) and Classifier — are each made from a config
// (DefaultVAEConfig, …) that embeds a TrainConfig, and take their networks
// as plain GoMLX functions of a scope and an input (VAEConfig.Encoder, …;
// nil ones are the articles' networks). Every model embeds Model, so every
// model trains and describes itself the same way:
//
//	vae, err := vaekit.NewVAE(vaekit.DefaultVAEConfig(), 784)
//	hist, err := vae.Train(ctx, vaekit.ImageData(mnist), vaekit.TrainOptions{Dir: dir, Progress: true})
//	summary, err := vae.Summary()
//
// With a directory, training checkpoints atomically and resumes where it
// stopped. Backend picks XLA when its plugin is installed, else GoMLX's
// pure Go backend. The figures of the four articles are in package figures,
// the experiments behind them in package experiments, and what a notebook
// cell needs beside them in package notebook.
package vaekit
