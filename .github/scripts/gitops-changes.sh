#!/usr/bin/env bash
# Which GitOps environments a push changed: for each environment named as an argument, writes <env>=true to
# GITHUB_OUTPUT when the push touched deploy/<env> or charts/ (what its Flux source holds), <env>=false otherwise.
# Anything but a push with a known previous commit (workflow_dispatch, a new branch, a force push whose previous
# commit is gone) counts as a change to every environment: publishing the same tree again is harmless.
# An environment without deploy/<env> (npm run gitops:generate writes it for GitOps environments only) delivers by
# push: it is never published, so no job starts and no reviewer is asked to approve nothing.
# Env: EVENT_NAME, BEFORE (github.event.before), GITHUB_SHA, GITHUB_OUTPUT. Runs in a full-history checkout.
set -euo pipefail
all_changed=false
if [[ "$EVENT_NAME" != push || -z "${BEFORE:-}" || "$BEFORE" =~ ^0+$ ]] || ! git cat-file -e "$BEFORE^{commit}" 2> /dev/null; then
  all_changed=true
fi
for env in "$@"; do
  changed="$all_changed"
  if [[ ! -d "deploy/$env" ]]; then
    echo "::notice::no deploy/$env: $env does not deliver by GitOps, nothing to publish"
    changed=false
  elif [[ "$changed" == false && -n "$(git diff --name-only "$BEFORE" "$GITHUB_SHA" -- "deploy/$env" charts)" ]]; then
    changed=true
  fi
  echo "$env=$changed" >> "$GITHUB_OUTPUT"
done
