package reason

// IndexBytes exposes the built order's memory estimate to the external
// benchmark package, which cannot be an internal test because netgen imports
// reason.
func IndexBytes(o *Order) int64 { return o.sizeBytes() }

// UsesClosure reports whether o answers from the full closure.
func UsesClosure(o *Order) bool { return o.closure != nil }

// BuildIndexed builds with the cut index regardless of size, with the given
// number of hubs, for experiments.
func BuildIndexed(n int, strict, equal []Edge, hubs int) (*Order, error) {
	return build(n, strict, equal, config{closureBytes: 0, seed: 1, hubs: hubs})
}
