import { App } from 'cdktf';
import { ENVIRONMENT_NAMES, PlatformConfig } from './environments';
import { PlatformStack } from './platform-stack';
import { WorkloadStack } from './workload-stack';

/** Every stack of every environment, on `app`. The config must already be valid (see validateConfig). */
export function buildStacks(app: App, config: PlatformConfig): void {
  for (const name of ENVIRONMENT_NAMES) {
    const env = config.environments[name];
    const props = { env, state: config.state, repository: config.repository };
    const platform = new PlatformStack(app, `platform-${name}`, props);
    new WorkloadStack(app, `workload-${name}`, { ...props, platform });
  }
}
