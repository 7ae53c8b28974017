/**
 * Every name and identifier pattern the constructs check, in one place: each regular expression with the words
 * (`..._ALLOWED`) that problems use to say what is allowed. Internal: the package index does not export these.
 */

// Azure

/** A resource group name: 1-90 letters, digits, underscores, hyphens, periods or parentheses, not ending in a period. */
export const RESOURCE_GROUP = /^[-\w.()]{1,89}[-\w()]$/u;
export const RESOURCE_GROUP_ALLOWED = '1-90 letters, digits, underscores, hyphens, periods or parentheses, not ending in a period';

/** An Entra ID object or tenant ID. */
export const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
export const GUID_ALLOWED = 'a GUID such as 00000000-0000-0000-0000-000000000000';

/** An IPv4 address or CIDR block, as ACR network rules and AKS authorized ranges accept. */
export const IPV4_CIDR = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}(\/(3[0-2]|[12]?\d))?$/;
export const IPV4_CIDR_ALLOWED = 'an IPv4 address or CIDR block such as 203.0.113.0/24';

/** A container registry's resource ID. */
export const REGISTRY_ID = /^\/subscriptions\/[^/\s]+\/resourceGroups\/[^/\s]+\/providers\/Microsoft\.ContainerRegistry\/registries\/[a-zA-Z0-9]{5,50}$/i;
export const REGISTRY_ID_ALLOWED = 'a registry resource ID: /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.ContainerRegistry/registries/<name>';

/** An AKS cluster's resource ID. */
export const CLUSTER_ID = /^\/subscriptions\/[^/\s]+\/resourceGroups\/[^/\s]+\/providers\/Microsoft\.ContainerService\/managedClusters\/[^/\s]+$/i;
export const CLUSTER_ID_ALLOWED = 'a cluster resource ID: /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.ContainerService/managedClusters/<name>';

/** An OIDC issuer URL, as a cluster publishes it. */
export const OIDC_ISSUER_URL = /^https:\/\/\S+$/;
export const OIDC_ISSUER_URL_ALLOWED = 'the cluster\'s https OIDC issuer URL';

/** A Log Analytics workspace resource ID. */
export const LOG_ANALYTICS_WORKSPACE_ID = /^\/subscriptions\/.+\/workspaces\/[^/]+$/i;
export const LOG_ANALYTICS_WORKSPACE_ID_ALLOWED = 'a Log Analytics workspace resource ID';

/** A container registry name (azurerm validate/container_registry_name.go). */
export const REGISTRY_NAME = /^[a-zA-Z0-9]{5,50}$/;
export const REGISTRY_NAME_ALLOWED = '5-50 letters or digits, globally unique (azurerm validate/container_registry_name.go)';

/** A registry login server: a host name such as `myregistry.azurecr.io`. */
export const LOGIN_SERVER = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$/;
export const LOGIN_SERVER_ALLOWED = 'a lowercase host name such as myregistry.azurecr.io';

/** An AKS cluster name. */
export const CLUSTER_NAME = /^[a-zA-Z0-9]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9])?$/;
export const CLUSTER_NAME_ALLOWED = '1-63 letters, digits, underscores or hyphens, starting and ending with a letter or digit';

/** The DNS prefix of an AKS API server. */
export const DNS_PREFIX = /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,52}[a-zA-Z0-9])?$/;
export const DNS_PREFIX_ALLOWED = '1-54 letters, digits or hyphens, starting and ending with a letter or digit';

/** An AKS node pool name. */
export const NODE_POOL_NAME = /^[a-z][a-z0-9]{0,11}$/;
export const NODE_POOL_NAME_ALLOWED = 'a lowercase letter followed by up to 11 lowercase letters or digits (^[a-z][a-z0-9]{0,11}$)';

/** An Azure VM size name: `Standard_` and letters, digits or underscores; the longest sizes are about 30 characters. */
export const VM_SIZE = /^Standard_[A-Za-z0-9_]{1,55}$/;
export const VM_SIZE_ALLOWED = 'an Azure VM size such as Standard_D4ds_v5, at most 64 characters';

/** A Kubernetes version as AKS takes it. */
export const KUBERNETES_VERSION = /^\d+\.\d+(\.\d+)?$/;
export const KUBERNETES_VERSION_ALLOWED = 'a version such as 1.33 or 1.33.2';

/** A node taint, `key=value:Effect`. */
export const TAINT = /^[A-Za-z0-9][-A-Za-z0-9_./]*=[-A-Za-z0-9_.]*:(NoSchedule|PreferNoSchedule|NoExecute)$/;
export const TAINT_ALLOWED = 'key=value:Effect with Effect NoSchedule, PreferNoSchedule or NoExecute';

/** A user-assigned managed identity name. */
export const IDENTITY_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_-]{2,127}$/;
export const IDENTITY_NAME_ALLOWED = '3-128 letters, digits, hyphens or underscores, starting with a letter or digit';

/** Federated credential names: 3-120 characters, letters, digits, hyphens or underscores, starting with a letter or digit. */
export const CREDENTIAL_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_-]{2,119}$/;
export const CREDENTIAL_NAME_ALLOWED = '3-120 letters, digits, hyphens or underscores, starting with a letter or digit';

/** An ACR task name (ACR REST API: 5-50 characters; azurerm validate/container_registry_task_name.go: word characters or hyphens). */
export const TASK_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{4,49}$/;
export const TASK_NAME_ALLOWED = '5-50 letters, digits, underscores or hyphens, starting with a letter or digit';

// Kubernetes and Helm

/** A Kubernetes namespace (DNS label). */
export const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
export const NAMESPACE_ALLOWED = 'a Kubernetes namespace: 1-63 lowercase letters, digits or hyphens, alphanumeric at both ends';

/** A Kubernetes object name (DNS subdomain), as ServiceAccount names are. */
export const OBJECT_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
export const OBJECT_NAME_ALLOWED = 'a Kubernetes name: lowercase letters, digits, "-" or ".", alphanumeric at both ends';

/** A Helm release name. */
export const RELEASE_NAME = /^[a-z0-9]([-a-z0-9]{0,51}[a-z0-9])?$/;
export const RELEASE_NAME_ALLOWED = '1-53 lowercase letters, digits or hyphens, alphanumeric at both ends';

/** An image repository without a tag: `registry[:port]/path`. */
export const IMAGE_REPOSITORY = /^(?=.{1,255}$)[a-z0-9.-]+(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)+$/;
export const IMAGE_REPOSITORY_ALLOWED = 'registry/name without a tag, at most 255 characters, for example myacr.azurecr.io/ai-app';

/** The characters of an image tag (Docker's rule): 1-128 letters, digits, `_`, `.` or `-`, not starting with `.` or `-`. RE2-compatible, so Terraform can use it too. */
export const IMAGE_TAG_CHARS = '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$';

/** An immutable image tag: those characters, and never `latest` (in any case), which is mutable. */
export const IMAGE_TAG = new RegExp(`^(?![Ll][Aa][Tt][Ee][Ss][Tt]$)${IMAGE_TAG_CHARS.slice(1)}`);
export const IMAGE_TAG_ALLOWED = '1-128 letters, digits, "_", "." or "-" (a git SHA such as 3f2c1ab), never "latest" or empty';

/** An image digest as the registry reports it (`docker inspect` RepoDigests): `sha256:` and 64 lowercase hex digits. RE2-compatible, and the pattern the chart's values.schema.json uses. */
export const IMAGE_DIGEST_PATTERN = '^sha256:[a-f0-9]{64}$';
export const IMAGE_DIGEST = new RegExp(IMAGE_DIGEST_PATTERN);
export const IMAGE_DIGEST_ALLOWED = '"sha256:" and 64 lowercase hex digits, the pushed image\'s digest';

// GitHub

/** `owner/name`: an owner of 1-39 letters, digits or single inner hyphens; a name of 1-100 letters, digits, `.`, `_` or `-` (not `.` or `..`). */
export const REPOSITORY = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}\/(?!\.\.?$)[A-Za-z0-9._-]{1,100}$/;
export const REPOSITORY_ALLOWED = 'owner/name, for example contoso/ai-platform';

/**
 * A GitHub environment name as it appears in the `sub` claim: 1-255 characters, no `:` (the claim's separator),
 * no wildcard characters (federated credentials match exactly), no control or invisible formatting characters
 * (such as a right-to-left override, which would make two names look alike), no surrounding spaces.
 */
export const ENVIRONMENT_NAME = /^(?! )[^:*?\p{Cc}\p{Cf}]{1,255}(?<! )$/u;
export const ENVIRONMENT_NAME_ALLOWED = '1-255 characters without ":", "*", "?", control or invisible formatting characters, or surrounding spaces';

/**
 * A branch or tag name git accepts (git check-ref-format) and that a federated credential can match exactly:
 * no wildcards, no spaces, no `..`, `@{`, `//`, `\`, `~`, `^`, `:`, `?`, `*`, `[`, not starting with `-` or `/`,
 * not ending with `/`, `.` or `.lock`.
 */
export const REF_NAME = /^(?![-/])(?!.*(\.\.|@\{|\/\/|\/\.|\.lock$|[/.]$))[^\x00-\x20\x7f~^:?*\[\\\p{Cf}]{1,255}$/u;
export const REF_NAME_ALLOWED = 'a git ref name without wildcards, spaces, invisible formatting characters, "..", "~", "^", ":", "?", "*", "[" or "\\", not starting with "-" or "/" and not ending with "/", "." or ".lock"';

/** A branch name pattern for a deployment branch policy: a git ref name, where `*`, `?` and `[...]` match. */
export const BRANCH_PATTERN = /^(?![-/])(?!.*(\.\.|@\{|\/\/|\.lock$|[/.]$))[^\x00-\x20\x7f~^:\\\p{Cf}]{1,255}$/u;
export const BRANCH_PATTERN_ALLOWED = 'a branch name or pattern such as main or release/* (no spaces, "..", "~", "^", ":" or "\\")';

/** An Actions secret or variable name: letters, digits and underscores, not starting with a digit or `GITHUB_`. */
export const ACTIONS_NAME = /^(?!GITHUB_)(?![0-9])[A-Z0-9_]{1,200}$/i;
export const ACTIONS_NAME_ALLOWED = 'letters, digits and underscores, not starting with a digit or GITHUB_';

/** An application's name (Application), in stack and identity names: 1-30 lowercase letters, digits or hyphens. */
export const APPLICATION_NAME = /^[a-z]([a-z0-9-]{0,28}[a-z0-9])?$/;
export const APPLICATION_NAME_ALLOWED = '1-30 lowercase letters, digits or hyphens, starting with a letter and ending with a letter or digit';

/** An environment's name in the kit's configuration, in stack, identity and variable names. */
export const KIT_ENVIRONMENT_NAME = /^[a-z]([a-z0-9-]{0,14}[a-z0-9])?$/;
export const KIT_ENVIRONMENT_NAME_ALLOWED = '1-16 lowercase letters, digits or hyphens, starting with a letter and ending with a letter or digit';

/** A storage account name: 3-24 lowercase letters or digits, globally unique. */
export const STORAGE_ACCOUNT_NAME = /^[a-z0-9]{3,24}$/;
export const STORAGE_ACCOUNT_NAME_ALLOWED = '3-24 lowercase letters or digits, globally unique';

/** A blob container name: 3-63 lowercase letters, digits or single hyphens, alphanumeric at both ends. */
export const CONTAINER_NAME = /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/;
export const CONTAINER_NAME_ALLOWED = '3-63 lowercase letters, digits or single hyphens, alphanumeric at both ends';

/** A repository path in a registry: lowercase alphanumerics separated by `.`, `_`, `-` or `/`, at most 128 characters. */
export const IMAGE_NAME = /^(?=.{1,128}$)[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/;
export const IMAGE_NAME_ALLOWED = 'a registry repository name of at most 128 characters: lowercase letters and digits separated by ".", "_", "-" or "/"';

/** A workflow file of the repository: `.github/workflows/<name>.yml` (or `.yaml`). */
export const WORKFLOW_PATH = /^\.github\/workflows\/[A-Za-z0-9_.-]{1,100}\.ya?ml$/;
export const WORKFLOW_PATH_ALLOWED = 'a workflow file such as .github/workflows/app.yml (letters, digits, dots, hyphens or underscores, ending in .yml or .yaml)';

/** A branch name as a certificate identity or branch policy may name it: no spaces, `..`, or leading/trailing slash. */
export const BRANCH_NAME = /^(?!.*\.\.)(?!\/)(?!.*\/$)[A-Za-z0-9._/-]{1,100}$/;
export const BRANCH_NAME_ALLOWED = 'a branch name such as main or release/v2: 1-100 letters, digits, dots, hyphens, underscores or slashes, no "..", no slash at either end';
