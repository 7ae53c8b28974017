/**
 * The project's own entry points: every way a user runs it stays offline (no call to HashiCorp's checkpoint
 * service from cdktf or terraform), and the README's commands are the ones that guarantee it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The commands of a shell line, split at &&, ||, ; and |. */
const commands = (line: string) => line.split(/&&|\|\||;|\|/).map((c) => c.trim()).filter((c) => c !== '');

test.each(Object.entries(pkg.scripts))('npm run %s sets CHECKPOINT_DISABLE=1 for every command it runs', (_, script) => {
  for (const command of commands(script)) expect(command).toMatch(/^CHECKPOINT_DISABLE=1 \S/);
});

test('.ci/run exports CHECKPOINT_DISABLE=1 before it runs anything', () => {
  const lines = readFileSync(join(ROOT, '.ci', 'run'), 'utf8').split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
  const exportAt = lines.findIndex((l) => /^export (.* )?CHECKPOINT_DISABLE=1\b/.test(l));
  expect(exportAt).toBeGreaterThanOrEqual(0);
  expect(lines.findIndex((l) => /\b(npm|npx|node|terraform)\b/.test(l))).toBeGreaterThan(exportAt);
});

test('the README runs cdktf through npm scripts, which disable the checkpoint call, never through a bare npx cdktf', () => {
  const blocks = [...readme.matchAll(/```(?:sh|bash)\n([\s\S]*?)```/g)].map((m) => m[1]);
  expect(blocks.length).toBeGreaterThan(0);
  for (const block of blocks) expect(block).not.toMatch(/^\s*npx cdktf /m);
  expect(readme).toContain('npm ci && npm run synth');
});

test('the README\'s diagram points to the config for replica regions instead of naming environments or regions', () => {
  // It once said only prod replicates to koreacentral while staging did too: facts that live in the config are
  // named by their config field, so the diagram cannot drift from what is built.
  const diagram = readme.slice(readme.indexOf('## What gets built'), readme.indexOf('```', readme.indexOf('```', readme.indexOf('## What gets built')) + 3));
  const replicaLine = diagram.split('\n').find((l) => /replica/i.test(l));
  expect(replicaLine).toContain('registry.geoReplications');
  expect(diagram).not.toMatch(/\b(koreacentral|japaneast|westeurope|eastus2?)\b/);
});

test('tests write temporary files only under this run\'s own directory, which the run removes', () => {
  const { tmpdir } = jest.requireActual<typeof import('node:os')>('node:os');
  expect(process.env.JEST_RUN_TMPDIR).toBeDefined();
  expect(tmpdir()).toBe(process.env.JEST_RUN_TMPDIR);
  expect(process.env.JEST_RUN_TMPDIR!.startsWith(join(process.env.JEST_PARENT_TMPDIR!, 'jest-run-'))).toBe(true);
});
