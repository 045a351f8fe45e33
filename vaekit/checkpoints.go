package vaekit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/checkpoint"
	"github.com/vaekit/vaekit/internal/atomicfile"
)

// checkpoints wraps GoMLX's checkpoint handler, which writes its files in
// place: a checkpoint counts only once its files are synced and a commit
// record (NAME.ok: sizes and SHA-256) is written beside them, and on opening,
// damaged checkpoints are moved to DIR/damaged so that GoMLX loads the newest
// good one. A lock on the directory keeps a second run from writing the same
// files at the same time: it waits, then reuses what the first one trained.
type checkpoints struct {
	dir     string
	keep    int
	handler *checkpoint.Handler
	lock    *os.File
}

const (
	commitSuffix = ".ok"
	damagedDir   = "damaged"
	lockFile     = ".lock"
)

// commitRecord is what NAME.ok holds.
type commitRecord struct {
	BinBytes  int64  `json:"bin_bytes"`
	JSONBytes int64  `json:"json_bytes"`
	BinSHA256 string `json:"bin_sha256"`
}

// lockDirPoll is how often a run waiting for a model directory tries again.
const lockDirPoll = 200 * time.Millisecond

// openCheckpoints locks dir (waiting while another run holds it, until ctx
// is done), sets damaged checkpoints aside and attaches a handler that loads
// the newest good checkpoint into store. Close releases the lock.
func openCheckpoints(ctx context.Context, store *model.Store, dir string, keep int, log io.Writer) (*checkpoints, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("vaekit: model directory %s: %w", dir, err)
	}
	lock, err := lockDir(ctx, dir, log)
	if err != nil {
		return nil, err
	}
	c := &checkpoints{dir: dir, keep: keep, lock: lock}
	if err := c.setAsideDamaged(log); err != nil {
		c.Close()
		return nil, err
	}
	// Keep(-1): GoMLX deletes nothing; Save prunes once the new one is committed.
	if c.handler, err = checkpoint.Build(store).Dir(dir).Keep(-1).Done(); err != nil {
		c.Close()
		return nil, fmt.Errorf("vaekit: checkpoints in %s: %w", dir, err)
	}
	return c, nil
}

// lockDir takes an exclusive lock on dir/.lock.
func lockDir(ctx context.Context, dir string, log io.Writer) (*os.File, error) {
	path := filepath.Join(dir, lockFile)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("vaekit: locking the model directory: %w", err)
	}
	said := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("vaekit: locking %s: %w", path, err)
		}
		if !said {
			fmt.Fprintf(log, "vaekit: %s is in use by another run; waiting for it to finish (its result is then reused)\n", dir)
			said = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("%w while waiting for another run to release %s", ErrInterrupted, dir)
		case <-time.After(lockDirPoll):
		}
	}
}

// Close releases the directory.
func (c *checkpoints) Close() {
	if c.lock != nil {
		c.lock.Close() // closing the descriptor drops the flock.
		c.lock = nil
	}
}

// list returns the base names of the checkpoints in dir, oldest first.
func (c *checkpoints) list() ([]string, error) {
	entries, err := os.ReadDir(c.dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		name := e.Name()
		if base, ok := strings.CutSuffix(name, checkpoint.JsonNameSuffix); ok && strings.HasPrefix(name, "checkpoint-") && !e.IsDir() {
			names = append(names, base)
		}
	}
	slices.Sort(names) // GoMLX's names sort in the order they were saved.
	return names, nil
}

// setAsideDamaged moves damaged checkpoints newer than the newest good one
// to dir/damaged, saying so. With none good left the run starts from
// scratch: a save cut short held no work that was saved, and a checkpoint
// damaged later stays in dir/damaged for whoever wants to look at it.
func (c *checkpoints) setAsideDamaged(log io.Writer) error {
	names, err := c.list()
	if err != nil {
		return err
	}
	var damaged []string
	var reasons []string
	for i := len(names) - 1; i >= 0; i-- {
		err := c.check(names[i])
		if err == nil {
			break
		}
		damaged = append(damaged, names[i])
		reasons = append(reasons, err.Error())
	}
	aside := filepath.Join(c.dir, damagedDir)
	for i, name := range damaged {
		if err := os.MkdirAll(aside, 0o755); err != nil {
			return fmt.Errorf("vaekit: setting aside the damaged checkpoint %s: %w", name, err)
		}
		for _, f := range c.files(name) {
			if err := os.Rename(f, filepath.Join(aside, filepath.Base(f))); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("vaekit: setting aside the damaged checkpoint %s: %w", f, err)
			}
		}
		then := "resuming from the previous checkpoint"
		if len(damaged) == len(names) && i == len(damaged)-1 {
			then = "no good checkpoint is left: training from scratch"
		}
		fmt.Fprintf(log, "vaekit: %s; moved to %s, %s\n", reasons[i], aside, then)
	}
	return nil
}

// files are a checkpoint's files, the commit record last.
func (c *checkpoints) files(name string) []string {
	base := filepath.Join(c.dir, name)
	return []string{base + checkpoint.BinDataSuffix, base + checkpoint.JsonNameSuffix, base + commitSuffix}
}

// check says why a checkpoint cannot be loaded (nil if it can). One with a
// commit record must match it; one without (written before vaekit kept
// records, or killed between GoMLX's save and the record) must have a JSON
// that decodes, since GoMLX writes it last, and a data file.
func (c *checkpoints) check(name string) error {
	paths := c.files(name)
	bin, js := paths[0], paths[1]
	binInfo, err := os.Stat(bin)
	if err != nil {
		return fmt.Errorf("checkpoint %s is damaged: %w", js, err)
	}
	raw, err := os.ReadFile(paths[2])
	if errors.Is(err, os.ErrNotExist) {
		f, err := os.Open(js)
		if err != nil {
			return fmt.Errorf("checkpoint %s is damaged: %w", js, err)
		}
		defer f.Close()
		var meta struct{ Variables []json.RawMessage }
		if err := json.NewDecoder(f).Decode(&meta); err != nil || len(meta.Variables) == 0 || binInfo.Size() == 0 {
			return fmt.Errorf("checkpoint %s is damaged (incomplete: a save was cut short)", js)
		}
		return nil
	}
	var rec commitRecord
	if err == nil {
		err = json.Unmarshal(raw, &rec)
	}
	if err != nil {
		return fmt.Errorf("checkpoint %s is damaged: its record %s: %v", js, paths[2], err)
	}
	jsInfo, err := os.Stat(js)
	if err != nil {
		return fmt.Errorf("checkpoint %s is damaged: %w", js, err)
	}
	if binInfo.Size() != rec.BinBytes || jsInfo.Size() != rec.JSONBytes {
		return fmt.Errorf("checkpoint %s is damaged: %d and %d bytes, %d and %d when saved", js,
			binInfo.Size(), jsInfo.Size(), rec.BinBytes, rec.JSONBytes)
	}
	if sum, err := fileSHA256(bin); err != nil || sum != rec.BinSHA256 {
		return fmt.Errorf("checkpoint %s is damaged: its data differ from what was saved", bin)
	}
	return nil
}

// Save writes a checkpoint, syncs it, commits it and prunes the old ones.
// On failure (a full disk) it removes what it had half written.
func (c *checkpoints) Save() error {
	before, err := c.list()
	if err != nil {
		return err
	}
	saveErr := c.handler.Save()
	after, err := c.list()
	if err != nil {
		return err
	}
	var name string
	for _, n := range after {
		if !slices.Contains(before, n) {
			name = n
		}
	}
	if saveErr == nil && name == "" {
		saveErr = errors.New("GoMLX saved no checkpoint file")
	}
	if saveErr == nil {
		saveErr = c.commit(name)
	}
	if saveErr != nil {
		if name != "" {
			for _, f := range c.files(name) {
				os.Remove(f)
			}
		}
		return saveErr
	}
	return c.prune()
}

func (c *checkpoints) commit(name string) error {
	paths := c.files(name)
	var rec commitRecord
	for i, size := range []*int64{&rec.BinBytes, &rec.JSONBytes} {
		if err := atomicfile.Sync(paths[i]); err != nil {
			return err
		}
		fi, err := os.Stat(paths[i])
		if err != nil {
			return err
		}
		*size = fi.Size()
	}
	sum, err := fileSHA256(paths[0])
	if err != nil {
		return err
	}
	rec.BinSHA256 = sum
	raw, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(paths[2], raw)
}

// prune keeps the newest c.keep checkpoints.
func (c *checkpoints) prune() error {
	names, err := c.list()
	if err != nil || len(names) <= c.keep {
		return err
	}
	for _, name := range names[:len(names)-c.keep] {
		files := c.files(name)
		slices.Reverse(files) // the record first: a checkpoint half removed is no longer trusted.
		for _, f := range files {
			if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("vaekit: removing the old checkpoint file %s: %w", f, err)
			}
		}
	}
	return nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
