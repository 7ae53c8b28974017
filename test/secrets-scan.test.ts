/**
 * Nothing sensitive in the output: every synthesized stack (its cdk.tf.json and every file cdktf copies next to it,
 * such as the chart asset) is scanned for credential-like values and for ways a credential could leak:
 *
 * - literal credentials by shape: private keys, GitHub tokens, JWTs, SAS tokens, storage account keys, Entra ID
 *   client secrets, connection strings with keys, kubeconfig material;
 * - literal values in attributes named like a credential (password, client_secret, access_key, sas_token,
 *   token, plaintext_value, ...) in resources, data sources, providers, the backend, variables and Helm values;
 * - credentials of any kind (even references) in provider blocks: the azurerm provider signs in with the Azure
 *   CLI or OIDC, the github provider reads GITHUB_TOKEN, the helm provider runs kubelogin;
 * - outputs that reference a sensitive attribute (kube_config, primary_access_key, ...) without `sensitive: true`.
 *
 * The scanner is a pure function over synthesized JSON, and the last block proves it bites.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { config } from '../stacks/environments';
import { synthesizedApp } from './helpers';

// ---------------------------------------------------------------------------------------------------------------
// The scanner

export interface SecretFinding {
  /** The stack (or file) the finding is in. */
  readonly stack: string;
  /** Where in it: a JSON path such as `resource.azurerm_x.y.password`, or `file:line`. */
  readonly path: string;
  readonly rule: SecretRule;
  /** The offending value, redacted to its first characters. */
  readonly excerpt: string;
}

export type SecretRule =
  | 'private-key'
  | 'github-token'
  | 'jwt'
  | 'sas-token'
  | 'storage-account-key'
  | 'azure-client-secret'
  | 'connection-string-key'
  | 'kubeconfig-material'
  | 'literal-credential'
  | 'provider-credential'
  | 'unsensitive-output'
  | 'unsensitive-variable';

/** Credentials recognised by their shape, wherever they appear. */
const LITERAL_PATTERNS: ReadonlyArray<readonly [SecretRule, RegExp]> = [
  ['private-key', /-----BEGIN [A-Z0-9 ]*(PRIVATE KEY|CERTIFICATE)[A-Z ]*-----/],
  ['github-token', /\bgh[pousr]_[A-Za-z0-9]{36,255}\b/],
  ['github-token', /\bgithub_pat_[A-Za-z0-9_]{22,255}\b/],
  ['jwt', /\beyJ[A-Za-z0-9_-]{2,}\.eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*/],
  ['sas-token', /(?:^|[?&;\s"'])sig=[A-Za-z0-9%+/=]{8,}/i],
  ['sas-token', /\bsv=\d{4}-\d{2}-\d{2}&\S*\bsig=/],
  ['storage-account-key', /(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{86}==(?![A-Za-z0-9+/=])/],
  // Entra ID client secrets: 3 characters, a digit, "Q~", then 31-34 more (40 in all); or any 34-40 character token with a "~".
  ['azure-client-secret', /(?<![\w~.-])[\w.-]{3}\dQ~[\w~.-]{31,34}(?![\w~.-])/],
  ['azure-client-secret', /(?<![\w~.-])(?=[\w.-]*~)[\w~.-]{34,40}(?![\w~.-])/],
  ['connection-string-key', /\b(AccountKey|SharedAccessKey|SharedAccessSignature|AccessKey)=[^;"'\s]+/i],
  ['connection-string-key', /;\s*Password=[^;"'\s]+/i],
  ['kubeconfig-material', /\b(client-key-data|client-certificate-data|token):\s*["']?[A-Za-z0-9+/=._-]{16,}/],
];

/**
 * Attribute names that hold credentials (snake_case; Helm values' camelCase is converted first). Deliberately not
 * `*_enabled`, `*_name`, `*_id`, `*_rotation_*` or `cluster_ca_certificate`, which describe a credential or are public.
 */
const SENSITIVE_KEY =
  /^(?:\w+_)?(password|passwd|secret|client_secret|access_key|secret_key|account_key|shared_access_key|primary_access_key|secondary_access_key|primary_key|secondary_key|sas|sas_token|token|api_key|auth_token|private_key|private_key_pem|client_key|client_certificate|client_certificate_password|certificate_password|connection_string|kube_config|kube_config_raw|kube_admin_config|kube_admin_config_raw|plaintext_value|encrypted_value)$/;

/** Keys that must not appear in a provider block at all, whatever their value. */
const PROVIDER_CREDENTIAL_KEY =
  /^(client_secret|client_certificate|client_certificate_password|client_key|oidc_token|oidc_request_token|token|app_auth|pem_file|password|access_key|sas_token|msi_endpoint)$/;

/** Attributes (after a `.` in a reference) that Terraform treats as sensitive, or that carry secrets. */
const SENSITIVE_ATTRIBUTE =
  /\.[\w-]*?(kube_config|kube_config_raw|kube_admin_config|kube_admin_config_raw|primary_access_key|secondary_access_key|primary_connection_string|secondary_connection_string|connection_string|admin_password|password|client_key|client_certificate|client_secret|private_key_pem|private_key_openssh|private_key|primary_key|secondary_key|access_key|sas_url_query_string|secret|token|plaintext_value)\b|\brandom_password\.[\w-]+\.result\b/;

const REFERENCE = /\$\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}/g;
/** True when the whole string is Terraform references (`${...}`), with no literal text. */
const isReference = (s: string): boolean => s.trim() !== '' && s.replace(REFERENCE, '').trim() === '';
const snakeCase = (key: string): string => key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
const redact = (value: unknown): string => {
  const s = typeof value === 'string' ? value : JSON.stringify(value);
  return s.length <= 6 ? '…' : `${s.slice(0, 4)}…(${s.length} chars)`;
};
const at = (path: string, key: string | number) => (typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key);

/** Credentials recognised by their shape in `text` (references removed first: they name values, they are not values). */
export function scanText(stack: string, path: string, text: string): SecretFinding[] {
  const literal = text.replace(REFERENCE, '');
  return LITERAL_PATTERNS.filter(([, pattern]) => pattern.test(literal)).map(([rule, pattern]) => ({
    stack,
    path,
    rule,
    excerpt: redact(pattern.exec(literal)?.[0] ?? ''),
  }));
}

/**
 * GitHub Actions secrets written by Terraform hold identifiers only (client, tenant and subscription IDs, which
 * azure/login takes as secrets): a literal GUID there is an identifier, not a credential.
 */
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isIdentifierSecret = (path: string, value: string) => /(^|\.)plaintext_value$/.test(path) && GUID.test(value);

/** Walks a value: shape patterns on every string, literal values under credential-named keys. */
function scanValue(stack: string, path: string, value: unknown, sensitiveKey: boolean, out: SecretFinding[]): void {
  if (typeof value === 'string') {
    out.push(...scanText(stack, path, value));
    if (sensitiveKey && value !== '' && !isReference(value) && !isIdentifierSecret(path, value)) out.push({ stack, path, rule: 'literal-credential', excerpt: redact(value) });
  } else if (typeof value === 'number') {
    if (sensitiveKey) out.push({ stack, path, rule: 'literal-credential', excerpt: redact(value) });
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => scanValue(stack, at(path, i), v, sensitiveKey && typeof v !== 'object', out));
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) scanValue(stack, at(path, k), v, SENSITIVE_KEY.test(snakeCase(k)), out);
  }
}

/** Every string inside `value`, for finding the references an output is built from. */
const stringsIn = (value: unknown): string[] =>
  typeof value === 'string' ? [value] : typeof value === 'object' && value !== null ? Object.values(value).flatMap(stringsIn) : [];

/**
 * Every finding in one synthesized stack (the parsed cdk.tf.json). Pure: no I/O, no cdktf.
 */
export function scanSynthesizedStack(stack: string, tf: unknown): SecretFinding[] {
  const out: SecretFinding[] = [];
  if (typeof tf !== 'object' || tf === null) return out;
  const json = tf as Record<string, unknown>;

  // Shape patterns everywhere, and literals under credential-named keys (resources, data, providers, backend, locals...).
  scanValue(stack, '', json, false, out);

  // Providers carry no credentials at all: not even a reference to one.
  for (const [name, blocks] of Object.entries((json.provider ?? {}) as Record<string, unknown>)) {
    (Array.isArray(blocks) ? blocks : [blocks]).forEach((block, i) => {
      const walk = (value: unknown, path: string): void => {
        if (typeof value !== 'object' || value === null) return;
        for (const [k, v] of Object.entries(value)) {
          if (PROVIDER_CREDENTIAL_KEY.test(k) && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0)) {
            out.push({ stack, path: at(path, k), rule: 'provider-credential', excerpt: redact(v) });
          }
          walk(v, Array.isArray(value) ? at(path, Number(k)) : at(path, k));
        }
      };
      walk(block, `provider.${name}[${i}]`);
    });
  }

  // An output built from a sensitive attribute must be marked sensitive.
  for (const [name, output] of Object.entries((json.output ?? {}) as Record<string, { value?: unknown; sensitive?: unknown }>)) {
    const refs = stringsIn(output?.value).flatMap((s) => s.match(REFERENCE) ?? []);
    const sensitiveRef = refs.find((r) => SENSITIVE_ATTRIBUTE.test(r));
    if (sensitiveRef && output.sensitive !== true) out.push({ stack, path: `output.${name}`, rule: 'unsensitive-output', excerpt: sensitiveRef });
  }

  // A variable named like a credential is sensitive and has no literal default.
  for (const [name, variable] of Object.entries((json.variable ?? {}) as Record<string, { sensitive?: unknown; default?: unknown }>)) {
    if (!SENSITIVE_KEY.test(snakeCase(name))) continue;
    if (variable?.sensitive !== true) out.push({ stack, path: `variable.${name}`, rule: 'unsensitive-variable', excerpt: name });
    const d = variable?.default;
    if ((typeof d === 'string' && d !== '' && !isReference(d)) || typeof d === 'number') out.push({ stack, path: `variable.${name}.default`, rule: 'literal-credential', excerpt: redact(d) });
  }

  // Helm values are YAML inside a string: parse them and look for credential-named keys with literal values.
  for (const [id, release] of Object.entries(((json.resource as Record<string, unknown> | undefined)?.helm_release ?? {}) as Record<string, { values?: unknown }>)) {
    (Array.isArray(release?.values) ? release.values : []).forEach((text, i) => {
      if (typeof text !== 'string') return;
      let values: unknown;
      try {
        values = parseYaml(text);
      } catch {
        return; // not YAML: the shape patterns above still covered it
      }
      const found: SecretFinding[] = [];
      scanValue(stack, `resource.helm_release.${id}.values[${i}]`, values, false, found);
      out.push(...found.filter((f) => f.rule === 'literal-credential'));
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Every synthesized stack

const listFiles = (dir: string): string[] => readdirSync(dir).flatMap((entry) => (statSync(join(dir, entry)).isDirectory() ? listFiles(join(dir, entry)) : [join(dir, entry)]));

describe('the synthesized stacks carry no credentials', () => {
  let outdir: string;
  let stackNames: string[];
  const findings: SecretFinding[] = [];
  let filesScanned = 0;

  beforeAll(() => {
    outdir = synthesizedApp('shipped');
    stackNames = readdirSync(join(outdir, 'stacks'));
    for (const file of listFiles(outdir)) {
      const name = relative(outdir, file);
      const stack = name.split('/')[1] ?? name;
      const text = readFileSync(file, 'utf8');
      filesScanned++;
      if (file.endsWith('cdk.tf.json')) findings.push(...scanSynthesizedStack(stack, JSON.parse(text)));
      else text.split('\n').forEach((line, i) => findings.push(...scanText(stack, `${name}:${i + 1}`, line)));
    }
  });

  test('every stack was synthesized and scanned, with its assets', () => {
    const pushed = (e: (typeof config.environments)[string]) => e.delivery === 'push' && e.applications.length > 0;
    const expected = Object.values(config.environments).flatMap((e) => [`platform-${e.name}`, ...(pushed(e) ? [`platform-${e.name}-admission`, ...e.applications.map((a) => `workload-${e.name}-${a.name}`)] : [])]);
    expect(stackNames.sort()).toEqual(['state-bootstrap', ...expected].sort());
    expect(filesScanned).toBeGreaterThan(stackNames.length);
  });

  test('no credential-like value, no literal in a credential attribute, no provider credential, no unsensitive output', () => {
    expect(findings).toEqual([]);
  });

  test('the scanner bites on a real stack too: a kube_config output made unsensitive, a token in the github provider', () => {
    // A push environment's platform stack: its workload stack reads the cluster credentials through outputs.
    const pushed = Object.values(config.environments).find((e) => e.delivery === 'push')!.name;
    const tf = JSON.parse(readFileSync(join(outdir, 'stacks', `platform-${pushed}`, 'cdk.tf.json'), 'utf8')) as {
      output: Record<string, { value: unknown; sensitive?: boolean }>;
      provider: Record<string, Array<Record<string, unknown>>>;
    };
    const kube = Object.keys(tf.output).filter((name) => stringsIn(tf.output[name].value).some((v) => v.includes('kube_config')));
    for (const name of kube) delete tf.output[name].sensitive;
    tf.provider.github[0].token = fake.githubPat;
    const found = scanSynthesizedStack(`platform-${pushed}`, tf);
    expect(kube.length).toBeGreaterThan(0);
    for (const name of kube) expect(found).toContainEqual(expect.objectContaining({ rule: 'unsensitive-output', path: `output.${name}` }));
    expect(found).toContainEqual(expect.objectContaining({ rule: 'provider-credential', path: 'provider.github[0].token' }));
  });

  test('the cluster credentials that do cross stacks (host, CA) only travel through sensitive outputs', () => {
    const outputs = stackNames
      .filter((s) => s.startsWith('platform-'))
      .flatMap((s) => Object.entries((JSON.parse(readFileSync(join(outdir, 'stacks', s, 'cdk.tf.json'), 'utf8')) as { output?: Record<string, { value: unknown; sensitive?: boolean }> }).output ?? {}));
    const kube = outputs.filter(([, o]) => stringsIn(o.value).some((v) => v.includes('kube_config')));
    expect(kube.length).toBeGreaterThan(0);
    for (const [name, o] of kube) expect({ name, sensitive: o.sensitive }).toEqual({ name, sensitive: true });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The scanner bites

/** Credential-shaped test values, assembled at run time so no secret-like literal sits in this file. */
const fake = {
  githubPat: `ghp_${'A1b2C3d4E5'.repeat(4).slice(0, 36)}`,
  githubFineGrained: `github_pat_${'11AB22CD33'.repeat(3)}_${'x'.repeat(20)}`,
  githubApp: `ghs_${'Z9y8X7w6V5'.repeat(4).slice(0, 36)}`,
  jwt: [{ alg: 'HS256', typ: 'JWT' }, { sub: 'deployer', aud: 'api://AzureADTokenExchange' }].map((p) => Buffer.from(JSON.stringify(p)).toString('base64url')).join('.') + '.c2lnbmF0dXJl',
  sas: `https://stfake.blob.core.windows.net/tfstate?sv=2022-11-02&ss=b&srt=co&sp=rl&se=2030-01-01T00:00:00Z&sig=${'AbCd1234%2BEf'.repeat(3)}`,
  storageKey: `${'Q2xlYXJseU5vdEFSZWFsS2V5'.repeat(4).slice(0, 86)}==`,
  clientSecret: `abc8Q~${'Zz0_Yy1.Xx2-Ww3'.repeat(3).slice(0, 34)}`,
  privateKey: ['-----BEGIN', 'RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----'].join(' '),
  accountKeyConnection: `DefaultEndpointsProtocol=https;AccountName=stfake;AccountKey=${'S0meKey'.repeat(3)};EndpointSuffix=core.windows.net`,
  serviceBusConnection: `Endpoint=sb://fake.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey=${'Sh4red'.repeat(4)}`,
  kubeconfig: `apiVersion: v1\nusers:\n- name: admin\n  user:\n    client-key-data: ${'LS0tLS1CRUdJTi'.repeat(3)}`,
  password: 'correct-horse-battery-staple',
};

/** A synthesized-like stack with one of each mistake. */
const leaky = {
  terraform: { backend: { azurerm: { storage_account_name: 'stfake', container_name: 'tfstate', key: 'x.tfstate', access_key: fake.storageKey } } },
  provider: {
    azurerm: [{ features: [{}], subscription_id: '66666666-7777-8888-9999-000000000000', client_id: 'app', client_secret: '${var.client_secret}' }],
    github: [{ owner: 'contoso', token: fake.githubPat }],
    helm: [{ kubernetes: { host: 'https://aks.example', client_key: '${azurerm_kubernetes_cluster.c.kube_admin_config[0].client_key}' } }],
  },
  variable: { client_secret: { type: 'string' }, db_password: { type: 'string', sensitive: true, default: fake.password } },
  resource: {
    azurerm_linux_virtual_machine: { vm: { name: 'vm', admin_password: fake.password } },
    github_actions_environment_secret: { s: { secret_name: 'AZURE_CLIENT_SECRET', plaintext_value: fake.clientSecret } },
    azurerm_storage_account: { sa: { name: 'stfake', tags: { note: fake.sas, key: fake.storageKey } } },
    azurerm_key_vault_secret: { k: { name: 'tls', value: fake.privateKey } },
    azurerm_app_service: { a: { app_settings: { STORAGE: fake.accountKeyConnection, BUS: fake.serviceBusConnection, OIDC: fake.jwt, GH: fake.githubFineGrained, APP: fake.githubApp } } },
    kubernetes_secret: { kc: { data: { config: fake.kubeconfig } } },
    helm_release: { app: { name: 'app', values: [`image:\n  tag: abc123\ndatabase:\n  password: ${fake.password}\n  apiKey: "${'k'.repeat(20)}"\n`] } },
  },
  output: {
    kubeconfig: { value: '${azurerm_kubernetes_cluster.c.kube_config_raw}' },
    admin_key: { value: '${azurerm_kubernetes_cluster.c.kube_admin_config[0].client_key}', sensitive: false },
    storage_key: { value: '${azurerm_storage_account.sa.primary_access_key}' },
    connection: { value: { conn: '${azurerm_storage_account.sa.primary_connection_string}' } },
  },
};

describe('the scanner bites', () => {
  const found = scanSynthesizedStack('leaky', leaky);
  const has = (rule: SecretRule, path: string) => expect(found).toContainEqual(expect.objectContaining({ rule, path }));

  test('literal secrets in credential attributes, variables, the backend, GitHub secrets and Helm values', () => {
    has('literal-credential', 'resource.azurerm_linux_virtual_machine.vm.admin_password');
    has('literal-credential', 'resource.github_actions_environment_secret.s.plaintext_value');
    has('literal-credential', 'variable.db_password.default');
    has('literal-credential', 'terraform.backend.azurerm.access_key');
    has('literal-credential', 'resource.helm_release.app.values[0].database.password');
    has('literal-credential', 'resource.helm_release.app.values[0].database.apiKey');
  });

  test('outputs of kube_config, kube_admin_config, access keys and connection strings that are not sensitive', () => {
    has('unsensitive-output', 'output.kubeconfig');
    has('unsensitive-output', 'output.admin_key');
    has('unsensitive-output', 'output.storage_key');
    has('unsensitive-output', 'output.connection');
  });

  test('credentials in provider blocks: a GitHub token, an azurerm client secret (even a reference), a helm client key', () => {
    has('provider-credential', 'provider.github[0].token');
    has('provider-credential', 'provider.azurerm[0].client_secret');
    has('provider-credential', 'provider.helm[0].kubernetes.client_key');
    has('github-token', 'provider.github[0].token');
  });

  test('credentials recognised by their shape, wherever they are', () => {
    has('sas-token', 'resource.azurerm_storage_account.sa.tags.note');
    has('storage-account-key', 'resource.azurerm_storage_account.sa.tags.key');
    has('private-key', 'resource.azurerm_key_vault_secret.k.value');
    has('connection-string-key', 'resource.azurerm_app_service.a.app_settings.STORAGE');
    has('connection-string-key', 'resource.azurerm_app_service.a.app_settings.BUS');
    has('jwt', 'resource.azurerm_app_service.a.app_settings.OIDC');
    has('github-token', 'resource.azurerm_app_service.a.app_settings.GH');
    has('github-token', 'resource.azurerm_app_service.a.app_settings.APP');
    has('azure-client-secret', 'resource.github_actions_environment_secret.s.plaintext_value');
    has('kubeconfig-material', 'resource.kubernetes_secret.kc.data.config');
  });

  test('a variable named like a credential must be sensitive', () => {
    has('unsensitive-variable', 'variable.client_secret');
    expect(found).not.toContainEqual(expect.objectContaining({ rule: 'unsensitive-variable', path: 'variable.db_password' }));
  });

  test('findings never repeat the secret itself', () => {
    for (const f of found) expect(Object.values(fake).some((secret) => f.excerpt.includes(secret))).toBe(false);
  });

  test('no false alarms: references to sensitive attributes in resources, sensitive outputs, public identifiers and credential settings', () => {
    const clean = {
      terraform: { backend: { azurerm: { key: 'platform-prod.tfstate', use_azuread_auth: true } } },
      provider: {
        azurerm: [{ features: [{}], subscription_id: '66666666-7777-8888-9999-000000000000', tenant_id: '11111111-2222-3333-4444-555555555555', use_oidc: true }],
        github: [{ owner: 'contoso' }],
        helm: [{ kubernetes: { host: '${data.terraform_remote_state.p.outputs.host}', cluster_ca_certificate: '${base64decode(data.terraform_remote_state.p.outputs.ca)}', exec: { command: 'kubelogin', args: ['get-token', '--login', 'azurecli'] } } }],
      },
      resource: {
        github_actions_environment_secret: {
          s: { secret_name: 'AZURE_CLIENT_ID', plaintext_value: '${azurerm_user_assigned_identity.deploy.client_id}' },
          sub: { secret_name: 'AZURE_SUBSCRIPTION_ID', plaintext_value: '66666666-7777-8888-9999-000000000000' },
        },
        azurerm_storage_account: { st: { shared_access_key_enabled: false, default_to_oauth_authentication: true } },
        azurerm_kubernetes_cluster: { c: { key_vault_secrets_provider: { secret_rotation_enabled: true, secret_rotation_interval: '2m' }, local_account_disabled: true } },
        helm_release: { app: { values: ['serviceAccount:\n  name: "ai-app"\n  workloadIdentityClientId: "${azurerm_user_assigned_identity.app.client_id}"\n'] } },
      },
      output: {
        host: { value: '${azurerm_kubernetes_cluster.c.kube_config[0].host}', sensitive: true },
        cluster_id: { value: '${azurerm_kubernetes_cluster.c.id}' },
        client_id: { value: '${azurerm_user_assigned_identity.deploy.client_id}' },
      },
      variable: { image_tag: { type: 'string', nullable: false } },
    };
    expect(scanSynthesizedStack('clean', clean)).toEqual([]);
  });
});
