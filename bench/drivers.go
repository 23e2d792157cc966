package bench

// Drivers lists every driver strata knows, baseline first, in the order of the report.
// Which of them run depends on the host: each one's Available says.
func Drivers() []Driver {
	return []Driver{
		NewNative(),
		NewNamespaces(),
		NewCrun(),
		NewRunc(),
		NewContainerd(),
		NewWazero(false),
		NewWazero(true),
		NewNodeWASI(),
		NewRunsc("systrap"),
		NewRunsc("ptrace"),
		NewRunsc("kvm"),
		NewKVM(),
		NewQEMU("microvm"),
		NewQEMU("pc"),
	}
}
