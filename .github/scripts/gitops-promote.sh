#!/usr/bin/env bash
# GitOps, `gitops-change: pull-request` (prod in the shipped config): promotes exactly the image PROMOTE_FROM runs
# (scripts/gitops.mjs promote copies its tag and digest into deploy/<env>/apps/<app>/image.yaml), after checking that
# it is the image this run pushed to this environment's registry: the same tag and the digest the registry stored.
# A mismatch (PROMOTE_FROM was given a newer image meanwhile, or never got this one) fails before anything is proposed.
# Then it commits the file to the branch gitops/<env>-<sha> and opens a pull request to main for the environment's
# reviewers; merging it starts gitops-publish.yml. Needs "Allow GitHub Actions to create and approve pull requests".
# Runs in a checkout of main. Env: PROMOTE_FROM, DEPLOY_ENV, APP, IMAGE_TAG, IMAGE_DIGEST (what this run's registry
# stored), GH_TOKEN, GITHUB_RUN_ID, GITHUB_STEP_SUMMARY. Needs node (with the npm dependencies), git and gh on PATH.
set -euo pipefail
: "${PROMOTE_FROM:?promote-from is required with gitops-change: pull-request}"
file="deploy/$DEPLOY_ENV/apps/$APP/image.yaml"
promoted="$(node scripts/gitops.mjs promote --from "$PROMOTE_FROM" --to "$DEPLOY_ENV" --app "$APP")"
tag="$(sed -n 's/^tag=//p' <<< "$promoted")"
digest="$(sed -n 's/^digest=//p' <<< "$promoted")"
if [[ "$tag" != "$IMAGE_TAG" || "$digest" != "$IMAGE_DIGEST" ]]; then
  echo "::error::$PROMOTE_FROM runs ${tag:-nothing} (${digest:-no digest}), but this run pushed $IMAGE_TAG ($IMAGE_DIGEST) to $DEPLOY_ENV's registry: only the image $PROMOTE_FROM runs is promoted"
  exit 1
fi
if git diff --quiet -- "$file"; then
  echo "::notice::$DEPLOY_ENV already runs $IMAGE_TAG ($IMAGE_DIGEST): no pull request"
  exit 0
fi
branch="gitops/$DEPLOY_ENV-$IMAGE_TAG"
title="$DEPLOY_ENV: promote $APP $IMAGE_TAG from $PROMOTE_FROM"
body="Promotes the image $PROMOTE_FROM runs to $DEPLOY_ENV: \`$IMAGE_TAG\` (\`$IMAGE_DIGEST\`).

Built, scanned and signed once by the app workflow (run $GITHUB_RUN_ID); the same digest is in the $DEPLOY_ENV registry, its signature verified there. Merging publishes deploy/$DEPLOY_ENV (gitops-publish.yml) once the $DEPLOY_ENV reviewers approve that job too."
git config user.name 'github-actions[bot]'
git config user.email '41898282+github-actions[bot]@users.noreply.github.com'
git switch --quiet -c "$branch"
git add -- "$file"
git commit --quiet -m "$title" -m "Image $IMAGE_DIGEST, the one $PROMOTE_FROM runs."
gh auth setup-git
# The branch is this run's alone (one per environment and commit): a re-run replaces it.
git push --quiet --force origin "HEAD:refs/heads/$branch"
existing="$(gh pr list --head "$branch" --state open --json url --jq '.[0].url // empty')"
if [[ -n "$existing" ]]; then
  echo "Updated $existing" >> "$GITHUB_STEP_SUMMARY"
else
  url="$(gh pr create --base main --head "$branch" --title "$title" --body "$body")"
  echo "Opened $url: $title" >> "$GITHUB_STEP_SUMMARY"
fi
