package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/strata-dev/strata/internal/server"
	"github.com/strata-dev/strata/kb"
	"github.com/strata-dev/strata/network"
	"github.com/strata-dev/strata/reason"
)

// watchFiles calls reload once after each burst of changes to the network files under
// paths: a directory is watched with every directory below it (those created later too),
// a file by its directory, so that an editor's atomic save (write a temporary file,
// rename it over the old one) and a delete followed by a new file are seen. Events are
// gathered until none came for debounce. ready is closed once the paths are watched. It
// returns when ctx is done.
func watchFiles(ctx context.Context, paths []string, debounce time.Duration, log *slog.Logger, ready chan<- struct{}, reload func()) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("--watch: %w", err)
	}
	defer w.Close()
	files := map[string]bool{} // files named directly, by absolute path
	var dirs []string          // directories named, absolute
	addTree := func(root string) {
		_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return nil
			}
			if p != root && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			if err := w.Add(p); err != nil {
				log.Warn("--watch: cannot watch a directory", "dir", p, "error", err)
			}
			return nil
		})
	}
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return fmt.Errorf("--watch: %w", err)
		}
		if st, err := os.Stat(abs); err == nil && st.IsDir() {
			dirs = append(dirs, abs)
			addTree(abs)
			continue
		}
		files[abs] = true
		if err := w.Add(filepath.Dir(abs)); err != nil {
			return fmt.Errorf("--watch %s: %w", p, err)
		}
	}
	inTree := func(p string) bool {
		for _, d := range dirs {
			if p == d || strings.HasPrefix(p, d+string(filepath.Separator)) {
				return true
			}
		}
		return false
	}
	relevant := func(ev fsnotify.Event) bool {
		if ev.Op == fsnotify.Chmod {
			return false
		}
		if files[ev.Name] {
			return true
		}
		if !inTree(ev.Name) || strings.HasPrefix(filepath.Base(ev.Name), ".") {
			return false
		}
		if ev.Has(fsnotify.Create) {
			if st, err := os.Stat(ev.Name); err == nil && st.IsDir() {
				addTree(ev.Name)
				return true
			}
		}
		// a file of the network, or a directory removed or renamed away
		return kb.IsMarkdown(ev.Name) || isYAML(ev.Name) || ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename)
	}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	close(ready)
	for {
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			if relevant(ev) {
				timer.Reset(debounce)
			}
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			log.Warn("--watch", "error", err) // an overflow: read everything again
			timer.Reset(debounce)
		case <-timer.C:
			reload()
		}
	}
}

// reloadInto loads the network files again and gives the server the new network, or,
// when they have problems, the problems (it keeps serving the last good network).
func (a *app) reloadInto(ctx context.Context, srv *server.Server, log *slog.Logger) {
	start := time.Now()
	fail := func(ps network.Problems) {
		if err := srv.Update(nil, nil, ps); err != nil {
			log.Error("--watch: report the problems", "error", err)
		}
	}
	l, err := a.loadPaths(ctx, a.networks)
	if err != nil {
		// a file named on the command line is gone, or cannot be read
		fail(network.Problems{{Code: "unreadable", Message: err.Error(), Hint: "restore the file, or restart strata serve without it"}})
		return
	}
	if len(l.problems) > 0 {
		fail(l.problems)
		return
	}
	prev := a.watched
	if prev == nil {
		prev = a.rsn
	}
	// the orders of relations whose facts did not change are the last reasoner's
	rsn, err := reason.Update(prev, l.net)
	if err != nil {
		fail(network.Problems{{Code: network.CodeContradiction, Message: err.Error()}})
		return
	}
	if err := srv.Update(rsn, nil, nil); err != nil {
		fail(network.Problems{{Code: "plan", Message: err.Error()}})
		return
	}
	a.watched = rsn
	log.Debug("--watch: reloaded", "took", time.Since(start))
}
