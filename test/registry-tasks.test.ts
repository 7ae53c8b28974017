import { ContainerRegistry } from '../constructs/container-registry';
import { RegistryPurge, RegistryPurgeProps, cronProblem, purgeCommand, validateRegistryPurge } from '../constructs/registry-tasks';
import type { PlatformConfig } from '../stacks/environments';
import { validateConfig } from '../stacks/validate-config';
import { configCopy, errorOf, only, resources, synthScope } from './helpers';
import { lines } from './problems';

type Props = Omit<RegistryPurgeProps, 'registry'>;
const base: Props = { name: 'purge-images', resourceGroupName: 'rg-example', location: 'swedencentral', repositories: ['team/web'] };

function synth(props: Partial<Props> = {}) {
  return synthScope((scope) => {
    const registry = new ContainerRegistry(scope, 'registry', { name: 'acrexample01', resourceGroupName: 'rg-example', location: 'swedencentral' });
    new RegistryPurge(scope, 'purge', { ...base, ...props, registry });
  });
}
const problems = (props: Partial<Props>) => lines(validateRegistryPurge({ ...base, ...props, registry: {} as never }));
const taskContent = (tf: ReturnType<typeof synth>) => String((only(tf, 'azurerm_container_registry_task').encoded_step as { task_content: string }).task_content);

describe('RegistryPurge', () => {
  test('defaults: nightly, 30 days, keeps the release history depth (10)', () => {
    const tf = synth();
    const task = only(tf, 'azurerm_container_registry_task');
    expect(task.timer_trigger).toEqual([{ name: 'purge-schedule', schedule: '0 2 * * *', enabled: true }]);
    expect(taskContent(tf)).toBe(
      ['version: v1.1.0', 'steps:', "  - cmd: acr purge --filter 'team/web:.*' --ago 30d --keep 10 --untagged", '    disableWorkingDirectoryOverride: true', '    timeout: 3600', ''].join('\n'),
    );
    expect(task.timeout_in_seconds).toBe(3600);
    expect(only(tf, 'azurerm_user_assigned_identity').name).toBe('id-purge-images');
  });

  test('one --filter per repository (sorted, once each), then --ago, --keep and --untagged', () => {
    expect(purgeCommand(['b/api', 'a/web', 'b/api'], 7, 25)).toBe("acr purge --filter 'a/web:.*' --filter 'b/api:.*' --ago 7d --keep 25 --untagged");
    const tf = synth({ repositories: ['web', 'api'], schedule: '15 3 * * 1-5', olderThanDays: 45, keep: 12, identityName: 'id-custom' });
    expect(taskContent(tf)).toContain("cmd: acr purge --filter 'api:.*' --filter 'web:.*' --ago 45d --keep 12 --untagged");
    expect(only(tf, 'azurerm_container_registry_task').timer_trigger).toEqual([{ name: 'purge-schedule', schedule: '15 3 * * 1-5', enabled: true }]);
    expect(only(tf, 'azurerm_user_assigned_identity').name).toBe('id-custom');
  });

  test('grants its identity AcrDelete and AcrPull at the registry, and the task depends on them', () => {
    const tf = synth();
    const roles = Object.entries(resources(tf, 'azurerm_role_assignment'));
    expect(roles.map(([, r]) => [r.role_definition_name, r.principal_type, r.skip_service_principal_aad_check]).sort()).toEqual([
      ['AcrDelete', 'ServicePrincipal', true], ['AcrPull', 'ServicePrincipal', true],
    ]);
    const task = only(tf, 'azurerm_container_registry_task');
    expect((task.depends_on as string[]).sort()).toEqual(roles.map(([id]) => `azurerm_role_assignment.${id}`).sort());
  });

  test('a second grant of the same role returns the same assignment', () => {
    synthScope((scope) => {
      const registry = new ContainerRegistry(scope, 'registry', { name: 'acrexample01', resourceGroupName: 'rg-example', location: 'swedencentral' });
      const purge = new RegistryPurge(scope, 'purge', { ...base, registry });
      expect(registry.grantDelete(purge)).toBe(purge.roles[0]);
      expect(registry.grantPull(purge)).toBe(purge.roles[1]);
    });
  });

  test('throws one error listing every problem', () => {
    const message = errorOf(() => synth({ name: 'x', keep: 3, olderThanDays: 0, schedule: '* * *' }));
    expect(message).toContain('Invalid registry purge');
    expect(message).toContain('4 problems');
  });
});

describe('validateRegistryPurge', () => {
  test.each([
    ['keep below the history depth', { keep: 9 }, 'keep: must be at least the release history depth (10 revisions), got 9: a release could not roll back to an image the purge deleted'],
    ['keep below a deeper history', { keep: 15, releaseHistoryDepth: 20 }, 'keep: must be at least the release history depth (20 revisions), got 15: a release could not roll back to an image the purge deleted'],
    ['keep not a whole number', { keep: 10.5 }, 'keep: must be a whole number from 1 to 10000, got number 10.5'],
    ['age 0', { olderThanDays: 0 }, 'olderThanDays: must be a whole number from 1 to 3650, got number 0'],
    ['age over ten years', { olderThanDays: 3651 }, 'olderThanDays: must be a whole number from 1 to 3650, got number 3651'],
    ['no repository', { repositories: [] }, 'repositories: name at least one repository to purge'],
    ['a repository with a tag', { repositories: ['web:1'] }, 'repositories[0]: "web:1" is not allowed: a registry repository name of at most 128 characters: lowercase letters and digits separated by ".", "_", "-" or "/"'],
    ['a short task name', { name: 'abc' }, 'name: "abc" is not allowed: 5-50 letters, digits, underscores or hyphens, starting with a letter or digit'],
    ['six cron fields', { schedule: '0 0 2 * * *' }, 'schedule: "0 0 2 * * *" has 6 fields; a schedule is 5: minute hour day-of-month month day-of-week (UTC), for example "0 2 * * *"'],
  ])('%s', (_, props, message) => expect(problems(props)).toEqual([message]));

  test('valid props have no problems', () => {
    expect(problems({})).toEqual([]);
    expect(problems({ keep: 10, olderThanDays: 1, schedule: '*/15 0-5,22 1 1-12/2 0,6' })).toEqual([]);
  });
});

describe('cron expressions', () => {
  test.each(['0 2 * * *', '30 1 * * 1-5', '*/10 * * * *', '0 0 1 * *', '0 0 31 12 6', '5,35 0-23/2 * * 0'])('accepts %p', (cron) => expect(cronProblem(cron)).toBeUndefined());
  test.each([
    ['0 24 * * *', 'hour field "24" is outside 0-23'],
    ['60 2 * * *', 'minute field "60" is outside 0-59'],
    ['0 2 0 * *', 'day of month field "0" is outside 1-31'],
    ['0 2 * 13 *', 'month field "13" is outside 1-12'],
    ['0 2 * * 7', 'day of week field "7" is outside 0-6'],
    ['0 5-2 * * *', 'hour field "5-2" has a range that runs backwards (5-2)'],
    ['*/0 * * * *', 'minute field "*/0" has a step outside 1-60'],
    ['0 2 * * MON', 'is not allowed: 5 fields of digits'],
    ['0\n2 * * *', 'is not allowed: 5 fields of digits'],
    ['@daily', 'is not allowed: 5 fields of digits'],
    ['0 2 * *', 'has 4 fields'],
    ['0 2 ,, * *', 'day of month field ",," is not'],
  ])('refuses %p', (cron, message) => expect(cronProblem(cron)).toContain(message));
});

describe('config: registry.purge', () => {
  const check = (edit: (c: ReturnType<typeof configCopy>) => void) => {
    const c = configCopy();
    edit(c);
    return validateConfig(c as unknown as PlatformConfig);
  };

  test('the fixture and each rule, under its config path', () => {
    expect(check(() => undefined)).toEqual([]);
    expect(check((c) => { c.environments.prod.registry.purge.keep = 5; })).toEqual([
      'environments.prod.registry.purge.keep: must be at least the release history depth (10 revisions), got 5: a release could not roll back to an image the purge deleted',
    ]);
    expect(check((c) => { c.environments.dev.registry.purge.schedule = '0 25 * * *'; })).toEqual([
      'environments.dev.registry.purge.schedule: "0 25 * * *": hour field "25" is outside 0-23',
    ]);
    expect(check((c) => { c.environments.staging.registry.purge.olderThanDays = 0; })).toEqual([
      'environments.staging.registry.purge.olderThanDays: must be a whole number from 1 to 3650, got number 0',
    ]);
  });

  test('purge is required', () => {
    expect(check((c) => { delete (c.environments.dev.registry as Partial<typeof c.environments.dev.registry>).purge; })).toEqual([
      'environments.dev.registry.purge: missing; it is required (an object)',
    ]);
  });
});
