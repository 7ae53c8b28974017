import type { StorageAccountConfig } from '@cdktf/provider-azurerm/lib/storage-account';

/**
 * The settings every storage account of the kit shares (the Terraform state's and Flux's source): StorageV2,
 * zone- and geo-redundant (GZRS: through a zone or a regional outage; Checkov CKV_AZURE_206), TLS 1.2 over HTTPS
 * only, no public blobs, and Entra ID only: no shared key, no SAS signed with one, no SFTP local user. Infrastructure
 * (double) encryption, no replication to other tenants.
 */
export const HARDENED_STORAGE_ACCOUNT = {
  accountKind: 'StorageV2',
  accountTier: 'Standard',
  accountReplicationType: 'GZRS',
  minTlsVersion: 'TLS1_2',
  httpsTrafficOnlyEnabled: true,
  allowNestedItemsToBePublic: false,
  sharedAccessKeyEnabled: false,
  defaultToOauthAuthentication: true,
  localUserEnabled: false,
  infrastructureEncryptionEnabled: true,
  crossTenantReplicationEnabled: false,
} as const satisfies Partial<StorageAccountConfig>;
