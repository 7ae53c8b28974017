/**
 * The GitHub workflows (.github/workflows/app.yml, infra-pr.yml, infra-deploy.yml), offline:
 * - each validates against GitHub's workflow schema (@action-validator/core);
 * - each Azure sign-in matches an identity the synthesized stacks federate (see workflow-identities.ts), and the
 *   check provably catches a renamed environment and a dropped federated credential;
 * - every secret and variable a job reads is written by a stack where that job can read it;
 * - hygiene: least-privilege permissions, SHA-pinned actions, timeouts, one deploy per environment across both
 *   deploy workflows, `npm ci --ignore-scripts`, no `latest`, no `${{ }}` in scripts, the stacks and variables
 *   the commands name exist;
 * - the PR gate runs the base branch's plan-diff on data only, the live plan leaves nothing but counts, and the
 *   platform deploy creates the namespace the app deploy identity cannot (two scripts run against stubs).
 * The app is synthesized once (every stack) into a temporary directory.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'cdktf';
import { parse } from 'yaml';
import { validateWorkflow } from '@action-validator/core';
import { buildStacks } from '../stacks/app';
import { parseCliArgs } from '../tools/plan-diff/cli';
import { EnvironmentName, config } from '../stacks/environments';
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
const NAMESPACE_SCRIPT = fs.readFileSync(path.join(ROOT, '.github', 'scripts', 'create-app-namespace.sh'), 'utf8');
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
// The workflows deploy the shipped configuration: its environments, each with its one application.
const ENVIRONMENT_NAMES = Object.keys(config.environments);
const githubEnv = (name: EnvironmentName) => config.environments[name].github.environment;
const workloadOf = (name: EnvironmentName) => `workload-${name}-${config.environments[name].applications[0].name}`;
/** The environment a synthesized stack belongs to: platform-<env>, or workload-<env>-<app> of a configured application. */
const environmentOfStack = (stack: string) => ENVIRONMENT_NAMES.find((e) => stack === `platform-${e}` || config.environments[e].applications.some((a) => stack === `workload-${e}-${a.name}`));
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

  test('app deploys sign in as the environment\'s deploy identity (state-bootstrap), which trusts only that environment', () => {
    const logins = resolveLogins(workflows, trust, repository, { pending }).filter((l) => l.file === 'app.yml');
    // Each deploy job signs in twice (the second time for a fresh token before the cluster step).
    expect(logins.map((l) => l.environment)).toEqual(ENVIRONMENT_NAMES.flatMap((n) => [githubEnv(n), githubEnv(n)]));
    for (const login of logins) {
      const name = envByGithubName(login.environment!)!;
      expect(login).toMatchObject({ stack: 'state-bootstrap', clientId: '${{ secrets.AZURE_CLIENT_ID }}', subjects: [`repo:${repository}:environment:${githubEnv(name)}`] });
      expect(login.identity).toMatch(new RegExp(`^azurerm_user_assigned_identity\\.deploy-${name}-${config.environments[name].applications[0].name}_`));
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
      expect(login.stack).toBe('state-bootstrap');
      // The identity of the environment the leg plans, read from that environment's PLAN_<ENV>_ variable.
      const env = /^plan\[stack=platform-(.+)\]$/.exec(login.job)![1];
      expect(login.clientId).toBe(`\${{ vars.PLAN_${env.toUpperCase()}_AZURE_CLIENT_ID }}`);
      expect(login.identity).toMatch(new RegExp(`^azurerm_user_assigned_identity\\.plan-${env}_`));
      const identity = trust[login.stack!].identities.find((i) => i.address === login.identity)!;
      expect(identity.subjects).toEqual([`repo:${repository}:pull_request`]);
    }
  });

  test('every azure/login step of every job run is resolved and checked, none skipped', () => {
    const expected = workflows.flatMap((w) =>
      jobRuns(w).flatMap((run) => (run.job.steps ?? []).flatMap((s, i) => (usesOf(s) === 'azure/login' ? [`${w.file}:${run.label}:${i}`] : []))),
    );
    const resolved = resolveLogins(workflows, trust, repository, { pending });
    expect(resolved.map((l) => `${l.file}:${l.job}:${l.step}`)).toEqual(expected);
    // The parsed jobs hold every azure/login line of the raw text: nothing escapes the check.
    const rawCount = FILES.reduce((n, f) => n + (sources[f].match(/^\s*(?:-\s+)?uses:\s*azure\/login@/gim) ?? []).length, 0);
    expect(allJobs().reduce((n, { job }) => n + stepsUsing(job, 'azure/login').length, 0)).toBe(rawCount);
  });

  test('platform deploys sign in as the infrastructure deployer, twice per job (checked in full once a stack writes AZURE_INFRA_CLIENT_ID)', () => {
    const logins = resolveLogins(workflows, trust, repository, { pending }).filter((l) => l.file === 'infra-deploy.yml');
    // Once before the apply, once more (a fresh OIDC token) before creating the namespace.
    expect(logins.map((l) => l.environment)).toEqual(ENVIRONMENT_NAMES.flatMap((n) => [githubEnv(n), githubEnv(n)]));
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
      expect(problems.join('\n')).toMatch(/app\.yml: job deploy-prod: signs in as state-bootstrap's .*deploy-prod.* which does not trust subject/);
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
            new RegExp(`^infra-pr\\.yml: job plan\\[stack=platform-${n}\\]: signs in as state-bootstrap's [^ ]*plan-${n}[^ ]* \\(variable PLAN_${n.toUpperCase()}_AZURE_CLIENT_ID\\), which does not trust subject repo:[^ ]+:environment:${githubEnv('dev')}; it trusts repo:[^ ]+:pull_request$`),
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
      expect(problems).toMatch(/deploy-dev: signs in as state-bootstrap's .*plan-dev.*PLAN_DEV_AZURE_CLIENT_ID.*does not trust subject .*environment:dev/);
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

    test('infra deploys are checked against the infrastructure deployer\'s own credentials', () => {
      const copy = structuredClone(stacks);
      const creds = copy['state-bootstrap'].resource!.azurerm_federated_identity_credential;
      for (const [id, cred] of Object.entries(creds)) if (String(cred.parent_id).startsWith('${azurerm_user_assigned_identity.infra-prod_')) delete creds[id];
      const problems = checkWorkflowIdentities(workflows, trustFromSynth(copy), repository);
      // Both sign-ins of platform-prod (before the apply and before the namespace) are caught; nothing else breaks.
      const untrusted = expect.stringMatching(/infra-deploy\.yml: job platform-prod: signs in as state-bootstrap's .*infra-prod.* does not trust subject .*environment:prod/);
      expect(problems).toEqual([untrusted, untrusted]);
    });
  });

  test('only GitHub-issued credentials count: state-bootstrap holds every GitHub-federated identity, per environment and application', () => {
    for (const [name, t] of Object.entries(trust)) if (name !== 'state-bootstrap') expect(t.identities).toEqual([]);
    const identities = trust['state-bootstrap'].identities;
    for (const name of ENVIRONMENT_NAMES) {
      const of = (who: string) => identities.find((i) => i.address.startsWith(`azurerm_user_assigned_identity.${who}-${name}_`))?.subjects;
      expect(of('infra')).toEqual([`repo:${repository}:environment:${githubEnv(name)}`]);
      const deployOf = (app: string) => identities.find((i) => i.address.startsWith(`azurerm_user_assigned_identity.deploy-${name}-${app}_`))?.subjects;
      for (const app of config.environments[name].applications) expect(deployOf(app.name)).toEqual([`repo:${repository}:environment:${app.githubEnvironment}`]);
      expect(of('plan')).toEqual([`repo:${repository}:pull_request`]);
    }
    expect(identities.flatMap((i) => i.subjects).every((s) => s.startsWith(`repo:${repository}:`))).toBe(true);
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

  test('one deploy per environment at a time across both deploy workflows, never cancelled mid-apply', () => {
    const deploys = allJobs().filter(({ job }) => environmentOf(job) !== undefined);
    expect(deploys.map(({ file, id }) => `${file}:${id}`).sort()).toEqual(
      ENVIRONMENT_NAMES.flatMap((n) => [`app.yml:deploy-${n}`, `infra-deploy.yml:platform-${n}`]).sort(),
    );
    for (const name of ENVIRONMENT_NAMES) {
      // The platform apply and the workload apply of one environment share one group: they never run together.
      for (const job of [wf('app.yml').jobs[`deploy-${name}`], wf('infra-deploy.yml').jobs[`platform-${name}`]]) {
        expect(environmentOf(job)).toBe(githubEnv(name));
        expect(job.concurrency).toEqual({ group: `deploy-${name}`, 'cancel-in-progress': false });
      }
    }
    // Different environments never share a group (a dev deploy must not queue behind a prod approval).
    expect(new Set(deploys.map(({ job }) => (job.concurrency as { group: string }).group)).size).toBe(ENVIRONMENT_NAMES.length);
    // No other job sits in a deploy group.
    const others = allJobs().filter(({ job }) => environmentOf(job) === undefined && typeof job.concurrency === 'object' && /^deploy-/.test(job.concurrency.group));
    expect(others).toEqual([]);
  });

  test('PR checks: one run per PR, a new push cancels the previous one', () => {
    expect(wf('infra-pr.yml').concurrency).toEqual({ group: 'infra-pr-${{ github.event.pull_request.number }}', 'cancel-in-progress': true });
  });

  test('no workflow mentions latest (image tags, runner images): everything is pinned', () => {
    for (const file of FILES) expect(sources[file]).not.toMatch(/latest/i);
  });

  test('setup-node: Node 20 with the npm cache, keyed on the lockfile of the checkout the job installs', () => {
    const steps = allJobs().flatMap(({ job }) => stepsUsing(job, 'actions/setup-node').map((s) => ({ job, s })));
    expect(steps.length).toBeGreaterThan(0);
    for (const { job, s } of steps) {
      const checkoutPath = stepsUsing(job, 'actions/checkout')[0]?.with?.path;
      expect(s.with).toEqual({ 'node-version': 20, cache: 'npm', ...(checkoutPath !== undefined ? { 'cache-dependency-path': `${String(checkoutPath)}/package-lock.json` } : {}) });
    }
  });

  test('every npm ci skips install scripts (npm 10 ignores package.json allowScripts)', () => {
    const lines = FILES.flatMap((f) =>
      sources[f]
        .split('\n')
        .filter((l) => !/^\s*#/.test(l) && /\bnpm\s+(ci|install|i)\b/.test(l))
        .map((l) => `${f}: ${l.trim()}`),
    );
    expect(lines.length).toBeGreaterThanOrEqual(3 + 2 * ENVIRONMENT_NAMES.length);
    expect(lines.filter((l) => !/\bnpm ci --ignore-scripts --no-audit --no-fund$/.test(l))).toEqual([]);
    // Parsed scripts agree with the raw lines.
    const parsed = allJobs().flatMap(({ job }) => scripts(job)).flatMap((s) => s.split('\n')).filter((l) => /\bnpm\s+(ci|install|i)\b/.test(l));
    expect(parsed.length).toBe(lines.length);
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
        const stackDirs = (value: unknown) => [...String(value ?? '').matchAll(/cdktf\.out\/stacks\/([\w-]+)/g)].map((m) => m[1]);
        const named = [
          ...scripts(run.job).flatMap(stackOfDeploy),
          ...scripts(run.job).flatMap(stackDirs),
          ...(run.job.steps ?? []).flatMap((s) => [...stackDirs(s['working-directory']), ...Object.values(s.env ?? {}).flatMap(stackDirs)]),
        ];
        for (const stack of named) {
          if (!(stack in stacks)) problems.push(`${w.file}: ${run.label}: no stack ${stack} in the synthesized app`);
          const env = environmentOfStack(stack);
          const declared = environmentOf(run.job);
          if (declared !== undefined && (env === undefined || githubEnv(env) !== declared)) problems.push(`${w.file}: ${run.label}: deploys ${stack} from environment ${declared}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  test('app deploys: workload-<env> with image_tag = the commit SHA and image_digest = the digest its own push captured, variables the stack declares', () => {
    const app = wf('app.yml');
    expect(app.env?.IMAGE_TAG).toBe('${{ github.sha }}');
    for (const name of ENVIRONMENT_NAMES) {
      const job = app.jobs[`deploy-${name}`];
      const steps = job.steps ?? [];
      const deployIndex = steps.findIndex((s) => s.run?.includes('cdktf deploy') === true);
      const pushIndex = steps.findIndex((s) => s.run?.includes('docker push') === true);
      const deployStep = steps[deployIndex];
      expect(String(deployStep.run).trim()).toBe(
        `npx cdktf deploy ${workloadOf(name)} --auto-approve --ignore-missing-stack-dependencies --var "image_tag=$IMAGE_TAG" --var "image_digest=$IMAGE_DIGEST"`,
      );
      expect(Object.keys(stacks[workloadOf(name)].variable ?? {})).toEqual(expect.arrayContaining(['image_tag', 'image_digest']));
      // The digest comes from this job's push step, which runs before the deploy and writes it after `docker push`.
      expect(steps[pushIndex].id).toBe('push');
      expect(pushIndex).toBeLessThan(deployIndex);
      expect(deployStep.env).toEqual({ IMAGE_DIGEST: '${{ steps.push.outputs.digest }}' });
      expect(steps.filter((s) => s.id === 'push')).toHaveLength(1);
      const pushScript = String(steps[pushIndex].run);
      expect(pushScript.indexOf('echo "digest=$digest" >> "$GITHUB_OUTPUT"')).toBeGreaterThan(pushScript.indexOf('docker push "$target"'));
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
    // The workload's definition deploys too, not only the app and the chart.
    expect(triggers(app).push).toMatchObject({
      branches: ['main'],
      paths: expect.arrayContaining(['app/**', 'charts/**', 'stacks/workload-stack.ts', 'stacks/environments.ts', 'stacks/props.ts', 'constructs/app-release.ts']),
    });
    for (const p of triggers(app).push.paths as string[]) if (!p.includes('*')) expect(fs.existsSync(path.join(ROOT, p))).toBe(true);
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
      // The OIDC token az holds expires after minutes and cannot be renewed: a second sign-in comes right before the
      // one step that talks to the cluster (through kubelogin), after the push and npm ci.
      const logins = steps.flatMap((s, i) => (usesOf(s) === 'azure/login' ? [i] : []));
      const deploy = steps.findIndex((s) => s.run?.includes('cdktf deploy') === true);
      expect(logins).toHaveLength(2);
      expect(logins[1]).toBe(deploy - 1);
      expect(logins[1]).toBeGreaterThan(steps.findIndex((s) => s.run?.includes('docker push') === true));
      expect(steps[logins[1]].with).toEqual(steps[logins[0]].with);
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

  test('infra-deploy: after each platform apply, the same job creates the app namespace as the infrastructure deployer', () => {
    const doc = wf('infra-deploy.yml');
    const appKubelogin = stepsUsing(wf('app.yml').jobs['deploy-dev'], 'azure/use-kubelogin')[0];
    for (const name of ENVIRONMENT_NAMES) {
      const steps = doc.jobs[`platform-${name}`].steps ?? [];
      const at = (pred: (s: WorkflowStep) => boolean) => steps.findIndex(pred);
      const deploy = at((s) => s.run?.includes('cdktf deploy') === true);
      const logins = steps.flatMap((s, i) => (usesOf(s) === 'azure/login' ? [i] : []));
      const kubelogin = at((s) => usesOf(s) === 'azure/use-kubelogin');
      const create = at((s) => s.run === 'bash .github/scripts/create-app-namespace.sh');
      // login, deploy, login again (fresh OIDC token: az cannot renew the first one), kubelogin, create: in order.
      expect(logins).toHaveLength(2);
      expect(logins[0]).toBeLessThan(deploy);
      expect([deploy, logins[1], kubelogin, create]).toEqual([deploy, deploy + 1, deploy + 2, deploy + 3]);
      expect(steps[logins[1]].with).toEqual(steps[logins[0]].with);
      expect(steps[kubelogin].uses).toBe(appKubelogin.uses);
      expect(steps[kubelogin].with).toEqual(appKubelogin.with);

      const step = steps[create];
      // Names come from what this job applied and synthesized, never from vars (read at job start: empty on the
      // first run, before platform-<env> writes them).
      expect(step.env).toEqual({
        PLATFORM_DIR: `cdktf.out/stacks/platform-${name}`,
        MANIFEST: 'cdktf.out/manifest.json',
        KUBECONFIG: '${{ runner.temp }}/kubeconfig',
      });
      expect(JSON.stringify(step)).not.toMatch(/vars\./);
      const run = NAMESPACE_SCRIPT;
      expect(run).not.toMatch(/vars\./);
      expect(run).toContain('terraform -chdir="$PLATFORM_DIR" output -raw cluster_id');
      expect(Object.keys(stacks[`platform-${name}`].output ?? {})).toContain('cluster_id');
      expect(run).toContain('az aks get-credentials --resource-group "$RESOURCE_GROUP" --name "$AKS_CLUSTER" --file "$KUBECONFIG" --overwrite-existing');
      expect(run).toContain('kubelogin convert-kubeconfig -l azurecli');
      expect(run).toContain('kubectl create namespace "$NAMESPACE" --dry-run=client -o yaml | kubectl apply -f -');
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
    expect(planScripts).toContain('terraform plan -lock=false -input=false -out=tfplan');
    expect(planScripts.join('\n')).toContain('terraform show -json tfplan | jq');
    // Only the counts leave the job: one small Markdown file per leg, never the plan or its JSON.
    const uploads = stepsUsing(plan, 'actions/upload-artifact');
    expect(uploads.map((u) => u.with)).toEqual([
      { name: 'plan-summary-${{ matrix.stack }}', path: '${{ runner.temp }}/plan-summary/${{ matrix.stack }}.md', 'retention-days': 7, 'if-no-files-found': 'error' },
    ]);
    expect(uploads[0].if).toBe('${{ !cancelled() }}');
    expect((plan.steps ?? []).find((s) => s.name === 'Record a failed plan')?.if).toBe('failure()');
    for (const job of Object.values(doc.jobs)) {
      for (const u of stepsUsing(job, 'actions/upload-artifact')) expect(String(u.with?.path)).not.toMatch(/tfplan|\.json$|\.tfstate/);
    }
  });

  test('infra-pr: the gate runs the base branch\'s plan-diff on this PR\'s synthesized JSON, never the PR\'s code', () => {
    const doc = wf('infra-pr.yml');
    // The head is synthesized by the synth job (PR code, no secrets, contents: read) and handed over as data.
    const synth = doc.jobs.synth;
    expect(synth.permissions).toEqual({ contents: 'read' });
    expect(JSON.stringify(synth)).not.toMatch(/secrets\./);
    expect(stepsUsing(synth, 'actions/upload-artifact')[0].with).toMatchObject({ name: 'cdktf-out', path: 'cdktf.out/stacks/' });

    const diff = doc.jobs['plan-diff'];
    expect(diff.needs).toBe('synth');
    expect(diff.permissions).toEqual({ contents: 'read' });
    expect(JSON.stringify(diff)).not.toMatch(/secrets\./);
    // The only checkout is the base commit, into base/.
    expect(stepsUsing(diff, 'actions/checkout').map((c) => c.with)).toEqual([
      { ref: '${{ github.event.pull_request.base.sha }}', path: 'base', 'persist-credentials': false },
    ]);
    const download = stepsUsing(diff, 'actions/download-artifact');
    expect(download.map((d) => d.with)).toEqual([{ name: 'cdktf-out', path: 'base/synth/pr/stacks' }]);
    // Whatever runs code runs it in base/ (the base branch's code); nothing runs from the workspace root.
    for (const step of diff.steps ?? []) {
      if (typeof step.run === 'string' && /\b(npm|npx|node|tsx)\b/.test(step.run)) expect(step['working-directory']).toBe('base');
    }
    const runs = scripts(diff).map((r) => r.replace(/\\\n\s*/g, ''));
    expect(runs).toContain('npm ci --ignore-scripts --no-audit --no-fund');
    expect(runs).toContain('npx cdktf synth --output synth/base');
    const command = runs.join('\n').split('\n').find((l) => l.includes('plan-diff --'))!.trim();
    expect(command).toBe(
      'npm run --silent plan-diff -- --base-dir synth/base --head-dir synth/pr --format markdown --fail-on replace,destroy --ack-file "$RUNNER_TEMP/pr-body.md" > "$OUT_DIR/plan-diff.md"',
    );
    // The arguments are ones plan-diff accepts: two existing syntheses, nothing synthesized by the tool itself.
    const args = command.replace(/^.* -- /, '').replace(/ > .*$/, '').replace(/"/g, '').split(' ');
    expect(parseCliArgs(args)).toMatchObject({ baseDir: 'synth/base', headDir: 'synth/pr', format: 'markdown', ackFile: '$RUNNER_TEMP/pr-body.md' });
    // The base is synthesized before the PR's data arrives, and plan-diff runs last.
    const steps = diff.steps ?? [];
    const idx = (pred: (s: WorkflowStep) => boolean) => steps.findIndex(pred);
    expect(idx((s) => s.run?.includes('cdktf synth') === true)).toBeLessThan(idx((s) => usesOf(s) === 'actions/download-artifact'));
    expect(idx((s) => usesOf(s) === 'actions/download-artifact')).toBeLessThan(idx((s) => s.id === 'diff'));

    const body = steps.find((s) => s.env?.PR_BODY !== undefined)!;
    expect(body.env).toEqual({ PR_BODY: '${{ github.event.pull_request.body }}' });
    expect(body.run).toBe(`printf '%s' "$PR_BODY" > "$RUNNER_TEMP/pr-body.md"`);
  });

  test('infra-pr: one sticky comment, live plan counts above the plan-diff table, then the gate', () => {
    const doc = wf('infra-pr.yml');
    const gate = doc.jobs['plan-diff-gate'];
    expect(gate.needs).toEqual(['plan', 'plan-diff']);
    expect(gate.if).toBe('${{ !cancelled() }}');
    const names = (gate.steps ?? []).map((s) => s.name ?? s.uses);
    expect(names.indexOf('Post or update the sticky comment')).toBeLessThan(names.indexOf('Enforce the gate'));
    expect(stepsUsing(gate, 'actions/download-artifact').map((d) => d.with)).toEqual([
      { name: 'plan-diff', path: '${{ runner.temp }}/plan-diff' },
      { pattern: 'plan-summary-*', 'merge-multiple': true, path: '${{ runner.temp }}/plan-summary' },
    ]);
    const comment = stepsUsing(gate, 'actions/github-script')[0];
    expect(comment.env).toMatchObject({ PLAN_RESULT: '${{ needs.plan.result }}', FORK: '${{ github.event.pull_request.head.repo.full_name != github.repository }}' });
    const script = String(comment.with?.script);
    expect(script).toMatch(/MARKER[\s\S]*Live plan \(terraform, read-only identity\)[\s\S]*plan-diff \(synthesized configuration, base vs\. this PR\)[\s\S]*updateComment[\s\S]*createComment/);
    expect(script).toContain('live plan skipped (fork PR, no OIDC token)');
    expect(script.match(/createComment\(/g)).toHaveLength(1);
  });
});

describe('workflow scripts, run against stubbed CLIs', () => {
  // bash and jq are on GitHub's ubuntu-24.04 runners; skip where this machine lacks them.
  const available = spawnSync('bash', ['-c', 'command -v jq'], { encoding: 'utf8' }).status === 0;
  const maybe = available ? test : test.skip;
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'workflow-scripts-'));
    fs.mkdirSync(path.join(dir, 'bin'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A fake CLI on PATH that logs its arguments to calls.log, then runs `body`. */
  const stub = (name: string, body = '') =>
    fs.writeFileSync(path.join(dir, 'bin', name), `#!/bin/bash\necho "${name} $*" >> "${dir}/calls.log"\n${body}\n`, { mode: 0o755 });
  /** Runs a step's script the way GitHub does (`bash -e`), with the step's env and stubs first on PATH. */
  const runStep = (step: WorkflowStep, env: Record<string, string>) =>
    spawnSync('bash', ['-e', '-c', String(step.run)], {
      cwd: dir,
      encoding: 'utf8',
      env: { PATH: `${path.join(dir, 'bin')}:${process.env.PATH ?? ''}`, HOME: dir, GITHUB_STEP_SUMMARY: path.join(dir, 'summary.md'), ...env },
    });
  const calls = () => (fs.existsSync(path.join(dir, 'calls.log')) ? fs.readFileSync(path.join(dir, 'calls.log'), 'utf8').trim().split('\n') : []);

  maybe('the plan counts: replacements count as add and destroy, data reads and no-ops not at all', () => {
    const plan = {
      resource_changes: [
        ['create'], ['update'], ['update'], ['delete', 'create'], ['create', 'delete'], ['delete'], ['no-op'], ['forget'],
      ].map((actions, i) => ({ address: `r.${i}`, mode: 'managed', change: { actions } })).concat([{ address: 'data.x', mode: 'data', change: { actions: ['read'] } }]),
    };
    fs.writeFileSync(path.join(dir, 'plan.json'), JSON.stringify(plan));
    stub('terraform', `[[ "$*" == "show -json tfplan" ]] && cat "${dir}/plan.json"`);
    const step = (wf('infra-pr.yml').jobs.plan.steps ?? []).find((s) => s.name === 'Count the planned changes')!;
    const result = runStep(step, { STACK: 'platform-dev', SUMMARY_DIR: path.join(dir, 'out') });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'out', 'platform-dev.md'), 'utf8')).toBe('`platform-dev`: 3 to add, 2 to change, 3 to destroy (2 replaced), 1 to forget\n');

    fs.writeFileSync(path.join(dir, 'plan.json'), '{}');
    expect(runStep(step, { STACK: 'platform-prod', SUMMARY_DIR: path.join(dir, 'out') }).status).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'out', 'platform-prod.md'), 'utf8')).toBe('`platform-prod`: 0 to add, 0 to change, 0 to destroy (0 replaced)\n');

    stub('terraform', 'exit 1');
    expect(runStep(step, { STACK: 'platform-dev', SUMMARY_DIR: path.join(dir, 'out') }).status).not.toBe(0);
  });

  maybe('a failed plan is recorded as its stack name in code marks', () => {
    const step = (wf('infra-pr.yml').jobs.plan.steps ?? []).find((s) => s.name === 'Record a failed plan')!;
    const result = runStep(step, { STACK: 'workload-dev', SUMMARY_DIR: path.join(dir, 'out') });
    expect(result.status).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'out', 'workload-dev.md'), 'utf8')).toBe('`workload-dev`: **plan failed**, see the job log\n');
  });

  maybe('the push step outputs the digest the registry stored for the pushed repository, and fails without one', () => {
    const digest = 'sha256:2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881';
    stub('az');
    // RepoDigests may also name other repositories the same image was pushed to; only this one counts.
    const dockerWith = (repoDigests: string[]) =>
      stub('docker', `[[ "$1" == inspect ]] && printf '%s\\n' ${repoDigests.map((d) => `'${d}'`).join(' ')}; exit 0`);
    const step = (wf('app.yml').jobs['deploy-staging'].steps ?? []).find((s) => s.id === 'push')!;
    const env = {
      ACR_NAME: 'acrstaging', ACR_LOGIN_SERVER: 'acrstaging.azurecr.io', IMAGE_NAME: 'ai-app', IMAGE_DIR: dir,
      LOCAL_IMAGE: 'ai-app', IMAGE_TAG: '3f786850e387550fdab836ed7e6dc881de23001b', GITHUB_OUTPUT: path.join(dir, 'output'),
    };
    dockerWith([`other.azurecr.io/ai-app@sha256:${'0'.repeat(64)}`, `acrstaging.azurecr.io/ai-app@${digest}`]);
    const ok = runStep(step, env);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'output'), 'utf8')).toBe(`digest=${digest}\n`);
    const target = 'acrstaging.azurecr.io/ai-app:3f786850e387550fdab836ed7e6dc881de23001b';
    expect(calls()).toEqual([
      'az acr login --name acrstaging',
      `docker load --input ${dir}/image.tar`,
      `docker tag ai-app:3f786850e387550fdab836ed7e6dc881de23001b ${target}`,
      `docker push ${target}`,
      `docker inspect --format {{range .RepoDigests}}{{println .}}{{end}} ${target}`,
    ]);

    fs.rmSync(path.join(dir, 'output'));
    dockerWith([`other.azurecr.io/ai-app@${digest}`]);
    const missing = runStep(step, env);
    expect(missing.status).toBe(1);
    expect(missing.stdout).toContain('::error::no single sha256 digest');
    expect(fs.existsSync(path.join(dir, 'output'))).toBe(false);
  });

  maybe('the namespace step: cluster and resource group from the cluster_id output, namespace from the synthesized release', () => {
    const name: EnvironmentName = 'staging';
    expect((wf('infra-deploy.yml').jobs[`platform-${name}`].steps ?? []).some((s) => s.run === 'bash .github/scripts/create-app-namespace.sh')).toBe(true);
    const step: WorkflowStep = { run: NAMESPACE_SCRIPT };
    const clusterId = '/subscriptions/0000/resourceGroups/rg-x/providers/Microsoft.ContainerService/managedClusters/aks-x';
    stub('terraform', `printf '%s' '${clusterId}'`);
    stub('az');
    stub('kubelogin');
    stub('kubectl', 'if [[ "$1" == create ]]; then printf "kind: Namespace\\nmetadata:\\n  name: %s\\n" "$3"; else cat >> "$(dirname "$0")/../applied.yaml"; fi');
    const env = { PLATFORM_DIR: path.join(outdir, 'stacks', `platform-${name}`), MANIFEST: path.join(outdir, 'manifest.json'), KUBECONFIG: path.join(dir, 'kubeconfig') };
    const result = runStep(step, env);
    expect(result.status).toBe(0);
    const namespace = config.environments[name].applications[0].namespace;
    const log = calls();
    expect(log.slice(0, 3)).toEqual([
      `terraform -chdir=${env.PLATFORM_DIR} output -raw cluster_id`,
      `az aks get-credentials --resource-group rg-x --name aks-x --file ${env.KUBECONFIG} --overwrite-existing`,
      'kubelogin convert-kubeconfig -l azurecli',
    ]);
    // The two ends of the pipe run at the same time: their order in the log is not fixed.
    expect(log.slice(3).sort()).toEqual(['kubectl apply -f -', `kubectl create namespace ${namespace} --dry-run=client -o yaml`]);
    expect(fs.readFileSync(path.join(dir, 'applied.yaml'), 'utf8')).toContain(`name: ${namespace}`);

    // A namespace that is not a literal name (say, a reference) stops the step before it touches the cluster.
    fs.rmSync(path.join(dir, 'calls.log'));
    const broken = path.join(dir, 'broken-out');
    fs.cpSync(outdir, broken, { recursive: true });
    const workloadJson = path.join(broken, 'stacks', workloadOf(name), 'cdk.tf.json');
    const tf = JSON.parse(fs.readFileSync(workloadJson, 'utf8')) as { resource: { helm_release: Record<string, { namespace: string }> } };
    for (const release of Object.values(tf.resource.helm_release)) release.namespace = '${kubernetes_namespace.app.metadata[0].name}';
    fs.writeFileSync(workloadJson, JSON.stringify(tf));
    const bad = runStep(step, { ...env, MANIFEST: path.join(broken, 'manifest.json') });
    expect(bad.status).not.toBe(0);
    expect(bad.stdout).toMatch(/::error::not a Kubernetes namespace name/);
    expect(calls().filter((c) => !c.startsWith('terraform '))).toEqual([]);

    // And so does a cluster_id that is not an AKS cluster.
    fs.rmSync(path.join(dir, 'calls.log'));
    stub('terraform', `printf '%s' 'not-an-id'`);
    expect(runStep(step, env).status).not.toBe(0);
    expect(calls().filter((c) => !c.startsWith('terraform '))).toEqual([]);
  });
});
