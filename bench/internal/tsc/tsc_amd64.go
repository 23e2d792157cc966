package tsc

const haveTSC = true

// readTSC is RDTSC (tsc_amd64.s).
func readTSC() uint64
