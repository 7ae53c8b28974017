import { App, TerraformStack } from 'cdktf';
import { SecurityPolicy } from '../constructs/policy';
import { StateBootstrapStack } from './bootstrap-stack';
import { ENVIRONMENT_NAMES, PlatformConfig } from './environments';
import { PlatformStack } from './platform-stack';
import { WorkloadStack } from './workload-stack';
import { waiversByTarget } from './waivers';

/** A stack and the security policy aspect applied to it. */
export interface PolicedStack {
  readonly stack: TerraformStack;
  readonly policy: SecurityPolicy;
}

/**
 * Every stack on `app`: `state-bootstrap`, then `platform-<env>` and `workload-<env>` per environment, each with
 * the security policy aspect and its waivers (stacks/waivers.ts: the kit's and the environment's). The config must already be valid (see validateConfig).
 */
export function buildStacks(app: App, config: PlatformConfig): PolicedStack[] {
  const waivers = waiversByTarget(config);
  const policed = (stack: TerraformStack): PolicedStack => ({ stack, policy: SecurityPolicy.applyTo(stack, waivers.get(stack.node.id) ?? []) });
  const stacks = [policed(new StateBootstrapStack(app, 'state-bootstrap', config))];
  for (const name of ENVIRONMENT_NAMES) {
    const env = config.environments[name];
    const props = { env, state: config.state, repository: config.repository };
    const platform = new PlatformStack(app, `platform-${name}`, props);
    stacks.push(policed(platform), policed(new WorkloadStack(app, `workload-${name}`, { ...props, platform })));
  }
  return stacks;
}
