import { Construct } from 'constructs';
import { ContainerRegistryTask } from '@cdktf/provider-azurerm/lib/container-registry-task';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { UserAssignedIdentity } from '@cdktf/provider-azurerm/lib/user-assigned-identity';
import { stringify } from 'yaml';
import { DEFAULT_MAX_HISTORY } from './app-release';
import { IContainerRegistry } from './container-registry';
import { IDENTITY_NAME, IDENTITY_NAME_ALLOWED, IMAGE_NAME, IMAGE_NAME_ALLOWED, TASK_NAME, TASK_NAME_ALLOWED } from './names';
import { IPrincipal, PrincipalType } from './principal';
import { AzureResourceProps } from './resource';
import { Problem, Problems, describe, isToken, throwIfInvalid } from './validation';

/** Nightly, at 02:00 UTC (ACR timer triggers run in UTC). */
export const DEFAULT_PURGE_SCHEDULE = '0 2 * * *';
/** Tags older than this many days are purged (unless among the newest `keep`). */
export const DEFAULT_PURGE_OLDER_THAN_DAYS = 30;

export interface RegistryPurgeProps extends AzureResourceProps {
  /** Name of the ACR task: 5-50 letters, digits, underscores or hyphens. Changing it replaces the task. */
  readonly name: string;
  /** Resource group of the task's user-assigned identity (the task itself lives in the registry's). */
  readonly resourceGroupName: string;
  /** Azure region of the task's identity; the task runs in the registry's own region. */
  readonly location: string;
  /** The registry to purge: the task is created in it, and its identity gets AcrDelete and AcrPull at its scope. */
  readonly registry: IContainerRegistry;
  /** Repositories to purge (`<login server>/<repository>`), one `--filter '<repository>:.*'` each; at least one. Nothing else is touched. */
  readonly repositories: readonly string[];
  /** When to run: a 5-field cron expression in UTC (minute hour day-of-month month day-of-week; numbers, `*`, ranges, lists, steps). @default '0 2 * * *' (nightly) */
  readonly schedule?: string;
  /** Purge tags last updated more than this many days ago (`--ago <N>d`): 1-3650. @default 30 */
  readonly olderThanDays?: number;
  /**
   * Always keep the newest this many tags per repository (`--keep <K>`), whatever their age: at least
   * `releaseHistoryDepth`, or a release could not roll back to an image the purge deleted. @default releaseHistoryDepth
   */
  readonly keep?: number;
  /** Revisions the repositories' Helm releases keep (AppRelease `maxHistory`): the floor for `keep`. @default 10 (DEFAULT_MAX_HISTORY) */
  readonly releaseHistoryDepth?: number;
  /** Name of the task's user-assigned identity: 3-128 letters, digits, hyphens or underscores. @default `id-<name>` */
  readonly identityName?: string;
}

/** The ranges of the five cron fields, in order. */
const CRON_FIELDS: readonly { readonly name: string; readonly min: number; readonly max: number }[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 6 },
];

/**
 * What is wrong with a 5-field cron expression (minute hour day-of-month month day-of-week), or undefined when it is
 * valid. Each field is `*` or a comma-separated list of numbers and ranges (`a-b`), each optionally stepped (`/n`),
 * within the field's range. Names (`MON`, `JAN`) and the 6-field form with seconds are refused: one spelling.
 */
export function cronProblem(expression: string): string | undefined {
  if (!/^[0-9*,/-]+( +[0-9*,/-]+)*$/.test(expression)) {
    return `${describe(expression)} is not allowed: 5 fields of digits, "*", ",", "-" or "/", separated by spaces (minute hour day-of-month month day-of-week, UTC), for example "0 2 * * *"`;
  }
  const fields = expression.split(/ +/);
  if (fields.length !== 5) return `${describe(expression)} has ${fields.length} field${fields.length === 1 ? '' : 's'}; a schedule is 5: minute hour day-of-month month day-of-week (UTC), for example "0 2 * * *"`;
  for (let i = 0; i < 5; i++) {
    const { name, min, max } = CRON_FIELDS[i];
    for (const item of fields[i].split(',')) {
      const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(item);
      const bad = (why: string) => `${describe(expression)}: ${name} field ${describe(fields[i])} ${why}`;
      if (!m) return bad(`is not "*", a number, a range a-b or a list of them, each optionally with a step /n (allowed: ${min}-${max})`);
      const [, , from, to, step] = m;
      const lo = from === undefined ? min : Number(from);
      const hi = to === undefined ? (from === undefined ? max : lo) : Number(to);
      if (lo < min || lo > max || hi < min || hi > max) return bad(`is outside ${min}-${max}`);
      if (lo > hi) return bad(`has a range that runs backwards (${lo}-${hi})`);
      if (step !== undefined && (Number(step) < 1 || Number(step) > max - min + 1)) return bad(`has a step outside 1-${max - min + 1}`);
    }
  }
  return undefined;
}

/** Every problem with `props`, each naming the field and saying what is allowed. Pure: no construct is created. */
export function validateRegistryPurge(props: RegistryPurgeProps): Problem[] {
  const p = new Problems();
  if (!p.object('props', props)) return p.list;
  p.string('name', props.name, TASK_NAME, TASK_NAME_ALLOWED);
  p.resourceGroup('resourceGroupName', props.resourceGroupName);
  p.region('location', props.location);
  p.optionalString('identityName', props.identityName, IDENTITY_NAME, IDENTITY_NAME_ALLOWED);
  if (props.identityName === undefined && typeof props.name === 'string' && TASK_NAME.test(props.name)) {
    p.string('name', `id-${props.name}`, IDENTITY_NAME, `the identity is named "id-<name>", which must be ${IDENTITY_NAME_ALLOWED}; set identityName`);
  }
  if (props.registry === undefined || props.registry === null || typeof props.registry !== 'object') p.add('registry', 'the registry to purge is required');
  const repositories = p.array('repositories', props.repositories, false);
  if (Array.isArray(props.repositories) && repositories.length === 0) p.add('repositories', 'name at least one repository to purge');
  repositories.forEach((r, i) => p.string(`repositories[${i}]`, r, IMAGE_NAME, IMAGE_NAME_ALLOWED));
  if (props.schedule !== undefined && !isToken(props.schedule)) {
    if (typeof props.schedule !== 'string') p.add('schedule', `must be a string (a 5-field cron expression), got ${describe(props.schedule)}`);
    else {
      const problem = cronProblem(props.schedule);
      if (problem !== undefined) p.add('schedule', problem);
    }
  }
  p.optionalInteger('olderThanDays', props.olderThanDays, 1, 3650);
  const depthOk = props.releaseHistoryDepth === undefined || p.integer('releaseHistoryDepth', props.releaseHistoryDepth, 1, 100);
  const depth = props.releaseHistoryDepth ?? DEFAULT_MAX_HISTORY;
  if (props.keep !== undefined && p.integer('keep', props.keep, 1, 10000) && depthOk && !isToken(props.keep) && !isToken(depth) && props.keep < depth) {
    p.add('keep', `must be at least the release history depth (${depth} revisions), got ${props.keep}: a release could not roll back to an image the purge deleted`);
  }
  return p.list;
}

/** The `acr purge` command line a purge task runs. Pure, so tests and docs can show it. */
export function purgeCommand(repositories: readonly string[], olderThanDays: number, keep: number): string {
  const filters = [...new Set(repositories)].sort().map((r) => `--filter '${r}:.*'`);
  return ['acr purge', ...filters, `--ago ${olderThanDays}d`, `--keep ${keep}`, '--untagged'].join(' ');
}

/**
 * A scheduled ACR task that runs `acr purge` on the given repositories: it deletes tags older than `olderThanDays`
 * except the newest `keep` per repository, then the manifests left untagged. It runs as its own user-assigned
 * identity holding AcrDelete and AcrPull at the registry's scope only: the task's default credentials for its
 * registry are off (`login_mode = "None"`), and the identity signs in instead; no admin user, no password, no token.
 */
export class RegistryPurge extends Construct implements IPrincipal {
  /** The underlying ACR task, for anything this construct does not wrap. */
  public readonly resource: ContainerRegistryTask;
  /** The task's user-assigned identity. */
  public readonly identity: UserAssignedIdentity;
  /** The identity's role assignments at the registry: AcrDelete and AcrPull. */
  public readonly roles: readonly RoleAssignment[];
  /** The command line the task runs. */
  public readonly command: string;
  /** The cron schedule (UTC). */
  public readonly schedule: string;
  public readonly principalId: string;
  public readonly principalType: PrincipalType = 'ServicePrincipal';

  constructor(scope: Construct, id: string, props: RegistryPurgeProps) {
    super(scope, id);
    throwIfInvalid(`registry purge "${this.node.path}"`, validateRegistryPurge(props));
    const depth = props.releaseHistoryDepth ?? DEFAULT_MAX_HISTORY;
    this.schedule = props.schedule ?? DEFAULT_PURGE_SCHEDULE;
    this.command = purgeCommand(props.repositories, props.olderThanDays ?? DEFAULT_PURGE_OLDER_THAN_DAYS, props.keep ?? depth);
    const tags = props.tags ? { ...props.tags } : undefined;

    this.identity = new UserAssignedIdentity(this, 'identity', {
      name: props.identityName ?? `id-${props.name}`,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      tags,
    });
    this.principalId = this.identity.principalId;
    this.roles = [props.registry.grantDelete(this), props.registry.grantPull(this)];

    // The task file `az acr task create --cmd ... --context /dev/null` would make: one cmd step, serialized from an object.
    const taskContent = stringify({
      version: 'v1.1.0',
      steps: [{ cmd: this.command, disableWorkingDirectoryOverride: true, timeout: 3600 }],
    }, { lineWidth: 0 });

    this.resource = new ContainerRegistryTask(this, 'resource', {
      name: props.name,
      containerRegistryId: props.registry.id,
      platform: { os: 'Linux' },
      encodedStep: { taskContent },
      timerTrigger: [{ name: 'purge-schedule', schedule: this.schedule, enabled: true }],
      identity: { type: 'UserAssigned', identityIds: [this.identity.id] },
      registryCredential: {
        // No implicit run token for the registry: the task signs in to it as its identity, which holds only purge's roles.
        source: { loginMode: 'None' },
        custom: [{ loginServer: props.registry.loginServer, identity: this.identity.clientId }],
      },
      timeoutInSeconds: 3600,
      tags,
      dependsOn: [...this.roles],
    });
  }
}
