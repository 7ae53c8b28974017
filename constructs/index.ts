export * from './validation';
export * from './regions';
export * from './principal';
export * from './container-registry';
export * from './kubernetes-cluster';
