import type { GitOpsKustomization } from '../constructs/gitops';
import type { AppConfig, EnvironmentConfig } from './environments';

/**
 * The GitOps layout every GitOps environment shares: what the platform stack configures Flux with, and what
 * `npm run gitops:generate` writes to `deploy/<env>`, named once here.
 *
 * deploy/<env>/platform   namespaces, the admission policy and its engine, Flux alerts (kustomization `platform`)
 * deploy/<env>/apps       one HelmRelease per application and its image (kustomization `apps`, after `platform`)
 * charts/                 the charts the HelmReleases install, published with the manifests
 */

/** The blob container Flux reads, in the environment's GitOps storage account. */
export const GITOPS_CONTAINER = 'flux';
/** The Flux configuration, and so the Bucket source the extension creates, in FLUX_NAMESPACE. */
export const FLUX_CONFIGURATION_NAME = 'cluster-config';
export const FLUX_NAMESPACE = 'flux-system';
/** Postbuild variable of the registry's login server. */
export const REGISTRY_VARIABLE = 'REGISTRY_LOGIN_SERVER';
/** Postbuild variable of the kubelet identity's client ID, with which Kyverno reads signatures from the registry. */
export const KUBELET_VARIABLE = 'KUBELET_CLIENT_ID';

/** `deploy/<env>`, relative to the repository root (and to the published container's root). */
export function deployDir(env: EnvironmentConfig): string {
  return `deploy/${env.name}`;
}

/** Postbuild variable of an application's workload identity client ID: `APP_<NAME>_CLIENT_ID`. */
export function clientIdVariable(app: AppConfig): string {
  return `APP_${app.name.toUpperCase().replace(/-/g, '_')}_CLIENT_ID`;
}

/**
 * The environment's two kustomizations, `platform` then `apps`, each with what only Terraform knows as postBuild
 * substitutions: for `platform` the kubelet identity's client ID (Kyverno), for `apps` the registry's login server and
 * each application's workload identity client ID.
 */
export function gitopsKustomizations(env: EnvironmentConfig, substitute: { readonly platform: Readonly<Record<string, string>>; readonly apps: Readonly<Record<string, string>> }): GitOpsKustomization[] {
  return [
    { name: 'platform', path: `./${deployDir(env)}/platform`, substitute: substitute.platform },
    { name: 'apps', path: `./${deployDir(env)}/apps`, dependsOn: ['platform'], substitute: substitute.apps },
  ];
}
