#!/usr/bin/env bash
# Creates the application's namespace on an environment's cluster, idempotently, as the infrastructure deployer
# (which holds AKS RBAC Cluster Admin; the app deploy identity may only write inside the namespace).
# Runs in infra-deploy.yml right after `cdktf deploy platform-<env>`, in the same job and the same sign-in.
# Names come from what the job just applied and synthesized, never from `vars` (read at job start, so empty on the
# first run): the cluster from the platform stack's `cluster_id` output, the namespace from the workload stack's
# helm_release. Env: PLATFORM_DIR (cdktf.out/stacks/platform-<env>), WORKLOAD_JSON (.../workload-<env>/cdk.tf.json),
# KUBECONFIG (a file in the runner's temp folder). Needs terraform, az, kubelogin, kubectl and jq on PATH.
set -euo pipefail
cluster_id="$(terraform -chdir="$PLATFORM_DIR" output -raw cluster_id)"
id_pattern='^/subscriptions/[^/]+/resource[Gg]roups/([^/]+)/providers/Microsoft\.ContainerService/managed[Cc]lusters/([^/]+)$'
if [[ ! "$cluster_id" =~ $id_pattern ]]; then
  echo "::error::the cluster_id output of $PLATFORM_DIR is not an AKS cluster ID: $cluster_id"
  exit 1
fi
RESOURCE_GROUP="${BASH_REMATCH[1]}"
AKS_CLUSTER="${BASH_REMATCH[2]}"
namespace_list="$(jq -r '[(.resource.helm_release // {})[].namespace] | unique | .[]' "$WORKLOAD_JSON")"
if [[ -z "$namespace_list" ]]; then
  echo "::error::no helm_release namespace in $WORKLOAD_JSON"
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
