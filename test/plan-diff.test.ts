import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { diffAttributes, ignoredChanges, renameReferences, similarity, valueAt } from '../tools/plan-diff/attributes';
import { EXIT_ERROR, EXIT_GATE_BLOCKED, EXIT_OK, main } from '../tools/plan-diff/cli';
import { diffSynth } from '../tools/plan-diff/diff';
import { FORCE_NEW_RULES, rulesFor } from '../tools/plan-diff/force-new';
import { evaluateGate, parseAcknowledgments, protectedStacksFromEnvironments } from '../tools/plan-diff/gate';
import { loadSynthOutput, parseStack } from '../tools/plan-diff/load';
import type { PlanDiff, ResourceChange, StackDiff } from '../tools/plan-diff/model';
import { mergeProtection, protectionFromModule } from '../tools/plan-diff/protected-config';
import { diffHelmValues, parseValuesList } from '../tools/plan-diff/helm-values';
import { renderMarkdown, renderText, totalsLine } from '../tools/plan-diff/render';
import { breakToken, valuePair, wrapLine } from '../tools/plan-diff/wrap';
import { configCopy, copyApp, synthesizeApp, synthesizedApp, useConfig } from './helpers';
import type { PlatformConfig } from '../stacks/environments';
import { fixtureConfig } from './fixtures/config';

const ROOT = path.resolve(__dirname, '..');
const FIXTURES = path.join(__dirname, 'fixtures', 'plan-diff');
const DEEP = process.env.DEEP_TESTS === '1';
const GIT_IDENTITY = ['-c', 'user.email=plan-diff@example.test', '-c', 'user.name=plan-diff', '-c', 'commit.gpgsign=false'];

function dir(name: string, side: 'base' | 'head'): string {
  return path.join(FIXTURES, name, side);
}

function diffCase(name: string): PlanDiff {
  return diffSynth(loadSynthOutput(dir(name, 'base')), loadSynthOutput(dir(name, 'head')));
}

function stackOf(diff: PlanDiff, name: string): StackDiff {
  const stack = diff.stacks.find((s) => s.stack === name);
  if (!stack) throw new Error(`no stack ${name} in diff`);
  return stack;
}

function changeOf(stack: StackDiff, addressPrefix: string): ResourceChange {
  const change = stack.changes.find((c) => c.address.startsWith(addressPrefix));
  if (!change) throw new Error(`no change for ${addressPrefix} in ${stack.stack}`);
  return change;
}

async function runCli(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    cwd: options.cwd ?? ROOT,
    env: options.env ?? {},
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
  });
  return { code, stdout, stderr };
}

function caseArgs(name: string): string[] {
  return ['--base-dir', dir(name, 'base'), '--head-dir', dir(name, 'head')];
}

describe('plan-diff: resource changes from synthesized fixtures', () => {
  test('create', () => {
    const stack = stackOf(diffCase('create'), 'platform-dev');
    expect(stack.counts).toEqual({ create: 1, update: 0, replace: 0, destroy: 0 });
    expect(stack.changes[0]).toMatchObject({ action: 'create', type: 'azurerm_container_registry', constructPath: 'registry/resource' });
    expect(totalsLine(stack.stack, stack.counts)).toBe('platform-dev: 0 to destroy, 0 to replace, 0 to update, 1 to create');
  });

  test('update lists the changed attributes and keeps in-place attributes as updates', () => {
    const stack = stackOf(diffCase('update'), 'platform-dev');
    const change = changeOf(stack, 'azurerm_container_registry.');
    expect(change.action).toBe('update');
    expect(change.changes.map((c) => [c.path, c.before, c.after, c.forcesReplacement])).toEqual([
      ['admin_enabled', false, true, false],
      ['georeplications.zone_redundancy_enabled', true, false, false],
      ['tags.team', 'platform', 'platform-core', false],
    ]);
    const text = renderText({ diff: diffCase('update'), baseLabel: 'base', headLabel: 'head' });
    expect(text).toContain('tags.team: "platform" → "platform-core"');
    expect(text).toContain('platform-dev: 0 to destroy, 0 to replace, 1 to update, 0 to create');
  });

  test('replace by attribute names the attribute that forces it', () => {
    const stack = stackOf(diffCase('replace-attribute'), 'platform-prod');
    const change = changeOf(stack, 'azurerm_kubernetes_cluster.');
    expect(change.action).toBe('replace');
    expect(change.forcedBy.map((f) => f.attribute)).toEqual(['dns_prefix']);
    expect(change.forcedBy[0].source).toMatch(/kubernetes_cluster_resource\.go/);
    expect(change.changes.find((c) => c.path === 'dns_prefix')?.forcesReplacement).toBe(true);
    expect(change.changes.find((c) => c.path === 'tags.owner')?.forcesReplacement).toBe(false);
    const text = renderText({ diff: diffCase('replace-attribute'), baseLabel: 'base', headLabel: 'head' });
    expect(text).toContain('dns_prefix: "aks-prod" → "aks-prod-2" [forces replacement]');
    expect(text).toContain('platform-prod: 0 to destroy, 1 to replace, 0 to update, 0 to create');
  });

  test('replace by address change: destroy + create, flagged with the fix', () => {
    const stack = stackOf(diffCase('replace-address'), 'platform-prod');
    expect(stack.counts).toEqual({ create: 1, update: 0, replace: 0, destroy: 1 });
    const destroyed = changeOf(stack, 'azurerm_container_registry.registry_resource');
    expect(destroyed.action).toBe('destroy');
    expect(destroyed.addressChange).toMatchObject({ to: 'azurerm_container_registry.acr_resource_7F8E9D0C', fromConstructPath: 'registry/resource' });
    const note = destroyed.notes.join('\n');
    expect(note).toContain('address changed: this replaces the real resource');
    expect(note).toContain('restore the construct id');
    expect(note).toMatch(/moveFromId|moved/);
    expect(changeOf(stack, 'azurerm_container_registry.acr_resource').addressChange?.from).toBe(destroyed.address);
    // the role assignment only points at the renamed registry: no spurious change
    expect(stack.changes.some((c) => c.type === 'azurerm_role_assignment')).toBe(false);
  });

  test('a renamed parent construct: children that only reference the renamed resource are paired too', () => {
    const registry = (construct: string) => ({
      '//': { metadata: { path: `platform-prod/${construct}/resource` } },
      name: 'acrplatformprod',
      location: 'japaneast',
      sku: 'Premium',
    });
    const push = (registryId: string, construct: string) => ({
      '//': { metadata: { path: `platform-prod/${construct}/AcrPush` } },
      scope: `\${azurerm_container_registry.${registryId}.id}`,
      principal_id: 'p',
      role_definition_name: 'AcrPush',
    });
    const base = parseStack('platform-prod', {
      resource: { azurerm_container_registry: { registry_resource_A: registry('registry') }, azurerm_role_assignment: { registry_AcrPush_B: push('registry_resource_A', 'registry') } },
    });
    const head = parseStack('platform-prod', {
      resource: { azurerm_container_registry: { acr_resource_C: registry('acr') }, azurerm_role_assignment: { acr_AcrPush_D: push('acr_resource_C', 'acr') } },
    });
    const stack = stackOf(diffSynth(new Map([['platform-prod', base]]), new Map([['platform-prod', head]])), 'platform-prod');
    expect(stack.changes.map((c) => [c.action, c.address, c.action === 'destroy' ? c.addressChange?.to : c.addressChange?.from])).toEqual([
      ['destroy', 'azurerm_container_registry.registry_resource_A', 'azurerm_container_registry.acr_resource_C'],
      ['destroy', 'azurerm_role_assignment.registry_AcrPush_B', 'azurerm_role_assignment.acr_AcrPush_D'],
      ['create', 'azurerm_container_registry.acr_resource_C', 'azurerm_container_registry.registry_resource_A'],
      ['create', 'azurerm_role_assignment.acr_AcrPush_D', 'azurerm_role_assignment.registry_AcrPush_B'],
    ]);
  });

  test('destroy', () => {
    const stack = stackOf(diffCase('destroy'), 'platform-prod');
    expect(stack.changes).toHaveLength(1);
    expect(stack.changes[0]).toMatchObject({ action: 'destroy', type: 'azurerm_management_lock', constructPath: 'registry/lock' });
    expect(stack.changes[0].addressChange).toBeUndefined();
  });

  test('no change (metadata differences are ignored)', () => {
    const diff = diffCase('no-change');
    expect(stackOf(diff, 'workload-dev').status).toBe('unchanged');
    expect(renderText({ diff, baseLabel: 'b', headLabel: 'h' })).toContain('workload-dev: no changes');
  });

  test('stacks added/removed, moved blocks, rotation warnings, ignore_changes, unknown types', () => {
    const diff = diffCase('mixed');
    expect(stackOf(diff, 'platform-staging')).toMatchObject({ status: 'added', counts: { create: 2, update: 0, replace: 0, destroy: 0 } });
    expect(stackOf(diff, 'workload-staging')).toMatchObject({ status: 'removed', counts: { create: 0, update: 0, replace: 0, destroy: 1 } });
    const dev = stackOf(diff, 'platform-dev');
    expect(changeOf(dev, 'azurerm_resource_group.rg')).toMatchObject({ action: 'update', movedFrom: 'azurerm_resource_group.old_rg' });
    const cluster = changeOf(dev, 'azurerm_kubernetes_cluster.');
    expect(cluster.action).toBe('update');
    expect(cluster.changes.map((c) => c.path)).toEqual(['default_node_pool.vm_size']); // node_count is in ignore_changes
    expect(cluster.warnings.join()).toContain('apply will fail');
    const pool = changeOf(dev, 'azurerm_kubernetes_cluster_node_pool.');
    expect(pool.action).toBe('update');
    expect(pool.warnings.join()).toContain('temporary pool `appstmp`');
    expect(changeOf(dev, 'azurerm_federated_identity_credential.').action).toBe('update');
    expect(changeOf(dev, 'azurerm_storage_account.')).toMatchObject({ action: 'replace', forcedBy: [expect.objectContaining({ attribute: 'account_replication_type' })] });
    expect(changeOf(dev, 'azurerm_monitor_diagnostic_setting.').notes.join()).toContain('replacement rules unknown');
    expect(changeOf(dev, 'helm_release.').action).toBe('update');
    const text = renderText({ diff, baseLabel: 'b', headLabel: 'h' });
    expect(text).toContain('platform-staging: 0 to destroy, 0 to replace, 0 to update, 2 to create (new stack)');
    expect(text).toContain('workload-staging: 1 to destroy, 0 to replace, 0 to update, 0 to create (stack removed)');
  });
});

describe('plan-diff: attribute helpers', () => {
  test('single-element block lists equal the bare block; nested paths use dots', () => {
    expect(diffAttributes({ default_node_pool: [{ vm_size: 'a' }] }, { default_node_pool: { vm_size: 'a' } })).toEqual([]);
    expect(diffAttributes({ default_node_pool: [{ vm_size: 'a' }] }, { default_node_pool: { vm_size: 'b' } })).toEqual([
      { path: 'default_node_pool.vm_size', before: 'a', after: 'b' },
    ]);
    expect(diffAttributes({}, { network_profile: { network_plugin: 'azure' } })).toEqual([
      { path: 'network_profile', before: undefined, after: { network_plugin: 'azure' } },
    ]);
    expect(diffAttributes({ depends_on: ['a'] }, { depends_on: ['b'] })).toEqual([]);
  });

  test('valueAt reads through blocks and lists of blocks', () => {
    const attributes = { georeplications: [{ location: 'a' }, { location: 'b' }], default_node_pool: [{ upgrade_settings: [{ max_surge: '10%' }] }] };
    expect(valueAt(attributes, 'georeplications.location')).toEqual(['a', 'b']);
    expect(valueAt(attributes, 'default_node_pool.upgrade_settings.max_surge')).toBe('10%');
    expect(valueAt(attributes, 'default_node_pool.missing')).toBeUndefined();
  });

  test('ignore_changes, similarity and reference renaming', () => {
    expect(ignoredChanges({ lifecycle: { ignore_changes: ['default_node_pool[0].node_count', 'tags["x"]'] } })).toEqual({
      all: false,
      paths: ['default_node_pool.node_count', 'tags.x'],
    });
    expect(ignoredChanges({ lifecycle: { ignore_changes: 'all' } }).all).toBe(true);
    expect(similarity({ a: 1, b: 2 }, { a: 1, b: 3 })).toBe(0.5);
    const renames = new Map([['azurerm_x.new', 'azurerm_x.old']]);
    expect(renameReferences('${azurerm_x.new.id}', renames)).toBe('${azurerm_x.old.id}');
    expect(renameReferences('${lower(azurerm_x.new.name)}', renames)).toBe('${lower(azurerm_x.old.name)}');
    expect(renameReferences('${azurerm_x.newer.id}', renames)).toBe('${azurerm_x.newer.id}');
    expect(renameReferences('azurerm_x.new', renames)).toBe('azurerm_x.new');
  });

  test('parseStack strips // metadata and keeps the construct path relative to the stack', () => {
    const stack = parseStack('platform-prod', {
      resource: { azurerm_resource_group: { rg: { '//': { metadata: { path: 'platform-prod/rg/resource', uniqueId: 'rg' } }, name: 'x', tags: { '//': 'comment', a: 'b' } } } },
    });
    expect(stack.resources.get('azurerm_resource_group.rg')).toEqual({
      type: 'azurerm_resource_group',
      name: 'rg',
      address: 'azurerm_resource_group.rg',
      constructPath: 'rg/resource',
      attributes: { name: 'x', tags: { a: 'b' } },
    });
  });
});

describe('plan-diff: force-new table', () => {
  test('one row per attribute, each with a source', () => {
    for (const [type, rules] of Object.entries(FORCE_NEW_RULES)) {
      const attributes = rules.rows.map((r) => r.attribute);
      expect({ type, duplicates: attributes.filter((a, i) => attributes.indexOf(a) !== i) }).toEqual({ type, duplicates: [] });
      for (const row of rules.rows) expect(row.source.length).toBeGreaterThan(20);
    }
  });

  test('verified rules: FIC issuer/subject/audience update in place; default pool vm_size rotates; dns_prefix replaces', () => {
    const effect = (type: string, attribute: string) => rulesFor(type)?.rows.find((r) => r.attribute === attribute)?.effect;
    expect(effect('azurerm_federated_identity_credential', 'issuer')).toBe('in-place');
    expect(effect('azurerm_federated_identity_credential', 'subject')).toBe('in-place');
    expect(effect('azurerm_federated_identity_credential', 'name')).toBe('replace');
    expect(effect('azurerm_kubernetes_cluster', 'default_node_pool.vm_size')).toBe('rotate');
    expect(effect('azurerm_kubernetes_cluster', 'default_node_pool.name')).toBe('replace');
    expect(effect('azurerm_kubernetes_cluster', 'dns_prefix')).toBe('replace');
    expect(effect('azurerm_container_registry', 'georeplications.zone_redundancy_enabled')).toBe('in-place');
    expect(effect('helm_release', 'namespace')).toBe('replace');
    expect(rulesFor('azurerm_unknown_thing')).toBeUndefined();
  });

  test('conditional rules', () => {
    const row = (type: string, attribute: string) => {
      const found = rulesFor(type)?.rows.find((r) => r.attribute === attribute);
      if (!found?.when) throw new Error(`no conditional row ${type}.${attribute}`);
      return found.when;
    };
    expect(row('azurerm_storage_account', 'account_replication_type')('LRS', 'GRS')).toBe(false);
    expect(row('azurerm_storage_account', 'account_replication_type')('LRS', 'ZRS')).toBe(true);
    expect(row('azurerm_storage_account', 'account_kind')('Storage', 'StorageV2')).toBe(false);
    expect(row('azurerm_storage_account', 'account_kind')(undefined, 'BlockBlobStorage')).toBe(true);
    expect(row('azurerm_log_analytics_workspace', 'sku')('PerGB2018', 'CapacityReservation')).toBe(false);
    expect(row('azurerm_log_analytics_workspace', 'sku')(undefined, 'Standalone')).toBe(true);
    expect(row('azurerm_kubernetes_cluster', 'network_profile.network_plugin_mode')(undefined, 'overlay')).toBe(false);
    expect(row('azurerm_kubernetes_cluster', 'network_profile.network_plugin_mode')('overlay', undefined)).toBe(true);
    expect(row('azurerm_kubernetes_cluster_node_pool', 'os_sku')('Ubuntu', 'AzureLinux')).toBe(false);
    expect(row('azurerm_kubernetes_cluster_node_pool', 'os_sku')('AzureLinux', 'Windows2022')).toBe(true);
  });
});

describe('plan-diff: gate', () => {
  test('acknowledgment parsing and protected stacks', () => {
    expect(parseAcknowledgments('Intro\n- plan-diff: allow replace platform-prod/registry\n> plan-diff: allow destroy state-bootstrap\nplan-diff: allow update x/y')).toEqual([
      { action: 'replace', stack: 'platform-prod', prefix: 'registry', line: 'plan-diff: allow replace platform-prod/registry' },
      { action: 'destroy', stack: 'state-bootstrap', prefix: '', line: 'plan-diff: allow destroy state-bootstrap' },
    ]);
    expect([...protectedStacksFromEnvironments(['platform-dev', 'platform-prod', 'workload-prod', 'state-bootstrap', 'other'], { dev: false, prod: true })].sort()).toEqual([
      'platform-prod',
      'state-bootstrap',
      'workload-prod',
    ]);
    // One workload stack per application: every one of a protected environment is protected, none of another.
    expect([...protectedStacksFromEnvironments(['workload-prod-ai-app', 'workload-prod-search', 'workload-dev-ai-app', 'workload-pre-prod-x', 'platform-pre-prod'], { prod: true, dev: false, 'pre-prod': false })].sort()).toEqual([
      'workload-prod-ai-app',
      'workload-prod-search',
    ]);
    expect(mergeProtection({ dev: true }, { dev: false, prod: true })).toEqual({ dev: true, prod: true });
    expect(protectionFromModule({ config: { environments: { dev: { protected: false }, prod: {} } } })).toEqual({ ok: true, protection: { dev: false, prod: true } });
    expect(protectionFromModule({}).ok).toBe(false);
  });

  test('decision: a construct path prefix acknowledgment lets a matching change through', () => {
    const diff = diffCase('replace-attribute');
    const options = { failOn: new Set(['replace', 'destroy'] as const), protectedStacks: new Set(['platform-prod']) };
    const blocked = evaluateGate(diff, { ...options, acknowledgments: [] });
    expect(blocked.passed).toBe(false);
    expect(blocked.blocked).toEqual([
      { stack: 'platform-prod', action: 'replace', address: 'azurerm_kubernetes_cluster.cluster_resource_9691C40B', constructPath: 'cluster/resource' },
    ]);
    const allowed = evaluateGate(diff, { ...options, acknowledgments: parseAcknowledgments('plan-diff: allow replace platform-prod/cluster') });
    expect(allowed.passed).toBe(true);
    expect(allowed.applied).toHaveLength(1);
    const wrongPrefix = evaluateGate(diff, { ...options, acknowledgments: parseAcknowledgments('plan-diff: allow replace platform-prod/clust') });
    expect(wrongPrefix.passed).toBe(false);
    const wrongAction = evaluateGate(diff, { ...options, acknowledgments: parseAcknowledgments('plan-diff: allow destroy platform-prod/cluster') });
    expect(wrongAction.passed).toBe(false);
    expect(evaluateGate(diff, { ...options, protectedStacks: new Set(['platform-dev']), acknowledgments: [] }).passed).toBe(true);
  });

  test('CLI exits 2 after printing the table when blocked, 0 with an acknowledgment (file or env)', async () => {
    const args = [...caseArgs('replace-attribute'), '--fail-on', 'replace,destroy', '--protected', 'platform-prod'];
    const blocked = await runCli(args);
    expect(blocked.code).toBe(EXIT_GATE_BLOCKED);
    expect(blocked.stdout).toContain('platform-prod: 0 to destroy, 1 to replace, 0 to update, 0 to create');
    expect(blocked.stdout).toContain('BLOCKED platform-prod: replace azurerm_kubernetes_cluster.cluster_resource_9691C40B');
    expect(blocked.stdout).toContain('plan-diff: allow replace platform-prod/cluster');

    const ackDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plan-diff-test-'));
    try {
      const ackFile = path.join(ackDir, 'pr-body.md');
      fs.writeFileSync(ackFile, 'Rename the DNS prefix.\n\nplan-diff: allow replace platform-prod/cluster\n');
      const viaFile = await runCli([...args, '--ack-file', ackFile]);
      expect(viaFile.code).toBe(EXIT_OK);
      expect(viaFile.stdout).toContain('acknowledgment applied: "plan-diff: allow replace platform-prod/cluster"');
      expect(viaFile.stdout).toContain('Gate: passed');
    } finally {
      fs.rmSync(ackDir, { recursive: true, force: true });
    }
    const viaEnv = await runCli(args, { env: { PLAN_DIFF_ACK: 'plan-diff: allow replace platform-prod/cluster' } });
    expect(viaEnv.code).toBe(EXIT_OK);
    const destroyBlocked = await runCli([...caseArgs('destroy'), '--fail-on', 'destroy', '--protected', 'platform-prod']);
    expect(destroyBlocked.code).toBe(EXIT_GATE_BLOCKED);
    const replaceOnly = await runCli([...caseArgs('destroy'), '--fail-on', 'replace', '--protected', 'platform-prod']);
    expect(replaceOnly.code).toBe(EXIT_OK);
  });
});

describe('plan-diff: output and usage', () => {
  test('markdown: per-stack totals heading, table, no-change list, gate section', async () => {
    const result = await runCli([...caseArgs('mixed'), '--format', 'markdown', '--fail-on', 'replace,destroy', '--protected', 'platform-dev']);
    expect(result.code).toBe(EXIT_GATE_BLOCKED);
    const md = result.stdout;
    expect(md.startsWith('## plan-diff\n')).toBe(true);
    expect(md).toContain('### platform-dev: 0 to destroy, 1 to replace, 6 to update, 0 to create\n\n| Action | Resource | Construct path | Details |\n| --- | --- | --- | --- |\n');
    expect(md).toMatch(/\| \*\*replace\*\* \| `azurerm_storage_account\.state_account_99AABBCC` \| `state\/account` \| `account_replication_type`: `"LRS"` → `"ZRS"` \*\*\(forces replacement\)\*\*/);
    expect(md).toContain('### Gate: blocked');
    expect(md).toContain('`plan-diff: allow replace platform-dev/state`');
    for (const line of md.split('\n').filter((l) => l.startsWith('| '))) expect(line.endsWith(' |')).toBe(true);
    const unchanged = renderMarkdown({ diff: diffCase('no-change'), baseLabel: 'b', headLabel: 'h' });
    expect(unchanged).toContain('- `workload-dev`: no changes');
  });

  test('usage errors: one clear message, exit 1, no stack trace', async () => {
    for (const args of [[], ['--base', 'HEAD', '--base-dir', 'x'], ['--bogus'], ['--base-dir', 'x', '--format', 'html'], ['--base-dir', 'x', '--fail-on', 'update'], ['--base-dir', '/nonexistent/dir']]) {
      const result = await runCli(args);
      expect({ args, code: result.code }).toEqual({ args, code: EXIT_ERROR });
      expect(result.stderr).toMatch(/^plan-diff: /);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(result.stdout).toBe('');
    }
    expect((await runCli(['--help'])).stdout).toContain('Usage: npm run plan-diff');
  });

  test('the real CLI process exits with the code main returns: 2 when blocked', () => {
    // main catches every error and returns its code (the usage errors above, in-process); the process sets it as its
    // exit code, which one run proves. The process's exit code is what is tested, not the TypeScript loader: the
    // project's own (cdktf.json's) is the cheapest to start.
    const cli = ['--require', './scripts/app-loader.cjs', path.join('tools', 'plan-diff', 'cli.ts')];
    const blocked = spawnSync(process.execPath, [...cli, ...caseArgs('replace-attribute'), '--fail-on', 'replace', '--protected', 'platform-prod'], { cwd: ROOT, encoding: 'utf8' });
    expect(blocked.stderr).toBe('');
    expect(blocked.status).toBe(EXIT_GATE_BLOCKED);
    expect(blocked.stdout).toContain('[forces replacement]');
  });
});

describe('plan-diff: Helm values per key', () => {
  const release = () => changeOf(stackOf(diffCase('helm-values'), 'workload-prod-ai-app'), 'helm_release.app_resource');

  test('nested keys, list items, added and removed keys, expressions; merged over every values file', () => {
    const change = release();
    expect(change.action).toBe('update');
    expect(change.changes.map((c) => [c.path, c.before, c.after])).toEqual([
      ['values.args[1]', '8080', '9090'],
      ['values.args[2]', undefined, '--verbose'],
      ['values.autoscaling.minReplicas', 3, 4],
      [
        'values.image.repository',
        '${data.terraform_remote_state.cross-stack-reference-input-platform-prod.outputs.cross-stack-output-azurerm_container_registryregistry_resource_F0E50CA5login_server}/ai-app',
        '${data.terraform_remote_state.cross-stack-reference-input-platform-prod.outputs.cross-stack-output-azurerm_container_registryregistry_resource_F0E50CA6login_server}/ai-app',
      ],
      ['values.image.tag', '${var.image_tag}', '${var.release_tag}'],
      ['values.podAnnotations["prometheus.io/scrape"]', undefined, 'true'],
      ['values.podDisruptionBudget.enabled', true, undefined],
      ['values.podDisruptionBudget.minAvailable', 2, undefined],
      // resources.requests.memory changes in the first file, but the second file sets it on both sides
      ['values.resources.limits.memory', '1Gi', '2Gi'],
      ['values.tolerations[0].key', undefined, 'spot'],
      ['values.tolerations[0].operator', undefined, 'Exists'],
    ]);
    expect(change.changes.every((c) => !c.forcesReplacement && !c.sensitive)).toBe(true);
  });

  test('text and Markdown show each key, expressions as written, long values elided around the difference', () => {
    const diff = diffCase('helm-values');
    const text = renderText({ diff, baseLabel: 'b', headLabel: 'h' });
    expect(text).toContain('values.autoscaling.minReplicas: 3 → 4');
    expect(text).toContain('values.resources.limits.memory: "1Gi" → "2Gi"');
    expect(text).toContain('values.podDisruptionBudget.minAvailable: 2 → (unset)');
    expect(text).toContain('values.tolerations[0].key: (unset) → "spot"');
    expect(text).toContain('values.image.tag: ${var.image_tag} → ${var.release_tag}');
    // the two repositories differ only near the end: both sides show that part, not the same truncated start
    const repository = text.split('\n').findIndex((l) => l.trim() === 'values.image.repository:');
    const [before, after] = text.split('\n').slice(repository + 1, repository + 3).map((l) => l.trim());
    expect(before).toMatch(/^….*F0E50CA5login_server\}\/ai-app"$/);
    expect(after).toMatch(/^→ ….*F0E50CA6login_server\}\/ai-app"$/);
    expect(text).not.toContain('values: [');
    const md = renderMarkdown({ diff, baseLabel: 'b', headLabel: 'h' });
    expect(md).toContain('`values.autoscaling.minReplicas`: `3` → `4`');
    expect(md).toContain('`values.resources.limits.memory`: `"1Gi"` → `"2Gi"`');
    expect(md).toContain('`values.image.tag`: `${var.image_tag}` → `${var.release_tag}`');
    expect(md).toMatch(/`values\.image\.repository`: `….*F0E50CA5login_server\}\/ai-app"` → `….*F0E50CA6login_server\}\/ai-app"`/);
  });

  test('a side that is not valid YAML falls back to the raw text, with the reason', () => {
    const legacy = changeOf(stackOf(diffCase('helm-values'), 'workload-prod-ai-app'), 'helm_release.legacy_resource');
    expect(legacy.changes.map((c) => c.path)).toEqual(['values[0]']);
    expect(legacy.notes.join('\n')).toMatch(/^values compared as text: base values\[0\] is not valid YAML/);
    expect(diffHelmValues(['a: 1\n'], ['${yamlencode(local.values)}'])).toEqual({ ok: false, reason: 'head values[0] is not a YAML mapping' });
    expect(diffHelmValues('a: 1', ['a: 2'])).toEqual({ ok: false, reason: 'the base values are not a list' });
  });

  test('parsing: empty documents, unset values, key order and comments are no change', () => {
    expect(parseValuesList('base', undefined)).toEqual({ ok: true, values: {} });
    expect(parseValuesList('base', ['', '# only a comment\n', 'a: {b: 1}\n', 'a: {c: 2}\n'])).toEqual({ ok: true, values: { a: { b: 1, c: 2 } } });
    expect(diffHelmValues(['a: 1\nb: 2\n'], ['# reordered\nb: 2\na: 1\n'])).toEqual({ ok: true, changes: [] });
    const base = parseStack('workload-dev', { resource: { helm_release: { r: { name: 'x', values: ['a: 1\nb: 2\n'] } } } });
    const head = parseStack('workload-dev', { resource: { helm_release: { r: { name: 'x', values: ['b: 2\na: 1\n'] } } } });
    const change = changeOf(stackOf(diffSynth(new Map([['workload-dev', base]]), new Map([['workload-dev', head]])), 'workload-dev'), 'helm_release.r');
    expect(change).toMatchObject({ action: 'update', changes: [] });
    expect(change.notes.join()).toContain('no key did (formatting, comments or order)');
  });
});

describe('plan-diff: prevent_destroy', () => {
  const options = { failOn: new Set(['replace', 'destroy'] as const), protectedStacks: new Set(['platform-prod']) };

  test('a replace or destroy of a prevent_destroy resource is marked', () => {
    const stack = stackOf(diffCase('prevent-destroy'), 'platform-prod');
    expect(stack.changes.map((c) => [c.action, c.address, c.preventDestroy])).toEqual([
      ['destroy', 'azurerm_container_registry.registry_resource_F0E50CA5', 'lifted'],
      ['destroy', 'azurerm_management_lock.registry_lock_5E6F7A8B', 'lifted'],
      // prevent_destroy is still in the configuration: Terraform fails the plan
      ['replace', 'azurerm_kubernetes_cluster.cluster_resource_9691C40B', 'refused'],
      // this change removes the flag (written as a one-element list) in the same step as the replace
      ['replace', 'azurerm_storage_account.state_account_99AABBCC', 'lifted'],
      ['create', 'azurerm_container_registry.acr_resource_7F8E9D0C', undefined],
    ]);
    // an update of a prevent_destroy resource is not marked
    const update = diffCase('replace-attribute');
    expect(update.stacks.flatMap((s) => s.changes).every((c) => c.preventDestroy === undefined)).toBe(true);
  });

  test('text and Markdown say "Terraform will refuse this"', () => {
    const diff = diffCase('prevent-destroy');
    const text = renderText({ diff, baseLabel: 'b', headLabel: 'h' });
    const cluster = text.slice(text.indexOf('replace  azurerm_kubernetes_cluster'));
    expect(cluster.split('\n')[1].trim()).toBe('!! Terraform will refuse this: lifecycle.prevent_destroy is true, so the plan fails');
    expect(text.replace(/\n {15}/g, ' ')).toContain(
      '!! prevent_destroy was true in the base, but the flag goes with the removed resource block, so Terraform will not refuse this: the protected resource is destroyed',
    );
    const md = renderMarkdown({ diff, baseLabel: 'b', headLabel: 'h' });
    expect(md).toContain(
      '| **replace** | `azurerm_kubernetes_cluster.cluster_resource_9691C40B` | `cluster/resource` | 🛑 **Terraform will refuse this**: `lifecycle.prevent_destroy` is true, so the plan fails with "Instance cannot be destroyed"<br>`dns_prefix`',
    );
    expect(md).toContain('🛑 **`prevent_destroy` was true in the base and this change removes it, so Terraform will not refuse this');
  });

  test('the gate stays blocked despite acknowledgments, in any stack, and says how to proceed', () => {
    const diff = diffCase('prevent-destroy');
    const acks = parseAcknowledgments(['plan-diff: allow replace platform-prod/cluster', 'plan-diff: allow destroy platform-prod', 'plan-diff: allow replace platform-prod'].join('\n'));
    const gate = evaluateGate(diff, { ...options, acknowledgments: acks });
    expect(gate.passed).toBe(false);
    expect(gate.allowed).toEqual([]);
    expect(gate.blocked.map((v) => [v.action, v.address, v.preventDestroy])).toEqual([
      ['destroy', 'azurerm_container_registry.registry_resource_F0E50CA5', 'lifted'],
      ['destroy', 'azurerm_management_lock.registry_lock_5E6F7A8B', 'lifted'],
      ['replace', 'azurerm_kubernetes_cluster.cluster_resource_9691C40B', 'refused'],
      ['replace', 'azurerm_storage_account.state_account_99AABBCC', 'lifted'],
    ]);
    expect(gate.refused).toHaveLength(4);
    expect(gate.unused).toEqual([]);
    // not a protected stack, and --fail-on without destroy: still blocked
    expect(evaluateGate(diff, { failOn: new Set(['replace'] as const), protectedStacks: new Set(), acknowledgments: acks }).blocked).toHaveLength(4);

    const text = renderText({ diff, baseLabel: 'b', headLabel: 'h', gate }).replace(/\n {4}/g, ' ');
    expect(text).toContain('acknowledgment not honoured: "plan-diff: allow replace platform-prod/cluster" matches platform-prod: replace azurerm_kubernetes_cluster.cluster_resource_9691C40B (cluster/resource), a prevent_destroy resource');
    expect(text).toContain(
      'BLOCKED platform-prod: replace azurerm_kubernetes_cluster.cluster_resource_9691C40B (cluster/resource) Terraform will refuse this (lifecycle.prevent_destroy is true: the plan fails with "Instance cannot be destroyed"); an acknowledgment cannot allow it. To proceed: remove prevent_destroy in a separate, reviewed change first and apply it, then this change',
    );
    // the address change: move the state instead
    expect(text).toContain(
      'To proceed: if only the address changed, move the state instead of destroying: call .moveFromId("azurerm_container_registry.registry_resource_F0E50CA5") on the new resource or add moved { from = azurerm_container_registry.registry_resource_F0E50CA5, to = azurerm_container_registry.acr_resource_7F8E9D0C }',
    );
    expect(text).toContain('Gate: blocked (4 changes)');
    const md = renderMarkdown({ diff, baseLabel: 'b', headLabel: 'h', gate });
    expect(md).toContain('- **blocked** `platform-prod: replace azurerm_kubernetes_cluster.cluster_resource_9691C40B (cluster/resource)`: Terraform will refuse this');
    expect(md).toContain('- acknowledgment not honoured: `plan-diff: allow replace platform-prod/cluster`');
  });

  test('CLI: exit 2 with the acknowledgment in the PR body', async () => {
    const result = await runCli([...caseArgs('prevent-destroy'), '--fail-on', 'replace', '--protected', 'platform-prod'], {
      env: { PLAN_DIFF_ACK: 'plan-diff: allow replace platform-prod/cluster' },
    });
    expect(result.code).toBe(EXIT_GATE_BLOCKED);
    expect(result.stdout).toContain('Terraform will refuse this');
    expect(result.stdout).not.toContain('acknowledgment applied');
  });
});

describe('plan-diff: text width', () => {
  const longAddress = 'azurerm_role_assignment.infra-staging-ContainerRegistryContributorandDataAccessConfigurationAdministrator';
  const wideDiff = (): PlanDiff => {
    const assignment = {
      '//': { metadata: { path: 'platform-prod/infra-staging-ContainerRegistryContributorandDataAccessConfigurationAdministrator' } },
      scope: '${azurerm_container_registry.registry_resource_F0E50CA5.id}',
      principal_id: 'p',
      role_definition_name: 'Container Registry Contributor and Data Access Configuration Administrator',
    };
    const base = parseStack('platform-prod', {
      resource: {
        azurerm_role_assignment: { [longAddress.split('.')[1]]: assignment },
        azurerm_resource_group: { rg: { '//': { metadata: { path: 'platform-prod/rg' } }, name: 'rg', location: 'japaneast', tags: { note: 'a'.repeat(150) } } },
      },
    });
    const head = parseStack('platform-prod', {
      resource: {
        azurerm_resource_group: { rg: { '//': { metadata: { path: 'platform-prod/rg' } }, name: 'rg', location: 'japaneast', tags: { note: `${'a'.repeat(150)}b` } } },
      },
    });
    return diffSynth(new Map([['platform-prod', base]]), new Map([['platform-prod', head]]));
  };

  test('every line fits 100 columns (or the width asked for); columns stay aligned', () => {
    for (const diff of [diffCase('mixed'), diffCase('helm-values'), diffCase('prevent-destroy'), wideDiff()]) {
      for (const width of [100, 72]) {
        const gate = evaluateGate(diff, { failOn: new Set(['replace', 'destroy'] as const), protectedStacks: new Set(['platform-dev', 'platform-prod']), acknowledgments: [] });
        const lines = renderText({ diff, baseLabel: 'base', headLabel: 'head', gate, ...(width !== 100 ? { width } : {}) }).split('\n');
        expect(lines.filter((l) => l.length > width)).toEqual([]);
        // every construct path starts in the CONSTRUCT PATH column of its table
        let column = -1;
        let resourceColumn = -1;
        let rows = 0;
        lines.forEach((line, index) => {
          if (line.includes('CONSTRUCT PATH')) [column, resourceColumn] = [line.indexOf('CONSTRUCT PATH'), line.indexOf('RESOURCE')];
          const row = /^ {2}(create|update|replace|destroy) +\S+(?: +(\S+))?$/.exec(line);
          if (!row) return;
          rows += 1;
          // the construct path starts in its column: on the row's line, or after a long address on a following
          // line, before the row's details (which start 2 columns right of RESOURCE)
          let at = -1;
          for (let j = index; j < lines.length && at === -1; j += 1) {
            if (j > index && lines[j].search(/\S/) === resourceColumn + 2) break;
            if (lines[j].slice(column - 2, column) === '  ' && /\S/.test(lines[j][column] ?? '')) at = column;
          }
          expect({ line, at }).toEqual({ line, at: column });
        });
        expect(rows).toBeGreaterThan(0);
      }
    }
  });

  test('a long address keeps the columns: its construct path goes on the next line; long values are elided with …', () => {
    const text = renderText({ diff: wideDiff(), baseLabel: 'b', headLabel: 'h' });
    const lines = text.split('\n');
    const header = lines.find((l) => l.includes('CONSTRUCT PATH')) ?? '';
    const at = lines.findIndex((l) => l.startsWith('  destroy  azurerm_role_assignment.'));
    // the 105-character address runs past its column and is broken at the width, continuing in the RESOURCE column
    expect(lines[at]).toHaveLength(100);
    expect(lines[at + 1].search(/\S/)).toBe(header.indexOf('RESOURCE'));
    const [rest, constructPath] = lines[at + 1].trim().split(/\s+/);
    expect(lines[at].slice(header.indexOf('RESOURCE')) + rest).toBe(longAddress);
    // the construct path stays in its column (broken there too, being longer than the column)
    expect(lines[at + 1].indexOf(constructPath)).toBe(header.indexOf('CONSTRUCT PATH'));
    expect(lines[at + 2].search(/\S/)).toBe(header.indexOf('CONSTRUCT PATH'));
    expect(constructPath + lines[at + 2].trim()).toBe('infra-staging-ContainerRegistryContributorandDataAccessConfigurationAdministrator');
    // the values differ only in their last character: both sides show their ends
    expect(text).toMatch(/tags\.note:\n {15}…a{70,}"\n {15}→ …a{70,}b"\n/);
  });

  test('helpers: wrapLine, breakToken, valuePair', () => {
    expect(wrapLine('one two three four', 9, '', '  ')).toEqual(['one two', '  three', '  four']);
    expect(wrapLine('', 10, '  ')).toEqual(['']);
    expect(breakToken('aaaa-bbbb-cccc', 10)).toEqual(['aaaa-bbbb-', 'cccc']);
    expect(breakToken('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij']);
    expect(valuePair('x'.repeat(100), `${'x'.repeat(99)}y`, false, 20)).toEqual([`…${'x'.repeat(18)}"`, `…${'x'.repeat(17)}y"`]);
    expect(valuePair('short', 'also short', false, 20)).toEqual(['"short"', '"also short"']);
    expect(valuePair('secret', 'other', true, 20)).toEqual(['(sensitive)', '(sensitive)']);
    expect(valuePair(undefined, '${var.tag}', false, 20)).toEqual(['(unset)', '${var.tag}']);
  });
});

describe('snapshot tests point to plan-diff when they fail (jest reporter)', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Reporter = require('../tools/plan-diff/snapshot-hint-reporter.cjs');
  const result = (snapshot: Record<string, number>, messages: string[] = []) => ({
    numFailedTests: messages.length,
    snapshot: { added: 0, matched: 1, unmatched: 0, updated: 0, filesRemoved: 0, total: 1, ...snapshot },
    testResults: [{ testResults: messages.map((m) => ({ status: 'failed', failureMessages: [m] })) }],
  });

  test('one line when a snapshot did not match or was not written under --ci; nothing otherwise', () => {
    const hint = 'Snapshots changed: run `npm run plan-diff -- --base HEAD` for a readable summary of what the synthesized plans change.';
    expect(Reporter.snapshotHint(result({ unmatched: 2 }, ['expect(received).toMatchSnapshot()']))).toBe(hint);
    expect(Reporter.snapshotHint(result({}, ['New snapshot was not written. The update flag must be explicitly passed to write a new snapshot.']))).toBe(hint);
    expect(Reporter.snapshotHint(result({}, ['expect(received).toBe(expected)']))).toBeUndefined();
    expect(Reporter.snapshotHint(result({ updated: 3 }))).toBeUndefined();
    expect(Reporter.snapshotHint({})).toBeUndefined();

    const reporter = new Reporter();
    const written: string[] = [];
    reporter.write = (text: string) => written.push(text);
    reporter.atExit = (print: () => void) => print();
    reporter.onRunComplete(new Set(), result({ unmatched: 1 }, ['mismatch']));
    reporter.onRunComplete(new Set(), result({}));
    expect(written).toEqual([`\n${hint}\n`]);
  });

  test('registered in jest.config.js', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    expect(require('../jest.config.js').reporters).toContain('<rootDir>/tools/plan-diff/snapshot-hint-reporter.cjs');
  });
});

describe('plan-diff --base: git worktree synthesis (stub app, no cdktf)', () => {
  let repo: string;
  const git = (...args: string[]) => execFileSync('git', [...GIT_IDENTITY, ...args], { cwd: repo, encoding: 'utf8' });
  // The app cdktf.json names, as plan-diff runs it on each side: main.ts (plan-diff finds the project root by it), in
  // plain CommonJS that Node runs as it is, so each side's synth costs a bare Node start. This project's own app (its
  // TypeScript loader) goes through plan-diff --base end to end on a copy of the project under DEEP_TESTS=1, below.
  const STUB_MAIN = `const fs = require('fs');
const path = require('path');
const prefix = fs.readFileSync(path.join(__dirname, 'prefix.txt'), 'utf8').trim();
if (prefix === 'fail') {
  process.stderr.write('configuration: dns prefix is invalid\\n');
  process.exit(1);
}
for (const env of ['dev', 'prod']) {
  const dir = path.join(process.env.CDKTF_OUTDIR ?? 'cdktf.out', 'stacks', 'platform-' + env);
  fs.mkdirSync(dir, { recursive: true });
  const cluster = { '//': { metadata: { path: 'platform-' + env + '/cluster/resource', uniqueId: 'cluster_resource_1' } }, name: 'aks-' + env, dns_prefix: prefix + '-' + env };
  fs.writeFileSync(path.join(dir, 'cdk.tf.json'), JSON.stringify({ resource: { azurerm_kubernetes_cluster: { cluster_resource_1: cluster } } }));
}
`;
  /** stacks/environments.ts, which plan-diff reads each side's protection from; the stub app writes dev and prod. */
  const environments = (devProtected: boolean) =>
    `export const config = { environments: { dev: { protected: ${devProtected} }, prod: { protected: true } } };\n`;

  beforeAll(() => {
    repo = fs.mkdtempSync(path.join(os.tmpdir(), 'plan-diff-repo-'));
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(repo, 'node_modules'), 'dir');
    fs.mkdirSync(path.join(repo, 'stacks'));
    fs.writeFileSync(path.join(repo, '.gitignore'), 'node_modules\ncdktf.out\n');
    // This project's cdktf.json, naming the stub app.
    const cdktfJson = JSON.parse(fs.readFileSync(path.join(ROOT, 'cdktf.json'), 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(path.join(repo, 'cdktf.json'), JSON.stringify({ ...cdktfJson, app: 'node main.ts' }));
    fs.writeFileSync(path.join(repo, 'main.ts'), STUB_MAIN);
    fs.writeFileSync(path.join(repo, 'prefix.txt'), 'aks\n');
    fs.writeFileSync(path.join(repo, 'stacks', 'environments.ts'), environments(true));
    git('init', '-q');
    git('add', '-A');
    git('commit', '-qm', 'base');
  });

  afterAll(() => {
    fs.rmSync(repo, { recursive: true, force: true });
  });

  const worktrees = () => git('worktree', 'list', '--porcelain').split('\n').filter((l) => l.startsWith('worktree ')).length;

  test('synthesizes base and working tree, gates with the protection of both configs, removes the worktree', async () => {
    fs.writeFileSync(path.join(repo, 'prefix.txt'), 'aks2\n');
    // lowering dev's protection in the change itself must not lift the gate: base config still protects dev
    fs.writeFileSync(path.join(repo, 'stacks', 'environments.ts'), environments(false));
    const result = await runCli(['--base', 'HEAD', '--fail-on', 'replace'], { cwd: repo });
    expect(result.stderr).toContain('synthesizing HEAD');
    expect(result.stdout).toContain('dns_prefix: "aks-dev" → "aks2-dev" [forces replacement]');
    expect(result.stdout).toContain('BLOCKED platform-dev: replace');
    expect(result.stdout).toContain('BLOCKED platform-prod: replace');
    expect(result.code).toBe(EXIT_GATE_BLOCKED);
    expect(worktrees()).toBe(1);
  });

  test('a failing synthesis exits 1 with its message and still removes the worktree', async () => {
    fs.writeFileSync(path.join(repo, 'prefix.txt'), 'fail\n');
    const result = await runCli(['--base', 'HEAD'], { cwd: repo });
    expect(result.code).toBe(EXIT_ERROR);
    expect(result.stderr).toContain('synthesis of the working tree failed');
    expect(result.stderr).toContain('configuration: dns prefix is invalid');
    expect(worktrees()).toBe(1);
  });

  test('each side synthesizes with its own cdktf.json app; without one, synthesis fails saying so', async () => {
    // The working tree's app first requires an untracked marker.cjs, which the base's worktree does not have: the
    // run passes only if the base kept its committed app and the working tree ran its own.
    fs.writeFileSync(path.join(repo, 'prefix.txt'), 'aks\n');
    fs.writeFileSync(path.join(repo, 'stacks', 'environments.ts'), environments(true));
    const app = JSON.parse(fs.readFileSync(path.join(repo, 'cdktf.json'), 'utf8')) as { app: string };
    fs.writeFileSync(path.join(repo, 'marker.cjs'), "require('fs').writeFileSync('marker-ran', '');\n");
    fs.writeFileSync(path.join(repo, 'cdktf.json'), JSON.stringify({ ...app, app: app.app.replace(/^node /, 'node --require ./marker.cjs ') }));
    const result = await runCli(['--base', 'HEAD'], { cwd: repo });
    expect(result.stderr).not.toContain('failed');
    expect(result.code).toBe(EXIT_OK);
    expect(result.stdout).toContain('platform-dev: no changes');
    expect(fs.existsSync(path.join(repo, 'marker-ran'))).toBe(true);
    expect(worktrees()).toBe(1);
    fs.rmSync(path.join(repo, 'marker-ran'));
    fs.rmSync(path.join(repo, 'cdktf.json'));
    const missing = await runCli(['--base', 'HEAD'], { cwd: repo });
    expect(missing.code).toBe(EXIT_ERROR);
    expect(missing.stderr).toContain(`cannot read the app command from ${path.join(repo, 'cdktf.json')}`);
    git('checkout', '-q', '--', 'cdktf.json');
    fs.rmSync(path.join(repo, 'marker.cjs'));
  });

  test('an unknown ref is a usage error', async () => {
    const result = await runCli(['--base', 'no-such-ref'], { cwd: repo });
    expect(result.code).toBe(EXIT_ERROR);
    expect(result.stderr).toContain('unknown git ref "no-such-ref"');
  });
});

/** What the end-to-end run must report for prod's DNS prefix changed from `before` to `before-2`. */
function expectDnsPrefixReplace(run: { code: number; stdout: string; stderr: string }, before: string): void {
  expect({ status: run.code, stderr: run.stderr.includes('failed') ? run.stderr : '' }).toEqual({ status: EXIT_GATE_BLOCKED, stderr: '' });
  const prodSection = run.stdout.slice(run.stdout.indexOf('\nplatform-prod\n'));
  expect(prodSection).toMatch(/replace\s+azurerm_kubernetes_cluster\.\S+\s+cluster\//);
  expect(prodSection).toContain(`dns_prefix: "${before}" → "${before}-2" [forces replacement]`);
  expect(run.stdout).toMatch(/platform-prod: \d+ to destroy, [1-9]\d* to replace/);
  expect(run.stdout).toContain('BLOCKED platform-prod: replace azurerm_kubernetes_cluster.');
  expect(run.stdout).toMatch(/platform-dev: no changes/);
}

describe('plan-diff on this project\'s synthesized stacks', () => {
  // Both configurations synthesized in-process, as main.ts does; the --base path (git worktree, each side's
  // cdktf.json app, protection of both configs) is tested on the stub project above, and end to end on a copy of
  // this project under DEEP_TESTS=1 below.
  test('changing prod’s cluster DNS prefix reports a replace of platform-prod’s cluster and blocks the gate', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plan-diff-app-'));
    try {
      const changed = configCopy();
      const before = changed.environments.prod.cluster.dnsPrefix;
      changed.environments.prod.cluster.dnsPrefix = `${before}-2`;
      const base = synthesizedApp('fixture');
      synthesizeApp(changed as PlatformConfig, path.join(dir, 'head'));
      // The protection comes from the configuration in cwd, the tests' own in a copy of the app's sources.
      const copy = copyApp('plan-diff-config-');
      try {
        useConfig(copy, changed);
        expectDnsPrefixReplace(await runCli(['--base-dir', base, '--head-dir', path.join(dir, 'head'), '--fail-on', 'replace,destroy'], { cwd: copy }), before);
      } finally {
        fs.rmSync(copy, { recursive: true, force: true });
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

// DEEP_TESTS=1 (set by .ci/run): the same change through `--base HEAD` on a committed copy of the app, both sides
// synthesized by their cdktf.json app (two processes). By default the test above proves the same report and gate on
// the same synthesized stacks, and the stub project tests prove the --base mechanics with the project's app command.
(DEEP ? describe : describe.skip)(`${DEEP ? '' : '(DEEP_TESTS=1) '}plan-diff end to end on a copy of this project`, () => {
  // What main.ts needs (copyApp), committed, then edited; the CLI runs in-process (its process exit codes are tested
  // above), and synthesizes both sides with the copy's cdktf.json app as `cdktf synth` would.
  test('changing prod’s cluster DNS prefix reports a replace of platform-prod’s cluster and blocks the gate', async () => {
    const copy = copyApp('plan-diff-e2e-');
    try {
      fs.writeFileSync(path.join(copy, '.gitignore'), 'node_modules\ncdktf.out\n');
      const git = (...args: string[]) => execFileSync('git', [...GIT_IDENTITY, ...args], { cwd: copy, encoding: 'utf8' });
      // The tests' own configuration as the base, then the same with prod's DNS prefix changed.
      useConfig(copy, fixtureConfig);
      git('init', '-q');
      git('add', '-A');
      git('commit', '-qm', 'base');
      const changed = configCopy();
      const before = changed.environments.prod.cluster.dnsPrefix;
      changed.environments.prod.cluster.dnsPrefix = `${before}-2`;
      useConfig(copy, changed);

      const started = Date.now();
      const run = await runCli(['--base', 'HEAD', '--fail-on', 'replace,destroy'], { cwd: copy });
      const seconds = (Date.now() - started) / 1000;
      expectDnsPrefixReplace(run, before);
      expect(seconds).toBeLessThan(30);
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });
});
