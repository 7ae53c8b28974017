/**
 * The GitHub workflows (.github/workflows/app.yml, infra-pr.yml, infra-deploy.yml), offline:
 * - each validates against GitHub's workflow schema (@action-validator/core);
 * - each Azure sign-in matches an identity the synthesized stacks federate (see workflow-identities.ts), and the
 *   check provably catches a renamed environment and a dropped federated credential;
 * - every secret and variable a job reads is written by a stack where that job can read it;
 * - hygiene: least-privilege permissions, SHA-pinned actions, timeouts, deploy concurrency, no `latest`,
 *   no `${{ }}` in scripts, the stacks and variables the commands name exist.
 * The app is synthesized once (every stack) into a temporary directory.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'cdktf';
import { parse } from 'yaml';
import { validateWorkflow } from '@action-validator/core';
import { buildStacks } from '../stacks/app';
import { ENVIRONMENT_NAMES, EnvironmentName, config } from '../stacks/environments';
import {
  StackJson,
  TrustedSubjectsByStack,
  Workflow,
  WorkflowDoc,
  WorkflowJob,
  WorkflowStep,
  checkWorkflowIdentities,
  checkWorkflowReferences,
  environmentOf,
  jobRuns,
  matrixCombinations,
  resolveLogins,
  trustFromSynth,
  triggers,
} from './workflow-identities';

const ROOT = path.join(__dirname, '..');
const WORKFLOW_DIR = path.join(ROOT, '.github', 'workflows');
const FILES = ['app.yml', 'infra-pr.yml', 'infra-deploy.yml'] as const;
const sources = Object.fromEntries(FILES.map((f) => [f, fs.readFileSync(path.join(WORKFLOW_DIR, f), 'utf8')])) as Record<(typeof FILES)[number], string>;
const workflows: Workflow[] = FILES.map((file) => ({ file, doc: parse(sources[file]) as WorkflowDoc }));
const wf = (file: (typeof FILES)[number]): WorkflowDoc => workflows.find((w) => w.file === file)!.doc;

/** Secrets set by hand (documented in the workflows), never by Terraform: tokens cannot live in state. */
const EXTERNAL = new Set(['GH_ADMIN_TOKEN', 'GH_PLAN_TOKEN']);
/** Written by the `state-bootstrap` stack; allowed to be missing until a stack writes them, then checked in full. */
const INFRA_CLIENT_ID = 'AZURE_INFRA_CLIENT_ID';
const INFRA_SECRETS = [INFRA_CLIENT_ID, 'AZURE_INFRA_TENANT_ID', 'AZURE_INFRA_SUBSCRIPTION_ID'];

const repository = config.repository;
const githubEnv = (name: EnvironmentName) => config.environments[name].github.environment;
/** The environment config a GitHub environment name belongs to. */
const envByGithubName = (githubName: string) => ENVIRONMENT_NAMES.find((n) => githubEnv(n) === githubName);

const usesOf = (step: WorkflowStep) => (typeof step.uses === 'string' ? step.uses.split('@')[0].toLowerCase() : undefined);
const stepsUsing = (job: WorkflowJob, action: string) => (job.steps ?? []).filter((s) => usesOf(s) === action);
const usesAzureLogin = (job: WorkflowJob) => stepsUsing(job, 'azure/login').length > 0;
const allJobs = () => workflows.flatMap((w) => Object.entries(w.doc.jobs).map(([id, job]) => ({ file: w.file, doc: w.doc, id, job })));
const scripts = (job: WorkflowJob) => (job.steps ?? []).flatMap((s) => (typeof s.run === 'string' ? [s.run] : []));

let outdir: string;
let stacks: Record<string, StackJson>;
let trust: TrustedSubjectsByStack;
let pending: Set<string>;

beforeAll(() => {
  outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'workflows-synth-'));
  const app = new App({ outdir, stackTraces: false });
  buildStacks(app, config);
  app.synth();
  const dir = path.join(outdir, 'stacks');
  stacks = Object.fromEntries(fs.readdirSync(dir).map((s) => [s, JSON.parse(fs.readFileSync(path.join(dir, s, 'cdk.tf.json'), 'utf8')) as StackJson]));
  trust = trustFromSynth(stacks);
  const published = new Set(Object.values(trust).flatMap((t) => t.published.map((p) => p.name)));
  pending = new Set(INFRA_SECRETS.filter((n) => !published.has(n)));
});

afterAll(() => {
  if (outdir) fs.rmSync(outdir, { recursive: true, force: true });
});

describe('schema', () => {
  test.each(FILES)('%s validates against the GitHub workflow schema', (file) => {
    // The validator warns on stdout that it cannot check `paths` globs from Node; that is expected.
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      expect(validateWorkflow(sources[file]).errors).toEqual([]);
      expect(validateWorkflow(sources[file].replace('timeout-minutes:', 'timeout-minutez:')).errors.length).toBeGreaterThan(0);
    } finally {
      warn.mockRestore();
      log.mockRestore();
    }
  });
});

describe('Azure sign-in matches the synthesized federated credentials', () => {
  test('every azure/login job presents a subject its identity trusts', () => {
    expect(checkWorkflowIdentities(workflows, trust, repository, { pending })).toEqual([]);
  });

  test('app deploys sign in as platform-<env>\'s deploy identity, which trusts only that environment', () => {
    const logins = resolveLogins(workflows, trust, repository, { pending }).filter((l) => l.file === 'app.yml');
    expect(logins.map((l) => l.environment)).toEqual(ENVIRONMENT_NAMES.map(githubEnv));
    for (const login of logins) {
      const name = envByGithubName(login.environment!)!;
      expect(login).toMatchObject({ stack: `platform-${name}`, clientId: '${{ secrets.AZURE_CLIENT_ID }}', subjects: [`repo:${repository}:environment:${githubEnv(name)}`] });
      const identity = trust[login.stack!].identities.find((i) => i.address === login.identity)!;
      expect(identity.subjects).toEqual(login.subjects);
    }
  });

  test('PR plans sign in, without an environment, as the read-only plan identity of the stack they plan', () => {
    const logins = resolveLogins(workflows, trust, repository, { pending }).filter((l) => l.file === 'infra-pr.yml');
    const platformStacks = Object.keys(stacks).filter((s) => s.startsWith('platform-')).sort();
    expect(logins.map((l) => l.job).sort()).toEqual(platformStacks.map((s) => `plan[stack=${s}]`));
    for (const login of logins) {
      expect(login.environment).toBeUndefined();
      expect(login.subjects).toEqual([`repo:${repository}:pull_request`]);
      expect(login.job).toBe(`plan[stack=${login.stack}]`);
      const identity = trust[login.stack!].identities.find((i) => i.address === login.identity)!;
      expect(identity.subjects).toEqual([`repo:${repository}:pull_request`]);
    }
  });

  test('platform deploys sign in as the infrastructure deployer (checked in full once a stack writes AZURE_INFRA_CLIENT_ID)', () => {
    const logins = resolveLogins(workflows, trust, repository, { pending }).filter((l) => l.file === 'infra-deploy.yml');
    expect(logins.map((l) => l.environment)).toEqual(ENVIRONMENT_NAMES.map(githubEnv));
    for (const login of logins) {
      expect(login.clientId).toBe(`\${{ secrets.${INFRA_CLIENT_ID} }}`);
      if (pending.has(INFRA_CLIENT_ID)) {
        expect(login.pending).toBe(true);
      } else {
        // Separation of duties: never the app's deploy identity, which must not change the platform.
        const name = envByGithubName(login.environment!)!;
        const appDeploy = resolveLogins(workflows, trust, repository).find((l) => l.file === 'app.yml' && l.environment === githubEnv(name))!;
        expect(login.identity).toBeDefined();
        expect(`${login.stack}/${login.identity}`).not.toBe(`${appDeploy.stack}/${appDeploy.identity}`);
        const identity = trust[login.stack!].identities.find((i) => i.address === login.identity)!;
        expect(identity.subjects).toEqual([`repo:${repository}:environment:${githubEnv(name)}`]);
      }
    }
  });

  describe('the check bites', () => {
    const mutated = (file: (typeof FILES)[number], change: (doc: WorkflowDoc) => void): Workflow[] =>
      workflows.map((w) => {
        if (w.file !== file) return w;
        const doc = structuredClone(w.doc);
        change(doc);
        return { file: w.file, doc };
      });
    /** A copy of the synthesized stacks with every GitHub credential for `subject` changed by `edit` (undefined drops it). */
    const credentialsEdited = (subject: string, edit: (s: string) => string | undefined): TrustedSubjectsByStack => {
      const copy = structuredClone(stacks);
      for (const tf of Object.values(copy)) {
        const creds = tf.resource?.azurerm_federated_identity_credential ?? {};
        for (const [id, cred] of Object.entries(creds)) {
          if (cred.subject !== subject) continue;
          const next = edit(subject);
          if (next === undefined) delete creds[id];
          else cred.subject = next;
        }
      }
      return trustFromSynth(copy);
    };
    const prodSubject = () => `repo:${repository}:environment:${githubEnv('prod')}`;

    test('a job environment renamed to production-x', () => {
      const broken = mutated('app.yml', (doc) => {
        doc.jobs['deploy-prod'].environment = { name: 'production-x' };
      });
      const problems = checkWorkflowIdentities(broken, trust, repository, { pending });
      expect(problems.filter((p) => !p.startsWith('app.yml: job deploy-prod: '))).toEqual([]);
      expect(problems).toContainEqual(expect.stringMatching(/client-id .*AZURE_CLIENT_ID.*no stack writes secret AZURE_CLIENT_ID in environment "production-x"/));
    });

    test('a renamed environment is caught even while AZURE_INFRA_CLIENT_ID is pending', () => {
      const broken = mutated('infra-deploy.yml', (doc) => {
        doc.jobs['platform-prod'].environment = 'production-x';
      });
      const problems = checkWorkflowIdentities(broken, trust, repository, { pending: new Set(INFRA_SECRETS) });
      expect(problems.join('\n')).toMatch(/infra-deploy\.yml: job platform-prod: .*environment:production-x/);
    });

    test('the prod environment subject dropped from the synthesized credentials', () => {
      const problems = checkWorkflowIdentities(workflows, credentialsEdited(prodSubject(), () => undefined), repository, { pending });
      expect(problems.length).toBeGreaterThan(0);
      expect(problems.filter((p) => !p.includes(prodSubject()))).toEqual([]);
      expect(problems.join('\n')).toMatch(/app\.yml: job deploy-prod: signs in as platform-prod's .* which does not trust subject/);
    });

    test('the prod environment subject renamed in the synthesized credentials', () => {
      const problems = checkWorkflowIdentities(workflows, credentialsEdited(prodSubject(), (s) => `${s}-x`), repository, { pending });
      expect(problems.join('\n')).toMatch(/deploy-prod: .*does not trust subject repo:.*:environment:prod; it trusts repo:.*:environment:prod-x/);
    });

    test('a PR plan job given an environment (its subject would change)', () => {
      const broken = mutated('infra-pr.yml', (doc) => {
        doc.jobs.plan.environment = githubEnv('dev');
      });
      const problems = checkWorkflowIdentities(broken, trust, repository, { pending });
      // Every leg: the environment replaces the pull_request subject, which is all a plan identity trusts.
      expect(problems).toEqual(
        ENVIRONMENT_NAMES.map((n) =>
          expect.stringMatching(
            new RegExp(`^infra-pr\\.yml: job plan\\[stack=platform-${n}\\]: signs in as platform-${n}'s .*\\(variable PLAN_${n.toUpperCase()}_AZURE_CLIENT_ID\\), which does not trust subject repo:[^ ]+:environment:${githubEnv('dev')}; it trusts repo:[^ ]+:pull_request$`),
          ),
        ),
      );
    });

    test('a deploy job signing in with the plan identity, and a client secret', () => {
      const broken = mutated('app.yml', (doc) => {
        const login = stepsUsing(doc.jobs['deploy-dev'], 'azure/login')[0];
        login.with = { ...login.with, 'client-id': '${{ vars.PLAN_DEV_AZURE_CLIENT_ID }}', 'client-secret': '${{ secrets.X }}' };
      });
      const problems = checkWorkflowIdentities(broken, trust, repository, { pending }).join('\n');
      expect(problems).toMatch(/deploy-dev: signs in as platform-dev's .*PLAN_DEV_AZURE_CLIENT_ID.*does not trust subject .*environment:dev/);
      expect(problems).toMatch(/deploy-dev: azure\/login must use OIDC/);
      expect(problems).toMatch(/deploy-dev: ARM_CLIENT_ID .* differs from azure\/login client-id/);
    });

    test('a login in a workflow whose subject depends on the ref (no environment, workflow_dispatch)', () => {
      const broken = mutated('app.yml', (doc) => {
        delete doc.jobs['deploy-dev'].environment;
      });
      const problems = checkWorkflowIdentities(broken, trust, repository, { pending }).join('\n');
      expect(problems).toMatch(/deploy-dev: no environment, and the "workflow_dispatch" event gives a subject that depends on the ref/);
      expect(problems).toMatch(/deploy-dev: client-id .*: no stack writes secret AZURE_CLIENT_ID at repository level/);
    });

    test('whichever stack writes AZURE_INFRA_CLIENT_ID, infra deploys are checked against its credentials', () => {
      // A stand-in for state-bootstrap: one deployer identity per environment, federated to the environment subject.
      const others = Object.fromEntries(Object.entries(stacks).filter(([name]) => !trust[name].published.some((p) => INFRA_SECRETS.includes(p.name))));
      const bootstrap: StackJson = { resource: { azurerm_federated_identity_credential: {}, github_actions_environment_secret: {} } };
      for (const name of ENVIRONMENT_NAMES) {
        bootstrap.resource!.azurerm_federated_identity_credential[`cred-${name}`] = {
          issuer: 'https://token.actions.githubusercontent.com',
          subject: `repo:${repository}:environment:${githubEnv(name)}`,
          parent_id: `\${azurerm_user_assigned_identity.infra-${name}.id}`,
        };
        for (const secret of INFRA_SECRETS) {
          bootstrap.resource!.github_actions_environment_secret[`${secret}-${name}`] = {
            environment: githubEnv(name),
            secret_name: secret,
            plaintext_value: secret === INFRA_CLIENT_ID ? `\${azurerm_user_assigned_identity.infra-${name}.client_id}` : 'some-guid',
          };
        }
      }
      const withBootstrap = trustFromSynth({ ...others, 'state-bootstrap-test': bootstrap });
      const logins = resolveLogins(workflows, withBootstrap, repository).filter((l) => l.file === 'infra-deploy.yml');
      expect(logins.map((l) => [l.stack, l.identity, l.problems])).toEqual(
        ENVIRONMENT_NAMES.map((n) => ['state-bootstrap-test', `azurerm_user_assigned_identity.infra-${n}`, []]),
      );
      delete bootstrap.resource!.azurerm_federated_identity_credential['cred-prod'];
      const problems = checkWorkflowIdentities(workflows, trustFromSynth({ ...others, 'state-bootstrap-test': bootstrap }), repository);
      expect(problems).toEqual([expect.stringMatching(/infra-deploy\.yml: job platform-prod: signs in as state-bootstrap-test's .*infra-prod .* does not trust subject .*environment:prod/)]);
    });
  });

  test('only GitHub-issued credentials count: per platform stack a deploy identity (its environment) and a plan identity (pull requests)', () => {
    for (const name of ENVIRONMENT_NAMES) {
      const subjects = trust[`platform-${name}`].identities.map((i) => i.subjects);
      expect(subjects).toEqual(
        expect.arrayContaining([[`repo:${repository}:environment:${githubEnv(name)}`], [`repo:${repository}:pull_request`]]),
      );
      expect(subjects.flat().every((s) => s.startsWith(`repo:${repository}:`))).toBe(true);
    }
  });

  test('matrix legs are expanded the way GitHub runs them', () => {
    expect(matrixCombinations({ include: [{ a: 1 }, { a: 2 }] })).toEqual([{ a: 1 }, { a: 2 }]);
    expect(matrixCombinations({ os: ['x', 'y'], include: [{ os: 'x', extra: 1 }, { os: 'z' }], exclude: [{ os: 'y' }] })).toEqual([{ os: 'x', extra: 1 }, { os: 'z' }]);
    expect(matrixCombinations('${{ fromJSON(inputs.m) }}')).toMatch(/expression/);
  });
});

describe('secrets and variables', () => {
  test('every secret and variable a job reads is written by a stack where the job can read it', () => {
    expect(checkWorkflowReferences(workflows, trust, { external: EXTERNAL, pending })).toEqual([]);
  });

  test('the reference check bites: a variable the environment does not have', () => {
    const broken = workflows.map((w) => (w.file === 'app.yml' ? { file: w.file, doc: parse(sources['app.yml'].replaceAll('vars.ACR_NAME ', 'vars.ACR_NAME_X ')) as WorkflowDoc } : w));
    expect(checkWorkflowReferences(broken, trust, { external: EXTERNAL, pending })).toEqual(
      ENVIRONMENT_NAMES.map((n) => `app.yml: job deploy-${n}: reads variable ACR_NAME_X, which no stack writes in environment "${githubEnv(n)}" or at repository level`),
    );
    // A plan job reading an environment variable: plans declare no environment, so they cannot see it.
    const planReadsEnvVar = workflows.map((w) =>
      w.file === 'infra-pr.yml' ? { file: w.file, doc: parse(sources['infra-pr.yml'].replace('vars.PLAN_DEV_AZURE_TENANT_ID', 'vars.ACR_NAME')) as WorkflowDoc } : w,
    );
    expect(checkWorkflowReferences(planReadsEnvVar, trust, { external: EXTERNAL, pending })).toEqual([
      'infra-pr.yml: job plan[stack=platform-dev]: reads variable ACR_NAME, which no stack writes at repository level',
    ]);
  });

  test('no secret is echoed and no expression is interpolated into a script', () => {
    const problems: string[] = [];
    for (const { file, doc, id, job } of allJobs()) {
      const secretEnv = new Set(
        [doc.env, job.env, ...(job.steps ?? []).map((s) => s.env)]
          .flatMap((e) => Object.entries(e ?? {}))
          .filter(([, v]) => /secrets\./.test(String(v)))
          .map(([k]) => k),
      );
      for (const script of scripts(job)) {
        if (script.includes('${{')) problems.push(`${file}: job ${id}: a run script interpolates \${{ }}; pass values through env:`);
        if (/^\s*set\s+-[a-z]*x/m.test(script)) problems.push(`${file}: job ${id}: set -x would print secrets`);
        for (const name of secretEnv) {
          if (new RegExp(`(echo|printf)[^\\n]*\\$\\{?${name}\\b`).test(script)) problems.push(`${file}: job ${id}: prints secret-bound ${name}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});

test('hand-managed tokens reach only the step that needs them, never a whole job or workflow', () => {
  const problems: string[] = [];
  for (const { file, doc, id, job } of allJobs()) {
    for (const [scope, env] of [['workflow', doc.env], [`job ${id}`, job.env]] as const) {
      for (const [name, value] of Object.entries(env ?? {})) {
        const refs = [...String(value).matchAll(/secrets\.(\w+)/g)].map((m) => m[1]);
        if (refs.some((r) => EXTERNAL.has(r))) problems.push(`${file}: ${scope}: env ${name} exposes a token to every step`);
      }
    }
  }
  expect(problems).toEqual([]);
  const tokenSteps = allJobs().flatMap(({ job }) => (job.steps ?? []).filter((s) => Object.values(s.env ?? {}).some((v) => /secrets\.GH_/.test(String(v)))));
  expect(tokenSteps.map((s) => s.run?.trim().split(' ').slice(0, 3).join(' '))).toEqual([
    'terraform plan -lock=false',
    ...ENVIRONMENT_NAMES.map(() => 'npx cdktf deploy'),
  ]);
});

describe('permissions', () => {
  const effective = (doc: WorkflowDoc, job: WorkflowJob) => job.permissions ?? doc.permissions;
  const grants = (p: WorkflowDoc['permissions'], scope: string, level: 'write' | 'read') =>
    p === 'write-all' || (level === 'read' && p === 'read-all') || (typeof p === 'object' && (p[scope] === 'write' || p[scope] === level));

  test.each(FILES)('%s grants nothing at the top level', (file) => {
    expect(wf(file).permissions).toEqual({});
  });

  test('every job that uses azure/login has id-token: write; no other job has it', () => {
    const problems: string[] = [];
    for (const { file, doc, id, job } of allJobs()) {
      const has = grants(effective(doc, job), 'id-token', 'write');
      if (usesAzureLogin(job) && !has) problems.push(`${file}: job ${id} uses azure/login without id-token: write`);
      if (!usesAzureLogin(job) && has) problems.push(`${file}: job ${id} has id-token: write but does not sign in to Azure`);
    }
    expect(problems).toEqual([]);
  });

  test('write access beyond id-token: only pull-requests: write, only for the comment job, which runs no repository code', () => {
    const writers = allJobs().flatMap(({ file, doc, id, job }) => {
      const p = effective(doc, job);
      if (typeof p === 'string') return [`${file}:${id}:${p}`];
      return Object.entries(p ?? {})
        .filter(([scope, level]) => level === 'write' && scope !== 'id-token')
        .map(([scope]) => `${file}:${id}:${scope}`);
    });
    expect(writers).toEqual(['infra-pr.yml:plan-diff-gate:pull-requests']);
    const gate = wf('infra-pr.yml').jobs['plan-diff-gate'];
    expect(stepsUsing(gate, 'actions/checkout')).toEqual([]);
    expect(scripts(gate).join('\n')).not.toMatch(/\b(npm|npx|node)\b/);
  });
});

describe('hygiene', () => {
  test('every uses: is pinned to a full commit SHA with a version comment, the same SHA everywhere', () => {
    const pins = new Map<string, Set<string>>();
    const problems: string[] = [];
    for (const file of FILES) {
      for (const line of sources[file].split('\n')) {
        const m = /^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/.exec(line);
        if (!m) continue;
        const [action, ref] = m[1].split('@');
        if (!/^[0-9a-f]{40}$/.test(ref ?? '')) problems.push(`${file}: ${m[1]} is not pinned to a 40-hex commit SHA`);
        if (!/^\s+#\s*v\d+(\.\d+){1,2}\s*$/.test(m[2])) problems.push(`${file}: ${m[1]} has no "# vX.Y.Z" comment`);
        pins.set(action.toLowerCase(), new Set([...(pins.get(action.toLowerCase()) ?? []), `${ref}${m[2].trim()}`]));
      }
    }
    for (const [action, refs] of pins) if (refs.size > 1) problems.push(`${action} is pinned to different SHAs: ${[...refs].join(', ')}`);
    expect(problems).toEqual([]);
    // Parsed and raw views agree: nothing was missed by the line scan.
    const parsed = allJobs().flatMap(({ job }) => (job.steps ?? []).filter((s) => s.uses !== undefined));
    expect(parsed.length).toBe(FILES.reduce((n, f) => n + (sources[f].match(/^\s*(?:-\s+)?uses:/gm) ?? []).length, 0));
  });

  test('every job has a timeout', () => {
    const missing = allJobs().filter(({ job }) => typeof job['timeout-minutes'] !== 'number' || job['timeout-minutes'] > 120);
    expect(missing.map(({ file, id }) => `${file}:${id}`)).toEqual([]);
  });

  test('deploy jobs never overlap per environment and are never cancelled mid-apply', () => {
    const deploys = allJobs().filter(({ job }) => environmentOf(job) !== undefined);
    expect(deploys.length).toBe(2 * ENVIRONMENT_NAMES.length);
    for (const { job } of deploys) {
      const c = job.concurrency as { group: string; 'cancel-in-progress': boolean };
      expect(c.group).toContain(environmentOf(job));
      expect(c['cancel-in-progress']).toBe(false);
    }
    // App and platform deploys queue separately: GitHub cancels a *pending* run when a newer one joins its group.
    const groups = deploys.map(({ job }) => (job.concurrency as { group: string }).group);
    expect(new Set(groups).size).toBe(groups.length);
  });

  test('PR checks: one run per PR, a new push cancels the previous one', () => {
    expect(wf('infra-pr.yml').concurrency).toEqual({ group: 'infra-pr-${{ github.event.pull_request.number }}', 'cancel-in-progress': true });
  });

  test('no workflow mentions latest (image tags, runner images): everything is pinned', () => {
    for (const file of FILES) expect(sources[file]).not.toMatch(/latest/i);
  });

  test('setup-node: Node 20 with the npm cache', () => {
    const steps = allJobs().flatMap(({ job }) => stepsUsing(job, 'actions/setup-node'));
    expect(steps.length).toBeGreaterThan(0);
    for (const s of steps) expect(s.with).toEqual({ 'node-version': 20, cache: 'npm' });
  });

  test('checkouts do not persist the token', () => {
    for (const { job } of allJobs()) for (const s of stepsUsing(job, 'actions/checkout')) expect(s.with?.['persist-credentials']).toBe(false);
  });

  test('terraform is pinned and unwrapped (cdktf reads its raw output)', () => {
    const steps = allJobs().flatMap(({ job }) => stepsUsing(job, 'hashicorp/setup-terraform'));
    expect(steps.length).toBeGreaterThan(0);
    for (const s of steps) expect(s.with).toEqual({ terraform_version: expect.stringMatching(/^\d+\.\d+\.\d+$/), terraform_wrapper: false });
  });
});

describe('commands match the synthesized app', () => {
  const stackOfDeploy = (script: string) => [...script.matchAll(/cdktf deploy ([\w-]+)/g)].map((m) => m[1]);

  test('every stack a job deploys or plans exists, and belongs to the environment the job declares', () => {
    const problems: string[] = [];
    for (const w of workflows) {
      for (const run of jobRuns(w)) {
        const named = [
          ...scripts(run.job).flatMap(stackOfDeploy),
          ...(run.job.steps ?? []).flatMap((s) => [...String(s['working-directory'] ?? '').matchAll(/cdktf\.out\/stacks\/([\w-]+)/g)].map((m) => m[1])),
        ];
        for (const stack of named) {
          if (!(stack in stacks)) problems.push(`${w.file}: ${run.label}: no stack ${stack} in the synthesized app`);
          const env = /^(?:platform|workload)-(.+)$/.exec(stack)?.[1] as EnvironmentName | undefined;
          const declared = environmentOf(run.job);
          if (declared !== undefined && (env === undefined || githubEnv(env) !== declared)) problems.push(`${w.file}: ${run.label}: deploys ${stack} from environment ${declared}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  test('app deploys: workload-<env> with image_tag = the commit SHA, a variable the stack declares', () => {
    const app = wf('app.yml');
    expect(app.env?.IMAGE_TAG).toBe('${{ github.sha }}');
    for (const name of ENVIRONMENT_NAMES) {
      const job = app.jobs[`deploy-${name}`];
      const deploy = scripts(job).find((s) => s.includes('cdktf deploy'))!;
      expect(deploy.trim()).toBe(`npx cdktf deploy workload-${name} --auto-approve --ignore-missing-stack-dependencies --var "image_tag=$IMAGE_TAG"`);
      expect(Object.keys(stacks[`workload-${name}`].variable ?? {})).toContain('image_tag');
      const push = scripts(job).find((s) => s.includes('docker push'))!;
      expect(push).toContain('target="$ACR_LOGIN_SERVER/$IMAGE_NAME:$IMAGE_TAG"');
      expect(push).toMatch(/docker tag "\$LOCAL_IMAGE:\$IMAGE_TAG" "\$target"\n\s*docker push "\$target"/);
    }
    // Every image reference in a docker command carries the SHA tag.
    const dockerRefs = Object.values(app.jobs)
      .flatMap(scripts)
      .flatMap((s) => s.split('\n'))
      .filter((l) => /\bdocker (build|tag|save|push)\b/.test(l));
    expect(dockerRefs.length).toBeGreaterThanOrEqual(2 + 2 * ENVIRONMENT_NAMES.length);
    for (const line of dockerRefs) expect(line).toMatch(/\$IMAGE_TAG"|\$target"/);
  });

  test('app: build (no Azure) scans and saves; deploys chain dev -> staging -> prod through each registry', () => {
    const app = wf('app.yml');
    expect(Object.keys(triggers(app)).sort()).toEqual(['push', 'workflow_dispatch']);
    expect(triggers(app).push).toMatchObject({ branches: ['main'], paths: expect.arrayContaining(['app/**', 'charts/**']) });
    const build = app.jobs.build;
    expect(usesAzureLogin(build)).toBe(false);
    const [sbom, scan] = stepsUsing(build, 'aquasecurity/trivy-action');
    expect(scan.with).toMatchObject({ severity: 'CRITICAL', 'exit-code': '1' });
    expect(sbom.with).toMatchObject({ format: 'spdx-json' });
    const order = (build.steps ?? []).map((s) => s.name ?? s.uses ?? s.run);
    expect(order.indexOf('Scan (fails on CRITICAL vulnerabilities)')).toBeLessThan(order.indexOf('Upload the scanned image'));
    expect(stepsUsing(build, 'actions/upload-artifact').map((s) => s.with?.name)).toEqual(['sbom', 'image']);
    let previous = 'build';
    for (const name of ENVIRONMENT_NAMES) {
      const job = app.jobs[`deploy-${name}`];
      expect(job.needs).toBe(previous);
      expect(environmentOf(job)).toBe(githubEnv(name));
      expect(stepsUsing(job, 'actions/download-artifact')[0].with?.name).toBe('image');
      expect(stepsUsing(job, 'azure/use-kubelogin')).toHaveLength(1);
      const steps = job.steps ?? [];
      const login = steps.findIndex((s) => usesOf(s) === 'azure/login');
      expect(login).toBeLessThan(steps.findIndex((s) => s.run?.includes('az acr login')));
      expect(scripts(job).join('\n')).toContain('az acr login --name "$ACR_NAME"');
      previous = `deploy-${name}`;
    }
  });

  test('infra-deploy: platform-<env> in order, each as its environment, with an admin token for the github provider', () => {
    const doc = wf('infra-deploy.yml');
    expect(Object.keys(triggers(doc)).sort()).toEqual(['push', 'workflow_dispatch']);
    let previous: string | undefined;
    for (const name of ENVIRONMENT_NAMES) {
      const job = doc.jobs[`platform-${name}`];
      expect(job.needs).toBe(previous);
      expect(environmentOf(job)).toBe(githubEnv(name));
      expect(job.env).toEqual({
        ARM_USE_OIDC: 'true',
        ARM_USE_AZUREAD: 'true',
        ARM_CLIENT_ID: '${{ secrets.AZURE_INFRA_CLIENT_ID }}',
        ARM_TENANT_ID: '${{ secrets.AZURE_INFRA_TENANT_ID }}',
        ARM_SUBSCRIPTION_ID: '${{ secrets.AZURE_INFRA_SUBSCRIPTION_ID }}',
      });
      const deploy = (job.steps ?? []).find((s) => s.run?.includes('cdktf deploy'))!;
      expect(deploy.run?.trim()).toBe(`npx cdktf deploy platform-${name} --auto-approve`);
      expect(deploy.env).toEqual({ GITHUB_TOKEN: '${{ secrets.GH_ADMIN_TOKEN }}' });
      previous = `platform-${name}`;
    }
  });

  test('infra-pr: tests, synth, lock-free plans as the plan identity, plan-diff with a sticky comment', () => {
    const doc = wf('infra-pr.yml');
    expect(Object.keys(triggers(doc))).toEqual(['pull_request']);
    expect(triggers(doc).pull_request.paths).toEqual(
      expect.arrayContaining(['main.ts', 'constructs/**', 'stacks/**', 'charts/**', 'package.json', 'package-lock.json', 'cdktf.json', 'tsconfig*.json', 'test/**']),
    );
    expect(scripts(doc.jobs.test)).toContain('npm test');
    expect(scripts(doc.jobs.synth)).toContain('npx cdktf synth');

    const plan = doc.jobs.plan;
    expect(environmentOf(plan)).toBeUndefined();
    const legs = matrixCombinations(plan.strategy?.matrix) as Array<Record<string, string>>;
    for (const leg of legs) {
      const env = leg.stack.replace(/^platform-/, '').toUpperCase();
      expect(leg).toEqual({
        stack: leg.stack,
        'client-id': `\${{ vars.PLAN_${env}_AZURE_CLIENT_ID }}`,
        'tenant-id': `\${{ vars.PLAN_${env}_AZURE_TENANT_ID }}`,
        'subscription-id': `\${{ vars.PLAN_${env}_AZURE_SUBSCRIPTION_ID }}`,
      });
    }
    const planScripts = scripts(plan);
    expect(planScripts).toContain('terraform init -input=false');
    expect(planScripts).toContain('terraform plan -lock=false -input=false');

    const diff = doc.jobs['plan-diff'];
    const body = (diff.steps ?? []).find((s) => s.env?.PR_BODY !== undefined)!;
    expect(body.env).toEqual({ PR_BODY: '${{ github.event.pull_request.body }}' });
    expect(body.run).toBe(`printf '%s' "$PR_BODY" > "$RUNNER_TEMP/pr-body.md"`);
    const run = scripts(diff).find((s) => s.includes('plan-diff --'))!.replace(/\\\n\s*/g, '');
    expect(run).toContain('npm run --silent plan-diff -- --base "origin/$BASE_REF" --format markdown --fail-on replace,destroy --ack-file "$RUNNER_TEMP/pr-body.md"');

    const gate = doc.jobs['plan-diff-gate'];
    const names = (gate.steps ?? []).map((s) => s.name ?? s.uses);
    expect(names.indexOf('Post or update the sticky comment')).toBeLessThan(names.indexOf('Enforce the gate'));
    expect(stepsUsing(gate, 'actions/github-script')[0].with?.script).toMatch(/MARKER[\s\S]*updateComment[\s\S]*createComment/);
  });
});
