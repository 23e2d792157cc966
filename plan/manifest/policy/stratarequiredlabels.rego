# Gatekeeper ConstraintTemplate StrataRequiredLabels: business rules (Z=4).
#
# A pod (or the pod template of a workload controller) whose labels include every label in
# parameters.matchLabels must also carry every label in parameters.required, with that
# value: the owner, cost centre or data class the workload names, so no copy of it runs
# unaccounted for. Selection works as in StrataAllowedRuntimeClasses: by the pod template's
# workload label, which a pod cannot drop and stay the workload's.
#
# Rego v0 without imports, as Gatekeeper evaluates templates.
package stratarequiredlabels

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

required := object.get(input.parameters, "required", {})

labels := object.get(tmpl, ["metadata", "labels"], {}) {
    prefix := pod_paths[review_kind]
    tmpl := object.get(input.review.object, prefix, null)
    is_object(tmpl)
}

label_mismatch {
    v := match_labels[k]
    not labels[k] == v
}

subject := sprintf("%s %s/%s", [input.review.kind.kind, namespace, name]) {
    namespace := object.get(input.review.object, ["metadata", "namespace"], object.get(input.review, "namespace", ""))
    name := object.get(input.review.object, ["metadata", "name"], object.get(input.review, "name", ""))
}

violation[{"msg": msg, "details": {"label": k, "want": v}}] {
    is_object(labels)
    not label_mismatch
    v := required[k]
    not labels[k] == v
    msg := sprintf("%s: the pods of %v must carry the label %s=%s (a business rule of the workload)", [subject, match_labels, k, v])
}
