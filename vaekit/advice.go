package vaekit

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// Advice says what to do about an error met writing a run's files, naming
// the file: a full disk, or a directory that cannot be written. It is "" for
// other errors. Nothing saved before is lost (a checkpoint counts only once
// committed, and files are replaced whole), so the advice ends the same way:
// run the same command again, and it resumes from its last checkpoint.
func Advice(err error) string {
	path := "the model directory"
	var pathErr *fs.PathError
	var linkErr *os.LinkError
	switch {
	case errors.As(err, &pathErr):
		path = pathErr.Path
	case errors.As(err, &linkErr):
		path = linkErr.New
	}
	const again = "then run the same command again: it resumes from its last checkpoint"
	switch {
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return fmt.Sprintf("the disk that holds %s is full: free some space on it, or keep models on another disk (--models DIR or $%s), %s", path, ModelsEnv, again)
	case errors.Is(err, syscall.EROFS), errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return fmt.Sprintf("%s cannot be written (a read-only filesystem, or not yours): make it writable, or keep models in a directory you can write (--models DIR or $%s), %s", path, ModelsEnv, again)
	}
	return ""
}
