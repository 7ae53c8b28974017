/**
 * The GitHub workflows (every file in .github/workflows), offline:
 * - each validates against GitHub's workflow schema (@action-validator/core);
 * - each Azure sign-in matches an identity the synthesized stacks federate (see workflow-identities.ts), also in the
 *   jobs app.yml runs through the reusable deploy.yml, and the check provably catches a renamed environment, a
 *   dropped federated credential and a call that does not pass the environment's secrets;
 * - every secret and variable a job reads is written by a stack where that job can read it;
 * - supply chain: the image is signed (cosign keyless, in the workflow and on the branch stacks/environments.ts
 *   `supplyChain` names) only after the Trivy gate, by the digest every environment then stores and deploys, with the
 *   SBOM attested and build provenance; Trivy's SARIF reaches code scanning from the one job allowed to write it;
 *   the ACR builder scans before anything gets a deployable tag;
 * - delivery: one deploy definition (deploy.yml) per environment; push delivery deploys with cdktf through kubelogin,
 *   GitOps delivery never touches the cluster and records the image in Git (a commit for staging, a pull request
 *   that promotes staging's image for prod), then publishes it (gitops-publish.yml after a merge);
 * - least privilege: each job's permissions, table-driven; SHA-pinned actions, timeouts, one delivery per
 *   environment at a time, `npm ci --ignore-scripts`, no `latest`, no `${{ }}` in scripts;
 * - the PR gate runs the base branch's plan-diff on data only, the live plan leaves nothing but counts;
 * - the workflow scripts (.github/scripts and run: blocks) run against stubbed CLIs.
 * The app is synthesized once (every stack) into a temporary directory.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { validateWorkflow } from '@action-validator/core';
import { parseCliArgs } from '../tools/plan-diff/cli';
import { EnvironmentName, config } from '../stacks/environments';
import {
  JobRun,
  StackJson,
  TrustedSubjectsByStack,
  Workflow,
  WorkflowDoc,
  WorkflowJob,
  WorkflowStep,
  allJobRuns,
  callInputs,
  checkWorkflowIdentities,
  checkWorkflowReferences,
  environmentOf,
  isCallOnly,
  jobRuns,
  localWorkflowFile,
  matrixCombinations,
  resolveLogins,
  trustFromSynth,
  triggers,
} from './workflow-identities';
import { synthesizedApp, synthesizedStacks } from './helpers';

const ROOT = path.join(__dirname, '..');
const WORKFLOW_DIR = path.join(ROOT, '.github', 'workflows');
const SCRIPT_DIR = path.join(ROOT, '.github', 'scripts');
const NAMESPACE_SCRIPT = fs.readFileSync(path.join(SCRIPT_DIR, 'create-app-namespace.sh'), 'utf8');
/** Every workflow file: a new one is checked like the others without being listed here. */
const FILES = fs.readdirSync(WORKFLOW_DIR).filter((f) => /\.ya?ml$/.test(f)).sort();
const sources: Record<string, string> = Object.fromEntries(FILES.map((f) => [f, fs.readFileSync(path.join(WORKFLOW_DIR, f), 'utf8')]));
const workflows: Workflow[] = FILES.map((file) => ({ file, doc: parse(sources[file]) as WorkflowDoc }));
const wf = (file: string): WorkflowDoc => {
  const found = workflows.find((w) => w.file === file);
  if (!found) throw new Error(`no workflow ${file}`);
  return found.doc;
};

/** Secrets set by hand (documented in the workflows), never by Terraform: tokens cannot live in state. */
const EXTERNAL = new Set(['GH_ADMIN_TOKEN', 'GH_PLAN_TOKEN']);
/** Written by the `state-bootstrap` stack; allowed to be missing until a stack writes them, then checked in full. */
const INFRA_CLIENT_ID = 'AZURE_INFRA_CLIENT_ID';
const INFRA_SECRETS = [INFRA_CLIENT_ID, 'AZURE_INFRA_TENANT_ID', 'AZURE_INFRA_SUBSCRIPTION_ID'];
const OIDC_ISSUER = 'https://token.actions.githubusercontent.com';

const repository = config.repository;
// The workflows deploy the shipped configuration: its environments, each with its one application.
const ENVIRONMENT_NAMES = Object.keys(config.environments);
const appOf = (name: EnvironmentName) => config.environments[name].applications[0];
/** The GitHub environment an environment's application delivers from (its deploy identity's subject). */
const githubEnv = (name: EnvironmentName) => appOf(name).githubEnvironment;
const deliveryOf = (name: EnvironmentName) => config.environments[name].delivery;
const GITOPS_ENVS = ENVIRONMENT_NAMES.filter((n) => deliveryOf(n) === 'gitops');
const PUSH_ENVS = ENVIRONMENT_NAMES.filter((n) => deliveryOf(n) === 'push');
/**
 * The environments gitops-publish.yml has a job for: those the workflows deliver by GitOps when their config says so
 * (staging by a commit, prod by a pull request). Every GitOps environment must be among them; one that delivers by
 * push has no deploy/<env> tree, and its job does not start.
 */
const PUBLISHED_ENVS = ['staging', 'prod'];
const workloadOf = (name: EnvironmentName) => `workload-${name}-${appOf(name).name}`;
/** The environment a synthesized stack belongs to: platform-<env>, or workload-<env>-<app> of a configured application. */
const environmentOfStack = (stack: string) => ENVIRONMENT_NAMES.find((e) => stack === `platform-${e}` || config.environments[e].applications.some((a) => stack === `workload-${e}-${a.name}`));
/** The environment config a GitHub environment name belongs to. */
const envByGithubName = (githubName: string) => ENVIRONMENT_NAMES.find((n) => githubEnv(n) === githubName);
/** The certificate identity the admission policy expects, from config alone. */
const SIGNER = `https://github.com/${config.repository}/${config.supplyChain.workflow}@refs/heads/${config.supplyChain.branch}`;
const SIGNING_FILE = path.basename(config.supplyChain.workflow);

const usesOf = (step: WorkflowStep) => (typeof step.uses === 'string' ? step.uses.split('@')[0].toLowerCase() : undefined);
const stepsUsing = (job: WorkflowJob, action: string) => (job.steps ?? []).filter((s) => usesOf(s) === action);
const usesAzureLogin = (job: WorkflowJob) => stepsUsing(job, 'azure/login').length > 0;
/** Every job as written in its file (a calling job included, its called jobs not expanded). */
const allJobs = () => workflows.flatMap((w) => Object.entries(w.doc.jobs).map(([id, job]) => ({ file: w.file, doc: w.doc, id, job })));
const scripts = (job: WorkflowJob) => (job.steps ?? []).flatMap((s) => (typeof s.run === 'string' ? [s.run] : []));
const stepNamed = (job: WorkflowJob, name: string) => {
  const step = (job.steps ?? []).find((s) => s.name === name);
  if (!step) throw new Error(`no step "${name}"`);
  return step;
};
const indexOf = (job: WorkflowJob, pred: (s: WorkflowStep) => boolean) => (job.steps ?? []).findIndex(pred);
/** The jobs of app.yml that call deploy.yml, in order, with the environment config each delivers to. */
const deployCalls = () =>
  Object.entries(wf('app.yml').jobs)
    .filter(([, job]) => typeof job.uses === 'string' && localWorkflowFile(job.uses) === 'deploy.yml')
    .map(([id, job]) => ({ id, job, env: envByGithubName(String(job.with?.environment)) }));
/**
 * The runs that never start in the shipped config: deploy.yml's GitOps jobs where DELIVERY is push (each one's `if:`
 * reads the image job's delivery), and gitops-publish.yml's job for an environment without deploy/<env> (push).
 */
const unreachable = (file: string, run: JobRun) => {
  if (run.definedIn.file === 'deploy.yml' && run.id.startsWith('gitops-')) {
    const env = envByGithubName(String(run.call?.job.with?.environment));
    return env === undefined || deliveryOf(env) !== 'gitops';
  }
  if (file === 'gitops-publish.yml' && run.id.startsWith('publish-')) return deliveryOf(run.id.replace(/^publish-/, '')) !== 'gitops';
  return false;
};

let outdir: string;
let stacks: Record<string, StackJson>;
let trust: TrustedSubjectsByStack;
let pending: Set<string>;

beforeAll(() => {
  outdir = synthesizedApp('shipped');
  stacks = synthesizedStacks('shipped');
  trust = trustFromSynth(stacks);
  const published = new Set(Object.values(trust).flatMap((t) => t.published.map((p) => p.name)));
  pending = new Set(INFRA_SECRETS.filter((n) => !published.has(n)));
});

test('the shipped config the workflows are written for: dev, staging, prod, one application each; GitOps only where gitops-publish.yml publishes', () => {
  // app.yml's sign and build-acr jobs use the first environment's registry; deploy.yml covers both delivery modes in
  // every environment. A config outside this shape needs its workflows adapted (docs/workflows.md).
  expect(ENVIRONMENT_NAMES).toEqual(['dev', 'staging', 'prod']);
  for (const name of ENVIRONMENT_NAMES) expect(config.environments[name].applications).toHaveLength(1);
  for (const name of GITOPS_ENVS) expect(PUBLISHED_ENVS).toContain(name);
});

describe('schema', () => {
  /** Permission scopes GitHub added after the validator's schema (0.6.0, its newest release); actionlint knows them. */
  const NEWER_SCOPES = /^\s+attestations: (read|write|none)\n/gm;

  /** The validator's errors for `text`; it warns on stdout that it cannot check `paths` globs from Node, as expected. */
  const schemaErrors = (text: string) => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      return validateWorkflow(text.replace(NEWER_SCOPES, '')).errors;
    } finally {
      warn.mockRestore();
      log.mockRestore();
    }
  };

  test.each(FILES)('%s validates against the GitHub workflow schema', (file) => {
    expect(schemaErrors(sources[file])).toEqual([]);
  });

  test('the schema check bites: a misspelled key in a job is an error', () => {
    const [file] = FILES.filter((f) => sources[f].includes('timeout-minutes:'));
    expect(schemaErrors(sources[file].replace('timeout-minutes:', 'timeout-minutez:')).length).toBeGreaterThan(0);
  });

  test('the only scope left out of the schema check is attestations, on the signing job', () => {
    const lines = FILES.flatMap((f) => [...sources[f].matchAll(NEWER_SCOPES)].map((m) => `${f}:${m[0].trim()}`));
    expect(lines).toEqual([`${SIGNING_FILE}:attestations: write`]);
  });
});

describe('Azure sign-in matches the synthesized federated credentials', () => {
  test('every azure/login job presents a subject its identity trusts', () => {
    expect(checkWorkflowIdentities(workflows, trust, repository, { pending })).toEqual([]);
  });

  /** The deploy identity of `name`'s application: it, and only it, trusts that environment's subject. */
  const expectDeployIdentity = (login: ReturnType<typeof resolveLogins>[number], name: EnvironmentName) => {
    expect(login).toMatchObject({ environment: githubEnv(name), stack: 'state-bootstrap', clientId: '${{ secrets.AZURE_CLIENT_ID }}', subjects: [`repo:${repository}:environment:${githubEnv(name)}`] });
    expect(login.identity).toMatch(new RegExp(`^azurerm_user_assigned_identity\\.deploy-${name}-${appOf(name).name}_`));
    const identity = trust[login.stack!].identities.find((i) => i.address === login.identity)!;
    expect(identity.subjects).toEqual(login.subjects);
  };

  test('app.yml and the deploy.yml jobs it calls sign in as the environment\'s deploy identity, which trusts only that environment', () => {
    const logins = resolveLogins(workflows, trust, repository, { pending }).filter((l) => l.file === 'app.yml');
    const first = ENVIRONMENT_NAMES[0];
    // The ACR build and the signing job use the first environment's registry; each delivery signs in twice in
    // `image` (the second time for a fresh token before the cluster step) and once to publish GitOps manifests.
    expect(logins.map((l) => l.job)).toEqual([
      'build-acr',
      'sign',
      ...ENVIRONMENT_NAMES.flatMap((n) => [`deploy-${n}/image`, `deploy-${n}/image`, `deploy-${n}/gitops-publish`]),
    ]);
    for (const login of logins) {
      const name = login.job.startsWith('deploy-') ? ENVIRONMENT_NAMES.find((n) => login.job.startsWith(`deploy-${n}/`))! : first;
      expectDeployIdentity(login, name);
    }
  });

  test('gitops-publish.yml publishes each GitOps environment as that environment\'s deploy identity', () => {
    const logins = resolveLogins(workflows, trust, repository, { pending }).filter((l) => l.file === 'gitops-publish.yml');
    expect(logins.map((l) => l.job)).toEqual(PUBLISHED_ENVS.map((n) => `publish-${n}`));
    for (const login of logins) expectDeployIdentity(login, login.job.replace(/^publish-/, ''));
  });

  test('PR plans sign in, without an environment, as the read-only plan identity of the stack they plan', () => {
    const logins = resolveLogins(workflows, trust, repository, { pending }).filter((l) => l.file === 'infra-pr.yml');
    const platformStacks = ENVIRONMENT_NAMES.map((n) => `platform-${n}`).sort();
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

  test('every azure/login step of every job run is resolved and checked, none skipped; reusable workflows run only through their callers', () => {
    const expected = allJobRuns(workflows).flatMap(({ workflow, run }) =>
      (run.job.steps ?? []).flatMap((s, i) => (usesOf(s) === 'azure/login' ? [`${workflow.file}:${run.label}:${i}`] : [])),
    );
    const resolved = resolveLogins(workflows, trust, repository, { pending });
    expect(resolved.map((l) => `${l.file}:${l.job}:${l.step}`)).toEqual(expected);
    // deploy.yml runs only when app.yml calls it, once per environment: its sign-ins are checked in each call.
    expect(isCallOnly(wf('deploy.yml'))).toBe(true);
    expect(resolved.some((l) => l.file === 'deploy.yml')).toBe(false);
    const perCall = Object.values(wf('deploy.yml').jobs).reduce((n, job) => n + stepsUsing(job, 'azure/login').length, 0);
    expect(resolved.filter((l) => /^deploy-[^/]+\//.test(l.job))).toHaveLength(perCall * deployCalls().length);
    // The parsed jobs hold every azure/login line of the raw text: nothing escapes the check.
    const rawCount = FILES.reduce((n, f) => n + (sources[f].match(/^\s*(?:-\s+)?uses:\s*azure\/login@/gim) ?? []).length, 0);
    expect(allJobs().reduce((n, { job }) => n + stepsUsing(job, 'azure/login').length, 0)).toBe(rawCount);
  });

  test('platform deploys sign in as the infrastructure deployer, twice per job (checked in full once a stack writes AZURE_INFRA_CLIENT_ID)', () => {
    const logins = resolveLogins(workflows, trust, repository, { pending }).filter((l) => l.file === 'infra-deploy.yml');
    // Once before the apply, once more (a fresh OIDC token) before creating the namespace.
    expect(logins.map((l) => l.environment)).toEqual(ENVIRONMENT_NAMES.flatMap((n) => [config.environments[n].github.environment, config.environments[n].github.environment]));
    for (const login of logins) {
      expect(login.clientId).toBe(`\${{ secrets.${INFRA_CLIENT_ID} }}`);
      if (pending.has(INFRA_CLIENT_ID)) {
        expect(login.pending).toBe(true);
      } else {
        // Separation of duties: never the app's deploy identity, which must not change the platform.
        const name = ENVIRONMENT_NAMES.find((n) => config.environments[n].github.environment === login.environment)!;
        const appDeploy = resolveLogins(workflows, trust, repository).find((l) => l.file === 'app.yml' && l.job.startsWith(`deploy-${name}/`))!;
        expect(login.identity).toBeDefined();
        expect(`${login.stack}/${login.identity}`).not.toBe(`${appDeploy.stack}/${appDeploy.identity}`);
        const identity = trust[login.stack!].identities.find((i) => i.address === login.identity)!;
        expect(identity.subjects).toEqual([`repo:${repository}:environment:${login.environment}`]);
      }
    }
  });

  describe('the check bites', () => {
    const mutated = (file: string, change: (doc: WorkflowDoc) => void): Workflow[] =>
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

    test('a delivery called with its environment renamed to production-x', () => {
      const broken = mutated('app.yml', (doc) => {
        doc.jobs['deploy-prod'].with!.environment = 'production-x';
      });
      const problems = checkWorkflowIdentities(broken, trust, repository, { pending });
      expect(problems.filter((p) => !p.startsWith('app.yml: job deploy-prod/'))).toEqual([]);
      expect(problems).toContainEqual(expect.stringMatching(/^app\.yml: job deploy-prod\/image: client-id .*AZURE_CLIENT_ID.*no stack writes secret AZURE_CLIENT_ID in environment "production-x"/));
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
      expect(problems.join('\n')).toMatch(/app\.yml: job deploy-prod\/image: signs in as state-bootstrap's .*deploy-prod.* which does not trust subject/);
      expect(problems.join('\n')).toMatch(/gitops-publish\.yml: job publish-prod: signs in as state-bootstrap's .*deploy-prod.* which does not trust subject/);
    });

    test('the prod environment subject renamed in the synthesized credentials', () => {
      const problems = checkWorkflowIdentities(workflows, credentialsEdited(prodSubject(), (s) => `${s}-x`), repository, { pending });
      expect(problems.join('\n')).toMatch(/deploy-prod\/image: .*does not trust subject repo:.*:environment:prod; it trusts repo:.*:environment:prod-x/);
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

    test('the deploy definition signing in with the plan identity, and a client secret', () => {
      const broken = mutated('deploy.yml', (doc) => {
        const login = stepsUsing(doc.jobs.image, 'azure/login')[0];
        login.with = { ...login.with, 'client-id': '${{ vars.PLAN_DEV_AZURE_CLIENT_ID }}', 'client-secret': '${{ secrets.X }}' };
      });
      const problems = checkWorkflowIdentities(broken, trust, repository, { pending }).join('\n');
      expect(problems).toMatch(/app\.yml: job deploy-dev\/image: signs in as state-bootstrap's .*plan-dev.*PLAN_DEV_AZURE_CLIENT_ID.*does not trust subject .*environment:dev/);
      expect(problems).toMatch(/deploy-dev\/image: azure\/login must use OIDC/);
      expect(problems).toMatch(/deploy-dev\/image: ARM_CLIENT_ID .* differs from azure\/login client-id/);
      // Every environment's call runs the same broken definition.
      for (const name of ENVIRONMENT_NAMES) expect(problems).toContain(`app.yml: job deploy-${name}/image: azure/login must use OIDC`);
    });

    test('a sign-in whose subject depends on the ref (no environment, workflow_dispatch)', () => {
      const broken = mutated('deploy.yml', (doc) => {
        delete doc.jobs.image.environment;
      });
      const problems = checkWorkflowIdentities(broken, trust, repository, { pending }).join('\n');
      // The called job runs on its caller's events: app.yml's push and workflow_dispatch.
      expect(problems).toMatch(/deploy-dev\/image: no environment, and the "workflow_dispatch" event gives a subject that depends on the ref/);
      expect(problems).toMatch(/deploy-dev\/image: client-id .*: no stack writes secret AZURE_CLIENT_ID at repository level/);
    });

    test('a call that does not pass the environment\'s secrets (they would resolve empty in deploy.yml)', () => {
      const broken = mutated('app.yml', (doc) => {
        delete doc.jobs['deploy-staging'].secrets;
      });
      const problems = checkWorkflowIdentities(broken, trust, repository, { pending });
      expect(problems).toContainEqual(
        'app.yml: job deploy-staging/image: client-id ${{ secrets.AZURE_CLIENT_ID }}: the calling job deploy-staging neither inherits nor passes secret AZURE_CLIENT_ID, so it resolves empty in the called workflow',
      );
      expect(problems.filter((p) => !p.startsWith('app.yml: job deploy-staging/'))).toEqual([]);
      expect(checkWorkflowReferences(broken, trust, { external: EXTERNAL, pending, unreachable })).toContainEqual(
        'app.yml: job deploy-staging/image: reads secret AZURE_TENANT_ID, which the calling job deploy-staging neither inherits nor passes: it resolves empty',
      );
    });

    test('a call to a workflow the check cannot see is reported, not skipped', () => {
      const broken = mutated('app.yml', (doc) => {
        doc.jobs['deploy-dev'].uses = './.github/workflows/deploy-x.yml';
      });
      expect(checkWorkflowIdentities(broken, trust, repository, { pending })).toContainEqual(
        'app.yml: job deploy-dev: calls ./.github/workflows/deploy-x.yml, which is not a workflow of this repository the check was given',
      );
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
      expect(of('infra')).toEqual([`repo:${repository}:environment:${config.environments[name].github.environment}`]);
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

  test('a call runs the reusable workflow\'s jobs with the caller\'s inputs over the declared defaults', () => {
    const called: Workflow = {
      file: 'r.yml',
      doc: {
        on: { workflow_call: { inputs: { environment: { type: 'string', required: true }, mode: { type: 'string', default: 'commit' } } } },
        env: { TOP: '1' },
        jobs: { a: { environment: { name: '${{ inputs.environment }}' }, env: { M: 'mode=${{ inputs.mode }}' } } },
      },
    };
    const caller: Workflow = { file: 'c.yml', doc: { on: { push: { branches: ['main'] } }, jobs: { call: { uses: './.github/workflows/r.yml', with: { environment: 'qa' } } } } };
    expect(callInputs(called.doc, caller.doc.jobs.call)).toEqual({ mode: 'commit', environment: 'qa' });
    const runs = jobRuns(caller, [], [caller, called]);
    expect(runs.map((r) => ({ label: r.label, env: environmentOf(r.job), m: r.job.env?.M, definedIn: r.definedIn.file, caller: r.call?.id }))).toEqual([
      { label: 'call/a', env: 'qa', m: 'mode=commit', definedIn: 'r.yml', caller: 'call' },
    ]);
    expect(allJobRuns([caller, called]).map(({ workflow, run }) => `${workflow.file}:${run.label}`)).toEqual(['c.yml:call/a']);
  });
});

describe('secrets and variables', () => {
  test('every secret and variable a job reads is written by a stack where the job can read it', () => {
    expect(checkWorkflowReferences(workflows, trust, { external: EXTERNAL, pending, unreachable })).toEqual([]);
  });

  test('the GitOps jobs of a push environment are left out of that check only because their if: rules them out there', () => {
    const deploy = wf('deploy.yml');
    for (const id of Object.keys(deploy.jobs).filter((j) => j.startsWith('gitops-'))) {
      // Directly or through the job it needs: nothing runs unless the image job reported gitops delivery.
      const job = deploy.jobs[id];
      const guard = String(job.if).includes("needs.image.outputs.delivery == 'gitops'") || (job.needs?.includes('gitops-commit') === true && job.if === "needs.gitops-commit.result == 'success'");
      expect({ id, guard }).toEqual({ id, guard: true });
    }
    expect(String(deploy.jobs['gitops-commit'].if)).toContain("needs.image.outputs.delivery == 'gitops'");
    // gitops-publish.yml starts a publish job only for an environment with a deploy/<env> tree, which exists for the
    // GitOps environments alone (gitops-changes.sh, tested below).
    expect(fs.readFileSync(path.join(SCRIPT_DIR, 'gitops-changes.sh'), 'utf8')).toContain('if [[ ! -d "deploy/$env" ]]; then');
    for (const name of PUBLISHED_ENVS) expect(wf('gitops-publish.yml').jobs[`publish-${name}`].if).toContain(`needs.changes.outputs.${name} == 'true'`);
    // Without the allowance, a push environment's GitOps variables are missing, and only those.
    const strict = checkWorkflowReferences(workflows, trust, { external: EXTERNAL, pending });
    const missing = (where: string, n: string) =>
      ['GITOPS_STORAGE_ACCOUNT', 'GITOPS_CONTAINER'].map((v) => `${where}: reads variable ${v}, which no stack writes in environment "${githubEnv(n)}" or at repository level`);
    expect(strict.sort()).toEqual(
      [
        ...PUSH_ENVS.flatMap((n) => missing(`app.yml: job deploy-${n}/gitops-publish`, n)),
        ...PUSH_ENVS.filter((n) => PUBLISHED_ENVS.includes(n)).flatMap((n) => missing(`gitops-publish.yml: job publish-${n}`, n)),
      ].sort(),
    );
  });

  test('the reference check bites: a variable the environment does not have', () => {
    const broken = workflows.map((w) => (w.file === 'deploy.yml' ? { file: w.file, doc: parse(sources['deploy.yml'].replaceAll('vars.ACR_NAME ', 'vars.ACR_NAME_X ')) as WorkflowDoc } : w));
    expect(checkWorkflowReferences(broken, trust, { external: EXTERNAL, pending, unreachable })).toEqual(
      ENVIRONMENT_NAMES.map((n) => `app.yml: job deploy-${n}/image: reads variable ACR_NAME_X, which no stack writes in environment "${githubEnv(n)}" or at repository level`),
    );
    // A plan job reading an environment variable: plans declare no environment, so they cannot see it.
    const planReadsEnvVar = workflows.map((w) =>
      w.file === 'infra-pr.yml' ? { file: w.file, doc: parse(sources['infra-pr.yml'].replace('vars.PLAN_DEV_AZURE_TENANT_ID', 'vars.ACR_NAME')) as WorkflowDoc } : w,
    );
    expect(checkWorkflowReferences(planReadsEnvVar, trust, { external: EXTERNAL, pending, unreachable })).toEqual([
      'infra-pr.yml: job plan[stack=platform-dev]: reads variable ACR_NAME, which no stack writes at repository level',
    ]);
  });

  test('the delivery mode and the GitOps source come from the variables platform-<env> writes', () => {
    const deploy = wf('deploy.yml');
    expect(stepNamed(deploy.jobs.image, 'Delivery mode (DELIVERY, written by platform-<env>)').env?.DELIVERY).toBe('${{ vars.DELIVERY }}');
    for (const job of [deploy.jobs['gitops-publish'], ...Object.values(wf('gitops-publish.yml').jobs).filter((j) => usesAzureLogin(j))]) {
      const publish = (job.steps ?? []).find((s) => s.run === 'bash .github/scripts/gitops-publish.sh')!;
      expect(publish.env).toMatchObject({ DELIVERY: '${{ vars.DELIVERY }}', GITOPS_STORAGE_ACCOUNT: '${{ vars.GITOPS_STORAGE_ACCOUNT }}', GITOPS_CONTAINER: '${{ vars.GITOPS_CONTAINER }}' });
    }
    // No AKS variable anywhere in the deploy definition: with GitOps nothing may need the cluster.
    expect(sources['deploy.yml']).not.toMatch(/vars\.AKS_|vars\.NAMESPACE/);
  });

  test('no secret is echoed and no expression is interpolated into a script', () => {
    const problems: string[] = [];
    for (const { file, doc, id, job } of allJobs()) {
      const secretEnv = new Set(
        [doc.env, job.env, ...(job.steps ?? []).map((s) => s.env)]
          .flatMap((e) => Object.entries(e ?? {}))
          .filter(([, v]) => /secrets\.|github\.token/.test(String(v)))
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
    // The scripts the steps run: no tracing, and the registry token only ever in a pipe.
    for (const file of fs.readdirSync(SCRIPT_DIR)) {
      const text = fs.readFileSync(path.join(SCRIPT_DIR, file), 'utf8');
      expect({ file, trace: /^\s*set\s+-[a-z]*x/m.test(text), strict: text.includes('set -euo pipefail') }).toEqual({ file, trace: false, strict: true });
    }
    const login = fs.readFileSync(path.join(SCRIPT_DIR, 'registry-login.sh'), 'utf8');
    expect(login).toMatch(/az acr login --name "\$ACR_NAME" --expose-token --output tsv --query accessToken \\\n\s+\| cosign login "\$ACR_LOGIN_SERVER" --username 00000000-0000-0000-0000-000000000000 --password-stdin/);
  });
});

test('hand-managed tokens reach only the step that needs them, never a whole job or workflow', () => {
  const problems: string[] = [];
  for (const { file, doc, id, job } of allJobs()) {
    for (const [scope, env] of [['workflow', doc.env], [`job ${id}`, job.env]] as const) {
      for (const [name, value] of Object.entries(env ?? {})) {
        const refs = [...String(value).matchAll(/secrets\.(\w+)/g)].map((m) => m[1]);
        if (refs.some((r) => EXTERNAL.has(r)) || /github\.token/.test(String(value))) problems.push(`${file}: ${scope}: env ${name} exposes a token to every step`);
      }
    }
  }
  expect(problems).toEqual([]);
  const tokenSteps = allJobs().flatMap(({ job }) => (job.steps ?? []).filter((s) => Object.values(s.env ?? {}).some((v) => /secrets\.GH_/.test(String(v)))));
  expect(tokenSteps.map((s) => s.run?.trim().split(' ').slice(0, 3).join(' ')).sort()).toEqual([
    'terraform plan -lock=false',
    ...ENVIRONMENT_NAMES.map(() => 'npx cdktf deploy'),
  ].sort());
  // deploy.yml inherits the caller's secrets (the only way it sees an environment's), and reads none of the tokens.
  expect(sources['deploy.yml']).not.toMatch(/secrets\.GH_/);
  // The workflow token goes to the Git steps that need it, as GH_TOKEN, and nowhere else.
  const workflowToken = allJobs().flatMap(({ file, id, job }) => (job.steps ?? []).filter((s) => Object.values(s.env ?? {}).some((v) => /github\.token/.test(String(v)))).map(() => `${file}:${id}`));
  expect(workflowToken).toEqual(['deploy.yml:gitops-commit', 'deploy.yml:gitops-pull-request', 'flux-alert.yml:issue']);
  for (const id of ['gitops-commit', 'gitops-pull-request']) {
    expect(scripts(wf('deploy.yml').jobs[id]).filter((s) => s.startsWith('bash .github/scripts/gitops-'))).toHaveLength(1);
  }
});

describe('permissions: each job holds the least it needs', () => {
  const envJobs = (prefix: string, perms: Record<string, string>) => Object.fromEntries(ENVIRONMENT_NAMES.map((n) => [`${prefix}${n}`, perms]));
  /** What each job needs, and why. A new job, or a job asking for more, fails until it is added here. */
  const EXPECTED: Record<string, Record<string, Record<string, string>>> = {
    'app.yml': {
      test: { contents: 'read' },
      build: { contents: 'read' },
      // The dev deploy identity builds in dev's registry (ACR Tasks) and reads the image back for the scan.
      'build-acr': { contents: 'read', 'id-token': 'write' },
      // Uploads SARIF: the only job that writes security events (actions: read for private repositories).
      'scan-report': { actions: 'read', contents: 'read', 'security-events': 'write' },
      // Azure sign-in, the Fulcio certificate and the provenance (id-token); the attestation store (attestations).
      sign: { 'id-token': 'write', attestations: 'write' },
      // The ceiling for deploy.yml's jobs: the union of what they ask for (a called job may not ask for more).
      ...envJobs('deploy-', { contents: 'write', 'id-token': 'write', 'pull-requests': 'write' }),
    },
    'deploy.yml': {
      image: { contents: 'read', 'id-token': 'write' },
      'gitops-commit': { contents: 'write' },
      'gitops-publish': { contents: 'read', 'id-token': 'write' },
      'gitops-pull-request': { contents: 'write', 'pull-requests': 'write' },
    },
    'gitops-publish.yml': {
      changes: { contents: 'read' },
      ...Object.fromEntries(PUBLISHED_ENVS.map((n) => [`publish-${n}`, { contents: 'read', 'id-token': 'write' }])),
    },
    'infra-deploy.yml': envJobs('platform-', { contents: 'read', 'id-token': 'write' }),
    'infra-pr.yml': {
      test: { contents: 'read' },
      synth: { contents: 'read' },
      plan: { contents: 'read', 'id-token': 'write' },
      'plan-diff': { contents: 'read' },
      'plan-diff-gate': { 'pull-requests': 'write' },
    },
    'flux-alert.yml': { issue: { issues: 'write' } },
  };

  test.each(FILES)('%s grants nothing at the top level', (file) => {
    expect(wf(file).permissions).toEqual({});
  });

  test('every job declares exactly the permissions in the table', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(FILES);
    const actual = Object.fromEntries(workflows.map((w) => [w.file, Object.fromEntries(Object.entries(w.doc.jobs).map(([id, job]) => [id, job.permissions]))]));
    expect(actual).toEqual(EXPECTED);
  });

  test('a job calling deploy.yml grants exactly the union of what deploy.yml\'s jobs ask for', () => {
    const union: Record<string, string> = {};
    for (const job of Object.values(wf('deploy.yml').jobs)) {
      for (const [scope, level] of Object.entries(job.permissions as Record<string, string>)) if (union[scope] !== 'write') union[scope] = level;
    }
    expect(deployCalls().length).toBe(ENVIRONMENT_NAMES.length);
    for (const { job } of deployCalls()) expect(job.permissions).toEqual(union);
  });

  test('id-token: write exactly where a job signs in to Azure or signs keylessly', () => {
    const problems: string[] = [];
    for (const { workflow, run } of allJobRuns(workflows)) {
      const perms = run.job.permissions as Record<string, string>;
      const signs = scripts(run.job).some((s) => /\bcosign (sign|attest)\b/.test(s));
      const needs = usesAzureLogin(run.job) || signs;
      if (needs !== (perms?.['id-token'] === 'write')) problems.push(`${workflow.file}: ${run.label}: id-token ${perms?.['id-token'] ?? 'none'}, signs in: ${needs}`);
    }
    expect(problems).toEqual([]);
  });

  test('security-events, attestations and pull-requests: write each belong to one kind of job', () => {
    const holders = (scope: string) => allJobs().filter(({ job }) => typeof job.uses !== 'string' && (job.permissions as Record<string, string>)?.[scope] === 'write').map(({ file, id }) => `${file}:${id}`);
    expect(holders('security-events')).toEqual(['app.yml:scan-report']);
    expect(holders('attestations')).toEqual([`${SIGNING_FILE}:sign`]);
    expect(holders('pull-requests')).toEqual(['deploy.yml:gitops-pull-request', 'infra-pr.yml:plan-diff-gate']);
    // The jobs that may write to the repository run no Azure sign-in and hold no OIDC token.
    for (const id of ['gitops-commit', 'gitops-pull-request']) {
      const job = wf('deploy.yml').jobs[id];
      expect(environmentOf(job)).toBeUndefined();
      expect(usesAzureLogin(job)).toBe(false);
    }
    // The comment job runs no repository code.
    const gate = wf('infra-pr.yml').jobs['plan-diff-gate'];
    expect(stepsUsing(gate, 'actions/checkout')).toEqual([]);
    expect(scripts(gate).join('\n')).not.toMatch(/\b(npm|npx|node)\b/);
    // The SARIF job runs nothing but the download and the upload.
    expect((wf('app.yml').jobs['scan-report'].steps ?? []).map(usesOf)).toEqual(['actions/download-artifact', 'github/codeql-action/upload-sarif']);
  });
});

describe('hygiene', () => {
  /**
   * The actions added for the supply chain, and how each pin was confirmed: the tag's commit in the action's own
   * repository (git), and the same SHA with the same version comment in independent public workflows.
   */
  const CONFIRMED_PINS: Record<string, string> = {
    'sigstore/cosign-installer': '6f9f17788090df1f26f669e9d70d6ae9567deba6 # v4.1.2',
    'actions/attest-build-provenance': 'a2bbfa25375fe432b6a289bc6b6cd05ecd0c4c32 # v4.1.0',
    'github/codeql-action/upload-sarif': '8aad20d150bbac5944a9f9d289da16a4b0d87c1e # v4.36.2',
  };

  test('every uses: is pinned to a full commit SHA with a version comment, the same SHA everywhere', () => {
    const pins = new Map<string, Set<string>>();
    const problems: string[] = [];
    for (const file of FILES) {
      for (const line of sources[file].split('\n')) {
        const m = /^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/.exec(line);
        if (!m) continue;
        // A reusable workflow of this repository is pinned by being in it (it runs at the caller's commit).
        if (localWorkflowFile(m[1]) !== undefined) continue;
        const [action, ref] = m[1].split('@');
        if (!/^[0-9a-f]{40}$/.test(ref ?? '')) problems.push(`${file}: ${m[1]} is not pinned to a 40-hex commit SHA`);
        if (!/^\s+#\s*v\d+(\.\d+){1,2}\s*$/.test(m[2])) problems.push(`${file}: ${m[1]} has no "# vX.Y.Z" comment`);
        pins.set(action.toLowerCase(), new Set([...(pins.get(action.toLowerCase()) ?? []), `${ref} ${m[2].trim()}`]));
      }
    }
    for (const [action, refs] of pins) if (refs.size > 1) problems.push(`${action} is pinned to different SHAs: ${[...refs].join(', ')}`);
    expect(problems).toEqual([]);
    for (const [action, pin] of Object.entries(CONFIRMED_PINS)) expect([...(pins.get(action) ?? [])]).toEqual([pin]);
    // Parsed and raw views agree: nothing was missed by the line scan.
    const parsed = allJobs().flatMap(({ job }) => [...(job.steps ?? []).filter((s) => s.uses !== undefined), ...(typeof job.uses === 'string' ? [job] : [])]);
    expect(parsed.length).toBe(FILES.reduce((n, f) => n + (sources[f].match(/^\s*(?:-\s+)?uses:/gm) ?? []).length, 0));
  });

  test('cosign is one pinned release everywhere it is installed', () => {
    const installs = allJobs().flatMap(({ job }) => stepsUsing(job, 'sigstore/cosign-installer'));
    expect(installs.length).toBeGreaterThan(0);
    for (const s of installs) expect(s.with).toEqual({ 'cosign-release': 'v3.0.6' });
  });

  test('every job that runs steps has a timeout (a calling job cannot have one: its called jobs do)', () => {
    const missing = allJobs().filter(({ job }) => typeof job.uses !== 'string' && (typeof job['timeout-minutes'] !== 'number' || job['timeout-minutes'] > 120));
    expect(missing.map(({ file, id }) => `${file}:${id}`)).toEqual([]);
    const callsWithTimeout = allJobs().filter(({ job }) => typeof job.uses === 'string' && job['timeout-minutes'] !== undefined);
    expect(callsWithTimeout).toEqual([]);
  });

  test('one delivery per environment at a time across app.yml, infra-deploy.yml and gitops-publish.yml, never cancelled mid-apply', () => {
    const grouped = allJobs().filter(({ job }) => typeof job.concurrency === 'object' && /^deploy-/.test(job.concurrency.group));
    const expected = [
      ...ENVIRONMENT_NAMES.flatMap((n) => [`app.yml:deploy-${n}`, `infra-deploy.yml:platform-${n}`]),
      ...PUBLISHED_ENVS.map((n) => `gitops-publish.yml:publish-${n}`),
    ];
    expect(grouped.map(({ file, id }) => `${file}:${id}`).sort()).toEqual(expected.sort());
    for (const { file, id, job } of grouped) {
      const name = ENVIRONMENT_NAMES.find((n) => id.endsWith(`-${n}`))!;
      expect({ file, id, concurrency: job.concurrency }).toEqual({ file, id, concurrency: { group: `deploy-${name}`, 'cancel-in-progress': false } });
    }
    // The calling job holds the group for everything deploy.yml does; a called job asking for it again would wait on itself.
    for (const job of Object.values(wf('deploy.yml').jobs)) expect(job.concurrency).toBeUndefined();
    // Different environments never share a group (a dev deploy must not queue behind a prod approval).
    expect(new Set(grouped.map(({ job }) => (job.concurrency as { group: string }).group)).size).toBe(ENVIRONMENT_NAMES.length);
    // The jobs that declare an environment but hold no group only build or sign in the first registry: no cluster, no Flux source.
    const ungrouped = allJobs().filter(({ job }) => environmentOf(job) !== undefined && job.concurrency === undefined);
    expect(ungrouped.map(({ file, id }) => `${file}:${id}`)).toEqual(['app.yml:build-acr', 'app.yml:sign', 'deploy.yml:image', 'deploy.yml:gitops-publish']);
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
      const { if: _condition, ...rest } = s;
      expect(rest.with).toEqual({ 'node-version': 20, cache: 'npm', ...(checkoutPath !== undefined ? { 'cache-dependency-path': `${String(checkoutPath)}/package-lock.json` } : {}) });
    }
  });

  test('every npm ci skips install scripts (npm 10 ignores package.json allowScripts)', () => {
    const lines = FILES.flatMap((f) =>
      sources[f]
        .split('\n')
        .filter((l) => !/^\s*#/.test(l) && /\bnpm\s+(ci|install|i)\b/.test(l))
        .map((l) => `${f}: ${l.trim()}`),
    );
    expect(lines.length).toBeGreaterThanOrEqual(8);
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

describe('supply chain: scan, then sign the digest every environment stores and deploys', () => {
  const app = () => wf('app.yml');

  test('config.supplyChain names the signing workflow: it exists, signs keylessly in a job of its own (no reusable workflow), on that branch only', () => {
    expect(config.supplyChain).toEqual({ workflow: expect.stringMatching(/^\.github\/workflows\/[\w.-]+\.ya?ml$/), branch: expect.any(String) });
    expect(fs.existsSync(path.join(ROOT, config.supplyChain.workflow))).toBe(true);
    const doc = wf(SIGNING_FILE);
    // It starts on pushes to that branch (and by hand), never as a called workflow, whose jobs Fulcio would certify
    // as the called file.
    expect(triggers(doc).push?.branches).toEqual([config.supplyChain.branch]);
    expect(Object.keys(triggers(doc))).not.toContain('workflow_call');
    const signers = Object.entries(doc.jobs).filter(([, job]) => scripts(job).some((s) => /\bcosign sign\b/.test(s)));
    expect(signers.map(([id]) => id)).toEqual(['sign']);
    const [, sign] = signers[0];
    expect(sign.uses).toBeUndefined();
    expect(String(sign.if)).toContain(`github.ref == 'refs/heads/${config.supplyChain.branch}'`);
    expect((sign.permissions as Record<string, string>)['id-token']).toBe('write');
    // Keyless: no key, no key reference, anywhere cosign signs or attests.
    for (const s of scripts(sign).filter((x) => /\bcosign (sign|attest)\b/.test(x))) expect(s).not.toMatch(/--key\b|--sk\b|COSIGN_PRIVATE_KEY/);
    expect(sign.env).toEqual({ COSIGN_YES: 'true' });
    // Nothing else in any workflow signs: every signature carries this one identity.
    const otherSigners = allJobs().filter(({ file, id, job }) => `${file}:${id}` !== `${SIGNING_FILE}:sign` && scripts(job).some((s) => /\bcosign (sign|attest)\b/.test(s)));
    expect(otherSigners.map(({ file, id }) => `${file}:${id}`)).toEqual([]);
  });

  test('the certificate identity printed in the docs is the one config derives (renaming the workflow or the repository on one side fails)', () => {
    expect(SIGNER).toBe(`https://github.com/${config.repository}/.github/workflows/${SIGNING_FILE}@refs/heads/${config.supplyChain.branch}`);
    const docs = fs.readFileSync(path.join(ROOT, 'docs', 'workflows.md'), 'utf8');
    expect(docs).toContain(`--certificate-identity ${SIGNER}`);
    expect(docs).toContain(`--certificate-oidc-issuer ${OIDC_ISSUER}`);
    // The identities the docs print are all this one: a stale copy after a rename fails here.
    const printed = new Set([...docs.matchAll(/https:\/\/github\.com\/[\w.-]+\/[\w.-]+\/\.github\/workflows\/[\w.-]+@refs\/heads\/[\w./-]+/g)].map((m) => m[0]));
    expect([...printed]).toEqual([SIGNER]);
    // A rename on one side only: the identity no longer names an existing workflow, or the docs no longer print it.
    const renamedWorkflow = SIGNER.replace(SIGNING_FILE, 'release.yml');
    expect(fs.existsSync(path.join(WORKFLOW_DIR, 'release.yml'))).toBe(false);
    expect(docs).not.toContain(renamedWorkflow);
    expect(docs).not.toContain(SIGNER.replace(config.repository, 'fabrikam/other'));
  });

  test('each registry verifies the signature against the calling workflow on its branch: the identity config names', () => {
    const push = stepNamed(wf('deploy.yml').jobs.image, 'Push the signed image to the environment\'s registry');
    expect(push.env?.SIGNER).toBe('https://github.com/${{ github.workflow_ref }}');
    // A called workflow's github context is its caller's: app.yml, run on the branch it pushes on.
    for (const { job } of deployCalls()) expect(localWorkflowFile(String(job.uses))).toBe('deploy.yml');
    expect(allJobs().filter(({ job }) => typeof job.uses === 'string').map(({ file }) => file)).toEqual(deployCalls().map(() => SIGNING_FILE));
  });

  test('build (docker): SBOM, SARIF, then the CRITICAL gate; only a scanned image becomes an artifact', () => {
    const build = app().jobs.build;
    expect(usesAzureLogin(build)).toBe(false);
    expect(build.if).toBe("inputs.builder != 'acr'");
    const [sbom, sarif, gate] = stepsUsing(build, 'aquasecurity/trivy-action');
    expect(sbom.with).toMatchObject({ format: 'spdx-json', input: '${{ runner.temp }}/image/image.tar' });
    expect(sarif.with).toMatchObject({ format: 'sarif', output: '${{ runner.temp }}/sarif/trivy.sarif', 'exit-code': '0', input: '${{ runner.temp }}/image/image.tar' });
    expect(gate.with).toMatchObject({ severity: 'CRITICAL', 'exit-code': '1', input: '${{ runner.temp }}/image/image.tar' });
    const at = (name: string) => indexOf(build, (s) => s.name === name);
    // The SARIF leaves before the gate (findings matter most when it fails); the image only after it.
    expect(at('Upload the SARIF')).toBeLessThan(at('Scan (fails on CRITICAL vulnerabilities)'));
    expect(at('Scan (fails on CRITICAL vulnerabilities)')).toBeLessThan(at('Upload the scanned image'));
    expect(at('Upload the scanned image')).toBe((build.steps ?? []).length - 1);
    expect(stepsUsing(build, 'actions/upload-artifact').map((s) => s.with?.name)).toEqual(['sbom', 'trivy-sarif', 'image']);
    expect(build.outputs).toEqual({ sarif: '${{ steps.sarif.outputs.uploaded }}' });
    expect(build.needs).toBe('test');
  });

  test('build-acr: az acr build to the quarantine tag only, then the same SBOM, SARIF and gate on the digest that run pushed', () => {
    const job = app().jobs['build-acr'];
    expect(job.if).toBe("inputs.builder == 'acr' && github.ref == 'refs/heads/main'");
    expect(triggers(app()).workflow_dispatch).toEqual({ inputs: { builder: { description: expect.any(String), type: 'choice', options: ['docker', 'acr'], default: 'docker' } } });
    const build = stepNamed(job, "Build in dev's registry (az acr build, quarantine tag)");
    const acrBuild = String(build.run).split('\n').find((l) => l.includes('az acr build'))!;
    expect(acrBuild.trim()).toBe('az acr build --registry "$ACR_NAME" --image "$IMAGE_NAME:$UNSCANNED_TAG" --build-arg "APP_VERSION=$IMAGE_TAG" --no-logs --output json app > "$RUN_JSON"');
    // The quarantine tag is not the tag anything deploys, and nothing else in the workflows pushes it.
    expect(app().env?.UNSCANNED_TAG).toBe('unscanned');
    expect(app().env?.IMAGE_TAG).toBe('${{ github.sha }}');
    expect(FILES.filter((f) => sources[f].includes('UNSCANNED_TAG'))).toEqual(['app.yml']);
    const scanned = '${{ vars.ACR_LOGIN_SERVER }}/${{ vars.IMAGE_NAME }}@${{ steps.build.outputs.digest }}';
    const [sbom, sarif, gate] = stepsUsing(job, 'aquasecurity/trivy-action');
    expect([sbom, sarif, gate].map((s) => s.with?.['image-ref'])).toEqual([scanned, scanned, scanned]);
    expect(sbom.with).toMatchObject({ format: 'spdx-json' });
    expect(sarif.with).toMatchObject({ format: 'sarif', 'exit-code': '0' });
    expect(gate.with).toMatchObject({ severity: 'CRITICAL', 'exit-code': '1' });
    // Trivy reads the registry with the login written before it; the gate is the last step: nothing follows a failure.
    expect(indexOf(job, (s) => s.run === 'bash .github/scripts/registry-login.sh')).toBeLessThan(indexOf(job, (s) => s === sbom));
    expect(indexOf(job, (s) => s === gate)).toBe((job.steps ?? []).length - 1);
    expect(job.outputs).toEqual({ digest: '${{ steps.build.outputs.digest }}', sarif: '${{ steps.sarif.outputs.uploaded }}' });
    // No Docker daemon on this path.
    expect(scripts(job).join('\n')).not.toMatch(/\bdocker\b/);
  });

  test('the ACR path scans before anything is pushed to a deployable tag', () => {
    // The tags the workflows write: az acr build only the quarantine tag; docker push and cosign load only the commit
    // SHA tag, and only in jobs that run after a passed gate.
    const writers = allJobs().flatMap(({ file, id, job }) =>
      scripts(job).flatMap((s) => s.split('\n')).filter((l) => /\b(docker push|cosign load|az acr build|cosign copy|az acr import)\b/.test(l)).map((l) => `${file}:${id}: ${l.trim()}`),
    );
    expect(writers).toEqual([
      'app.yml:build-acr: az acr build --registry "$ACR_NAME" --image "$IMAGE_NAME:$UNSCANNED_TAG" --build-arg "APP_VERSION=$IMAGE_TAG" --no-logs --output json app > "$RUN_JSON"',
      'app.yml:sign: docker push "$target"',
    ]);
    expect(fs.readFileSync(path.join(SCRIPT_DIR, 'push-signed-image.sh'), 'utf8')).toMatch(/target="\$ACR_LOGIN_SERVER\/\$IMAGE_NAME:\$IMAGE_TAG"\ncosign load --dir "\$IMAGE_DIR" "\$target"/);
    // sign runs only on a successful build, and signs the digest build-acr scanned when the ACR path ran.
    const sign = app().jobs.sign;
    expect(sign.needs).toEqual(['build', 'build-acr']);
    expect(sign.if).toBe("${{ !cancelled() && github.ref == 'refs/heads/main' && (needs.build.result == 'success' || needs.build-acr.result == 'success') }}");
    expect(stepNamed(sign, 'The scanned digest').env?.SCANNED_IN_ACR).toBe('${{ needs.build-acr.outputs.digest }}');
    // The docker path's push runs only after the docker build passed; the ACR path pushes nothing new in sign.
    expect(stepNamed(sign, "Push the scanned image to dev's registry").if).toBe("needs.build.result == 'success'");
    // Every delivery needs sign, and receives its digest.
    for (const { job } of deployCalls()) {
      expect([job.needs].flat()).toContain('sign');
      expect(job.with?.['image-digest']).toBe('${{ needs.sign.outputs.digest }}');
    }
  });

  test('sign: by digest, after the scanned image is in the registry; SBOM attestation, provenance, then the signed image for the other registries', () => {
    const sign = app().jobs.sign;
    expect(environmentOf(sign)).toBe(githubEnv(ENVIRONMENT_NAMES[0]));
    const steps = sign.steps ?? [];
    const at = (pred: (s: WorkflowStep) => boolean) => steps.findIndex(pred);
    const push = at((s) => s.id === 'push');
    const digest = at((s) => s.id === 'image');
    const signing = at((s) => s.run === 'cosign sign "$IMAGE_REF"');
    const attest = at((s) => s.run === 'cosign attest --type spdxjson --predicate "$SBOM" "$IMAGE_REF"');
    const provenance = at((s) => usesOf(s) === 'actions/attest-build-provenance');
    const save = at((s) => s.run === 'cosign save --dir "$LAYOUT" "$IMAGE_REF"');
    const upload = at((s) => usesOf(s) === 'actions/upload-artifact');
    expect([push, digest, signing, attest, provenance, save, upload].every((i) => i >= 0)).toBe(true);
    expect(push < digest && digest < signing && signing < attest && attest < provenance && provenance < save && save < upload).toBe(true);
    // All of them act on one reference: the registry's repository at the scanned digest, never a tag.
    for (const i of [signing, attest, save]) expect(steps[i].env?.IMAGE_REF).toBe('${{ steps.image.outputs.ref }}');
    expect(String(steps[digest].run)).toContain('echo "ref=$ACR_LOGIN_SERVER/$IMAGE_NAME@$digest"');
    expect(steps[attest].env?.SBOM).toBe('${{ runner.temp }}/sbom/ai-app.spdx.json');
    expect(steps[provenance].with).toEqual({
      'subject-name': '${{ vars.ACR_LOGIN_SERVER }}/${{ vars.IMAGE_NAME }}',
      'subject-digest': '${{ steps.image.outputs.digest }}',
      'push-to-registry': true,
      'create-storage-record': false,
    });
    expect(steps[upload].with).toMatchObject({ name: 'signed-image', path: '${{ runner.temp }}/signed-image' });
    expect(steps[save].env?.LAYOUT).toBe('${{ runner.temp }}/signed-image');
    // The digest it signs is the digest it hands every delivery.
    expect(sign.outputs).toEqual({ digest: '${{ steps.image.outputs.digest }}' });
    // The SBOM it attests is the one the build produced (from the scanned image), downloaded first.
    expect(stepsUsing(sign, 'actions/download-artifact').map((s) => s.with?.name)).toEqual(['sbom', 'image']);
  });

  test('every delivery pushes the signed image, checks the registry stores the signed digest, and deploys exactly that digest', () => {
    const image = wf('deploy.yml').jobs.image;
    expect(stepsUsing(image, 'actions/download-artifact')[0].with).toEqual({ name: 'signed-image', path: '${{ runner.temp }}/signed-image' });
    const push = stepNamed(image, 'Push the signed image to the environment\'s registry');
    expect(push.id).toBe('push');
    expect(push.run).toBe('bash .github/scripts/push-signed-image.sh');
    expect(push.env).toEqual({
      ACR_NAME: '${{ vars.ACR_NAME }}',
      ACR_LOGIN_SERVER: '${{ vars.ACR_LOGIN_SERVER }}',
      IMAGE_NAME: '${{ vars.IMAGE_NAME }}',
      IMAGE_DIR: '${{ runner.temp }}/signed-image',
      EXPECTED_DIGEST: '${{ inputs.image-digest }}',
      SIGNER: 'https://github.com/${{ github.workflow_ref }}',
    });
    const script = fs.readFileSync(path.join(SCRIPT_DIR, 'push-signed-image.sh'), 'utf8');
    expect(script).toContain('if [[ "$stored" != "$EXPECTED_DIGEST" ]]; then');
    expect(script).toContain('cosign verify --certificate-identity "$SIGNER" --certificate-oidc-issuer "$issuer"');
    expect(script).toContain('cosign verify-attestation --type spdxjson --certificate-identity "$SIGNER"');
    expect(script).toMatch(/issuer=https:\/\/token\.actions\.githubusercontent\.com/);
    // The digest the deploy and the GitOps record use is the one this check produced.
    const deploy = stepNamed(image, 'Deploy the workload stack (Helm release, image = the pushed digest, tagged with the commit SHA)');
    expect(deploy.env?.IMAGE_DIGEST).toBe('${{ steps.push.outputs.digest }}');
    expect((image.outputs as Record<string, string>).digest).toBe('${{ steps.push.outputs.digest }}');
    for (const id of ['gitops-commit', 'gitops-pull-request']) {
      const step = (wf('deploy.yml').jobs[id].steps ?? []).find((s) => s.env?.IMAGE_DIGEST !== undefined)!;
      expect(step.env?.IMAGE_DIGEST).toBe('${{ needs.image.outputs.digest }}');
    }
    // And each call passes the digest sign made.
    for (const { job } of deployCalls()) expect(job.with?.['image-digest']).toBe('${{ needs.sign.outputs.digest }}');
  });

  test('SARIF reaches code scanning from scan-report, also when the gate failed', () => {
    const report = app().jobs['scan-report'];
    expect(report.needs).toEqual(['build', 'build-acr']);
    expect(report.if).toBe("${{ !cancelled() && (needs.build.outputs.sarif == 'true' || needs.build-acr.outputs.sarif == 'true') }}");
    expect(stepsUsing(report, 'actions/download-artifact')[0].with).toEqual({ name: 'trivy-sarif', path: '${{ runner.temp }}/sarif' });
    expect(stepsUsing(report, 'github/codeql-action/upload-sarif')[0].with).toEqual({ sarif_file: '${{ runner.temp }}/sarif/trivy.sarif', category: 'trivy-image' });
    // Both builds mark the SARIF uploaded right after uploading it, before their gate.
    for (const id of ['build', 'build-acr']) {
      const job = app().jobs[id];
      const marked = indexOf(job, (s) => s.id === 'sarif');
      expect(marked).toBe(indexOf(job, (s) => s.name === 'Upload the SARIF') + 1);
      expect(stepNamed(job, 'SARIF uploaded').run).toBe('echo "uploaded=true" >> "$GITHUB_OUTPUT"');
      expect(marked).toBeLessThan(indexOf(job, (s) => s.name === 'Scan (fails on CRITICAL vulnerabilities)'));
    }
  });
});

describe('delivery: one deploy definition, push or GitOps per environment', () => {
  const deploy = () => wf('deploy.yml');
  const isPush = (s: WorkflowStep) => s.if === "steps.delivery.outputs.delivery == 'push'";
  /** How each GitOps environment of the shipped config records a new image: staging by a commit, prod by a pull request. */
  const GITOPS_CHANGE: Record<string, Record<string, string>> = {
    staging: { 'gitops-change': 'commit' },
    prod: { 'gitops-change': 'pull-request', 'promote-from': 'staging' },
  };

  test('app.yml calls deploy.yml once per environment, dev -> staging -> prod, each with its stack, application and GitOps change', () => {
    const calls = deployCalls();
    expect(calls.map((c) => c.id)).toEqual(ENVIRONMENT_NAMES.map((n) => `deploy-${n}`));
    let previous = 'sign';
    for (const [i, { id, job, env }] of calls.entries()) {
      const name = ENVIRONMENT_NAMES[i];
      expect(env).toBe(name);
      expect([job.needs].flat()).toEqual(previous === 'sign' ? ['sign'] : ['sign', previous]);
      expect(job.if).toBe(`\${{ !cancelled() && needs.${previous}.result == 'success' }}`);
      expect(job.secrets).toBe('inherit');
      expect({ id, with: job.with }).toEqual({
        id,
        with: {
          environment: githubEnv(name),
          stack: workloadOf(name),
          app: appOf(name).name,
          'image-digest': '${{ needs.sign.outputs.digest }}',
          // How the environment records an image when it delivers by GitOps (unused with push delivery).
          ...(GITOPS_CHANGE[name] ?? {}),
        },
      });
      // The stack is deployed where releases are pushed, and exists only there.
      expect({ stack: workloadOf(name), synthesized: workloadOf(name) in stacks }).toEqual({ stack: workloadOf(name), synthesized: deliveryOf(name) === 'push' });
      previous = id;
    }
    // deploy.yml declares exactly the inputs the calls give (and the defaults for the optional ones).
    expect(triggers(deploy()).workflow_call?.inputs).toEqual({
      environment: expect.objectContaining({ required: true, type: 'string' }),
      stack: expect.objectContaining({ required: true, type: 'string' }),
      app: expect.objectContaining({ required: true, type: 'string' }),
      'image-digest': expect.objectContaining({ required: true, type: 'string' }),
      'gitops-change': expect.objectContaining({ required: false, type: 'string', default: 'commit' }),
      'promote-from': expect.objectContaining({ required: false, type: 'string', default: '' }),
    });
  });

  test('prod is promoted by a pull request, from the environment before it; staging by a commit', () => {
    const byEnv = Object.fromEntries(deployCalls().map((c) => [c.env, c.job.with]));
    expect(byEnv.prod).toMatchObject({ 'gitops-change': 'pull-request', 'promote-from': 'staging' });
    expect(byEnv.staging).toMatchObject({ 'gitops-change': 'commit' });
    expect(byEnv.staging?.['promote-from']).toBeUndefined();
  });

  test('the image job: delivery mode first, then push; with push delivery npm, terraform, kubelogin, a fresh login and cdktf deploy', () => {
    const image = deploy().jobs.image;
    expect(environmentOf(image)).toBe('${{ inputs.environment }}');
    const steps = image.steps ?? [];
    expect(steps[0].id).toBe('delivery');
    const push = steps.findIndex((s) => s.id === 'push');
    const logins = steps.flatMap((s, i) => (usesOf(s) === 'azure/login' ? [i] : []));
    const deployStep = steps.findIndex((s) => s.run?.includes('npm run deploy') === true);
    expect(logins).toHaveLength(2);
    expect(logins[0]).toBeLessThan(push);
    // The OIDC token az holds expires after minutes and cannot be renewed: the second sign-in comes right before the
    // one step that talks to the cluster (through kubelogin), after the push and npm ci.
    expect(logins[1]).toBe(deployStep - 1);
    expect(logins[1]).toBeGreaterThan(push);
    expect(steps[logins[1]].with).toEqual(steps[logins[0]].with);
    expect(String(steps[deployStep].run).trim()).toBe(
      'npm run deploy -- "$STACK" --auto-approve --ignore-missing-stack-dependencies --var "image_tag=$IMAGE_TAG" --var "image_digest=$IMAGE_DIGEST"',
    );
    expect(steps[deployStep].env).toEqual({ STACK: '${{ inputs.stack }}', IMAGE_DIGEST: '${{ steps.push.outputs.digest }}' });
    expect(deploy().env?.IMAGE_TAG).toBe('${{ github.sha }}');
    // npm run deploy is cdktf deploy with the checkpoint call off.
    expect((JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.deploy).toBe('CHECKPOINT_DISABLE=1 cdktf deploy');
    // Every step that needs the cluster or Terraform runs with push delivery only.
    const pushOnly = steps.filter((s) => ['actions/setup-node', 'hashicorp/setup-terraform', 'azure/use-kubelogin'].includes(usesOf(s) ?? '') || /\bnpm (ci|run deploy)\b/.test(s.run ?? '') || s === steps[logins[1]]);
    expect(pushOnly.length).toBe(6);
    for (const s of pushOnly) expect({ step: s.name ?? s.uses ?? s.run, pushOnly: isPush(s) }).toEqual({ step: s.name ?? s.uses ?? s.run, pushOnly: true });
    // And nothing else is conditional: the push to the registry happens in both modes.
    expect(steps.filter((s) => s.if !== undefined && !isPush(s))).toEqual([]);
    // The stack each call deploys is a workload stack of the environment it signs in to, with the variables it sets.
    for (const { env } of deployCalls().filter((c) => deliveryOf(c.env!) === 'push')) {
      expect(Object.keys(stacks[workloadOf(env!)].variable ?? {})).toEqual(expect.arrayContaining(['image_tag', 'image_digest']));
      expect(environmentOfStack(workloadOf(env!))).toBe(env);
    }
  });

  test('GitOps delivery never touches the cluster: no kubelogin, no cdktf, no AKS in any job it runs', () => {
    for (const [id, job] of Object.entries(deploy().jobs).filter(([j]) => j.startsWith('gitops-'))) {
      const text = JSON.stringify(job);
      expect({ id, kube: /kubelogin|kubectl|cdktf|npm run deploy|AKS_/.test(text) }).toEqual({ id, kube: false });
    }
    // In the image job, everything cluster-bound is behind the push condition (checked above); the GitOps scripts
    // touch only Git and the blob container.
    for (const file of ['gitops-commit.sh', 'gitops-promote.sh', 'gitops-publish.sh']) {
      const text = fs.readFileSync(path.join(SCRIPT_DIR, file), 'utf8').split('\n').filter((l) => !l.startsWith('#')).join('\n');
      expect({ file, kube: /kubelogin|kubectl|cdktf|az aks/.test(text) }).toEqual({ file, kube: false });
    }
  });

  test('GitOps commit: records the image with scripts/gitops.mjs set-image, commits to main, then publishes as the environment', () => {
    const commit = deploy().jobs['gitops-commit'];
    expect(commit.needs).toBe('image');
    expect(commit.if).toBe("needs.image.outputs.delivery == 'gitops' && inputs.gitops-change == 'commit'");
    expect(stepsUsing(commit, 'actions/checkout')[0].with).toEqual({ ref: 'main', 'persist-credentials': false });
    const step = stepNamed(commit, 'Record the image and commit it to main');
    expect(step.env).toEqual({ DEPLOY_ENV: '${{ needs.image.outputs.env }}', APP: '${{ inputs.app }}', IMAGE_DIGEST: '${{ needs.image.outputs.digest }}', GH_TOKEN: '${{ github.token }}' });
    const script = fs.readFileSync(path.join(SCRIPT_DIR, 'gitops-commit.sh'), 'utf8');
    expect(script).toContain('node scripts/gitops.mjs set-image --env "$DEPLOY_ENV" --app "$APP" --tag "$IMAGE_TAG" --digest "$IMAGE_DIGEST"');
    expect(script).toContain('git push --quiet origin HEAD:refs/heads/main');

    const publish = deploy().jobs['gitops-publish'];
    expect(publish.needs).toEqual(['image', 'gitops-commit']);
    expect(publish.if).toBe("needs.gitops-commit.result == 'success'");
    expect(environmentOf(publish)).toBe('${{ inputs.environment }}');
    expect(stepsUsing(publish, 'actions/checkout')[0].with).toEqual({ ref: 'main', 'persist-credentials': false });
    const steps = publish.steps ?? [];
    // Signed in right before publishing: the OIDC token behind az is minutes-short.
    const login = steps.findIndex((s) => usesOf(s) === 'azure/login');
    expect(steps[login + 1].run).toBe('bash .github/scripts/gitops-publish.sh');
    expect(steps[login + 1].env).toMatchObject({ DEPLOY_ENV: '${{ needs.image.outputs.env }}', STAGE_DIR: '${{ runner.temp }}/gitops' });
  });

  test('GitOps pull request: promotes exactly the source environment\'s image, if it is the digest pushed here, on a gitops/<env>-<sha> branch', () => {
    const pr = deploy().jobs['gitops-pull-request'];
    expect(pr.needs).toBe('image');
    expect(pr.if).toBe("needs.image.outputs.delivery == 'gitops' && inputs.gitops-change == 'pull-request'");
    expect(stepsUsing(pr, 'actions/checkout')[0].with).toEqual({ ref: 'main', 'persist-credentials': false });
    const step = (pr.steps ?? []).find((s) => s.run === 'bash .github/scripts/gitops-promote.sh')!;
    expect(step.env).toEqual({
      PROMOTE_FROM: '${{ inputs.promote-from }}',
      DEPLOY_ENV: '${{ needs.image.outputs.env }}',
      APP: '${{ inputs.app }}',
      IMAGE_DIGEST: '${{ needs.image.outputs.digest }}',
      GH_TOKEN: '${{ github.token }}',
    });
    const script = fs.readFileSync(path.join(SCRIPT_DIR, 'gitops-promote.sh'), 'utf8');
    expect(script).toContain('node scripts/gitops.mjs promote --from "$PROMOTE_FROM" --to "$DEPLOY_ENV" --app "$APP"');
    expect(script).toContain('branch="gitops/$DEPLOY_ENV-$IMAGE_TAG"');
    expect(script).toContain('gh pr create --base main --head "$branch"');
    // The check comes before anything is committed or pushed.
    expect(script.indexOf('if [[ "$tag" != "$IMAGE_TAG" || "$digest" != "$IMAGE_DIGEST" ]]; then')).toBeLessThan(script.indexOf('git commit'));
  });

  test('gitops-publish.yml: on main changes to deploy/** or charts/**, one job per GitOps environment, each as that environment', () => {
    const doc = wf('gitops-publish.yml');
    expect(triggers(doc)).toEqual({ push: { branches: ['main'], paths: ['deploy/**', 'charts/**'] }, workflow_dispatch: {} });
    const changes = doc.jobs.changes;
    expect(stepsUsing(changes, 'actions/checkout')[0].with).toEqual({ 'fetch-depth': 0, 'persist-credentials': false });
    expect(stepNamed(changes, 'Compare with the previous commit').run).toBe(`bash .github/scripts/gitops-changes.sh ${PUBLISHED_ENVS.join(' ')}`);
    expect(changes.outputs).toEqual(Object.fromEntries(PUBLISHED_ENVS.map((n) => [n, `\${{ steps.diff.outputs.${n} }}`])));
    expect(Object.keys(doc.jobs)).toEqual(['changes', ...PUBLISHED_ENVS.map((n) => `publish-${n}`)]);
    for (const name of PUBLISHED_ENVS) {
      const job = doc.jobs[`publish-${name}`];
      expect(job.needs).toBe('changes');
      expect(job.if).toBe(`needs.changes.outputs.${name} == 'true' && github.ref == 'refs/heads/main'`);
      expect(environmentOf(job)).toBe(githubEnv(name));
      expect(stepsUsing(job, 'actions/checkout')[0].with).toEqual({ ref: 'main', 'persist-credentials': false });
      const steps = job.steps ?? [];
      const login = steps.findIndex((s) => usesOf(s) === 'azure/login');
      expect(steps[login + 1]).toMatchObject({ run: 'bash .github/scripts/gitops-publish.sh', env: expect.objectContaining({ DEPLOY_ENV: name }) });
      // The same steps as deploy.yml's publish, but for the fixed environment.
      const called = deploy().jobs['gitops-publish'].steps!;
      expect(steps.map((s) => s.uses ?? s.run)).toEqual(called.map((s) => s.uses ?? s.run));
      expect(steps[login + 1].env).toEqual({ ...called[login + 1].env, DEPLOY_ENV: name });
    }
    // Every GitOps environment is published; the environments that deliver by push have no deploy/<env> tree, and
    // gitops-changes.sh starts no publish job for them (no approval asked for nothing).
    for (const name of GITOPS_ENVS) expect(doc.jobs[`publish-${name}`]).toBeDefined();
    for (const name of PUSH_ENVS) expect(fs.existsSync(path.join(ROOT, 'deploy', name))).toBe(false);
  });

  test('infra-deploy: in a GitOps environment the namespace and admission steps are skipped (Flux creates namespaces and the policy; no runner reaches the API server)', () => {
    const doc = wf('infra-deploy.yml');
    for (const name of ENVIRONMENT_NAMES) {
      const steps = doc.jobs[`platform-${name}`].steps ?? [];
      const deployIndex = steps.findIndex((s) => s.run?.includes('cdktf deploy') === true);
      const after = steps.slice(deployIndex + 1);
      expect(after.map((s) => s.name ?? s.uses)).toHaveLength(4);
      for (const s of after) expect(s.if).toBe("vars.DELIVERY != 'gitops'");
      // Last, after the namespace: the admission stack, only where it is synthesized (push environments with applications).
      const admission = after[3];
      expect(admission.env?.STACK).toBe(`platform-${name}-admission`);
      expect(admission.run).toContain('jq -e --arg stack "$STACK" \'.stacks[$stack]\' cdktf.out/manifest.json');
      expect(admission.run).toContain('npx cdktf deploy "$STACK" --auto-approve --ignore-missing-stack-dependencies');
      // Nothing before, the apply included, is conditional.
      for (const s of steps.slice(0, deployIndex + 1)) expect(s.if).toBeUndefined();
    }
    // A GitOps environment is one with no workload stack: the script stops there before contacting the cluster.
    expect(NAMESPACE_SCRIPT).toMatch(/no workload stack depends on \$platform_stack: no namespace to create[^\n]*\n[^\n]*\n\s+exit 0/);
  });
});

describe('commands match the synthesized app', () => {
  const stackOfDeploy = (script: string) => [...script.matchAll(/cdktf deploy ([\w-]+)/g)].map((m) => m[1]);

  test('every stack a job deploys or plans exists, and belongs to the environment the job declares', () => {
    const problems: string[] = [];
    for (const { workflow, run } of allJobRuns(workflows)) {
      const stackDirs = (value: unknown) => [...String(value ?? '').matchAll(/cdktf\.out\/stacks\/([\w-]+)/g)].map((m) => m[1]);
      // deploy.yml deploys the stack its caller names (with push delivery only, checked in the delivery tests).
      const called = run.definedIn.file === 'deploy.yml' && run.id === 'image' ? [String(run.job.steps?.find((s) => s.env?.STACK !== undefined)?.env?.STACK)] : [];
      const named = [
        ...scripts(run.job).flatMap(stackOfDeploy),
        ...scripts(run.job).flatMap(stackDirs),
        ...(run.job.steps ?? []).flatMap((s) => [...stackDirs(s['working-directory']), ...Object.values(s.env ?? {}).flatMap(stackDirs)]),
      ];
      for (const stack of [...named, ...called]) {
        const env = environmentOfStack(stack) ?? ENVIRONMENT_NAMES.find((e) => stack === workloadOf(e));
        if (!(stack in stacks) && !called.includes(stack)) problems.push(`${workflow.file}: ${run.label}: no stack ${stack} in the synthesized app`);
        const declared = environmentOf(run.job);
        const owners = env === undefined ? [] : [config.environments[env].github.environment, ...config.environments[env].applications.map((a) => a.githubEnvironment)];
        if (declared !== undefined && !owners.includes(declared)) problems.push(`${workflow.file}: ${run.label}: deploys ${stack} from environment ${declared}`);
      }
    }
    expect(problems).toEqual([]);
  });

  test('infra-deploy: platform-<env> in order, each as its environment, with an admin token for the github provider', () => {
    const doc = wf('infra-deploy.yml');
    expect(Object.keys(triggers(doc)).sort()).toEqual(['push', 'workflow_dispatch']);
    let previous: string | undefined;
    for (const name of ENVIRONMENT_NAMES) {
      const job = doc.jobs[`platform-${name}`];
      expect(job.needs).toBe(previous);
      expect(environmentOf(job)).toBe(config.environments[name].github.environment);
      expect(job.env).toEqual({
        ARM_USE_OIDC: 'true',
        ARM_USE_AZUREAD: 'true',
        ARM_CLIENT_ID: '${{ secrets.AZURE_INFRA_CLIENT_ID }}',
        ARM_TENANT_ID: '${{ secrets.AZURE_INFRA_TENANT_ID }}',
        ARM_SUBSCRIPTION_ID: '${{ secrets.AZURE_INFRA_SUBSCRIPTION_ID }}',
      });
      const deployStep = (job.steps ?? []).find((s) => s.run?.includes('cdktf deploy'))!;
      expect(deployStep.run?.trim()).toBe(`npx cdktf deploy platform-${name} --auto-approve`);
      expect(deployStep.env).toEqual({ GITHUB_TOKEN: '${{ secrets.GH_ADMIN_TOKEN }}' });
      previous = `platform-${name}`;
    }
  });

  test('infra-deploy: after each platform apply, the same job creates the app namespace as the infrastructure deployer', () => {
    const doc = wf('infra-deploy.yml');
    const appKubelogin = stepsUsing(wf('deploy.yml').jobs.image, 'azure/use-kubelogin')[0];
    for (const name of ENVIRONMENT_NAMES) {
      const steps = doc.jobs[`platform-${name}`].steps ?? [];
      const at = (pred: (s: WorkflowStep) => boolean) => steps.findIndex(pred);
      const deployIndex = at((s) => s.run?.includes('cdktf deploy') === true);
      const logins = steps.flatMap((s, i) => (usesOf(s) === 'azure/login' ? [i] : []));
      const kubelogin = at((s) => usesOf(s) === 'azure/use-kubelogin');
      const create = at((s) => s.run === 'bash .github/scripts/create-app-namespace.sh');
      // login, deploy, login again (fresh OIDC token: az cannot renew the first one), kubelogin, create: in order.
      expect(logins).toHaveLength(2);
      expect(logins[0]).toBeLessThan(deployIndex);
      expect([deployIndex, logins[1], kubelogin, create]).toEqual([deployIndex, deployIndex + 1, deployIndex + 2, deployIndex + 3]);
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
      expect(JSON.stringify(step.env)).not.toMatch(/vars\./);
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
  // bash, jq and git are on GitHub's ubuntu-24.04 runners; skip where this machine lacks them.
  const available = spawnSync('bash', ['-c', 'command -v jq && command -v git'], { encoding: 'utf8' }).status === 0;
  const maybe = available ? test : test.skip;
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'workflow-scripts-'));
    fs.mkdirSync(path.join(dir, 'bin'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const SHA = '3f786850e387550fdab836ed7e6dc881de23001b';
  const DIGEST_A = 'sha256:2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881';
  const DIGEST_B = `sha256:${'0'.repeat(64)}`;

  /** A fake CLI on PATH that logs its arguments to calls.log, then runs `body`. */
  const stub = (name: string, body = '') =>
    fs.writeFileSync(path.join(dir, 'bin', name), `#!/bin/bash\necho "${name} $*" >> "${dir}/calls.log"\n${body}\n`, { mode: 0o755 });
  const baseEnv = () => ({
    PATH: `${path.join(dir, 'bin')}:${process.env.PATH ?? ''}`,
    HOME: dir,
    GITHUB_STEP_SUMMARY: path.join(dir, 'summary.md'),
    GITHUB_OUTPUT: path.join(dir, 'output'),
    GITHUB_RUN_ID: '42',
    GIT_CONFIG_NOSYSTEM: '1',
  });
  /** Runs a step's script the way GitHub does (`bash -e`), with the step's env and stubs first on PATH. */
  const runStep = (step: WorkflowStep, env: Record<string, string>, cwd = dir) =>
    spawnSync('bash', ['-e', '-c', String(step.run)], { cwd, encoding: 'utf8', env: { ...baseEnv(), ...env } });
  /** Runs one of .github/scripts the way its step does. */
  const runScript = (file: string, env: Record<string, string>, cwd = dir, args: string[] = []) =>
    spawnSync('bash', [path.join(SCRIPT_DIR, file), ...args], { cwd, encoding: 'utf8', env: { ...baseEnv(), ...env } });
  const calls = () => (fs.existsSync(path.join(dir, 'calls.log')) ? fs.readFileSync(path.join(dir, 'calls.log'), 'utf8').trim().split('\n') : []);
  const outputs = () => (fs.existsSync(path.join(dir, 'output')) ? fs.readFileSync(path.join(dir, 'output'), 'utf8') : '');
  // An empty template directory: repositories made here get no sample hooks, a dozen files less to copy and remove.
  const noTemplates = fs.mkdtempSync(path.join(os.tmpdir(), 'git-templates-'));
  afterAll(() => fs.rmSync(noTemplates, { recursive: true, force: true }));
  const git = (cwd: string, ...args: string[]) => {
    const identity = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x' };
    const r = spawnSync('git', args, { cwd, encoding: 'utf8', env: { ...baseEnv(), ...identity, GIT_TEMPLATE_DIR: noTemplates } });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };
  /**
   * A bare `origin` (main) and a clone of it in work/ holding what the GitOps scripts need: scripts/gitops.mjs and
   * charts/ of this repository, its node_modules linked in, and a deploy/<env> tree for staging and prod as
   * `npm run gitops:generate` starts it (an image ConfigMap recording no image yet, and the release), whatever the
   * shipped config delivers by GitOps. Made once for the file; each test gets a copy of its own in its directory.
   */
  let template: string | undefined;
  afterAll(() => template && fs.rmSync(template, { recursive: true, force: true }));
  const makeTemplate = (): string => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'workflow-gitops-'));
    const origin = path.join(root, 'origin.git');
    const work = path.join(root, 'work');
    git(root, 'init', '--quiet', '--bare', '--initial-branch=main', origin);
    git(root, 'clone', '--quiet', origin, work);
    fs.mkdirSync(path.join(work, 'scripts'));
    fs.copyFileSync(path.join(ROOT, 'scripts', 'gitops.mjs'), path.join(work, 'scripts', 'gitops.mjs'));
    for (const env of PUBLISHED_ENVS) {
      const apps = path.join(work, 'deploy', env, 'apps', appOf(env).name);
      fs.mkdirSync(apps, { recursive: true });
      const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${appOf(env).name}-image`, namespace: 'flux-system' }, data: { 'values.yaml': '{}\n' } };
      fs.writeFileSync(path.join(apps, 'image.yaml'), JSON.stringify(configMap));
      fs.writeFileSync(path.join(apps, 'release.yaml'), `# the ${env} HelmRelease\n`);
    }
    fs.cpSync(path.join(ROOT, 'charts'), path.join(work, 'charts'), { recursive: true });
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(work, 'node_modules'));
    fs.writeFileSync(path.join(work, '.gitignore'), 'node_modules\n');
    git(work, 'add', '.');
    git(work, 'commit', '--quiet', '-m', 'initial');
    git(work, 'push', '--quiet', 'origin', 'HEAD:refs/heads/main');
    // One pack file each instead of a loose file per object: the copies below take a third of the files.
    git(origin, 'repack', '-a', '-d', '-q');
    git(work, 'repack', '-a', '-d', '-q');
    return root;
  };
  const gitopsRepo = () => {
    template ??= makeTemplate();
    const origin = path.join(dir, 'origin.git');
    const work = path.join(dir, 'work');
    fs.cpSync(path.join(template, 'origin.git'), origin, { recursive: true });
    fs.cpSync(path.join(template, 'work'), work, { recursive: true, verbatimSymlinks: true });
    // The copy's remote is the copied origin.
    const config = path.join(work, '.git', 'config');
    fs.writeFileSync(config, fs.readFileSync(config, 'utf8').replaceAll(path.join(template, 'origin.git'), origin));
    return { origin, work };
  };
  const imageFile = (env: string) => `deploy/${env}/apps/${appOf(env).name}/image.yaml`;
  /** The image an image.yaml (its text) records. */
  const recordedIn = (text: string) => {
    const configMap = parse(text) as { data: Record<string, string> };
    return (parse(configMap.data['values.yaml']) as { image?: { tag: string; digest: string } }).image;
  };
  const recorded = (root: string, env: string) => recordedIn(fs.readFileSync(path.join(root, imageFile(env)), 'utf8'));
  const setImage = (cwd: string, env: string, tag: string, digest: string) => {
    const r = spawnSync('node', ['scripts/gitops.mjs', 'set-image', '--env', env, '--app', appOf(env).name, '--tag', tag, '--digest', digest], { cwd, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
  };

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


  maybe('deploy.yml: the delivery mode is push or gitops, GitOps inputs make sense, and the environment comes from the stack', () => {
    const step = wf('deploy.yml').jobs.image.steps![0];
    const run = (env: Record<string, string>) => {
      fs.rmSync(path.join(dir, 'output'), { force: true });
      return runStep(step, { STACK: 'workload-prod-ai-app', APP: 'ai-app', GITOPS_CHANGE: 'commit', PROMOTE_FROM: '', ...env });
    };
    expect(run({ DELIVERY: 'push' }).status).toBe(0);
    expect(outputs()).toBe('delivery=push\nenv=prod\n');
    expect(run({ DELIVERY: 'gitops', GITOPS_CHANGE: 'pull-request', PROMOTE_FROM: 'staging' }).status).toBe(0);
    expect(outputs()).toBe('delivery=gitops\nenv=prod\n');
    // An environment name with hyphens: the application's name is the suffix.
    expect(run({ DELIVERY: 'push', STACK: 'workload-eu-west-ai-app' }).status).toBe(0);
    expect(outputs()).toBe('delivery=push\nenv=eu-west\n');
    const refused: Array<Record<string, string>> = [
      { DELIVERY: '' },
      { DELIVERY: 'Push' },
      { DELIVERY: 'gitops', GITOPS_CHANGE: 'merge' },
      { DELIVERY: 'gitops', GITOPS_CHANGE: 'pull-request', PROMOTE_FROM: '' },
      { DELIVERY: 'push', STACK: 'workload-prod-other' },
      { DELIVERY: 'push', STACK: 'workload--ai-app' },
    ];
    for (const env of refused) {
      const r = run(env);
      expect({ env, status: r.status, error: r.stdout.includes('::error::') }).toEqual({ env, status: 1, error: true });
      expect(outputs()).toBe('');
    }
  });

  maybe('build-acr: az acr build to the quarantine tag, the digest of that run\'s output image, the run\'s logs shown', () => {
    const step = stepNamed(wf('app.yml').jobs['build-acr'], "Build in dev's registry (az acr build, quarantine tag)");
    const runJson = path.join(dir, 'run.json');
    const withImages = (images: object[]) => stub('az', `[[ "$1 $2" == "acr build" ]] && echo '${JSON.stringify({ runId: 'ca7', status: 'Succeeded', outputImages: images })}'; exit 0`);
    withImages([{ registry: 'acrdev.azurecr.io', repository: 'ai-app', tag: 'unscanned', digest: DIGEST_A }, { registry: 'acrdev.azurecr.io', repository: 'other', tag: 'unscanned', digest: DIGEST_B }]);
    const env = { ACR_NAME: 'acrdev', IMAGE_NAME: 'ai-app', RUN_JSON: runJson, IMAGE_TAG: SHA, UNSCANNED_TAG: 'unscanned' };
    const ok = runStep(step, env);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(outputs()).toBe(`digest=${DIGEST_A}\n`);
    expect(calls()).toEqual([
      `az acr build --registry acrdev --image ai-app:unscanned --build-arg APP_VERSION=${SHA} --no-logs --output json app`,
      'az acr task logs --registry acrdev --run-id ca7',
    ]);
    fs.rmSync(path.join(dir, 'output'));
    withImages([]);
    const none = runStep(step, env);
    expect(none.status).toBe(1);
    expect(none.stdout).toContain('::error::ACR run ca7 reported no single digest for ai-app:unscanned');
    expect(outputs()).toBe('');
  });

  maybe('sign: the docker path pushes the scanned image and takes the digest the registry stored; the digest step takes either path\'s', () => {
    stub('docker');
    stub('az', `[[ "$1 $2 $3" == "acr repository show" ]] && echo '${DIGEST_A}'; exit 0`);
    const sign = wf('app.yml').jobs.sign;
    const push = runStep(stepNamed(sign, "Push the scanned image to dev's registry"), { ACR_NAME: 'acrdev', ACR_LOGIN_SERVER: 'acrdev.azurecr.io', IMAGE_NAME: 'ai-app', IMAGE_DIR: dir, IMAGE_TAG: SHA, LOCAL_IMAGE: 'ai-app' });
    expect(push.status).toBe(0);
    const target = `acrdev.azurecr.io/ai-app:${SHA}`;
    expect(calls()).toEqual([
      `docker load --input ${dir}/image.tar`,
      `docker tag ai-app:${SHA} ${target}`,
      `docker push ${target}`,
      `az acr repository show --name acrdev --image ai-app:${SHA} --query digest --output tsv`,
    ]);
    expect(outputs()).toBe(`digest=${DIGEST_A}\n`);

    const digestStep = stepNamed(sign, 'The scanned digest');
    const pick = (PUSHED: string, SCANNED_IN_ACR: string) => {
      fs.rmSync(path.join(dir, 'output'), { force: true });
      return runStep(digestStep, { ACR_LOGIN_SERVER: 'acrdev.azurecr.io', IMAGE_NAME: 'ai-app', PUSHED, SCANNED_IN_ACR });
    };
    expect(pick(DIGEST_A, '').status).toBe(0);
    expect(outputs()).toBe(`digest=${DIGEST_A}\nref=acrdev.azurecr.io/ai-app@${DIGEST_A}\n`);
    expect(pick('', DIGEST_B).status).toBe(0);
    expect(outputs()).toBe(`digest=${DIGEST_B}\nref=acrdev.azurecr.io/ai-app@${DIGEST_B}\n`);
    for (const [pushed, scanned] of [['', ''], ['latest', ''], ['', 'sha256:abc']]) {
      expect(pick(pushed, scanned).status).toBe(1);
      expect(outputs()).toBe('');
    }
  });

  maybe('push-signed-image.sh: loads the signed image, refuses a digest other than the signed one, verifies the signature in this registry', () => {
    const signer = `https://github.com/${repository}/.github/workflows/app.yml@refs/heads/main`;
    const stored = (digest: string) => stub('az', `[[ "$1 $2" == "acr login" ]] && echo registry-token; [[ "$1 $2 $3" == "acr repository show" ]] && echo '${digest}'; exit 0`);
    stub('cosign', `[[ "$1" == login ]] && cat > "${dir}/password"; [[ "$1" == verify* && -f "${dir}/verify-fails" ]] && exit 1; exit 0`);
    const env = {
      ACR_NAME: 'acrstaging', ACR_LOGIN_SERVER: 'acrstaging.azurecr.io', IMAGE_NAME: 'ai-app', IMAGE_TAG: SHA, IMAGE_DIR: path.join(dir, 'signed-image'),
      EXPECTED_DIGEST: DIGEST_A, SIGNER: signer,
    };
    stored(DIGEST_A);
    const ok = runScript('push-signed-image.sh', env);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(outputs()).toBe(`digest=${DIGEST_A}\n`);
    // The token only went through the pipe, to cosign's stdin.
    expect(fs.readFileSync(path.join(dir, 'password'), 'utf8').trim()).toBe('registry-token');
    const log = calls();
    // The two ends of the login pipe run at the same time: their order in the log is not fixed.
    expect(log.slice(0, 2).sort()).toEqual([
      'az acr login --name acrstaging --expose-token --output tsv --query accessToken',
      'cosign login acrstaging.azurecr.io --username 00000000-0000-0000-0000-000000000000 --password-stdin',
    ]);
    expect(log.slice(2)).toEqual([
      `cosign load --dir ${dir}/signed-image acrstaging.azurecr.io/ai-app:${SHA}`,
      `az acr repository show --name acrstaging --image ai-app:${SHA} --query digest --output tsv`,
      `cosign verify --certificate-identity ${signer} --certificate-oidc-issuer ${OIDC_ISSUER} acrstaging.azurecr.io/ai-app@${DIGEST_A}`,
      `cosign verify-attestation --type spdxjson --certificate-identity ${signer} --certificate-oidc-issuer ${OIDC_ISSUER} acrstaging.azurecr.io/ai-app@${DIGEST_A}`,
    ]);

    // The registry stores another digest: stop before verifying, no digest for the deploy.
    fs.rmSync(path.join(dir, 'calls.log'));
    fs.rmSync(path.join(dir, 'output'));
    stored(DIGEST_B);
    const other = runScript('push-signed-image.sh', env);
    expect(other.status).toBe(1);
    expect(other.stdout).toContain(`::error::acrstaging.azurecr.io/ai-app:${SHA} is ${DIGEST_B} in the registry, but app.yml scanned and signed ${DIGEST_A}`);
    expect(calls().filter((c) => c.startsWith('cosign verify'))).toEqual([]);
    expect(outputs()).toBe('');

    // The signature does not verify here: no digest for the deploy.
    stored(DIGEST_A);
    fs.writeFileSync(path.join(dir, 'verify-fails'), '');
    expect(runScript('push-signed-image.sh', env).status).not.toBe(0);
    expect(outputs()).toBe('');

    // A malformed signed digest stops everything before the registry is touched.
    fs.rmSync(path.join(dir, 'calls.log'));
    const bad = runScript('push-signed-image.sh', { ...env, EXPECTED_DIGEST: '' });
    expect(bad.status).toBe(1);
    expect(calls()).toEqual([]);
  });

  maybe('gitops-commit.sh: records the image with scripts/gitops.mjs, commits it to main (rebasing when main moved), and does nothing twice', () => {
    const { origin, work } = gitopsRepo();
    stub('gh');
    // main moves after the job's checkout: another commit lands first.
    const other = path.join(dir, 'other');
    git(dir, 'clone', '--quiet', origin, other);
    fs.writeFileSync(path.join(other, 'NOTES.md'), 'meanwhile\n');
    git(other, 'add', 'NOTES.md');
    git(other, 'commit', '--quiet', '-m', 'meanwhile');
    git(other, 'push', '--quiet', 'origin', 'HEAD:refs/heads/main');

    const env = { DEPLOY_ENV: 'staging', APP: appOf('staging').name, IMAGE_TAG: SHA, IMAGE_DIGEST: DIGEST_A, GH_TOKEN: 'workflow-token' };
    const r = runScript('gitops-commit.sh', env, work);
    expect(r.status).toBe(0);
    expect(calls()).toEqual(['gh auth setup-git']);
    // origin's main has both commits, ours on top, and records the image.
    expect(git(origin, 'log', '--format=%s', 'main')).toBe(`staging: ${appOf('staging').name} runs ${SHA}\nmeanwhile\ninitial`);
    expect(git(origin, 'log', '-1', '--format=%an <%ae>', 'main')).toBe('github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>');
    expect(git(origin, 'show', '--name-only', '--format=', 'main')).toBe(imageFile('staging'));
    expect(recorded(work, 'staging')).toEqual({ tag: SHA, digest: DIGEST_A });
    expect(outputs()).toBe(`commit=${git(origin, 'rev-parse', 'main')}\n`);

    // Run again (a re-run): the file already records the image; nothing is committed or pushed.
    const head = git(origin, 'rev-parse', 'main');
    fs.rmSync(path.join(dir, 'calls.log'));
    const again = runScript('gitops-commit.sh', env, work);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('already records');
    expect(git(origin, 'rev-parse', 'main')).toBe(head);
    expect(calls()).toEqual([]);
  });

  maybe('gitops-promote.sh: promotes exactly what staging runs, only if it is the digest pushed here, as a pull request from gitops/<env>-<sha>', () => {
    const { origin, work } = gitopsRepo();
    stub('gh', `[[ "$1 $2" == "pr create" ]] && echo https://github.com/${repository}/pull/7; exit 0`);
    setImage(work, 'staging', SHA, DIGEST_A);
    git(work, 'commit', '--quiet', '-am', 'staging runs it');
    git(work, 'push', '--quiet', 'origin', 'HEAD:refs/heads/main');
    const main = git(origin, 'rev-parse', 'main');
    const env = { PROMOTE_FROM: 'staging', DEPLOY_ENV: 'prod', APP: appOf('prod').name, IMAGE_TAG: SHA, GH_TOKEN: 'workflow-token' };

    // This run pushed another digest to prod's registry than the one staging runs: nothing is proposed.
    const mismatch = runScript('gitops-promote.sh', { ...env, IMAGE_DIGEST: DIGEST_B }, work);
    expect(mismatch.status).toBe(1);
    expect(mismatch.stdout).toContain(`::error::staging runs ${SHA} (${DIGEST_A}), but this run pushed ${SHA} (${DIGEST_B})`);
    expect(calls()).toEqual([]);
    expect(git(origin, 'branch', '--list')).toBe('* main');
    git(work, 'checkout', '--quiet', '--', '.');

    const ok = runScript('gitops-promote.sh', { ...env, IMAGE_DIGEST: DIGEST_A }, work);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    const branch = `gitops/prod-${SHA}`;
    expect(git(origin, 'branch', '--list', '--format=%(refname:short)').split('\n').sort()).toEqual([branch, 'main']);
    expect(git(origin, 'rev-parse', 'main')).toBe(main);
    expect(git(origin, 'show', '--name-only', '--format=%s', branch).split('\n').filter(Boolean)).toEqual([`prod: promote ${appOf('prod').name} ${SHA} from staging`, imageFile('prod')]);
    expect(recordedIn(git(origin, 'show', `${branch}:${imageFile('prod')}`))).toEqual({ tag: SHA, digest: DIGEST_A });
    const log = calls();
    expect(log.slice(0, 2)).toEqual(['gh auth setup-git', `gh pr list --head ${branch} --state open --json url --jq .[0].url // empty`]);
    expect(log[2]).toMatch(new RegExp(`^gh pr create --base main --head ${branch} --title prod: promote ai-app ${SHA} from staging --body Promotes the image staging runs to prod`));
    expect(fs.readFileSync(path.join(dir, 'summary.md'), 'utf8')).toContain(`Opened https://github.com/${repository}/pull/7`);

    // Once the pull request is merged and prod records it, a run on main has nothing to promote.
    fs.rmSync(path.join(dir, 'calls.log'));
    git(work, 'switch', '--quiet', 'main');
    git(work, 'merge', '--quiet', '--ff-only', branch);
    const none = runScript('gitops-promote.sh', { ...env, IMAGE_DIGEST: DIGEST_A }, work);
    expect(none.status).toBe(0);
    expect(none.stdout).toContain('::notice::prod already runs');
    expect(calls()).toEqual([]);
  });

  maybe('gitops-publish.sh: stages deploy/<env> and charts/, mirrors them into the Flux container with the az sign-in; only for gitops', () => {
    const { work } = gitopsRepo();
    stub('az', '[[ "$1 $2" == "cloud show" ]] && echo core.windows.net; exit 0');
    stub('azcopy', `echo "login=$AZCOPY_AUTO_LOGIN_TYPE" >> "${dir}/calls.log"; (cd "$2" && find . -type f | sort) > "${dir}/tree.txt"`);
    const stage = path.join(dir, 'stage');
    const env = { DELIVERY: 'gitops', DEPLOY_ENV: 'staging', GITOPS_STORAGE_ACCOUNT: 'staiplatformgitopsstg', GITOPS_CONTAINER: 'flux', STAGE_DIR: stage };
    const ok = runScript('gitops-publish.sh', env, work);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(calls()).toEqual([
      'az cloud show --query suffixes.storageEndpoint --output tsv',
      `azcopy sync ${stage} https://staiplatformgitopsstg.blob.core.windows.net/flux --recursive=true --delete-destination=true`,
      'login=AZCLI',
    ]);
    const tree = fs.readFileSync(path.join(dir, 'tree.txt'), 'utf8').trim().split('\n');
    expect(tree).toContain(`./${imageFile('staging')}`);
    expect(tree).toContain('./charts/ai-app/Chart.yaml');
    expect(tree.filter((f) => f.startsWith('./deploy/') && !f.startsWith('./deploy/staging/'))).toEqual([]);

    fs.rmSync(path.join(dir, 'calls.log'));
    for (const delivery of ['push', '']) {
      const refused = runScript('gitops-publish.sh', { ...env, DELIVERY: delivery }, work);
      expect(refused.status).toBe(1);
      expect(refused.stdout).toContain(`::error::environment variable DELIVERY is '${delivery}', not gitops`);
    }
    expect(calls()).toEqual([]);
  });

  maybe('gitops-changes.sh: an environment changed when its deploy/<env> or charts/ did; everything when the previous commit is unknown', () => {
    const { work } = gitopsRepo();
    const c1 = git(work, 'rev-parse', 'HEAD');
    fs.appendFileSync(path.join(work, imageFile('prod')), '# touched\n');
    git(work, 'commit', '--quiet', '-am', 'prod only');
    const c2 = git(work, 'rev-parse', 'HEAD');
    fs.appendFileSync(path.join(work, 'charts', 'ai-app', 'Chart.yaml'), '# touched\n');
    git(work, 'commit', '--quiet', '-am', 'the chart');
    const c3 = git(work, 'rev-parse', 'HEAD');
    const changed = (EVENT_NAME: string, BEFORE: string, GITHUB_SHA: string) => {
      fs.rmSync(path.join(dir, 'output'), { force: true });
      const r = runScript('gitops-changes.sh', { EVENT_NAME, BEFORE, GITHUB_SHA }, work, ['staging', 'prod']);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      return outputs();
    };
    expect(changed('push', c1, c2)).toBe('staging=false\nprod=true\n');
    expect(changed('push', c2, c3)).toBe('staging=true\nprod=true\n');
    expect(changed('workflow_dispatch', '', c3)).toBe('staging=true\nprod=true\n');
    expect(changed('push', '0'.repeat(40), c3)).toBe('staging=true\nprod=true\n');
    expect(changed('push', 'f'.repeat(40), c3)).toBe('staging=true\nprod=true\n');
    // An environment without a deploy/<env> tree delivers by push: never published, even when charts/ changed.
    fs.rmSync(path.join(work, 'deploy', 'prod'), { recursive: true });
    git(work, 'commit', '--quiet', '-am', 'prod back to push');
    const c4 = git(work, 'rev-parse', 'HEAD');
    expect(changed('push', c2, c4)).toBe('staging=true\nprod=false\n');
    expect(changed('workflow_dispatch', '', c4)).toBe('staging=true\nprod=false\n');
  });

  maybe('the namespace step: cluster and resource group from the cluster_id output, namespace from the synthesized release', () => {
    const name: EnvironmentName = PUSH_ENVS[PUSH_ENVS.length - 1];
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
    const namespace = appOf(name).namespace;
    // Every namespace a helm_release of a stack that depends on platform-<env> installs into, the application's among them.
    const manifest = JSON.parse(fs.readFileSync(env.MANIFEST, 'utf8')) as { stacks: Record<string, { dependencies?: string[]; synthesizedStackPath: string }> };
    const namespaces = [
      ...new Set(
        Object.values(manifest.stacks)
          .filter((st) => st.dependencies?.includes(`platform-${name}`))
          .flatMap((st) => Object.values((JSON.parse(fs.readFileSync(path.join(outdir, st.synthesizedStackPath), 'utf8')) as { resource?: { helm_release?: Record<string, { namespace: string }> } }).resource?.helm_release ?? {}))
          .map((r) => r.namespace),
      ),
    ].sort();
    expect(namespaces).toContain(namespace);
    const log = calls();
    expect(log.slice(0, 3)).toEqual([
      `terraform -chdir=${env.PLATFORM_DIR} output -raw cluster_id`,
      `az aks get-credentials --resource-group rg-x --name aks-x --file ${env.KUBECONFIG} --overwrite-existing`,
      'kubelogin convert-kubeconfig -l azurecli',
    ]);
    // The two ends of each pipe run at the same time: their order in the log is not fixed.
    expect(log.slice(3).sort()).toEqual([...namespaces.map(() => 'kubectl apply -f -'), ...namespaces.map((ns) => `kubectl create namespace ${ns} --dry-run=client -o yaml`)].sort());
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

  maybe('the namespace step in a GitOps environment (no workload stack): stops before contacting the cluster, successfully', () => {
    // The synthesized app as it is for a GitOps environment: nothing depends on its platform stack.
    const name = ENVIRONMENT_NAMES[ENVIRONMENT_NAMES.length - 1];
    const gitopsOut = path.join(dir, 'gitops-out');
    fs.cpSync(outdir, gitopsOut, { recursive: true });
    const manifestPath = path.join(gitopsOut, 'manifest.json');
    const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as { stacks: Record<string, { dependencies?: string[] }> };
    for (const [id, st] of Object.entries(manifest.stacks)) if (st.dependencies?.includes(`platform-${name}`)) delete manifest.stacks[id];
    fs.writeFileSync(manifestPath, JSON.stringify(manifest));
    stub('terraform', `printf '%s' '/subscriptions/0000/resourceGroups/rg-x/providers/Microsoft.ContainerService/managedClusters/aks-x'`);
    stub('az');
    stub('kubelogin');
    stub('kubectl');
    const env = { PLATFORM_DIR: path.join(gitopsOut, 'stacks', `platform-${name}`), MANIFEST: manifestPath, KUBECONFIG: path.join(dir, 'kubeconfig') };
    const result = runStep({ run: NAMESPACE_SCRIPT }, env);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`::notice::no workload stack depends on platform-${name}`);
    expect(calls().filter((c) => !c.startsWith('terraform '))).toEqual([]);
    // The shipped GitOps environments are exactly those: no workload stack.
    for (const gitopsEnv of GITOPS_ENVS) expect(Object.keys(stacks).filter((st) => st.startsWith(`workload-${gitopsEnv}-`))).toEqual([]);
  });
});
