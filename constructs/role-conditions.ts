/**
 * Role definition IDs of the built-in roles this kit assigns (the same in every tenant), for ABAC conditions,
 * which compare GUIDs, not names. Source: Azure built-in roles reference.
 */
export const BUILT_IN_ROLE_IDS = {
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

/**
 * The ABAC condition (version 2.0) for a Storage Blob Data role that keeps reads open but allows writing and
 * deleting only blobs whose path starts with `pathPrefix`: for example a deployer that reads one state file and
 * writes (and leases) another, but cannot rewrite the first.
 */
export function writeOnlyBlobs(pathPrefix: string): string {
  const blobs = 'Microsoft.Storage/storageAccounts/blobServices/containers/blobs';
  return [
    '(',
    ` (!(ActionMatches{'${blobs}/write'})`,
    `  AND !(ActionMatches{'${blobs}/add/action'})`,
    `  AND !(ActionMatches{'${blobs}/delete'}))`,
    ' OR',
    ` (@Resource[${blobs}:path] StringStartsWith '${pathPrefix}')`,
    ')',
  ].join('\n');
}
