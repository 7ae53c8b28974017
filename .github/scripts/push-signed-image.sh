#!/usr/bin/env bash
# Pushes the signed image to this environment's registry and proves it arrived intact, before anything deploys it.
#
# IMAGE_DIR holds what app.yml's `sign` job saved with `cosign save` after the scan: the image exactly as the first
# registry stored it, its keyless signature and its attestations (SBOM, build provenance), each a Sigstore bundle
# attached as an OCI referrer. `cosign load` writes all of them to this registry under the commit SHA tag, so every
# environment's registry holds the same manifest (same digest) and the same signatures, made once by app.yml on main:
# nobody re-signs, and no environment's identity reads another environment's registry.
# Then it reads back the digest the registry stored for the tag, fails unless it is the digest app.yml signed, and
# verifies the signature and the SBOM attestation in this registry against the signer identity (what the admission
# policy checks), so a job never hands a deploy an image the cluster would refuse.
# Env: ACR_NAME, ACR_LOGIN_SERVER, IMAGE_NAME (environment variables), IMAGE_TAG (commit SHA), IMAGE_DIR,
# EXPECTED_DIGEST (sha256:..., the digest app.yml signed), SIGNER (certificate identity, the URL of
# .github/workflows/app.yml@refs/heads/main), GITHUB_OUTPUT, GITHUB_STEP_SUMMARY. Needs az and cosign on PATH.
set -euo pipefail
digest_pattern='^sha256:[a-f0-9]{64}$'
if [[ ! "${EXPECTED_DIGEST:-}" =~ $digest_pattern ]]; then
  echo "::error::the signed digest handed to this job is not sha256:<64 hex>: '${EXPECTED_DIGEST:-}'"
  exit 1
fi
: "${IMAGE_NAME:?IMAGE_NAME is empty: has platform-<env> written the GitHub environment variables?}"
: "${SIGNER:?SIGNER is empty}"
bash "$(dirname "$0")/registry-login.sh"
target="$ACR_LOGIN_SERVER/$IMAGE_NAME:$IMAGE_TAG"
cosign load --dir "$IMAGE_DIR" "$target"
# The digest the registry stored for the tag: what the pods will run, whatever the tag points to later.
stored="$(az acr repository show --name "$ACR_NAME" --image "$IMAGE_NAME:$IMAGE_TAG" --query digest --output tsv)"
if [[ "$stored" != "$EXPECTED_DIGEST" ]]; then
  echo "::error::$target is ${stored:-missing} in the registry, but app.yml scanned and signed $EXPECTED_DIGEST: refusing to deploy it"
  exit 1
fi
issuer=https://token.actions.githubusercontent.com
cosign verify --certificate-identity "$SIGNER" --certificate-oidc-issuer "$issuer" "$ACR_LOGIN_SERVER/$IMAGE_NAME@$stored" > /dev/null
cosign verify-attestation --type spdxjson --certificate-identity "$SIGNER" --certificate-oidc-issuer "$issuer" \
  "$ACR_LOGIN_SERVER/$IMAGE_NAME@$stored" > /dev/null
echo "digest=$stored" >> "$GITHUB_OUTPUT"
echo "Pushed \`$target\` as \`$stored\`: signature and SBOM attestation by \`$SIGNER\` verified in this registry" >> "$GITHUB_STEP_SUMMARY"
