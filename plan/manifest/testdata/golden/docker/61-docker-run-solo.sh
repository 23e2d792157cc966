#!/bin/sh
# strata: workload solo at 0-4-2 under runtime gVisor (handler runsc, L-4).
set -e
exec docker run --detach --name solo --runtime runsc --security-opt no-new-privileges:true --restart unless-stopped --label app.kubernetes.io/managed-by=strata --label app.kubernetes.io/name=solo --label strata.dev/coordinates=0-4-2 --label strata.dev/isolation=L-4 --label strata.dev/runtime=runsc --label strata.dev/workload=solo --cpus 0.25 --memory 134217728 --gpus 1 --publish 8080:8080 ghcr.io/example/solo:1.0
