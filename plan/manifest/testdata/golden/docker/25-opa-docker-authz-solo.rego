# strata: Docker authorization policy for workload solo (Z=2, enforced by OPA).
# Run Docker with the opa-docker-authz plugin reading this file (one policy file per daemon:
# merge the deny rules of several workloads into one).
package docker.authz

default allow := false

allow if count(deny) == 0

deny contains msg if {
	input.Method == "POST"
	regex.match("^(/v[0-9.]+)?/containers/create$", split(input.Path, "?")[0])
	object.get(input.Body, ["Labels", "strata.dev/workload"], "") == "solo"
	runtime := object.get(input.Body, ["HostConfig", "Runtime"], "")
	not runtime in {"runsc"}
	msg := sprintf("the containers of workload %s must run under one of the runtimes %v, not %q", ["solo", {"runsc"}, runtime])
}
