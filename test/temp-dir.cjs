/**
 * jest globalSetup and globalTeardown: every test, and every process a test starts, writes its temporary files
 * (cdktf's cdktf.outdir.* from Testing.synth, synth outputs, app copies) under one directory of this run, which the
 * teardown removes. The teardown fails the run if anything still wrote a cdktf.outdir.* beside it.
 *
 * One exception: tsx's transform cache, which tsx keeps in <tmpdir>/tsx-<user>. The app processes tests start
 * (cdktf.json's app, plan-diff's CLI) would otherwise compile every TypeScript file afresh on each run, as on a first
 * synth; the run's directory links that name to the user's own cache, which every `npm run synth` also uses. Removing
 * the run's directory removes the link, not the cache.
 */
const { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const LEFTOVER = /^cdktf\.outdir\./;

async function setup() {
  const parent = tmpdir();
  const dir = mkdtempSync(join(parent, 'jest-run-'));
  process.env.JEST_PARENT_TMPDIR = parent;
  process.env.JEST_RUN_TMPDIR = dir;
  const tsxCache = `tsx-${process.geteuid ? process.geteuid() : require('node:os').userInfo().username}`;
  mkdirSync(join(parent, tsxCache), { recursive: true });
  symlinkSync(join(parent, tsxCache), join(dir, tsxCache), 'dir');
  // os.tmpdir() reads TMPDIR on every call; the workers and child processes inherit it.
  process.env.TMPDIR = dir;
  globalThis.tempDirBefore = new Set(readdirSync(parent).filter((e) => LEFTOVER.test(e)));
}

async function teardown() {
  const parent = process.env.JEST_PARENT_TMPDIR;
  rmSync(process.env.JEST_RUN_TMPDIR, { recursive: true, force: true });
  process.env.TMPDIR = parent;
  const left = readdirSync(parent).filter((e) => LEFTOVER.test(e) && !globalThis.tempDirBefore.has(e));
  if (left.length > 0) throw new Error(`tests left ${left.length} cdktf.outdir.* folder(s) in ${parent}, outside the run's temporary directory`);
}

module.exports = { setup, teardown };
