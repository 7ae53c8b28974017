import { Construct } from 'constructs';
import { TerraformStack } from 'cdktf';
import { ImageAdmission } from '../constructs/image-admission';
import type { EnvironmentConfig, StateConfig, SupplyChainConfig } from './environments';
import { ClusterEndpoint, useAzureStateBackend, useKubeloginHelmProvider } from './plumbing';
import { imageAdmissionProps } from './props';

export interface AdmissionStackProps {
  readonly env: EnvironmentConfig;
  readonly state: StateConfig;
  readonly repository: string;
  readonly supplyChain: SupplyChainConfig;
  /** The cluster's API server, from platform-<env>'s outputs. */
  readonly cluster: ClusterEndpoint;
  /** Client ID of the kubelet identity (AcrPull on the registry), with which Kyverno reads the signatures. */
  readonly kubeletIdentityClientId: string;
}

/**
 * `platform-<env>-admission`, in push environments: Kyverno and the image signature policy (ImageAdmission) on the
 * environment's cluster, deployed by the infrastructure deployer right after `platform-<env>` (it needs a cluster
 * admin, and the cluster's outputs). GitOps environments get the same two releases from Flux (deploy/<env>/platform).
 */
export class AdmissionStack extends TerraformStack {
  public readonly admission: ImageAdmission;

  constructor(scope: Construct, name: string, props: AdmissionStackProps) {
    super(scope, name);
    useAzureStateBackend(this, name, props);
    useKubeloginHelmProvider(this, props.cluster);
    this.admission = new ImageAdmission(this, 'image-admission', {
      ...imageAdmissionProps(props.env, props.repository, props.supplyChain),
      registryIdentityClientId: props.kubeletIdentityClientId,
    });
  }
}
