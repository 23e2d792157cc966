package bench

import "runtime/debug"

func debugBuildInfo() (*debug.BuildInfo, bool) { return debug.ReadBuildInfo() }
