import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { AZURE_REGIONS } from '../constructs/regions';
import { closest } from '../constructs/validation';
import { PlatformConfig, config as shipped } from '../stacks/environments';
import { validateConfig } from '../stacks/validate-config';
import { APP_ARGS, config, configCopy, copyApp, useConfig } from './helpers';


describe('validateConfig', () => {
  test('the shipped configuration is valid, and so is the tests\' own', () => {
    expect(validateConfig(shipped)).toEqual([]);
    expect(validateConfig(config)).toEqual([]);
  });

  test('lists every problem, by environment and field', () => {
    const c = configCopy();
    c.environments.dev.registry.name = 'acr-dev';
    c.environments.staging.location = 'mars';
    c.environments.prod.registry.geoReplications = [{ location: c.environments.prod.location }];
    c.environments.prod.cluster.systemNodePool.name = 'System';
    c.environments.prod.subscriptionId = 'not-a-guid';
    c.state.storageAccountName = 'Bad_Name';
    const problems = validateConfig(c as PlatformConfig);
    expect(problems).toEqual([
      'state.storageAccountName: "Bad_Name" is not allowed: 3-24 lowercase letters or digits, globally unique',
      'environments.dev.registry.name: "acr-dev" is not allowed: 5-50 letters or digits, globally unique (azurerm validate/container_registry_name.go)',
      'environments.staging.location: "mars" is not an Azure region; use an Azure region name such as koreacentral or japaneast',
      'environments.prod.subscriptionId: "not-a-guid" is not allowed: a GUID such as 00000000-0000-0000-0000-000000000000',
      `environments.prod.registry.geoReplications[0].location: "${c.environments.prod.location}" is the registry's own location; a replica must be in another region`,
      'environments.prod.cluster.systemNodePool.name: "System" is not allowed: a lowercase letter followed by up to 11 lowercase letters or digits (^[a-z][a-z0-9]{0,11}$)',
    ]);
  });

  test('every environment is in the state\'s tenant, where the deployer identities live', () => {
    const c = configCopy();
    const other = '0f0f0f0f-1111-2222-3333-444444444444';
    c.environments.staging.tenantId = other;
    c.state.tenantId = c.environments.dev.tenantId;
    expect(validateConfig(c as PlatformConfig)).toEqual([
      `environments.staging.tenantId: must be the state's tenant (state.tenantId ${c.state.tenantId}): the deployer identities live in the state subscription, and a managed identity exists in its own tenant only`,
    ]);
  });

  test('registry names are global, so two environments cannot share one', () => {
    const c = configCopy();
    c.environments.staging.registry.name = c.environments.prod.registry.name;
    expect(validateConfig(c as PlatformConfig)).toEqual([
      `environments.*.registry.name (registry names are global): "${c.environments.prod.registry.name}" appears more than once; each entry must be unique`,
    ]);
  });

  test('environment names: any valid name, matching its key; at least one environment', () => {
    const c = configCopy() as unknown as { environments: Record<string, { name: string }> };
    c.environments['QA_1'] = c.environments.staging;
    delete c.environments.staging;
    c.environments.dev.name = 'development';
    expect(validateConfig(c as unknown as PlatformConfig)).toEqual([
      'environments.dev.name: must be "dev" to match its key, got "development"',
      'environments.QA_1: "QA_1" is not allowed as an environment name: 1-16 lowercase letters, digits or hyphens, starting with a letter and ending with a letter or digit (stack, identity and variable names follow it)',
    ]);
    expect(validateConfig({ ...configCopy(), environments: {} } as unknown as PlatformConfig)).toEqual(['environments: define at least one environment']);
  });

  test('GitHub and application settings are checked with the constructs\' rules', () => {
    const c = configCopy();
    c.repository = 'contoso';
    c.environments.staging.github.environment = c.environments.prod.github.environment.toUpperCase();
    c.environments.prod.github.reviewers = { users: [], teams: [] };
    c.environments.dev.applications[0].namespace = 'AI_App';
    c.environments.dev.applications[0].imageName = 'AI App';
    expect(validateConfig(c as PlatformConfig)).toEqual([
      'repository: "contoso" is not allowed: owner/name, for example contoso/ai-platform',
      'environments.dev.applications[0].imageName: "AI App" is not allowed: a registry repository name of at most 128 characters: lowercase letters and digits separated by ".", "_", "-" or "/"',
      'environments.dev.applications[0].namespace: "AI_App" is not allowed: a Kubernetes namespace: 1-63 lowercase letters, digits or hyphens, alphanumeric at both ends',
      'environments.prod.github.reviewers: a protected environment needs at least one required reviewer (user or team ID)',
      `environments.*.github.environment, applications[].githubEnvironment: "${c.environments.prod.github.environment}" is used by environment staging and environment prod; each GitHub environment is a federated subject that one environment's deployers, or one application's, may trust`,
    ]);
  });

  test('application sizing is checked: replicas, quantities and the disruption budget', () => {
    const c = configCopy();
    c.environments.prod.applications[0].autoscaling.maxReplicas = 2;
    c.environments.prod.applications[0].resources.limits.cpu = 'one';
    c.environments.staging.applications[0].podDisruptionBudget.minAvailable = c.environments.staging.applications[0].autoscaling.minReplicas;
    expect(validateConfig(c as PlatformConfig)).toEqual([
      `environments.staging.applications[0].podDisruptionBudget.minAvailable: must be below autoscaling.minReplicas (${c.environments.staging.applications[0].autoscaling.minReplicas}), or node drains and cluster upgrades block`,
      'environments.prod.applications[0].resources.limits.cpu: "one" is not allowed: a CPU quantity such as 500m or "1"',
      `environments.prod.applications[0].autoscaling.maxReplicas: must be at least minReplicas (${c.environments.prod.applications[0].autoscaling.minReplicas}), got 2`,
    ]);
  });

  test('environments cannot share a state container or a resource group', () => {
    const c = configCopy();
    c.environments.staging.stateContainerName = c.environments.dev.stateContainerName;
    c.environments.staging.resourceGroupName = c.environments.dev.resourceGroupName;
    expect(validateConfig(c as PlatformConfig)).toEqual([
      `environments.*.stateContainerName (each environment's state and its access are separate): "${c.environments.dev.stateContainerName}" appears more than once; each entry must be unique`,
      `environments.*.resourceGroupName (each environment owns its resource group): "${c.environments.dev.resourceGroupName}" appears more than once; each entry must be unique`,
    ]);
  });

  test('a bad application value is reported once, under the config field it comes from', () => {
    const c = configCopy();
    c.environments.dev.applications[0].serviceAccountName = 'Bad_SA';
    (c.environments.dev.applications[0].podDisruptionBudget as { enabled: unknown }).enabled = 'x';
    c.environments.dev.applications[0].podDisruptionBudget.minAvailable = -1;
    expect(validateConfig(c as PlatformConfig)).toEqual([
      'environments.dev.applications[0].podDisruptionBudget.enabled: must be true or false, got "x"',
      'environments.dev.applications[0].serviceAccountName: "Bad_SA" is not allowed: a Kubernetes name: lowercase letters, digits, "-" or ".", alphanumeric at both ends',
      'environments.dev.applications[0].podDisruptionBudget.minAvailable: must be a whole number from 1 to 1000, got number -1',
    ]);
  });

  test('wrong types are problems, not TypeErrors', () => {
    const c = configCopy() as unknown as Record<string, unknown> & { environments: Record<string, Record<string, unknown>> };
    c.environments.dev.registry = null;
    c.environments.prod.cluster = 'big';
    c.state = undefined;
    expect(validateConfig(c as unknown as PlatformConfig)).toEqual([
      'state: missing; it is required (an object)',
      'environments.dev.registry: must be an object, got null',
      'environments.prod.cluster: must be an object, got "big"',
    ]);
  });
});

describe('closest: the "did you mean" suggestion', () => {
  /** The full edit-distance matrix (with adjacent swaps), as the reference the bounded computation must agree with. */
  const fullDistance = (a: string, b: string): number => {
    const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
    for (let i = 1; i <= a.length; i++) {
      for (let j = 1; j <= b.length; j++) {
        d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
    return d[a.length][b.length];
  };
  const reference = (word: string, candidates: readonly string[]): string | undefined => {
    const w = word.toLowerCase();
    const limit = Math.min(3, Math.max(1, Math.floor(w.length / 3)));
    let best: { candidate: string; distance: number } | undefined;
    for (const candidate of candidates) {
      const distance = fullDistance(w, candidate.toLowerCase());
      if (distance <= limit && (best === undefined || distance < best.distance)) best = { candidate, distance };
    }
    if (best) return best.candidate;
    const prefixed = candidates.filter((c) => w.length >= 3 && c.toLowerCase().startsWith(w));
    return prefixed.length === 1 ? prefixed[0] : undefined;
  };

  test('typos, swaps, abbreviations and strangers', () => {
    expect(closest('westeruope', AZURE_REGIONS)).toBe('westeurope');
    expect(closest('retentionDay', ['retentionDays', 'sku'])).toBe('retentionDays');
    expect(closest('skU', ['sku', 'name'])).toBe('sku');
    expect(closest('repo', ['repository', 'state'])).toBe('repository');
    expect(closest('mars', AZURE_REGIONS)).toBeUndefined();
    expect(closest('', ['a', 'b'])).toBe('a');
  });

  test('agrees with the full edit-distance matrix on generated words (the bounded computation stops early)', () => {
    const letters = fc.constantFrom(...'abcdeirstuvw');
    const word = fc.array(letters, { maxLength: 14 }).map((cs) => cs.join(''));
    fc.assert(
      fc.property(word, fc.array(word, { maxLength: 8 }), (w, candidates) => {
        expect(closest(w, candidates)).toBe(reference(w, candidates));
        // Near misses of real candidates: a swap, a deletion, a changed letter.
        for (const c of candidates.filter((x) => x.length > 2).slice(0, 2)) {
          for (const near of [c[1] + c[0] + c.slice(2), c.slice(1), `x${c.slice(1)}`]) expect(closest(near, candidates)).toBe(reference(near, candidates));
        }
      }),
      { seed: 20261203, numRuns: 60 },
    );
    const regions = [...AZURE_REGIONS];
    // Swapped letters in every fourth region, against the whole list.
    for (const region of regions.filter((_, i) => i % 4 === 0)) {
      const typo = region.slice(0, 3) + region[4] + region[3] + region.slice(5);
      expect(closest(typo, regions)).toBe(reference(typo, regions));
    }
  });
});

describe('the configuration\'s shape, from its one schema', () => {
  test('an unknown key is refused with the closest known key (a typo no longer falls back to a default)', () => {
    const c = configCopy() as unknown as { environments: Record<string, { registry: Record<string, unknown> }> };
    const registry = c.environments.prod.registry;
    registry.retentionDay = registry.retentionDays;
    delete registry.retentionDays;
    expect(validateConfig(c as unknown as PlatformConfig)).toEqual([
      'environments.prod.registry.retentionDay: unknown field (did you mean retentionDays?); allowed: name, sku, geoReplications, zoneRedundancyEnabled, retentionDays, dataEndpointEnabled, publicNetworkAccessEnabled, allowedIpRanges, cloudBuild, purge',
      'environments.prod.registry.retentionDays: missing; it is required (a number)',
    ]);
  });

  test('unknown keys are refused at every level', () => {
    const c = configCopy() as unknown as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    c.repo = 'x';
    c.state.storageAcountName = 'x';
    c.environments.dev.cluster.systemNodePool.maxPod = 50;
    c.environments.staging.applications[0].autoscaling.minReplica = 1;
    c.environments.prod.github.reviewers.user = [1];
    c.environments.prod.waivers.push({ rule: 'CKV_AZURE_1', reasons: 'x' });
    const problems = validateConfig(c as unknown as PlatformConfig);
    expect(problems).toEqual(expect.arrayContaining([
      expect.stringMatching(/^repo: unknown field \(did you mean repository\?\)/),
      expect.stringMatching(/^state\.storageAcountName: unknown field \(did you mean storageAccountName\?\)/),
      expect.stringMatching(/^environments\.dev\.cluster\.systemNodePool\.maxPod: unknown field \(did you mean maxPods\?\)/),
      expect.stringMatching(/^environments\.staging\.applications\[0\]\.autoscaling\.minReplica: unknown field \(did you mean minReplicas\?\)/),
      expect.stringMatching(/^environments\.prod\.github\.reviewers\.user: unknown field \(did you mean users\?\)/),
      expect.stringMatching(/^environments\.prod\.waivers\[\d+\]\.reasons: unknown field \(did you mean reason\?\)/),
      expect.stringMatching(/^environments\.prod\.waivers\[\d+\]\.reason: missing; it is required \(a string\)$/),
    ]));
    expect(problems.filter((p) => / \(did you mean /.test(p))).toHaveLength(6);
  });

  test('an unknown key unlike any known one gets no suggestion, only the allowed keys', () => {
    const c = configCopy() as unknown as { state: Record<string, unknown> };
    c.state.colour = 'blue';
    expect(validateConfig(c as unknown as PlatformConfig)).toEqual(['state.colour: unknown field; allowed: subscriptionId, tenantId, resourceGroupName, storageAccountName, location']);
  });

  // Each of these once fell back silently to a construct default; removing userNodePool destroyed prod's user pool.
  const required = [
    'registry.sku', 'registry.zoneRedundancyEnabled', 'registry.retentionDays', 'registry.dataEndpointEnabled', 'registry.publicNetworkAccessEnabled',
    'registry.allowedIpRanges', 'cluster.dnsPrefix', 'cluster.skuTier', 'cluster.userNodePool', 'cluster.privateClusterEnabled', 'applications[0].replicaCount', 'tags',
  ];
  test.each(required)('a missing %s is refused', (field) => {
    const c = configCopy() as unknown as { environments: Record<string, Record<string, unknown>> };
    const parts = field.split(/\.|\[(\d+)\]\.?/).filter((k) => k !== undefined && k !== '');
    const parent = parts.slice(0, -1).reduce<Record<string, unknown>>((o, k) => o[k] as Record<string, unknown>, c.environments.prod);
    delete parent[parts[parts.length - 1]];
    expect(validateConfig(c as unknown as PlatformConfig)).toEqual([`environments.prod.${field}: ${validateConfig(c as unknown as PlatformConfig)[0].split(': ').slice(1).join(': ')}`]);
    expect(validateConfig(c as unknown as PlatformConfig)[0]).toMatch(/: missing; it is required \(/);
  });

  test('a misspelled region gets a suggestion', () => {
    const c = configCopy();
    c.environments.staging.location = 'westeruope';
    c.environments.prod.registry.geoReplications = [{ location: 'Korea Centrl' }];
    expect(validateConfig(c as PlatformConfig)).toEqual(expect.arrayContaining([
      'environments.staging.location: "westeruope" is not an Azure region (did you mean westeurope?); use an Azure region name such as koreacentral or japaneast',
      'environments.prod.registry.geoReplications[0].location: "Korea Centrl" is not an Azure region (did you mean koreacentral?); use an Azure region name such as koreacentral or japaneast',
    ]));
  });
});

describe('main.ts on an invalid configuration', () => {
  let dir: string;
  beforeAll(() => {
    dir = copyApp('config-test-');
    const c = configCopy() as unknown as { environments: Record<string, { registry: Record<string, unknown> }> };
    c.environments.dev.registry.name = 'acr-dev';
    // The typo the first hour found: prod's retention silently fell to the construct default.
    c.environments.prod.registry.retentionDay = c.environments.prod.registry.retentionDays;
    delete c.environments.prod.registry.retentionDays;
    useConfig(dir, c);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('exits 1 with one message listing every problem, no stack trace and no cdktf.out', () => {
    const run = spawnSync(process.execPath, [...APP_ARGS], { cwd: dir, encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      [
        'Invalid configuration (stacks/environments.ts): 3 problems',
        '  - environments.prod.registry.retentionDay: unknown field (did you mean retentionDays?); allowed: name, sku, geoReplications, zoneRedundancyEnabled, retentionDays, dataEndpointEnabled, publicNetworkAccessEnabled, allowedIpRanges, cloudBuild, purge',
        '  - environments.prod.registry.retentionDays: missing; it is required (a number)',
        '  - environments.dev.registry.name: "acr-dev" is not allowed: 5-50 letters or digits, globally unique (azurerm validate/container_registry_name.go)',
        '',
      ].join('\n'),
    );
    expect(existsSync(join(dir, 'cdktf.out'))).toBe(false);
  });
});
