/**
 * Pure checks that the GitHub workflows and the synthesized Terraform agree on who signs in to Azure.
 *
 * A job that runs `azure/login` presents an OIDC token whose subject GitHub derives from the job:
 * `repo:<owner>/<repo>:environment:<name>` when it declares `environment:` (that form wins over everything),
 * otherwise from the event: `repo:<owner>/<repo>:pull_request`, `...:ref:refs/heads/<branch>`, ...
 * Its `client-id` names a secret or variable; Terraform writes that secret or variable (in an environment, or at
 * repository level) with the client ID of a user-assigned identity; that identity must hold a federated
 * credential (issuer https://token.actions.githubusercontent.com) for exactly that subject. Any break in the chain
 * fails the login at run time with AADSTS70021 ("No matching federated identity record found").
 *
 * A job that calls a reusable workflow in this repository (`uses: ./.github/workflows/<file>`) runs that file's jobs
 * with the caller's `with:` as `inputs`: each called job is checked as a run of the caller (its triggers decide the
 * subject of a job without `environment:`), and it reads an environment's secrets only when the caller passes
 * `secrets: inherit` (or maps the secret): otherwise they resolve empty at run time (actions/runner#1490, #4453).
 * A workflow whose only trigger is `workflow_call` is checked only through its callers.
 *
 * Nothing here reads files: callers pass parsed workflows and the synthesized stacks, so tests can mutate either.
 */

export const GITHUB_OIDC_ISSUER = 'https://token.actions.githubusercontent.com';

/** Synthesized Terraform JSON of one stack (the parts these checks read). */
export interface StackJson {
  resource?: Record<string, Record<string, Record<string, unknown>>>;
  variable?: Record<string, unknown>;
  output?: Record<string, unknown>;
}

/** A user-assigned identity that GitHub Actions can sign in as: the subjects its federated credentials trust. */
export interface TrustedIdentity {
  /** Terraform address, e.g. `azurerm_user_assigned_identity.github-deploy_resource_E5FD5F29`. */
  readonly address: string;
  readonly subjects: readonly string[];
}

/** A secret or variable a stack writes for workflows to read. */
export interface Publication {
  readonly kind: 'secret' | 'variable';
  /** Upper-cased: GitHub secret and variable names are case-insensitive. */
  readonly name: string;
  /** The GitHub environment it is written to; undefined for repository-level secrets and variables. */
  readonly environment?: string;
  /** The address of the identity whose client ID it holds, if it holds one. */
  readonly clientIdOf?: string;
}

export interface StackTrust {
  readonly identities: readonly TrustedIdentity[];
  readonly published: readonly Publication[];
}

/** Per stack: the GitHub-federated identities and the secrets/variables the stack writes. */
export type TrustedSubjectsByStack = Readonly<Record<string, StackTrust>>;

const REF = /^\$\{([A-Za-z][\w-]*\.[\w-]+)\.([\w]+)\}$/;

/** Resolves a literal, or a `${github_repository_environment.<id>.environment}` reference within the stack. */
function resolveEnvironment(tf: StackJson, value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const match = REF.exec(value);
  if (!match) return value;
  const [type, id] = match[1].split('.');
  const target = tf.resource?.[type]?.[id]?.[match[2]];
  return typeof target === 'string' && !REF.test(target) ? target : undefined;
}

/** What a stack's synthesized JSON says about GitHub Actions sign-in. */
export function stackTrust(tf: StackJson): StackTrust {
  const subjects = new Map<string, string[]>();
  for (const cred of Object.values(tf.resource?.azurerm_federated_identity_credential ?? {})) {
    if (cred.issuer !== GITHUB_OIDC_ISSUER || typeof cred.subject !== 'string') continue;
    const parent = REF.exec(String(cred.parent_id));
    if (!parent || parent[2] !== 'id') continue;
    subjects.set(parent[1], [...(subjects.get(parent[1]) ?? []), cred.subject]);
  }
  const published: Publication[] = [];
  const kinds = {
    github_actions_environment_secret: { kind: 'secret', nameKey: 'secret_name', valueKey: 'plaintext_value', env: true },
    github_actions_environment_variable: { kind: 'variable', nameKey: 'variable_name', valueKey: 'value', env: true },
    github_actions_secret: { kind: 'secret', nameKey: 'secret_name', valueKey: 'plaintext_value', env: false },
    github_actions_variable: { kind: 'variable', nameKey: 'variable_name', valueKey: 'value', env: false },
  } as const;
  for (const [type, k] of Object.entries(kinds)) {
    for (const res of Object.values(tf.resource?.[type] ?? {})) {
      const value = REF.exec(String(res[k.valueKey]));
      const environment = k.env ? resolveEnvironment(tf, res.environment) ?? `<unresolved ${String(res.environment)}>` : undefined;
      published.push({
        kind: k.kind,
        name: String(res[k.nameKey]).toUpperCase(),
        ...(environment !== undefined ? { environment } : {}),
        ...(value && value[2] === 'client_id' ? { clientIdOf: value[1] } : {}),
      });
    }
  }
  return { identities: [...subjects].map(([address, s]) => ({ address, subjects: s })), published };
}

export function trustFromSynth(stacks: Readonly<Record<string, StackJson>>): TrustedSubjectsByStack {
  return Object.fromEntries(Object.entries(stacks).map(([name, tf]) => [name, stackTrust(tf)]));
}

// ---------------------------------------------------------------------------------------------------------------
// Workflows

export interface WorkflowStep {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface WorkflowJob {
  name?: string;
  /** A reusable workflow this job calls instead of running steps: `./.github/workflows/<file>` or `owner/repo/...@ref`. */
  uses?: string;
  with?: Record<string, unknown>;
  secrets?: 'inherit' | Record<string, unknown>;
  environment?: string | { name: string; url?: string };
  permissions?: string | Record<string, string>;
  strategy?: { matrix?: unknown; [key: string]: unknown };
  env?: Record<string, unknown>;
  steps?: WorkflowStep[];
  concurrency?: string | { group: string; 'cancel-in-progress'?: boolean | string };
  'timeout-minutes'?: number | string;
  needs?: string | string[];
  [key: string]: unknown;
}

export interface WorkflowDoc {
  name?: string;
  on: unknown;
  permissions?: string | Record<string, string>;
  env?: Record<string, unknown>;
  jobs: Record<string, WorkflowJob>;
  [key: string]: unknown;
}

export interface Workflow {
  /** File name, for messages. */
  readonly file: string;
  readonly doc: WorkflowDoc;
}

/** One concrete job run: a job, or one leg of its matrix with `${{ matrix.* }}` substituted. */
export interface JobRun {
  readonly id: string;
  /** e.g. `plan[stack=platform-dev]`, the job id without a matrix, or `<calling job>/<called job>`. */
  readonly label: string;
  readonly job: WorkflowJob;
  /** The workflow file that defines the job (its `env:` applies); the caller's file unless the job was called. */
  readonly definedIn: Workflow;
  /** For a job of a reusable workflow: the job that called it. */
  readonly call?: { readonly id: string; readonly job: WorkflowJob };
}

/** `${{ <context>.<key> }}` anywhere in a string (`any`), or as the whole string (`whole`); made once per context. */
const contextRefs = new Map<string, { readonly any: RegExp; readonly whole: RegExp }>();
function contextRef(context: string): { readonly any: RegExp; readonly whole: RegExp } {
  let refs = contextRefs.get(context);
  if (refs === undefined) {
    const ref = `\\$\\{\\{\\s*${context}\\.([\\w-]+)\\s*\\}\\}`;
    refs = { any: new RegExp(ref, 'g'), whole: new RegExp(`^${ref}$`) };
    contextRefs.set(context, refs);
  }
  return refs;
}

/** `${{ <context>.<key> }}` replaced by `values[key]`: a whole-string reference keeps the value's type. */
function substitute(value: unknown, values: Readonly<Record<string, unknown>>, context = 'matrix'): unknown {
  if (typeof value === 'string') {
    if (!value.includes('${{')) return value;
    const refs = contextRef(context);
    const whole = refs.whole.exec(value);
    if (whole && whole[1] in values) return values[whole[1]];
    return value.replace(refs.any, (all, key: string) => (key in values ? String(values[key]) : all));
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, values, context));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, values, context)]));
  }
  return value;
}

type Combo = Record<string, unknown>;

/** The matrix combinations GitHub would run (base product, `exclude`, then `include`), or an error. */
export function matrixCombinations(matrix: unknown): Combo[] | string {
  if (matrix === undefined) return [{}];
  if (typeof matrix !== 'object' || matrix === null || Array.isArray(matrix)) return 'matrix is an expression; write it out so its legs can be checked';
  const { include, exclude, ...axes } = matrix as Record<string, unknown>;
  let combos: Combo[] = [{}];
  for (const [key, values] of Object.entries(axes)) {
    if (!Array.isArray(values)) return `matrix.${key} is not a list`;
    combos = combos.flatMap((c) => values.map((v) => ({ ...c, [key]: v })));
  }
  if (Object.keys(axes).length === 0) combos = [];
  const matches = (c: Combo, o: Combo) => Object.entries(o).every(([k, v]) => c[k] === v);
  if (Array.isArray(exclude)) combos = combos.filter((c) => !(exclude as Combo[]).some((e) => matches(c, e)));
  if (include !== undefined && !Array.isArray(include)) return 'matrix.include is not a list';
  for (const inc of (include ?? []) as Combo[]) {
    const own = Object.fromEntries(Object.entries(inc).filter(([k]) => k in axes));
    const extra = Object.fromEntries(Object.entries(inc).filter(([k]) => !(k in axes)));
    const targets = Object.keys(axes).length > 0 ? combos.filter((c) => matches(c, own) && Object.keys(extra).every((k) => !(k in c) || c[k] === extra[k])) : [];
    if (targets.length === 0) combos.push({ ...inc });
    else targets.forEach((c) => Object.assign(c, extra));
  }
  return combos;
}

/** The legs of one job's matrix, each with `${{ matrix.* }}` substituted; a problem when they cannot be known. */
function matrixRuns(file: string, id: string, job: WorkflowJob, problems: string[]): Array<{ label: string; job: WorkflowJob }> {
  const combos = matrixCombinations(job.strategy?.matrix);
  if (typeof combos === 'string') {
    problems.push(`${file}: job ${id}: ${combos}`);
    return [];
  }
  return combos.map((combo) => {
    const keys = Object.entries(combo).filter(([, v]) => typeof v !== 'string' || !v.includes('${{'));
    const label = keys.length > 0 ? `${id}[${keys.map(([k, v]) => `${k}=${String(v)}`).join(',')}]` : id;
    return { label, job: substitute(job, combo) as WorkflowJob };
  });
}

/** `./.github/workflows/<file>` → `<file>`; undefined for a workflow of another repository. */
export function localWorkflowFile(uses: string): string | undefined {
  return /^\.\/\.github\/workflows\/([^/@]+\.ya?ml)$/.exec(uses)?.[1];
}

/** The triggers are only `workflow_call`: the workflow runs only when another one calls it. */
export function isCallOnly(doc: WorkflowDoc): boolean {
  const events = Object.keys(triggers(doc));
  return events.length === 1 && events[0] === 'workflow_call';
}

/** The values a call gives the reusable workflow's `inputs`: its `with:`, over the declared defaults. */
export function callInputs(called: WorkflowDoc, caller: WorkflowJob): Record<string, unknown> {
  const declared = (triggers(called).workflow_call?.inputs ?? {}) as Record<string, { default?: unknown }>;
  const defaults = Object.fromEntries(Object.entries(declared).filter(([, d]) => d?.default !== undefined).map(([k, d]) => [k, d.default]));
  return { ...defaults, ...(caller.with ?? {}) };
}

/**
 * Every concrete run of every job; matrix problems are reported through `problems`. A job calling a reusable
 * workflow of this repository becomes the runs of that workflow's jobs (found in `library`), with its inputs
 * substituted, labelled `<calling job>/<called job>`.
 */
export function jobRuns(workflow: Workflow, problems: string[] = [], library: readonly Workflow[] = []): JobRun[] {
  return Object.entries(workflow.doc.jobs ?? {}).flatMap(([id, job]) =>
    matrixRuns(workflow.file, id, job, problems).flatMap(({ label, job: leg }): JobRun[] => {
      if (typeof leg.uses !== 'string') return [{ id, label, job: leg, definedIn: workflow }];
      const file = localWorkflowFile(leg.uses);
      const called = library.find((w) => w.file === file);
      if (!called) {
        problems.push(`${workflow.file}: job ${label}: calls ${leg.uses}, which is not a workflow of this repository the check was given`);
        return [];
      }
      const inputs = callInputs(called.doc, leg);
      return Object.entries(called.doc.jobs ?? {}).flatMap(([calledId, calledJob]) =>
        matrixRuns(called.file, calledId, substitute(calledJob, inputs, 'inputs') as WorkflowJob, problems).map((run) => ({
          id: calledId,
          label: `${label}/${run.label}`,
          job: run.job,
          definedIn: called,
          call: { id, job: leg },
        })),
      );
    }),
  );
}

/** allJobRuns's result and problems per workflows list: the checks expand the same list many times. */
const runsOf = new WeakMap<readonly Workflow[], { readonly runs: ReadonlyArray<{ workflow: Workflow; run: JobRun }>; readonly problems: readonly string[] }>();

/**
 * Every run that can start on its own: the runs of every workflow but the call-only ones, calls expanded. Expanded
 * once per list: the workflows and their documents are not changed after they are parsed.
 */
export function allJobRuns(workflows: readonly Workflow[], problems: string[] = []): Array<{ workflow: Workflow; run: JobRun }> {
  let expanded = runsOf.get(workflows);
  if (expanded === undefined) {
    const found: string[] = [];
    const runs = workflows.filter((w) => !isCallOnly(w.doc)).flatMap((w) => jobRuns(w, found, workflows).map((run) => ({ workflow: w, run })));
    expanded = { runs, problems: found };
    runsOf.set(workflows, expanded);
  }
  problems.push(...expanded.problems);
  return [...expanded.runs];
}

/** A called job's `secrets.NAME` resolves only when the caller inherits its secrets or maps NAME explicitly. */
function secretReachesCall(run: JobRun, name: string): boolean {
  if (!run.call) return true;
  const given = run.call.job.secrets;
  return given === 'inherit' || (typeof given === 'object' && given !== null && Object.keys(given).some((k) => k.toUpperCase() === name.toUpperCase()));
}

/** The events that trigger the workflow, with their filters. */
export function triggers(doc: WorkflowDoc): Record<string, Record<string, unknown>> {
  const on = doc.on;
  if (typeof on === 'string') return { [on]: {} };
  if (Array.isArray(on)) return Object.fromEntries(on.map((e) => [String(e), {}]));
  if (typeof on === 'object' && on !== null) {
    return Object.fromEntries(Object.entries(on).map(([e, f]) => [e, (typeof f === 'object' && f !== null ? f : {}) as Record<string, unknown>]));
  }
  return {};
}

export const environmentOf = (job: WorkflowJob): string | undefined =>
  typeof job.environment === 'string' ? job.environment : job.environment?.name;

/**
 * The OIDC subjects a job run can present, or the reason they cannot be known.
 * With `environment:`, always the environment form; otherwise one subject per triggering event.
 */
export function oidcSubjects(doc: WorkflowDoc, job: WorkflowJob, repository: string): { subjects: string[]; problems: string[] } {
  const repo = `repo:${repository}`;
  const environment = environmentOf(job);
  if (environment !== undefined) {
    return environment.includes('${{')
      ? { subjects: [], problems: [`environment "${environment}" is an expression the check cannot resolve`] }
      : { subjects: [`${repo}:environment:${environment}`], problems: [] };
  }
  const subjects: string[] = [];
  const problems: string[] = [];
  for (const [event, filter] of Object.entries(triggers(doc))) {
    if (event === 'pull_request') subjects.push(`${repo}:pull_request`);
    else if (event === 'push' && Array.isArray(filter.branches) && filter.branches.every((b) => !/[*?[!]/.test(String(b)))) {
      subjects.push(...filter.branches.map((b) => `${repo}:ref:refs/heads/${String(b)}`));
    } else problems.push(`no environment, and the "${event}" event gives a subject that depends on the ref it runs on`);
  }
  return { subjects, problems };
}

/** `${{ secrets.NAME }}` / `${{ vars.NAME }}` → { kind, name }; anything else → undefined. */
export function parseReference(value: unknown): { kind: 'secret' | 'variable'; name: string } | undefined {
  const match = typeof value === 'string' ? /^\$\{\{\s*(secrets|vars)\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$/.exec(value.trim()) : null;
  return match ? { kind: match[1] === 'secrets' ? 'secret' : 'variable', name: match[2].toUpperCase() } : undefined;
}

interface Located extends Publication {
  readonly stack: string;
}

/** Every publication of every stack, per trust: looked up once per sign-in and reference checked. */
const publicationsOf = new WeakMap<TrustedSubjectsByStack, readonly Located[]>();

/** The publications a job sees for `kind`/`name`: environment-level ones win over repository-level ones. */
export function visiblePublications(trust: TrustedSubjectsByStack, kind: Publication['kind'], name: string, environment: string | undefined): Located[] {
  let all = publicationsOf.get(trust);
  if (all === undefined) {
    all = Object.entries(trust).flatMap(([stack, t]) => t.published.map((p) => ({ ...p, stack })));
    publicationsOf.set(trust, all);
  }
  const same = all.filter((p) => p.kind === kind && p.name === name.toUpperCase());
  const envLevel = environment === undefined ? [] : same.filter((p) => p.environment === environment);
  return envLevel.length > 0 ? envLevel : same.filter((p) => p.environment === undefined);
}

/** How one `azure/login` step resolves. */
export interface LoginResolution {
  readonly file: string;
  readonly job: string;
  /** Index of the `azure/login` step in the job's steps (a job may sign in more than once). */
  readonly step: number;
  readonly environment?: string;
  readonly subjects: readonly string[];
  readonly clientId: string;
  /** The stack and identity the client ID belongs to; undefined when unresolved or pending. */
  readonly stack?: string;
  readonly identity?: string;
  /** The client ID's secret or variable is not written by any stack yet, and was allowed to be missing. */
  readonly pending?: boolean;
  readonly problems: readonly string[];
}

export interface CheckOptions {
  /** Secret/variable names that may be unpublished (a stack that writes them is not there yet). @default none */
  readonly pending?: ReadonlySet<string>;
}

const isAzureLogin = (step: WorkflowStep) => typeof step.uses === 'string' && /^azure\/login@/i.test(step.uses);

/** Resolves every `azure/login` step of every job run. */
export function resolveLogins(workflows: readonly Workflow[], trust: TrustedSubjectsByStack, repository: string, options: CheckOptions = {}): LoginResolution[] {
  const out: LoginResolution[] = [];
  const allIdentities = Object.entries(trust).flatMap(([stack, t]) => t.identities.map((i) => ({ ...i, stack })));
  const runProblems: string[] = [];
  const runs = allJobRuns(workflows, runProblems);
  runProblems.forEach((p) => out.push({ file: p.split(':')[0], job: '?', step: -1, subjects: [], clientId: '?', problems: [p] }));
  for (const { workflow: wf, run } of runs) {
    for (const [index, step] of (run.job.steps ?? []).entries()) {
      if (!isAzureLogin(step)) continue;
      const where = `${wf.file}: job ${run.label}`;
      const problems: string[] = [];
      const environment = environmentOf(run.job);
      // The caller's triggers: a called job runs on its caller's event.
      const subj = oidcSubjects(wf.doc, run.job, repository);
      problems.push(...subj.problems.map((p) => `${where}: ${p}`));
      const clientId = String(step.with?.['client-id'] ?? '');
      const ref = parseReference(clientId);
      let stack: string | undefined;
      let identity: string | undefined;
      let pending = false;

      if (step.with?.['client-secret'] !== undefined || step.with?.creds !== undefined) {
        problems.push(`${where}: azure/login must use OIDC (client-id/tenant-id/subscription-id), not a client secret or creds JSON`);
      }
      if (!ref) {
        problems.push(`${where}: client-id "${clientId}" must be a single \${{ secrets.NAME }} or \${{ vars.NAME }} reference`);
      } else if (ref.kind === 'secret' && !secretReachesCall(run, ref.name)) {
        problems.push(`${where}: client-id ${clientId}: the calling job ${run.call!.id} neither inherits nor passes secret ${ref.name}, so it resolves empty in the called workflow`);
      } else {
        const pubs = visiblePublications(trust, ref.kind, ref.name, environment);
        const scope = environment === undefined ? 'at repository level' : `in environment "${environment}" or at repository level`;
        if (pubs.length === 0) {
          if (options.pending?.has(ref.name)) {
            pending = true;
            // Until a stack publishes it, at least the subject must be trusted by some GitHub-federated identity.
            for (const s of subj.subjects) {
              if (!allIdentities.some((i) => i.subjects.includes(s))) problems.push(`${where}: no identity in any stack trusts subject ${s}`);
            }
          } else {
            problems.push(`${where}: client-id ${clientId}: no stack writes ${ref.kind} ${ref.name} ${scope}, so the job would sign in with an empty client ID`);
          }
        } else if (pubs.length > 1) {
          problems.push(`${where}: ${ref.kind} ${ref.name} ${scope} is written by more than one stack (${pubs.map((p) => p.stack).join(', ')})`);
        } else if (pubs[0].clientIdOf === undefined) {
          problems.push(`${where}: ${ref.kind} ${ref.name} (written by ${pubs[0].stack}) does not hold a GitHub-federated identity's client ID`);
        } else {
          stack = pubs[0].stack;
          identity = pubs[0].clientIdOf;
          const target = trust[stack].identities.find((i) => i.address === identity);
          const trusted = target?.subjects ?? [];
          for (const s of subj.subjects) {
            if (!trusted.includes(s)) {
              problems.push(
                `${where}: signs in as ${stack}'s ${identity} (${ref.kind} ${ref.name}), which does not trust subject ${s}; it trusts ${trusted.length > 0 ? trusted.join(', ') : 'no GitHub subject'}`,
              );
            }
          }
        }
      }

      for (const input of ['tenant-id', 'subscription-id'] as const) {
        const value = step.with?.[input];
        const r = parseReference(value);
        if (!r) {
          problems.push(`${where}: ${input} "${String(value)}" must be a single \${{ secrets.NAME }} or \${{ vars.NAME }} reference`);
        } else if (visiblePublications(trust, r.kind, r.name, environment).length === 0 && !options.pending?.has(r.name)) {
          problems.push(`${where}: ${input} ${String(value)}: no stack writes ${r.kind} ${r.name} where this job can read it`);
        }
      }

      // Terraform signs in through ARM_* in the same job: it must be the same identity as the Azure CLI.
      const env = { ...(run.definedIn.doc.env ?? {}), ...(run.job.env ?? {}) };
      const pairs = { ARM_CLIENT_ID: 'client-id', ARM_TENANT_ID: 'tenant-id', ARM_SUBSCRIPTION_ID: 'subscription-id' } as const;
      for (const [armVar, input] of Object.entries(pairs)) {
        if (env[armVar] !== undefined && String(env[armVar]).replace(/\s/g, '') !== String(step.with?.[input]).replace(/\s/g, '')) {
          problems.push(`${where}: ${armVar} (${String(env[armVar])}) differs from azure/login ${input} (${String(step.with?.[input])})`);
        }
      }

      out.push({
        file: wf.file,
        job: run.label,
        step: index,
        ...(environment !== undefined ? { environment } : {}),
        subjects: subj.subjects,
        clientId,
        ...(stack !== undefined ? { stack, identity } : {}),
        ...(pending ? { pending } : {}),
        problems,
      });
    }
  }
  return out;
}

/**
 * Every way a workflow's Azure sign-in disagrees with the synthesized identities, one message each; empty when
 * every `azure/login` job would present a subject its identity trusts.
 */
export function checkWorkflowIdentities(
  workflows: readonly Workflow[],
  trustedSubjectsByStack: TrustedSubjectsByStack,
  repository: string,
  options: CheckOptions = {},
): string[] {
  return resolveLogins(workflows, trustedSubjectsByStack, repository, options).flatMap((r) => r.problems);
}

/** Every `${{ secrets.X }}` / `${{ vars.X }}` in a value, deeply. */
export function referencesIn(value: unknown): Array<{ kind: 'secret' | 'variable'; name: string }> {
  if (typeof value === 'string') {
    return [...value.matchAll(/\b(secrets|vars)\.([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => ({ kind: m[1] === 'secrets' ? 'secret' : 'variable', name: m[2].toUpperCase() }));
  }
  if (Array.isArray(value)) return value.flatMap(referencesIn);
  if (typeof value === 'object' && value !== null) return Object.values(value).flatMap(referencesIn);
  return [];
}

/**
 * Every secret and variable a job reads must be written by a stack where the job can see it (its environment,
 * or the repository), unless it is managed by hand (`external`) or allowed to be pending.
 */
export function checkWorkflowReferences(
  workflows: readonly Workflow[],
  trust: TrustedSubjectsByStack,
  options: {
    external: ReadonlySet<string>;
    pending?: ReadonlySet<string>;
    /** Runs that never execute (their `if:` rules them out for that caller), left out. @default every run executes */
    unreachable?: (file: string, run: JobRun) => boolean;
  },
): string[] {
  const problems: string[] = [];
  for (const { workflow: wf, run } of allJobRuns(workflows, problems)) {
    if (options.unreachable?.(wf.file, run)) continue;
    const environment = environmentOf(run.job);
    const scope = environment === undefined ? 'at repository level' : `in environment "${environment}" or at repository level`;
    // The matrix definition is left out: each leg reads only what was substituted into it.
    const { strategy: _matrix, ...job } = run.job;
    const seen = new Set<string>();
    for (const ref of [...referencesIn(run.definedIn.doc.env), ...referencesIn(job)]) {
      const key = `${ref.kind}:${ref.name}`;
      if (seen.has(key) || ref.name === 'GITHUB_TOKEN' || options.external.has(ref.name) || options.pending?.has(ref.name)) continue;
      seen.add(key);
      if (ref.kind === 'secret' && !secretReachesCall(run, ref.name)) {
        problems.push(`${wf.file}: job ${run.label}: reads secret ${ref.name}, which the calling job ${run.call!.id} neither inherits nor passes: it resolves empty`);
        continue;
      }
      const pubs = visiblePublications(trust, ref.kind, ref.name, environment);
      if (pubs.length === 0) problems.push(`${wf.file}: job ${run.label}: reads ${ref.kind} ${ref.name}, which no stack writes ${scope}`);
      if (pubs.length > 1) {
        problems.push(`${wf.file}: job ${run.label}: ${ref.kind} ${ref.name} ${scope} is written by more than one stack (${pubs.map((p) => p.stack).join(', ')}): their applies would overwrite each other`);
      }
    }
  }
  return problems;
}
