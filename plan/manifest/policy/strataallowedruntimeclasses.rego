# Gatekeeper ConstraintTemplate StrataAllowedRuntimeClasses.
#
# A pod (or the pod template of a workload controller) whose labels include every label in
# parameters.matchLabels must set runtimeClassName to one of parameters.allowed. A missing
# allowed list admits nothing; an empty matchLabels selects every pod the constraint matches.
# A RuntimeClass named in parameters.handlers must have the handler given there: deleting an
# allowed class and creating it again with another handler (runc, say) would otherwise run
# the selected pods under that handler.
#
# The pod template's labels decide, not the reviewed object's own: the workload label
# (strata.dev/workload) is what the Deployment's selector, the NetworkPolicy and the scrape
# job use, so a pod cannot drop it and stay the workload's. No other label is needed for a
# pod to be selected, so dropping the isolation or coordinates labels escapes nothing.
# Constraints should match by namespace and kind only (no match.labelSelector, which looks at
# the controller's own labels, not its pods').
#
# Written in Rego v0 without imports, which every Gatekeeper release accepts: Gatekeeper
# evaluates templates as v0 and rejects imports other than data.lib.
package strataallowedruntimeclasses

# pod_paths says where the pod template sits in each reviewed kind ("group/Kind").
pod_paths := {
    "/Pod": [],
    "/ReplicationController": ["spec", "template"],
    "apps/DaemonSet": ["spec", "template"],
    "apps/Deployment": ["spec", "template"],
    "apps/ReplicaSet": ["spec", "template"],
    "apps/StatefulSet": ["spec", "template"],
    "batch/CronJob": ["spec", "jobTemplate", "spec", "template"],
    "batch/Job": ["spec", "template"],
}

review_kind := concat("/", [object.get(input.review.kind, "group", ""), input.review.kind.kind])

match_labels := object.get(input.parameters, "matchLabels", {})

allowed := object.get(input.parameters, "allowed", [])

# pod is the reviewed pod template: its labels, its spec, and where runtimeClassName sits.
pod := {"labels": object.get(tmpl, ["metadata", "labels"], {}), "spec": object.get(tmpl, "spec", {}), "path": path} {
    prefix := pod_paths[review_kind]
    tmpl := object.get(input.review.object, prefix, null)
    is_object(tmpl)
    path := concat(".", array.concat(prefix, ["spec", "runtimeClassName"]))
}

label_mismatch(labels) {
    v := match_labels[k]
    not labels[k] == v
}

selected(labels) {
    is_object(labels)
    not label_mismatch(labels)
}

# selection says which pods the constraint binds, for the message.
selection := sprintf("pods labelled %v", [match_labels])

subject := sprintf("%s %s/%s", [input.review.kind.kind, namespace, name]) {
    namespace := object.get(input.review.object, ["metadata", "namespace"], object.get(input.review, "namespace", ""))
    name := object.get(input.review.object, ["metadata", "name"], object.get(input.review, "name", ""))
}

runtime_class := object.get(pod.spec, "runtimeClassName", "")

class_missing {
    not is_string(runtime_class)
}

class_missing {
    runtime_class == ""
}

class_allowed {
    allowed[_] == runtime_class
}

violation[{"msg": msg, "details": {"allowed": allowed}}] {
    selected(pod.labels)
    class_missing
    msg := sprintf("%s: %s is not set; %s must use one of the runtime classes %v", [subject, pod.path, selection, allowed])
}

violation[{"msg": msg, "details": {"allowed": allowed, "runtimeClassName": runtime_class}}] {
    selected(pod.labels)
    not class_missing
    not class_allowed
    msg := sprintf("%s: %s is %q, which is not allowed; %s must use one of the runtime classes %v", [subject, pod.path, runtime_class, selection, allowed])
}

handlers := object.get(input.parameters, "handlers", {})

violation[{"msg": msg, "details": {"runtimeClass": name, "handler": handler, "want": want}}] {
    review_kind == "node.k8s.io/RuntimeClass"
    name := object.get(input.review.object, ["metadata", "name"], "")
    want := handlers[name]
    handler := object.get(input.review.object, "handler", "")
    handler != want
    msg := sprintf("RuntimeClass %s: handler %q is not the handler %q that %s were planned with", [name, handler, want, selection])
}
