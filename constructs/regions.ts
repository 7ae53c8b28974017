/**
 * Azure public-cloud region names, in the form the Azure API and azurerm use (`az account list-locations -o tsv --query [].name`).
 * azurerm also accepts display names ("Korea Central"); `normalizeLocation` maps those to this form.
 */
export const AZURE_REGIONS: ReadonlySet<string> = new Set([
  'australiacentral', 'australiacentral2', 'australiaeast', 'australiasoutheast', 'austriaeast', 'belgiumcentral',
  'brazilsouth', 'brazilsoutheast', 'canadacentral', 'canadaeast', 'centralindia', 'centralus', 'chilecentral',
  'eastasia', 'eastus', 'eastus2', 'francecentral', 'francesouth', 'germanynorth', 'germanywestcentral',
  'indonesiacentral', 'israelcentral', 'italynorth', 'japaneast', 'japanwest', 'jioindiacentral', 'jioindiawest',
  'koreacentral', 'koreasouth', 'malaysiawest', 'mexicocentral', 'newzealandnorth', 'northcentralus', 'northeurope',
  'norwayeast', 'norwaywest', 'polandcentral', 'qatarcentral', 'southafricanorth', 'southafricawest',
  'southcentralus', 'southeastasia', 'southindia', 'spaincentral', 'swedencentral', 'swedensouth',
  'switzerlandnorth', 'switzerlandwest', 'uaecentral', 'uaenorth', 'uksouth', 'ukwest', 'westcentralus',
  'westeurope', 'westindia', 'westus', 'westus2', 'westus3',
]);

/** "Korea Central" and "koreacentral" name the same region. Like azurerm, only plain spaces are dropped. */
export function normalizeLocation(location: string): string {
  return location.replace(/ /g, '').toLowerCase();
}

export function isAzureRegion(location: string): boolean {
  return AZURE_REGIONS.has(normalizeLocation(location));
}

export const REGION_ALLOWED = 'an Azure region name such as koreacentral or japaneast';
