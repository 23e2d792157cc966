package feature_test

import (
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/strata-dev/strata/internal/feature"
	"github.com/strata-dev/strata/internal/feature/featuretest"
)

func TestErrNotSupported(t *testing.T) {
	err := fmt.Errorf("open /dev/kvm: %w: %w", feature.ErrNotSupported, os.ErrNotExist)
	if !errors.Is(err, feature.ErrNotSupported) {
		t.Error("a wrapping error is not ErrNotSupported")
	}
	if !errors.Is(err, errors.ErrUnsupported) {
		t.Error("ErrNotSupported does not wrap errors.ErrUnsupported")
	}
	if errors.Is(errors.ErrUnsupported, feature.ErrNotSupported) {
		t.Error("errors.ErrUnsupported alone is taken for ErrNotSupported")
	}
	if got := err.Error(); got != "open /dev/kvm: not supported: file does not exist" {
		t.Errorf("message %q", got)
	}
}

func TestSkipIfNotSupported(t *testing.T) {
	for _, tc := range []struct {
		err  error
		skip bool
	}{
		{nil, false},
		{errors.New("broken"), false},
		{errors.ErrUnsupported, false},
		{fmt.Errorf("bpf: %w", feature.ErrNotSupported), true},
	} {
		var skipped bool
		t.Run(fmt.Sprint(tc.err), func(t *testing.T) {
			defer func() { skipped = t.Skipped() }()
			featuretest.SkipIfNotSupported(t, tc.err)
		})
		if skipped != tc.skip {
			t.Errorf("SkipIfNotSupported(%v): skipped %v, want %v", tc.err, skipped, tc.skip)
		}
	}
}
