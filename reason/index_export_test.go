package reason

// IndexBytes exposes the built order's memory estimate to the benchmarks,
// which live in package reason_test because internal/netgen imports reason.
func IndexBytes(o *Order) int64 { return o.sizeBytes() }
