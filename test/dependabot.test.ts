/**
 * .github/dependabot.yml, offline. No npm package ships the Dependabot JSON schema as data: @schemastore/dependabot-2.0
 * has TypeScript types only, and the validator CLIs download https://json.schemastore.org/dependabot-2.0.json at run
 * time. So the schema below is written here from GitHub's documented options ("Dependabot options reference"),
 * strict (unknown keys are refused), and validated with ajv; then the project's own expectations follow.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { parse } from 'yaml';

const ROOT = join(__dirname, '..');
const config = parse(readFileSync(join(ROOT, '.github', 'dependabot.yml'), 'utf8')) as DependabotConfig;

interface Group { readonly patterns?: string[]; readonly 'exclude-patterns'?: string[]; readonly 'dependency-type'?: string; readonly 'update-types'?: string[] }
interface Update {
  readonly 'package-ecosystem': string;
  readonly directory?: string;
  readonly directories?: string[];
  readonly schedule: { readonly interval: string; readonly day?: string };
  readonly groups?: Record<string, Group>;
}
interface DependabotConfig { readonly version: number; readonly updates: Update[] }

const stringList = { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 };
const DEPENDABOT_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['version', 'updates'],
  properties: {
    version: { const: 2 },
    'enable-beta-ecosystems': { type: 'boolean' },
    registries: { type: 'object' },
    'multi-ecosystem-groups': { type: 'object' },
    updates: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['package-ecosystem', 'schedule'],
        oneOf: [{ required: ['directory'] }, { required: ['directories'] }],
        properties: {
          'package-ecosystem': {
            enum: ['bun', 'bundler', 'cargo', 'composer', 'devcontainers', 'docker', 'docker-compose', 'dotnet-sdk', 'elm', 'github-actions', 'gitsubmodule',
              'gomod', 'gradle', 'helm', 'maven', 'mix', 'npm', 'nuget', 'pip', 'pub', 'swift', 'terraform', 'uv'],
          },
          directory: { type: 'string', pattern: '^/' },
          directories: { ...stringList, items: { type: 'string', pattern: '^/' } },
          schedule: {
            type: 'object',
            additionalProperties: false,
            required: ['interval'],
            properties: {
              interval: { enum: ['daily', 'weekly', 'monthly', 'quarterly', 'semiannually', 'yearly', 'cron'] },
              day: { enum: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] },
              time: { type: 'string', pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' },
              timezone: { type: 'string' },
              cronjob: { type: 'string' },
            },
          },
          allow: { type: 'array' },
          ignore: { type: 'array' },
          assignees: stringList,
          reviewers: stringList,
          labels: { type: 'array', items: { type: 'string' } },
          milestone: { type: 'integer' },
          'commit-message': {
            type: 'object',
            additionalProperties: false,
            properties: { prefix: { type: 'string', maxLength: 50 }, 'prefix-development': { type: 'string', maxLength: 50 }, include: { const: 'scope' } },
          },
          groups: {
            type: 'object',
            minProperties: 1,
            additionalProperties: {
              type: 'object',
              additionalProperties: false,
              anyOf: [{ required: ['patterns'] }, { required: ['dependency-type'] }, { required: ['update-types'] }],
              properties: {
                'applies-to': { enum: ['version-updates', 'security-updates'] },
                'dependency-type': { enum: ['development', 'production'] },
                patterns: stringList,
                'exclude-patterns': stringList,
                'update-types': { type: 'array', items: { enum: ['major', 'minor', 'patch'] } },
              },
            },
          },
          'open-pull-requests-limit': { type: 'integer', minimum: 0 },
          'pull-request-branch-name': { type: 'object' },
          'rebase-strategy': { enum: ['auto', 'disabled'] },
          registries: { oneOf: [{ const: '*' }, stringList] },
          'target-branch': { type: 'string' },
          vendor: { type: 'boolean' },
          'versioning-strategy': { enum: ['auto', 'increase', 'increase-if-necessary', 'lockfile-only', 'widen'] },
          'insecure-external-code-execution': { enum: ['allow', 'deny'] },
          'cooldown': { type: 'object' },
          'exclude-paths': { type: 'array', items: { type: 'string' } },
        },
      },
    },
  },
} as const;

const validate = new Ajv({ allErrors: true, strict: true, strictRequired: false }).compile(DEPENDABOT_SCHEMA);
const update = (ecosystem: string) => config.updates.find((u) => u['package-ecosystem'] === ecosystem);

describe('.github/dependabot.yml', () => {
  test('validates against the Dependabot v2 schema', () => {
    expect(validate(config) ? [] : validate.errors).toEqual([]);
  });

  test('the schema refuses what Dependabot refuses (so a pass means something)', () => {
    const broken = (edit: (c: Record<string, unknown>) => void) => {
      const c = structuredClone(config) as unknown as Record<string, unknown>;
      edit(c);
      return validate(c);
    };
    expect(broken((c) => { c.version = 1; })).toBe(false);
    expect(broken((c) => { (c.updates as Record<string, unknown>[])[0]['package-ecosystem'] = 'npm2'; })).toBe(false);
    expect(broken((c) => { delete (c.updates as Record<string, unknown>[])[0].schedule; })).toBe(false);
    expect(broken((c) => { (c.updates as Record<string, unknown>[])[0].directory = 'app'; })).toBe(false);
    expect(broken((c) => { (c.updates as Record<string, unknown>[])[0].schedul = {}; })).toBe(false);
  });

  test('covers npm at the root, the SHA-pinned GitHub Actions and the app image, weekly', () => {
    expect(config.updates.map((u) => [u['package-ecosystem'], u.directory, u.schedule.interval])).toEqual([
      ['npm', '/', 'weekly'], ['github-actions', '/', 'weekly'], ['docker', '/app', 'weekly'],
    ]);
    expect(readdirSync(join(ROOT, 'app'))).toContain('Dockerfile');
  });

  test('groups: cdktf with its providers first, then dev tooling, then run-time dependencies; all actions together', () => {
    const npm = update('npm')!.groups!;
    expect(Object.keys(npm)).toEqual(['cdktf', 'dev-tooling', 'runtime']);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    const cdktfPackages = Object.keys(pkg.devDependencies).filter((d) => d === 'cdktf' || d === 'cdktf-cli' || d === 'constructs' || d.startsWith('@cdktf/'));
    const matches = (name: string, pattern: string) => new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(name);
    // Dependabot puts a dependency in the first group that matches it: every cdktf package lands in `cdktf`.
    for (const d of cdktfPackages) expect(npm.cdktf.patterns!.some((p) => matches(d, p))).toBe(true);
    expect(npm['dev-tooling']['dependency-type']).toBe('development');
    expect(npm.runtime['dependency-type']).toBe('production');
    expect(update('github-actions')!.groups).toEqual({ actions: { patterns: ['*'] } });
  });

  test('every action is pinned by a full SHA with its version comment, the form Dependabot updates together', () => {
    const dir = join(ROOT, '.github', 'workflows');
    for (const file of readdirSync(dir)) {
      // A reusable workflow of this repository (`uses: ./.github/workflows/x.yml`) runs at the caller's commit: nothing to pin.
      for (const line of readFileSync(join(dir, file), 'utf8').split('\n').filter((l) => /^\s*-?\s*uses:/.test(l) && !/uses:\s*\.\//.test(l))) {
        expect(`${file}: ${line.trim()}`).toMatch(/uses: [\w.-]+\/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+){0,2}$/);
      }
    }
  });
});
