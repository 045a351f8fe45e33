package vaekit

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gomlx/gomlx/ui/notebooks"
	"golang.org/x/term"
)

// progressLine shows a training run on one line, redrawn in place in a
// terminal or a notebook: a carriage return, then the line padded to the
// longest drawn so far, so that no characters of an earlier, longer line
// stay. Elsewhere (a log file) it writes a line every logEvery ($VAEKIT_PROGRESS_EVERY) instead. The
// rate counts from the end of the run's first step (which compiles the
// graph): the line is first drawn after a second step.
type progressLine struct {
	w             io.Writer
	inPlace       bool
	unit          string        // what is counted: "step" for training.
	first, target int           // the global step the run started from, and the one it trains to.
	every         time.Duration // least time between two redraws.
	started       time.Time     // when the run started.
	firstDone     time.Time     // when the run's first step ended.
	drawn         time.Time
	screen        *screen // where an in-place line is drawn: its writer's, from the first draw.
	text, brief   string  // the line as last drawn, and its start (with others beside it), under screen's lock.
	step          int
	values        map[string]float64
}

// screen is the one line of a terminal or a notebook's output that in-place
// progress lines share: runs training at the same time (a figure's seeds)
// are drawn side by side on it, and each, when it ends, on a line of its own.
type screen struct {
	sync.Mutex
	w     io.Writer
	lines []*progressLine // drawn now, in the order they were first drawn.
	width int             // of the longest text drawn since the last line ended.
}

// screens are the screens of the writers in-place lines were made for.
var screens struct {
	sync.Mutex
	of map[io.Writer]*screen
}

func screenOf(w io.Writer) *screen {
	screens.Lock()
	defer screens.Unlock()
	if screens.of == nil {
		screens.of = map[io.Writer]*screen{}
	}
	if screens.of[w] == nil {
		screens.of[w] = &screen{w: w}
	}
	return screens.of[w]
}

// write redraws the line as text, padded to the longest drawn so far, so
// that no characters of an earlier, longer text stay; end "\n" ends it.
func (s *screen) write(text, end string) {
	pad := max(0, s.width-len(text))
	s.width = max(s.width, len(text))
	fmt.Fprintf(s.w, "\r%s%s%s", text, strings.Repeat(" ", pad), end)
	if end != "" {
		s.width = 0
	}
}

// joined is the lines drawn now: one in full, several side by side, each
// brief (a terminal's line must not wrap: a carriage return would not go
// back over it).
func (s *screen) joined() string {
	if len(s.lines) == 1 {
		return s.lines[0].text
	}
	texts := make([]string, len(s.lines))
	for i, l := range s.lines {
		texts[i] = l.brief
	}
	return strings.Join(texts, "  |  ")
}

// logEvery is how often a progress line is written to a log, unless
// $VAEKIT_PROGRESS_EVERY says otherwise (a Slurm task's log, read by a
// person following it or by a script waiting for training to be under way).
const logEvery = 30 * time.Second

// progressEvery is $VAEKIT_PROGRESS_EVERY, or logEvery when it is unset or
// not a positive duration (said once).
func progressEvery() time.Duration {
	v := os.Getenv("VAEKIT_PROGRESS_EVERY")
	if v == "" {
		return logEvery
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		badProgressEvery.Do(func() {
			fmt.Fprintf(Messages(), "vaekit: VAEKIT_PROGRESS_EVERY=%q is not a positive duration such as 10s or 5m; a progress line every %s\n", v, logEvery)
		})
		return logEvery
	}
	return d
}

var badProgressEvery sync.Once

// newProgressLine shows progress where Messages go (a notebook's output, else
// stderr): in place in a notebook or a terminal, a line every progressEvery in a log.
func newProgressLine(first, target int) *progressLine {
	w := Messages()
	f, isFile := w.(*os.File)
	p := &progressLine{w: w, unit: "step", first: first, target: target, every: time.Second, started: time.Now(),
		inPlace: notebooks.IsNotebook() || (isFile && term.IsTerminal(int(f.Fd())))}
	if !p.inPlace {
		p.every = progressEvery()
	}
	return p
}

// update takes a finished global step and its metrics, and redraws the line
// when a redraw is due.
func (p *progressLine) update(step int, values map[string]float64) {
	p.step, p.values = step, values
	now := time.Now()
	if p.firstDone.IsZero() {
		p.firstDone, p.drawn = now, now
		return // nothing to say yet (the first draw waits a full period, so its rate is one); a live view goes above the line.
	}
	if step >= p.target || now.Sub(p.drawn) < p.every {
		return // the last step is end's to draw.
	}
	p.drawn = now
	p.draw(false)
}

// end draws the line a last time and ends it.
func (p *progressLine) end() {
	if p.step > p.first {
		p.draw(true)
	}
}

func (p *progressLine) draw(final bool) {
	line := p.String()
	if !p.inPlace {
		fmt.Fprintln(p.w, line)
		return
	}
	if p.screen == nil {
		p.screen = screenOf(p.w)
	}
	s := p.screen
	s.Lock()
	defer s.Unlock()
	p.text, p.brief = line, p.start()
	if !slices.Contains(s.lines, p) {
		s.lines = append(s.lines, p)
	}
	if !final {
		s.write(s.joined(), "")
		return
	}
	s.lines = slices.DeleteFunc(s.lines, func(l *progressLine) bool { return l == p })
	s.write(line, "\n")
	if len(s.lines) > 0 {
		s.write(s.joined(), "")
	}
}

// head is the percentage and the step.
func (p *progressLine) head() string {
	return fmt.Sprintf("%3d%% [%s=%d] of %d", 100*(p.step-p.first)/max(p.target-p.first, 1), p.unit, p.step, p.target)
}

// start is the line's start: percentage, step and loss.
func (p *progressLine) start() string {
	if loss, ok := p.values["loss"]; ok {
		return fmt.Sprintf("%s  loss=%.4g", p.head(), loss)
	}
	return p.head()
}

// String is the line: percentage, step, the metrics (loss first), and once
// two steps have run, the rate and the time left.
func (p *progressLine) String() string {
	var b strings.Builder
	b.WriteString(p.head())
	done := p.step - p.first
	names := make([]string, 0, len(p.values))
	for name := range p.values {
		names = append(names, name)
	}
	slices.SortFunc(names, func(a, b string) int {
		if (a == "loss") != (b == "loss") {
			if a == "loss" {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	for _, name := range names {
		fmt.Fprintf(&b, "  %s=%.4g", name, p.values[name])
	}
	if elapsed := time.Since(p.firstDone).Seconds(); done > 1 && elapsed > 0 {
		rate := float64(done-1) / elapsed
		fmt.Fprintf(&b, "  %.3g %ss/s", rate, p.unit)
		if left := p.target - p.step; left > 0 {
			fmt.Fprintf(&b, "  %s left", time.Duration(float64(left)/rate*float64(time.Second)).Round(time.Second))
		} else {
			fmt.Fprintf(&b, "  done in %s", time.Since(p.started).Round(time.Second))
		}
	}
	return b.String()
}
