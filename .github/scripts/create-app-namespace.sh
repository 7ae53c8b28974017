#!/usr/bin/env bash
# Creates the applications' namespaces on an environment's cluster, idempotently, as the infrastructure deployer
# (which holds AKS RBAC Cluster Admin; an app deploy identity may only write inside its namespace).
# Runs in infra-deploy.yml right after `cdktf deploy platform-<env>`, in the same job and the same sign-in.
# Names come from what the job just applied and synthesized, never from `vars` (read at job start, so empty on the
# first run): the cluster from the platform stack's `cluster_id` output, the namespaces from the helm_release of
# every workload stack that depends on the platform stack (cdktf.out/manifest.json: one per application). Without one
# (GitOps delivery: Flux creates the namespaces; or no application) it stops before contacting the cluster.
# Env: PLATFORM_DIR (cdktf.out/stacks/platform-<env>), MANIFEST (cdktf.out/manifest.json), KUBECONFIG (a file in the
# runner's temp folder). Needs terraform, az, kubelogin, kubectl and jq on PATH.
set -euo pipefail
cluster_id="$(terraform -chdir="$PLATFORM_DIR" output -raw cluster_id)"
id_pattern='^/subscriptions/[^/]+/resource[Gg]roups/([^/]+)/providers/Microsoft\.ContainerService/managed[Cc]lusters/([^/]+)$'
if [[ ! "$cluster_id" =~ $id_pattern ]]; then
  echo "::error::the cluster_id output of $PLATFORM_DIR is not an AKS cluster ID: $cluster_id"
  exit 1
fi
RESOURCE_GROUP="${BASH_REMATCH[1]}"
AKS_CLUSTER="${BASH_REMATCH[2]}"
platform_stack="$(basename "$PLATFORM_DIR")"
manifest_dir="$(dirname "$MANIFEST")"
mapfile -t workload_files < <(jq -r --arg p "$platform_stack" \
  '.stacks[] | select((.dependencies // []) | index($p)) | .synthesizedStackPath' "$MANIFEST")
if [[ ${#workload_files[@]} -eq 0 || -z "${workload_files[0]}" ]]; then
  # A GitOps environment (Flux creates the namespaces from deploy/<env>) or one without applications: nothing to do,
  # and the cluster is never contacted.
  echo "::notice::no workload stack depends on $platform_stack: no namespace to create (GitOps delivery, or no application)"
  echo "No namespace created for \`$platform_stack\`: no workload stack depends on it (GitOps delivery, or no application)" >> "$GITHUB_STEP_SUMMARY"
  exit 0
fi
namespace_list="$(for f in "${workload_files[@]}"; do jq -r '(.resource.helm_release // {})[].namespace' "$manifest_dir/$f"; done | sort -u)"
if [[ -z "$namespace_list" ]]; then
  echo "::error::no helm_release namespace in the workload stacks of $platform_stack"
  exit 1
fi
mapfile -t namespaces <<< "$namespace_list"
name_pattern='^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$'
for NAMESPACE in "${namespaces[@]}"; do
  if [[ ! "$NAMESPACE" =~ $name_pattern ]]; then
    echo "::error::not a Kubernetes namespace name (unresolved reference?): $NAMESPACE"
    exit 1
  fi
done
az aks get-credentials --resource-group "$RESOURCE_GROUP" --name "$AKS_CLUSTER" --file "$KUBECONFIG" --overwrite-existing
kubelogin convert-kubeconfig -l azurecli
for NAMESPACE in "${namespaces[@]}"; do
  kubectl create namespace "$NAMESPACE" --dry-run=client -o yaml | kubectl apply -f -
  echo "Namespace \`$NAMESPACE\` exists in \`$AKS_CLUSTER\` ($RESOURCE_GROUP)" >> "$GITHUB_STEP_SUMMARY"
done
