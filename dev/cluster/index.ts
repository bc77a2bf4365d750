export * from './cluster-state';
export * from './kube-api';
export * from './kubeconfig';
export * from './local-cluster';
export * from './nodes';
export * from './pki';
