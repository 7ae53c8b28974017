import { OBJECT_NAME, OBJECT_NAME_ALLOWED, validateCluster } from '../constructs/kubernetes-cluster';
import { validateAppRelease } from '../constructs/app-release';
import { CHECK_ID, POLICY_RULE_IDS } from '../constructs/policy';
import { checkRepository } from '../constructs/github';
import { validateGithubEnvironment } from '../constructs/github-environment';
import { validateRegistry } from '../constructs/container-registry';
import { GUID, GUID_ALLOWED, Problems, describe } from '../constructs/validation';
import { ENVIRONMENT_NAMES, EnvironmentConfig, PlatformConfig } from './environments';
import { platformConfigSchema } from './config-schema';
import { CHART_PATH, WORKSPACE_NAME, workspaceName, appValues, clusterProps, githubEnvironmentGovernanceProps, registryProps } from './props';

const STORAGE_ACCOUNT = /^[a-z0-9]{3,24}$/;
/** A repository path in a registry: lowercase alphanumerics separated by `.`, `_`, `-` or `/`. */
const IMAGE_NAME = /^(?=.{1,128}$)[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/;
const CONTAINER = /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/;

/**
 * Every problem in the configuration, each prefixed with its path (`environments.prod.registry.name: ...`).
 * Construct-level rules come from the constructs' own validators, applied to the props the stacks will build,
 * so a rule is written once and a bad config is reported before any construct exists.
 */
export function validateConfig(config: PlatformConfig): string[] {
  // The shape first (unknown keys, missing fields, wrong kinds), from the schema the config's type comes from; then
  // the rules on values. A field the shape check already reported is not reported again.
  const shape: string[] = [];
  platformConfigSchema.check(config, 'config', shape);
  const shapeProblems = shape.map((problem) => problem.replace(/^config\./, ''));
  const reported = shapeProblems.map((problem) => problem.slice(0, problem.indexOf(':')));
  const covered = (problem: string) => {
    const field = problem.slice(0, problem.indexOf(':'));
    return reported.some((r) => field === r || field.startsWith(`${r}.`) || field.startsWith(`${r}[`));
  };
  return [...shapeProblems, ...validateValues(config).filter((problem) => !covered(problem))];
}

/** Every problem with the config's values, each prefixed with its path. */
function validateValues(config: PlatformConfig): string[] {
  const p = new Problems();
  if (!p.object('config', config)) return p.list;
  checkRepository(p, 'repository', config.repository);
  validateState(p, config.state);

  if (!p.object('environments', config.environments)) return p.list;
  const envs = config.environments as Record<string, unknown>;
  for (const key of Object.keys(envs)) {
    if (!(ENVIRONMENT_NAMES as readonly string[]).includes(key)) {
      p.add(`environments.${key}: unknown environment; allowed are ${ENVIRONMENT_NAMES.join(', ')}`);
    }
  }
  const registryNames: string[] = [];
  const clusterKeys: string[] = [];
  const githubEnvironments: string[] = [];
  const stateContainers: unknown[] = [];
  const resourceGroups: string[] = [];
  for (const name of ENVIRONMENT_NAMES) {
    const env = envs[name];
    if (env === undefined) {
      p.add(`environments.${name}: missing; every environment (${ENVIRONMENT_NAMES.join(', ')}) must be configured`);
      continue;
    }
    if (!p.object(`environments.${name}`, env)) continue;
    const e = env as unknown as EnvironmentConfig;
    validateEnvironment(p, `environments.${name}`, name, e, (config.state as unknown as Record<string, unknown> | undefined)?.tenantId);
    if (typeof e.registry === 'object' && e.registry !== null && typeof e.registry.name === 'string') registryNames.push(e.registry.name.toLowerCase());
    if (typeof e.cluster === 'object' && e.cluster !== null) clusterKeys.push(`${e.resourceGroupName}/${e.cluster.name}`);
    if (typeof e.github === 'object' && e.github !== null && typeof e.github.environment === 'string') githubEnvironments.push(e.github.environment);
    stateContainers.push(e.stateContainerName);
    if (typeof e.resourceGroupName === 'string') resourceGroups.push(e.resourceGroupName);
  }
  p.unique('environments.*.registry.name (registry names are global)', registryNames);
  p.unique('environments.*.cluster.name (within one resource group)', clusterKeys);
  p.unique('environments.*.github.environment (each environment trusts its own GitHub environment)', githubEnvironments, (n) => n.toLowerCase());
  p.unique('environments.*.stateContainerName (each environment\'s state and its access are separate)', stateContainers);
  p.unique('environments.*.resourceGroupName (each environment owns its resource group)', resourceGroups, (k) => k.toLowerCase());
  return p.list;
}

/** Props every construct takes from the environment itself, which validateEnvironment checks once. */
const ENVIRONMENT_FIELDS = ['location', 'resourceGroupName', 'tags'];

/**
 * Adds a construct validator's problems under `prefix` (its field renamed by `rename`), except those about the
 * fields in `checkedHere`, which the config checks itself: each problem is reported once, under a config path.
 */
function addConstructProblems(p: Problems, prefix: string, problems: readonly string[], checkedHere: readonly string[], rename = (field: string) => field): void {
  for (const problem of problems) {
    const field = problem.slice(0, problem.indexOf(':'));
    if (checkedHere.some((c) => field === c || field.startsWith(`${c}.`) || field.startsWith(`${c}[`))) continue;
    p.add(`${prefix}${rename(field)}${problem.slice(field.length)}`);
  }
}

function validateState(p: Problems, state: unknown): void {
  if (!p.object('state', state)) return;
  const s = state as Record<string, unknown>;
  p.string('state.subscriptionId', s.subscriptionId, GUID, GUID_ALLOWED);
  p.string('state.tenantId', s.tenantId, GUID, GUID_ALLOWED);
  p.resourceGroup('state.resourceGroupName', s.resourceGroupName);
  p.string('state.storageAccountName', s.storageAccountName, STORAGE_ACCOUNT, '3-24 lowercase letters or digits, globally unique');
  p.region('state.location', s.location);
}

function validateEnvironment(p: Problems, path: string, key: string, env: EnvironmentConfig, stateTenant: unknown): void {
  if (env.name !== key) p.add(`${path}.name: must be "${key}" to match its key, got ${describe(env.name)}`);
  p.string(`${path}.subscriptionId`, env.subscriptionId, GUID, GUID_ALLOWED);
  if (p.string(`${path}.tenantId`, env.tenantId, GUID, GUID_ALLOWED) && typeof stateTenant === 'string' && GUID.test(stateTenant) && env.tenantId.toLowerCase() !== stateTenant.toLowerCase()) {
    p.add(`${path}.tenantId: must be the state's tenant (state.tenantId ${stateTenant}): the deployer identities live in the state subscription, and a managed identity exists in its own tenant only`);
  }
  p.region(`${path}.location`, env.location);
  p.resourceGroup(`${path}.resourceGroupName`, env.resourceGroupName);
  if (typeof env.protected !== 'boolean') p.add(`${path}.protected: must be true or false, got ${describe(env.protected)}`);
  p.string(`${path}.stateContainerName`, env.stateContainerName, CONTAINER, '3-63 lowercase letters, digits or single hyphens, alphanumeric at both ends');
  p.integer(`${path}.logAnalyticsRetentionDays`, env.logAnalyticsRetentionDays, 30, 730);
  p.tags(`${path}.tags`, env.tags);

  if (p.object(`${path}.registry`, env.registry)) {
    addConstructProblems(p, `${path}.registry.`, validateRegistry(registryProps(env)), ENVIRONMENT_FIELDS);
  }
  validateGithub(p, path, env);
  const waivers = p.array(`${path}.waivers`, env.waivers, false);
  waivers.forEach((w, i) => {
    if (!p.object(`${path}.waivers[${i}]`, w)) return;
    const waiver = w as Record<string, unknown>;
    p.string(`${path}.waivers[${i}].rule`, waiver.rule, CHECK_ID, `a Checkov check ID such as CKV_AZURE_6; the synth-time policy implements ${[...POLICY_RULE_IDS].join(', ')}, and npm run verify runs the others`);
    p.string(`${path}.waivers[${i}].reason`, waiver.reason, /\S.{9,}/, 'a sentence of at least 10 characters saying why the rule does not apply');
  });
  p.unique(`${path}.waivers[].rule`, waivers.map((w) => (typeof w === 'object' && w !== null ? (w as Record<string, unknown>).rule : undefined)));
  if (p.object(`${path}.app`, env.app)) validateApp(p, `${path}.app`, env);
  if (p.object(`${path}.cluster`, env.cluster)) {
    const cluster = env.cluster as unknown as Record<string, unknown>;
    if (cluster.userNodePool !== undefined && !p.object(`${path}.cluster.userNodePool`, cluster.userNodePool)) return;
    if (typeof env.cluster.name === 'string' && !WORKSPACE_NAME.test(workspaceName(env))) {
      p.add(`${path}.cluster.name: the Log Analytics workspace is named ${describe(workspaceName(env))}, which must be 4-63 letters, digits or hyphens, alphanumeric at both ends; use at most 59 characters and no underscores`);
    }
    addConstructProblems(p, `${path}.cluster.`, validateCluster(clusterProps(env)), [...ENVIRONMENT_FIELDS, 'tenantId'], (f) => f.replace(/^userNodePools\[0\]/, 'userNodePool'));
  }
}

function validateGithub(p: Problems, path: string, env: EnvironmentConfig): void {
  if (!p.object(`${path}.github`, env.github) || !p.object(`${path}.github.reviewers`, env.github.reviewers)) return;
  const users = p.array(`${path}.github.reviewers.users`, env.github.reviewers.users, false);
  const teams = p.array(`${path}.github.reviewers.teams`, env.github.reviewers.teams, false);
  if (!Array.isArray(env.github.reviewers.users) || !Array.isArray(env.github.reviewers.teams)) return;
  if (users.length + teams.length === 0 && env.protected === true) {
    p.add(`${path}.github.reviewers: a protected environment needs at least one required reviewer (user or team ID)`);
  }
  for (const problem of validateGithubEnvironment(githubEnvironmentGovernanceProps(env, 'owner/repository'))) p.add(`${path}.github.${problem}`);
}

function validateApp(p: Problems, path: string, env: EnvironmentConfig): void {
  const app = env.app as unknown as Record<string, unknown>;
  p.string(`${path}.imageName`, app.imageName, IMAGE_NAME, 'a registry repository name of at most 128 characters: lowercase letters and digits separated by ".", "_", "-" or "/"');
  p.string(`${path}.serviceAccountName`, app.serviceAccountName, OBJECT_NAME, OBJECT_NAME_ALLOWED);
  for (const field of ['autoscaling', 'resources', 'podDisruptionBudget'] as const) if (!p.object(`${path}.${field}`, app[field])) return;
  if (!p.object(`${path}.resources.requests`, env.app.resources.requests) || !p.object(`${path}.resources.limits`, env.app.resources.limits)) return;
  p.integer(`${path}.podDisruptionBudget.minAvailable`, env.app.podDisruptionBudget.minAvailable, 1, 1000);
  if (env.app.podDisruptionBudget.enabled === true && typeof env.app.podDisruptionBudget.minAvailable === 'number' && env.app.podDisruptionBudget.minAvailable >= env.app.autoscaling.minReplicas) {
    p.add(`${path}.podDisruptionBudget.minAvailable: must be below autoscaling.minReplicas (${env.app.autoscaling.minReplicas}), or node drains and cluster upgrades block`);
  }
  const release = validateAppRelease({
    chartPath: CHART_PATH,
    releaseName: env.app.releaseName,
    namespace: env.app.namespace,
    image: { repository: 'registry.example/app', tag: 'validation' },
    values: appValues(env, ''),
  });
  // The two fields the config checks itself, more strictly (the service account name is required here,
  // minAvailable at least 1), are left to those checks.
  addConstructProblems(p, `${path}.`, release, ['values.serviceAccount.name', 'values.podDisruptionBudget.minAvailable'], (f) => f.replace(/^values\./, ''));
}
