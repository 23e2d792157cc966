// Package featuretest holds the test helper for host features a test may find missing.
package featuretest

import (
	"errors"
	"testing"

	"github.com/strata-dev/strata/internal/feature"
)

// SkipIfNotSupported skips the test when err wraps [feature.ErrNotSupported] (the host
// lacks the feature), saying why; any other error, nil included, is left to the caller.
func SkipIfNotSupported(tb testing.TB, err error) {
	tb.Helper()
	if errors.Is(err, feature.ErrNotSupported) {
		tb.Skip(err.Error())
	}
}
