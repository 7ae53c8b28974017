#!/usr/bin/env bash
# Publishes what Flux reads for a GitOps environment: scripts/gitops.mjs stage copies deploy/<env> and charts/ into
# STAGE_DIR, and azcopy mirrors that tree into the environment's blob container (blobs missing from the tree are
# deleted), signed in as the job's Azure identity: the deploy identity, which holds Storage Blob Data Contributor on
# that container only. No key and no SAS: AZCOPY_AUTO_LOGIN_TYPE=AZCLI reuses the azure/login session (OIDC).
# (`az storage blob sync` cannot do this: it refuses --auth-mode login since the Azure CLI moved to MSAL.)
# Flux on the cluster reads the container with the kubelet identity and applies it.
# Runs in a checkout of main, right after azure/login. Env: DELIVERY, DEPLOY_ENV, GITOPS_STORAGE_ACCOUNT,
# GITOPS_CONTAINER (environment variables written by platform-<env>), STAGE_DIR, GITHUB_STEP_SUMMARY.
# Needs node (with the npm dependencies), az and azcopy 10.22 or later on PATH.
set -euo pipefail
if [[ "${DELIVERY:-}" != gitops ]]; then
  echo "::error::environment variable DELIVERY is '${DELIVERY:-}', not gitops: $DEPLOY_ENV has no GitOps source to publish to"
  exit 1
fi
: "${GITOPS_STORAGE_ACCOUNT:?GITOPS_STORAGE_ACCOUNT is empty: has platform-$DEPLOY_ENV been applied?}"
: "${GITOPS_CONTAINER:?GITOPS_CONTAINER is empty: has platform-$DEPLOY_ENV been applied?}"
rm -rf "$STAGE_DIR"
node scripts/gitops.mjs stage --env "$DEPLOY_ENV" --out "$STAGE_DIR"
suffix="$(az cloud show --query suffixes.storageEndpoint --output tsv)"
container="https://$GITOPS_STORAGE_ACCOUNT.blob.$suffix/$GITOPS_CONTAINER"
AZCOPY_AUTO_LOGIN_TYPE=AZCLI azcopy sync "$STAGE_DIR" "$container" --recursive=true --delete-destination=true
echo "Published deploy/$DEPLOY_ENV and charts/ of $(git rev-parse --short HEAD) to \`$container\`" >> "$GITHUB_STEP_SUMMARY"
