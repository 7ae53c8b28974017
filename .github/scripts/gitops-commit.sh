#!/usr/bin/env bash
# GitOps, `gitops-change: commit` (staging in the shipped config): records the image this run pushed, signed and
# verified in deploy/<env>/apps/<app>/image.yaml (scripts/gitops.mjs set-image) and commits it to main as
# github-actions[bot]. The job's token (contents: write) is handed to git only through gh's credential helper, in
# this step. A push by the workflow token starts no workflow, so deploy.yml publishes the result itself afterwards.
# Runs in a checkout of main. Env: DEPLOY_ENV, APP, IMAGE_TAG, IMAGE_DIGEST, GH_TOKEN, GITHUB_OUTPUT.
# Needs node (with the repository's npm dependencies), git and gh on PATH.
set -euo pipefail
file="deploy/$DEPLOY_ENV/apps/$APP/image.yaml"
node scripts/gitops.mjs set-image --env "$DEPLOY_ENV" --app "$APP" --tag "$IMAGE_TAG" --digest "$IMAGE_DIGEST"
if git diff --quiet -- "$file"; then
  echo "::notice::$file already records $IMAGE_TAG ($IMAGE_DIGEST): nothing to commit"
  exit 0
fi
git config user.name 'github-actions[bot]'
git config user.email '41898282+github-actions[bot]@users.noreply.github.com'
git add -- "$file"
git commit --quiet -m "$DEPLOY_ENV: $APP runs $IMAGE_TAG" -m "Image $IMAGE_DIGEST, built, scanned and signed by the app workflow (run $GITHUB_RUN_ID)."
gh auth setup-git
# main may have moved since the checkout: rebase onto it and try again (a conflict on this file fails the job).
for attempt in 1 2 3; do
  if git push --quiet origin HEAD:refs/heads/main; then
    echo "commit=$(git rev-parse HEAD)" >> "$GITHUB_OUTPUT"
    echo "Committed \`$file\` to main: $APP runs \`$IMAGE_TAG\` (\`$IMAGE_DIGEST\`)" >> "$GITHUB_STEP_SUMMARY"
    exit 0
  fi
  echo "::warning::main moved (attempt $attempt): rebasing onto it"
  git pull --quiet --rebase origin main
done
echo "::error::could not push $file to main after 3 attempts"
exit 1
