import { App, TerraformStack } from 'cdktf';
import { SecurityPolicy } from '../constructs/policy';
import { AdmissionStack } from './admission-stack';
import { StateBootstrapStack } from './bootstrap-stack';
import type { PlatformConfig } from './environments';
import { PlatformStack } from './platform-stack';
import { WorkloadStack } from './workload-stack';
import { admissionStackName, hasAdmissionStack, platformStackName, workloadStackName } from './props';
import { waiversByTarget } from './waivers';

/** A stack and the security policy aspect applied to it. */
export interface PolicedStack {
  readonly stack: TerraformStack;
  readonly policy: SecurityPolicy;
}

/**
 * Every stack on `app`: `state-bootstrap`, then per environment `platform-<env>` and, where releases are pushed
 * (`delivery: 'push'`), `platform-<env>-admission` and a `workload-<env>-<app>` per application, each with
 * the security policy aspect and its waivers (stacks/waivers.ts: the kit's and the environment's). The config must already be valid (see validateConfig).
 */
export function buildStacks(app: App, config: PlatformConfig): PolicedStack[] {
  const waivers = waiversByTarget(config);
  const policed = (stack: TerraformStack): PolicedStack => ({ stack, policy: SecurityPolicy.applyTo(stack, waivers.get(stack.node.id) ?? []) });
  const stacks = [policed(new StateBootstrapStack(app, 'state-bootstrap', config))];
  for (const env of Object.values(config.environments)) {
    const platform = new PlatformStack(app, platformStackName(env), { env, state: config.state, repository: config.repository });
    stacks.push(policed(platform));
    const cluster = { host: platform.cluster.host, clusterCaCertificate: platform.cluster.clusterCaCertificate };
    if (hasAdmissionStack(env)) {
      stacks.push(policed(new AdmissionStack(app, admissionStackName(env), {
        env, state: config.state, repository: config.repository, supplyChain: config.supplyChain, cluster,
        kubeletIdentityClientId: platform.cluster.kubeletIdentityClientId,
      })));
    }
    // With GitOps, Flux installs the releases and the admission policy from deploy/<env>: no workload or admission
    // stack, no runner reaching the API server.
    if (env.delivery === 'gitops') continue;
    for (const application of env.applications) {
      const { workloadIdentity } = platform.applications[application.name];
      stacks.push(policed(new WorkloadStack(app, workloadStackName(env, application), {
        env, state: config.state, app: application, cluster,
        registryLoginServer: platform.registry.loginServer,
        workloadIdentityClientId: workloadIdentity.clientId,
      })));
    }
  }
  return stacks;
}
