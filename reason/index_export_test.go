package reason

// IndexBytes exposes the built order's memory estimate to the benchmarks,
// which live in package reason_test because internal/netgen imports reason.
func IndexBytes(o *Order) int64 { return o.sizeBytes() }

// BuildClosure builds an order's full closure now, if it has one, as the first question
// that needs it would (BenchmarkBuild counts it in the build, as before it was lazy).
func BuildClosure(o *Order) { o.fullClosure() }
