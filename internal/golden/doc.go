// Package golden is the one way strata's tests compare output with golden files under
// testdata: [Check] for one file, [CheckDir] for a directory of emitted files, both
// refreshed by the test package's -update flag, and failures shown as a unified diff
// ([Diff], built on a shortest edit script from [Edits]) that stays aligned after an
// inserted or deleted line.
//
// The package registers no flags: each test package declares its own
//
//	var update = flag.Bool("update", false, "rewrite the golden files")
//
// and passes *update, so importing golden changes nothing in a binary.
package golden
