#!/usr/bin/env bash
# Signs the registry clients in to an environment's registry without a Docker daemon: `az acr login --expose-token`
# exchanges the job's Entra ID sign-in (azure/login, OIDC) for a registry token, and `cosign login` writes it to the
# Docker config file, where cosign, trivy, docker and actions/attest-build-provenance all read it. The token goes
# through a pipe only: never an argument, an output or a log line.
# Env: ACR_NAME (registry name), ACR_LOGIN_SERVER (<name>.azurecr.io). Needs az and cosign on PATH.
set -euo pipefail
: "${ACR_NAME:?ACR_NAME is empty: has platform-<env> written the GitHub environment variables?}"
: "${ACR_LOGIN_SERVER:?ACR_LOGIN_SERVER is empty: has platform-<env> written the GitHub environment variables?}"
# The user name ACR expects with a token from --expose-token.
az acr login --name "$ACR_NAME" --expose-token --output tsv --query accessToken \
  | cosign login "$ACR_LOGIN_SERVER" --username 00000000-0000-0000-0000-000000000000 --password-stdin
