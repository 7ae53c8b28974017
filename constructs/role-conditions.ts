/**
 * Role definition IDs of the built-in roles this kit assigns (the same in every tenant), for ABAC conditions,
 * which compare GUIDs, not names. Source: Azure built-in roles reference.
 */
export const BUILT_IN_ROLE_IDS = {
  AcrDelete: 'c2f4ef07-c644-48eb-af81-4b1b4947fb11',
  AcrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d',
  AcrPush: '8311e382-0749-4cb8-b61a-304f252e45ec',
  'Azure Kubernetes Service Cluster User Role': '4abbcc35-e782-43d8-92c5-2d3f1bd2253f',
  'Azure Kubernetes Service RBAC Writer': 'a7ffa36f-339b-4b5c-8bdf-e2c188b2c0eb',
  Reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
  'Storage Blob Data Contributor': 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
  'Storage Blob Data Reader': '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1',
} as const;

export type DelegableRole = keyof typeof BUILT_IN_ROLE_IDS;

/**
 * The ABAC condition (version 2.0) for "Role Based Access Control Administrator" that lets the holder create and
 * delete assignments of exactly `roles`, to service principals only: the constrained-delegation pattern Azure
 * recommends instead of Owner or User Access Administrator.
 */
export function constrainRoleAssignments(roles: readonly DelegableRole[]): string {
  const set = `{${roles.map((role) => BUILT_IN_ROLE_IDS[role]).join(', ')}}`;
  return [
    '(',
    ` (!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'}))`,
    ' OR',
    ` (@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals ${set}`,
    "  AND @Request[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {'ServicePrincipal'})",
    ')',
    'AND',
    '(',
    ` (!(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'}))`,
    ' OR',
    ` (@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals ${set})`,
    ')',
  ].join('\n');
}

const BLOBS = 'Microsoft.Storage/storageAccounts/blobServices/containers/blobs';

/** Reading blobs (and listing them): the one data action a Terraform state reader needs. */
export const STATE_READ_DATA_ACTIONS: readonly string[] = [`${BLOBS}/read`];
/**
 * Reading and writing blobs, and taking the blob lease Terraform locks state with (a lease is a write): what a
 * Terraform state writer needs. No delete, move, tag or control-plane action (a container could be deleted through
 * the data plane, where management locks do not apply).
 */
export const STATE_WRITE_DATA_ACTIONS: readonly string[] = [`${BLOBS}/read`, `${BLOBS}/write`, `${BLOBS}/add/action`];

/** Which state blobs an ABAC condition lets a principal reach. */
export interface StateBlobScope {
  /** The state storage account. */
  readonly storageAccountName: string;
  /** The one container the principal may read. */
  readonly containerName: string;
  /** Blob path prefix the principal may write (and lease) in that container. @default - writes nothing */
  readonly writablePathPrefix?: string;
}

/**
 * The ABAC condition (version 2.0) for a data-actions-only state role assigned *outside* the locked storage account
 * (at its resource group): reads only in one container of one account, writes only blobs under one path prefix
 * there. Assignments inside a CanNotDelete-locked account cannot be deleted, and every role-assignment argument
 * forces a new assignment (terraform-provider-azurerm#11770), so the narrowing lives in the condition, not the scope.
 */
export function stateBlobCondition(scope: StateBlobScope): string {
  const quote = (value: string) => `'${value.replace(/'/g, "''")}'`;
  const where = [
    `@Resource[Microsoft.Storage/storageAccounts:name] StringEquals ${quote(scope.storageAccountName)}`,
    `@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals ${quote(scope.containerName)}`,
  ];
  const write = [`!(ActionMatches{'${BLOBS}/write'})`, `!(ActionMatches{'${BLOBS}/add/action'})`];
  const writeWhere = scope.writablePathPrefix === undefined
    ? []
    : [...where, `@Resource[${BLOBS}:path] StringStartsWith ${quote(scope.writablePathPrefix)}`];
  const clause = (notAction: readonly string[], allowed: readonly string[]) => [
    '(',
    ` (${notAction.join(' AND ')})`,
    ...(allowed.length > 0 ? [' OR', ` (${allowed.join('\n  AND ')})`] : []),
    ')',
  ];
  return [...clause([`!(ActionMatches{'${BLOBS}/read'})`], where), 'AND', ...clause(write, writeWhere)].join('\n');
}
