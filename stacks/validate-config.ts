import { validateAppRelease } from '../constructs/app-release';
import { validateCluster } from '../constructs/kubernetes-cluster';
import { CHECK_ID, POLICY_RULE_IDS } from '../constructs/policy';
import { checkRepository } from '../constructs/github';
import { validateGithubEnvironment } from '../constructs/github-environment';
import { IContainerRegistry, validateRegistry } from '../constructs/container-registry';
import { validateRegistryPurge } from '../constructs/registry-tasks';
import {
  APPLICATION_NAME, APPLICATION_NAME_ALLOWED, CONTAINER_NAME, CONTAINER_NAME_ALLOWED, ENVIRONMENT_NAME, ENVIRONMENT_NAME_ALLOWED, GUID, GUID_ALLOWED,
  BRANCH_NAME, BRANCH_NAME_ALLOWED, IMAGE_NAME, IMAGE_NAME_ALLOWED, KIT_ENVIRONMENT_NAME, KIT_ENVIRONMENT_NAME_ALLOWED, OBJECT_NAME, OBJECT_NAME_ALLOWED, STORAGE_ACCOUNT_NAME,
  STORAGE_ACCOUNT_NAME_ALLOWED, WORKFLOW_PATH, WORKFLOW_PATH_ALLOWED,
} from '../constructs/names';
import { Problem, Problems, ValidationError, describe } from '../constructs/validation';
import type { AppConfig, EnvironmentConfig, PlatformConfig } from './environments';
import { platformConfigSchema } from './config-schema';
import {
  CHART_PATH, WORKSPACE_NAME, appValues, clusterProps, githubEnvironmentGovernanceProps, identityNames, purgeProps, registryProps, workloadStackName, workspaceName,
} from './props';

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
  const covered = (field: string) => reported.some((r) => field === r || field.startsWith(`${r}.`) || field.startsWith(`${r}[`));
  return [...shapeProblems, ...validateValues(config).filter((p) => !covered(p.field)).map(ValidationError.format)];
}

/** Every problem with the config's values, each under its config path. */
function validateValues(config: PlatformConfig): Problem[] {
  const p = new Problems();
  if (!p.object('config', config)) return p.list;
  checkRepository(p, 'repository', config.repository);
  validateState(p, config.state);
  if (p.object('supplyChain', config.supplyChain)) {
    p.string('supplyChain.workflow', config.supplyChain.workflow, WORKFLOW_PATH, WORKFLOW_PATH_ALLOWED);
    p.string('supplyChain.branch', config.supplyChain.branch, BRANCH_NAME, BRANCH_NAME_ALLOWED);
  }
  if (!p.object('environments', config.environments)) return p.list;
  const environments = Object.entries(config.environments as Record<string, unknown>);
  if (environments.length === 0) p.add('environments', 'define at least one environment');
  const valid: EnvironmentConfig[] = [];
  for (const [key, env] of environments) {
    if (!p.object(`environments.${key}`, env)) continue;
    validateEnvironment(p, key, env as unknown as EnvironmentConfig, (config.state as unknown as Record<string, unknown> | undefined)?.tenantId);
    valid.push(env as unknown as EnvironmentConfig);
  }
  validateAcrossEnvironments(p, valid, (config.state as unknown as Record<string, unknown> | undefined)?.storageAccountName);
  return p.list;
}

/** Props every construct takes from the environment itself, which validateEnvironment checks once. */
const ENVIRONMENT_FIELDS = ['location', 'resourceGroupName', 'tags'];

/**
 * Where each construct field a config problem can come from lives in the config, relative to the construct's config
 * object; fields not listed keep their name. Fields the config checks itself are listed in `checkedHere` instead.
 */
const FIELD_MAP: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  registry: {},
  purge: {},
  cluster: { 'userNodePools[0]': 'userNodePool' },
  github: {},
  app: { 'values.replicaCount': 'replicaCount', 'values.resources': 'resources', 'values.autoscaling': 'autoscaling', 'values.podDisruptionBudget': 'podDisruptionBudget', 'values.serviceAccount.name': 'serviceAccountName' },
};

/**
 * Adds a construct validator's problems under `prefix`, their fields mapped through FIELD_MAP[kind], except those
 * about the fields in `checkedHere`, which the config checks itself: each problem is reported once, under a config path.
 */
function addConstructProblems(p: Problems, prefix: string, kind: keyof typeof FIELD_MAP, problems: readonly Problem[], checkedHere: readonly string[]): void {
  const under = (field: string, parent: string) => field === parent || field.startsWith(`${parent}.`) || field.startsWith(`${parent}[`);
  for (const problem of problems) {
    if (checkedHere.some((c) => under(problem.field, c))) continue;
    const mapped = Object.entries(FIELD_MAP[kind]).find(([from]) => under(problem.field, from));
    const field = mapped ? mapped[1] + problem.field.slice(mapped[0].length) : problem.field;
    p.add(`${prefix}${field}`, problem.message);
  }
}

function validateState(p: Problems, state: unknown): void {
  if (!p.object('state', state)) return;
  const s = state as Record<string, unknown>;
  p.string('state.subscriptionId', s.subscriptionId, GUID, GUID_ALLOWED);
  p.string('state.tenantId', s.tenantId, GUID, GUID_ALLOWED);
  p.resourceGroup('state.resourceGroupName', s.resourceGroupName);
  p.string('state.storageAccountName', s.storageAccountName, STORAGE_ACCOUNT_NAME, STORAGE_ACCOUNT_NAME_ALLOWED);
  p.region('state.location', s.location);
}

function validateEnvironment(p: Problems, key: string, env: EnvironmentConfig, stateTenant: unknown): void {
  const path = `environments.${key}`;
  if (!KIT_ENVIRONMENT_NAME.test(key)) p.add(path, `${describe(key)} is not allowed as an environment name: ${KIT_ENVIRONMENT_NAME_ALLOWED} (stack, identity and variable names follow it)`);
  else if (env.name !== key) p.add(`${path}.name`, `must be "${key}" to match its key, got ${describe(env.name)}`);
  p.string(`${path}.subscriptionId`, env.subscriptionId, GUID, GUID_ALLOWED);
  if (p.string(`${path}.tenantId`, env.tenantId, GUID, GUID_ALLOWED) && typeof stateTenant === 'string' && GUID.test(stateTenant) && env.tenantId.toLowerCase() !== stateTenant.toLowerCase()) {
    p.add(`${path}.tenantId`, `must be the state's tenant (state.tenantId ${stateTenant}): the deployer identities live in the state subscription, and a managed identity exists in its own tenant only`);
  }
  p.region(`${path}.location`, env.location);
  p.resourceGroup(`${path}.resourceGroupName`, env.resourceGroupName);
  p.boolean(`${path}.protected`, env.protected);
  p.string(`${path}.stateContainerName`, env.stateContainerName, CONTAINER_NAME, CONTAINER_NAME_ALLOWED);
  p.integer(`${path}.logAnalyticsRetentionDays`, env.logAnalyticsRetentionDays, 30, 730);
  p.tags(`${path}.tags`, env.tags);
  if (p.object(`${path}.registry`, env.registry)) {
    addConstructProblems(p, `${path}.registry.`, 'registry', validateRegistry(registryProps(env)), ENVIRONMENT_FIELDS);
    // The purge task's repositories are the applications' image names, checked under applications[]; the registry is the stack's.
    if (p.object(`${path}.registry.purge`, env.registry.purge)) {
      const purge = validateRegistryPurge({ ...purgeProps(env), registry: {} as IContainerRegistry });
      addConstructProblems(p, `${path}.registry.purge.`, 'purge', purge, [...ENVIRONMENT_FIELDS, 'registry', 'repositories']);
    }
  }
  validateDelivery(p, path, env);
  validateGithub(p, path, env);
  validateWaivers(p, path, env);
  validateApplications(p, path, env);
  if (p.object(`${path}.cluster`, env.cluster)) {
    const cluster = env.cluster as unknown as Record<string, unknown>;
    if (cluster.userNodePool !== undefined && !p.object(`${path}.cluster.userNodePool`, cluster.userNodePool)) return;
    if (typeof env.cluster.name === 'string' && !WORKSPACE_NAME.test(workspaceName(env))) {
      p.add(`${path}.cluster.name`, `the Log Analytics workspace is named ${describe(workspaceName(env))}, which must be 4-63 letters, digits or hyphens, alphanumeric at both ends; use at most 59 characters and no underscores`);
    }
    addConstructProblems(p, `${path}.cluster.`, 'cluster', validateCluster(clusterProps(env)), [...ENVIRONMENT_FIELDS, 'tenantId']);
  }
}

/** A GitOps environment names the storage account Flux reads from; a push environment has none (it would be ignored). */
function validateDelivery(p: Problems, path: string, env: EnvironmentConfig): void {
  const gitops = (env as unknown as Record<string, unknown>).gitops;
  if (env.delivery === 'gitops') {
    if (gitops === undefined) p.add(`${path}.gitops`, 'is required when delivery is \'gitops\': { storageAccountName: \'<3-24 lowercase letters or digits>\' }, the account Flux reads deploy/<env> from');
    else if (p.object(`${path}.gitops`, gitops)) p.string(`${path}.gitops.storageAccountName`, (gitops as Record<string, unknown>).storageAccountName, STORAGE_ACCOUNT_NAME, STORAGE_ACCOUNT_NAME_ALLOWED);
  } else if (env.delivery === 'push' && gitops !== undefined) {
    p.add(`${path}.gitops`, 'applies only when delivery is \'gitops\'; remove it, or set delivery: \'gitops\'');
  }
}

function validateWaivers(p: Problems, path: string, env: EnvironmentConfig): void {
  const waivers = p.array(`${path}.waivers`, env.waivers, false);
  waivers.forEach((w, i) => {
    if (!p.object(`${path}.waivers[${i}]`, w)) return;
    const waiver = w as Record<string, unknown>;
    p.string(`${path}.waivers[${i}].rule`, waiver.rule, CHECK_ID, `a Checkov check ID such as CKV_AZURE_6; the synth-time policy implements ${[...POLICY_RULE_IDS].join(', ')}, and npm run verify runs the others`);
    p.string(`${path}.waivers[${i}].reason`, waiver.reason, /\S.{9,}/, 'a sentence of at least 10 characters saying why the rule does not apply');
  });
  p.unique(`${path}.waivers[].rule`, waivers.map((w) => (typeof w === 'object' && w !== null ? (w as Record<string, unknown>).rule : undefined)));
}

function validateGithub(p: Problems, path: string, env: EnvironmentConfig): void {
  if (!p.object(`${path}.github`, env.github) || !p.object(`${path}.github.reviewers`, env.github.reviewers)) return;
  const users = p.array(`${path}.github.reviewers.users`, env.github.reviewers.users, false);
  const teams = p.array(`${path}.github.reviewers.teams`, env.github.reviewers.teams, false);
  if (!Array.isArray(env.github.reviewers.users) || !Array.isArray(env.github.reviewers.teams)) return;
  if (users.length + teams.length === 0 && env.protected === true) {
    p.add(`${path}.github.reviewers`, 'a protected environment needs at least one required reviewer (user or team ID)');
  }
  addConstructProblems(p, `${path}.github.`, 'github', validateGithubEnvironment(githubEnvironmentGovernanceProps(env, 'owner/repository')), []);
}

/** Each application, and what two applications of one environment must not share: a name, a namespace, a GitHub environment. */
function validateApplications(p: Problems, path: string, env: EnvironmentConfig): void {
  const apps = p.array(`${path}.applications`, env.applications, false);
  apps.forEach((app, i) => {
    if (p.object(`${path}.applications[${i}]`, app)) validateApp(p, `${path}.applications[${i}]`, app as unknown as AppConfig);
  });
  const field = (name: keyof AppConfig) => apps.map((a) => (typeof a === 'object' && a !== null ? (a as Record<string, unknown>)[name] : undefined));
  p.unique(`${path}.applications[].name`, field('name'));
  p.unique(`${path}.applications[].namespace (each application's deployer may write only in its own)`, field('namespace'));
}

function validateApp(p: Problems, path: string, app: AppConfig): void {
  const raw = app as unknown as Record<string, unknown>;
  p.string(`${path}.name`, raw.name, APPLICATION_NAME, APPLICATION_NAME_ALLOWED);
  p.string(`${path}.githubEnvironment`, raw.githubEnvironment, ENVIRONMENT_NAME, ENVIRONMENT_NAME_ALLOWED);
  p.string(`${path}.imageName`, raw.imageName, IMAGE_NAME, IMAGE_NAME_ALLOWED);
  p.string(`${path}.serviceAccountName`, raw.serviceAccountName, OBJECT_NAME, OBJECT_NAME_ALLOWED);
  for (const field of ['autoscaling', 'resources', 'podDisruptionBudget'] as const) if (!p.object(`${path}.${field}`, raw[field])) return;
  if (!p.object(`${path}.resources.requests`, app.resources.requests) || !p.object(`${path}.resources.limits`, app.resources.limits)) return;
  p.integer(`${path}.podDisruptionBudget.minAvailable`, app.podDisruptionBudget.minAvailable, 1, 1000);
  if (app.podDisruptionBudget.enabled === true && typeof app.podDisruptionBudget.minAvailable === 'number' && app.podDisruptionBudget.minAvailable >= app.autoscaling.minReplicas) {
    p.add(`${path}.podDisruptionBudget.minAvailable`, `must be below autoscaling.minReplicas (${app.autoscaling.minReplicas}), or node drains and cluster upgrades block`);
  }
  const release = validateAppRelease({
    chartPath: CHART_PATH,
    releaseName: app.releaseName,
    namespace: app.namespace,
    image: { repository: 'registry.example/app', tag: 'validation' },
    values: appValues(app, ''),
  });
  // The two fields the config checks itself, more strictly (the service account name is required here,
  // minAvailable at least 1), are left to those checks.
  addConstructProblems(p, `${path}.`, 'app', release, ['values.serviceAccount.name', 'values.podDisruptionBudget.minAvailable']);
}

/**
 * What environments, and applications across environments, must not share: global registry names, resource groups,
 * state containers, and each GitHub environment (a federated subject) belongs to one environment's deployers, or
 * one application's, never two. Stack and identity names, derived from environment and application names, must not
 * collide either (`a` + `b-c` and `a-b` + `c` would).
 */
function validateAcrossEnvironments(p: Problems, envs: readonly EnvironmentConfig[], stateAccount: unknown): void {
  const registryNames = envs.flatMap((e) => (typeof e.registry === 'object' && e.registry !== null && typeof e.registry.name === 'string' ? [e.registry.name.toLowerCase()] : []));
  p.unique('environments.*.registry.name (registry names are global)', registryNames);
  p.unique('environments.*.cluster.name (within one resource group)', envs.map((e) => (typeof e.cluster === 'object' && e.cluster !== null ? `${e.resourceGroupName}/${e.cluster.name}` : undefined)));
  p.unique('environments.*.stateContainerName (each environment\'s state and its access are separate)', envs.map((e) => e.stateContainerName));
  const gitopsAccounts = envs.map((e) => (e.delivery === 'gitops' && typeof e.gitops === 'object' && e.gitops !== null ? e.gitops.storageAccountName : undefined)).filter((n) => n !== undefined);
  p.unique('environments.*.gitops.storageAccountName (storage account names are global)', [...gitopsAccounts, ...(stateAccount === undefined ? [] : [stateAccount])]);
  p.unique('environments.*.resourceGroupName (each environment owns its resource group)', envs.map((e) => e.resourceGroupName), (k) => k.toLowerCase());

  const apps = envs.flatMap((env) => (Array.isArray(env.applications) ? env.applications.filter((a) => typeof a === 'object' && a !== null && typeof a.name === 'string').map((app) => ({ env, app })) : []));
  // A GitHub environment's subject is trusted by one environment's deployers, or one application's; an application may
  // take its own environment's GitHub environment (then its deployer shares the subject), and only one may.
  const owners = new Map<string, { readonly env: string; readonly app?: string }>();
  const reported = new Set<string>();
  const label = (o: { readonly env: string; readonly app?: string }) => (o.app === undefined ? `environment ${o.env}` : `application ${o.env}/${o.app}`);
  const claim = (name: unknown, owner: { readonly env: string; readonly app?: string }) => {
    if (typeof name !== 'string') return;
    const key = name.toLowerCase();
    const previous = owners.get(key);
    if (previous === undefined || (previous.app === undefined && owner.app !== undefined && previous.env === owner.env)) owners.set(key, owner);
    else if (label(previous) !== label(owner) && !reported.has(key)) {
      reported.add(key);
      p.add(`environments.*.github.environment, applications[].githubEnvironment`, `${describe(name)} is used by ${label(previous)} and ${label(owner)}; each GitHub environment is a federated subject that one environment's deployers, or one application's, may trust`);
    }
  };
  for (const env of envs) if (typeof env.github === 'object' && env.github !== null) claim(env.github.environment, { env: env.name });
  for (const { env, app } of apps) claim(app.githubEnvironment, { env: env.name, app: app.name });
  // Names derived from an environment and an application must not collide across pairs (`a` + `b-c`, `a-b` + `c`);
  // one application listed twice in one environment is already reported as a duplicate name.
  const pairs = [...new Map(apps.map((pair) => [`${pair.env.name}\u0000${pair.app.name}`, pair])).values()];
  p.unique('environments.*.applications[].name (stack names workload-<environment>-<application>)', pairs.map(({ env, app }) => workloadStackName(env, app)));
  p.unique('environments.*.applications[].name (identity names id-github-deploy-<environment>-<application>)', pairs.map(({ env, app }) => identityNames.deploy(env, app)));
}
