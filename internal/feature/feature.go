// Package feature is the one vocabulary for "this host lacks what that needs": the
// sentinel [ErrNotSupported], which every error meaning a missing kernel feature, device,
// runtime or privilege-free path wraps, in probe, bench and locate alike (each re-exports
// it as its own ErrNotSupported, so callers need not import this package). It wraps
// [errors.ErrUnsupported], so code that knows only the standard library's sentinel
// recognises it too. Tests skip on it with featuretest.SkipIfNotSupported.
package feature

import "errors"

// ErrNotSupported is wrapped by every error that means the feature is missing here rather
// than broken: errors.Is(err, ErrNotSupported) and errors.Is(err, errors.ErrUnsupported)
// both hold for such an error. Its message is "not supported".
var ErrNotSupported error = notSupported{}

type notSupported struct{}

func (notSupported) Error() string { return "not supported" }
func (notSupported) Unwrap() error { return errors.ErrUnsupported }
