import { Lazy, TerraformOutput } from 'cdktf';
import { ContainerRegistry, ContainerRegistryProps, validateRegistry } from '../constructs/container-registry';
import { ValidationError } from '../constructs/validation';
import { errorOf, only, resources, synthScope } from './helpers';
import { lines } from './problems';

const base: ContainerRegistryProps = { name: 'acrexample01', resourceGroupName: 'rg-example', location: 'japaneast' };

function registry(props: Partial<ContainerRegistryProps> = {}) {
  return only(synthScope((scope) => new ContainerRegistry(scope, 'registry', { ...base, ...props })), 'azurerm_container_registry');
}

describe('ContainerRegistry defaults', () => {
  const r = registry();
  test.each([
    ['sku', 'Premium'],
    ['admin_enabled', false],
    ['anonymous_pull_enabled', false],
    ['zone_redundancy_enabled', true],
    ['retention_policy_in_days', 7],
    ['data_endpoint_enabled', true],
    ['public_network_access_enabled', true],
    ['name', 'acrexample01'],
    ['location', 'japaneast'],
    ['resource_group_name', 'rg-example'],
  ])('%s is %p', (attr, value) => expect(r[attr]).toEqual(value));

  test('no replicas and no network rules unless asked for', () => {
    expect(r.georeplications).toBeUndefined();
    expect(r.network_rule_set).toBeUndefined();
  });
});

describe('ContainerRegistry options', () => {
  test('replicas are zone-redundant by default and sorted by location', () => {
    const r = registry({
      geoReplications: [{ location: 'koreacentral' }, { location: 'eastasia', zoneRedundancyEnabled: false, regionalEndpointEnabled: true }],
      tags: { env: 'test' },
    });
    expect(r.georeplications).toEqual([
      { location: 'eastasia', zone_redundancy_enabled: false, regional_endpoint_enabled: true, tags: { env: 'test' } },
      { location: 'koreacentral', zone_redundancy_enabled: true, regional_endpoint_enabled: false, tags: { env: 'test' } },
    ]);
    expect(r.tags).toEqual({ env: 'test' });
  });

  test('an IP allow-list denies everything else', () => {
    const r = registry({ allowedIpRanges: ['203.0.113.0/24', '198.51.100.7'] });
    expect(r.network_rule_set).toEqual([
      {
        default_action: 'Deny',
        ip_rule: [
          { action: 'Allow', ip_range: '203.0.113.0/24' },
          { action: 'Allow', ip_range: '198.51.100.7' },
        ],
      },
    ]);
  });

  test('explicit Premium settings are honoured', () => {
    const r = registry({ retentionDays: 30, zoneRedundancyEnabled: false, dataEndpointEnabled: false, publicNetworkAccessEnabled: false });
    expect(r).toMatchObject({ retention_policy_in_days: 30, zone_redundancy_enabled: false, data_endpoint_enabled: false, public_network_access_enabled: false });
  });

  test('Standard drops the Premium-only features instead of failing at apply time', () => {
    const r = registry({ sku: 'Standard' });
    expect(r).toMatchObject({ sku: 'Standard', zone_redundancy_enabled: false, data_endpoint_enabled: false, admin_enabled: false });
    expect(r.retention_policy_in_days).toBeUndefined();
  });

  test('exposes id, name and login server as references to the resource', () => {
    const tf = synthScope((scope) => {
      const reg = new ContainerRegistry(scope, 'registry', base);
      new TerraformOutput(scope, 'id', { value: reg.id });
      new TerraformOutput(scope, 'name', { value: reg.name });
      new TerraformOutput(scope, 'login_server', { value: reg.loginServer });
    });
    const address = `azurerm_container_registry.${Object.keys(resources(tf, 'azurerm_container_registry'))[0]}`;
    expect(tf.output).toEqual({
      id: { value: `\${${address}.id}` },
      name: { value: `\${${address}.name}` },
      login_server: { value: `\${${address}.login_server}` },
    });
  });
});

describe('ContainerRegistry grants', () => {
  const principal = { principalId: '0f0e0d0c-0b0a-0908-0706-050403020100', principalType: 'ServicePrincipal' as const };

  test('grantPull and grantPush assign AcrPull and AcrPush at the registry scope', () => {
    const tf = synthScope((scope) => {
      const reg = new ContainerRegistry(scope, 'registry', base);
      reg.grantPull(principal);
      reg.grantPush(principal);
    });
    const regId = Object.keys(resources(tf, 'azurerm_container_registry'))[0];
    const assignments = Object.values(resources(tf, 'azurerm_role_assignment'));
    expect(assignments.map((a) => a.role_definition_name).sort()).toEqual(['AcrPull', 'AcrPush']);
    for (const a of assignments) {
      expect(a).toMatchObject({
        scope: `\${azurerm_container_registry.${regId}.id}`,
        principal_id: principal.principalId,
        principal_type: 'ServicePrincipal',
        skip_service_principal_aad_check: true,
      });
    }
  });

  test('a group principal does not skip the AAD check', () => {
    const tf = synthScope((scope) => new ContainerRegistry(scope, 'registry', base).grantPull({ ...principal, principalType: 'Group' }));
    const a = only(tf, 'azurerm_role_assignment');
    expect(a.principal_type).toBe('Group');
    expect(a.skip_service_principal_aad_check).toBeUndefined();
  });
});

describe('ContainerRegistry validation', () => {
  const cases: Array<[string, Partial<ContainerRegistryProps>, string]> = [
    ['name too short', { name: 'acr1' }, 'name: "acr1" is not allowed: 5-50 letters or digits'],
    ['name with a hyphen', { name: 'acr-example' }, 'name: "acr-example" is not allowed: 5-50 letters or digits'],
    ['name too long', { name: 'a'.repeat(51) }, 'name: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa..." (51 characters) is not allowed'],
    ['unknown sku', { sku: 'Gold' as never }, 'sku: must be one of "Basic", "Standard", "Premium", got "Gold"'],
    ['replicas on Standard', { sku: 'Standard', geoReplications: [{ location: 'koreacentral' }] }, 'geoReplications: geo-replication needs sku "Premium"'],
    ['zone redundancy on Basic', { sku: 'Basic', zoneRedundancyEnabled: true }, 'zoneRedundancyEnabled: zone redundancy needs sku "Premium"'],
    ['retention on Standard', { sku: 'Standard', retentionDays: 7 }, 'retentionDays: a retention policy for untagged manifests needs sku "Premium"'],
    ['data endpoint on Standard', { sku: 'Standard', dataEndpointEnabled: true }, 'dataEndpointEnabled: a dedicated data endpoint needs sku "Premium"'],
    ['private on Standard', { sku: 'Standard', publicNetworkAccessEnabled: false }, 'publicNetworkAccessEnabled: turning public network access off needs sku "Premium"'],
    ['allow-list on Basic', { sku: 'Basic', allowedIpRanges: ['203.0.113.0/24'] }, 'allowedIpRanges: an IP allow-list needs sku "Premium"'],
    ['replica in the home region', { geoReplications: [{ location: 'Japan East' }] }, 'geoReplications[0].location: "Japan East" is the registry\'s own location; a replica must be in another region'],
    ['duplicate replicas', { geoReplications: [{ location: 'koreacentral' }, { location: 'Korea Central' }] }, 'geoReplications[].location: "koreacentral" appears more than once'],
    ['unknown region', { geoReplications: [{ location: 'moon-1' }] }, 'geoReplications[0].location: "moon-1" is not an Azure region'],
    ['unknown home region', { location: 'atlantis' }, 'location: "atlantis" is not an Azure region'],
    ['a tab inside a region (azurerm drops only spaces), shown escaped on one line', { location: 'japan\teast' }, 'location: "japan\\teast" is not an Azure region'],
    ['retention out of range', { retentionDays: 366 }, 'retentionDays: must be a whole number from 0 to 365, got number 366'],
    ['bad CIDR', { allowedIpRanges: ['10.0.0.0/33'] }, 'allowedIpRanges[0]: "10.0.0.0/33" is not allowed: an IPv4 address or CIDR block'],
  ];
  test.each(cases)('%s', (_, props, message) => {
    expect(lines(validateRegistry({ ...base, ...props })).join('\n')).toContain(message);
    expect(errorOf(() => synthScope((scope) => new ContainerRegistry(scope, 'registry', { ...base, ...props })))).toContain(message);
  });

  test('every problem is reported at once, in one ValidationError', () => {
    let error: unknown;
    try {
      synthScope((scope) => new ContainerRegistry(scope, 'registry', { ...base, name: 'x', sku: 'Standard', geoReplications: [{ location: 'japaneast' }] }));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const { problems, message } = error as ValidationError;
    expect(problems).toEqual([
      { field: 'name', message: '"x" is not allowed: 5-50 letters or digits, globally unique (azurerm validate/container_registry_name.go)' },
      { field: 'geoReplications', message: 'geo-replication needs sku "Premium" (got "Standard"); remove it or use Premium' },
      { field: 'geoReplications[0].location', message: '"japaneast" is the registry\'s own location; a replica must be in another region' },
    ]);
    expect(message).toBe([
      'Invalid registry "stack/registry": 3 problems',
      '  - name: "x" is not allowed: 5-50 letters or digits, globally unique (azurerm validate/container_registry_name.go)',
      '  - geoReplications: geo-replication needs sku "Premium" (got "Standard"); remove it or use Premium',
      '  - geoReplications[0].location: "japaneast" is the registry\'s own location; a replica must be in another region',
    ].join('\n'));
  });

  test('the shipped defaults are valid and tokens are not checked at synth time', () => {
    expect(validateRegistry(base)).toEqual([]);
    const token = Lazy.stringValue({ produce: () => 'resolved-later' });
    expect(validateRegistry({ ...base, name: token, location: token, resourceGroupName: token })).toEqual([]);
  });
});
