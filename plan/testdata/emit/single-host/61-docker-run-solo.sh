#!/bin/sh
# strata: workload solo at 0-3-2 under runtime runc (handler runc, L-3).
set -e
exec docker run --detach --name solo --runtime runc --security-opt no-new-privileges:true --restart unless-stopped --label app.kubernetes.io/managed-by=strata --label app.kubernetes.io/name=solo --label strata.dev/coordinates=0-3-2 --label strata.dev/isolation=L-3 --label strata.dev/runtime=runc --label strata.dev/workload=solo --cpus 0.25 --memory 134217728 --publish 8080:8080 ghcr.io/example/solo:1.0
