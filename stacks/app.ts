import { App } from 'cdktf';
import { ENVIRONMENT_NAMES, PlatformConfig } from './environments';
import { PlatformStack } from './platform-stack';

/** Every stack of every environment, on `app`. The config must already be valid (see validateConfig). */
export function buildStacks(app: App, config: PlatformConfig): void {
  for (const name of ENVIRONMENT_NAMES) {
    const env = config.environments[name];
    new PlatformStack(app, `platform-${name}`, { env, state: config.state, repository: config.repository });
  }
}
