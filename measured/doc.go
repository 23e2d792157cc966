// Package measured turns what strata bench and strata probe found on a host into facts the
// planner uses beside the network's declared ones.
//
// A measured figure stands for a declared one only where the measurement covers it, and
// what "covers" means is network data, not code (network/default/85-measured.yaml): the
// technology lists the bench drivers that run it (bench-drivers) and the attributes their
// results stand for (bench-covers); a concept with measures: ATTRIBUTE says which bench
// workload, clock, statistic, unit and number of samples make a comparable measurement;
// probe-check names the probe check that reports the technology's version. [Figures]
// reads bench results against that data and returns [plan.Measurements] for
// [plan.Planner.Measuring]: each figure with its source, driver, statistic, sample count
// and a distribution-free confidence interval of the median ([MedianCI]), and for every
// technology the network would measure but the results do not, why ("not measured here").
// Results older than a maximum age, or taken on another kernel or runtime version than the
// host reports now, are stale: listed, and used only when allowed.
//
// [HostExclusion] turns a probe report into a [plan.Exclusion]: a runtime whose handler
// the probe says the host cannot serve is excluded with the probe's reason and evidence.
//
// [ReadBench] and [ReadProbe] read the JSON files strata bench -o json and strata probe -o
// json write, bounded in size before parsing and strictly (unknown or repeated members are
// errors), with problems at file:line:col.
package measured
