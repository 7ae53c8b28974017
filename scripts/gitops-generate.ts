// Writes the Flux manifests of every GitOps environment under deploy/ from stacks/environments.ts.
// Usage: npm run gitops:generate [-- --check]   (--check: change nothing, exit 1 when deploy/ is stale)
import { resolve } from 'node:path';
import { config } from '../stacks/environments';
import { applyGitOps, planGitOps } from '../stacks/gitops-files';
import { validateConfig } from '../stacks/validate-config';

const root = resolve(__dirname, '..');
const problems = validateConfig(config);
if (problems.length > 0) {
  console.error(`The configuration (stacks/environments.ts) has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  process.exit(1);
}
const plan = planGitOps(root, config);
const changes = [...[...plan.write.keys()].map((p) => `write  ${p}`), ...plan.remove.map((p) => `remove ${p}`)];
if (process.argv.includes('--check')) {
  if (changes.length > 0) {
    console.error(`deploy/ is stale; run npm run gitops:generate and commit:\n${changes.map((c) => `  ${c}`).join('\n')}`);
    process.exit(1);
  }
  console.log('deploy/ matches the configuration');
} else {
  applyGitOps(root, plan);
  console.log(changes.length === 0 ? 'deploy/ already matches the configuration' : changes.join('\n'));
}
