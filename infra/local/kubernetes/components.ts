/**
 * Command lines of the control-plane processes (the envtest recipe, in Node). Kept apart from the launcher
 * so the flags, and why each is there, can be read in one place.
 */
import { join } from 'node:path';
import type { ClusterCredentials } from './certs.js';

export const SERVICE_CIDR = '10.96.0.0/16';

export interface EtcdPorts { client: number; peer: number }

export function etcdArgs(dataDir: string, { client, peer }: EtcdPorts): string[] {
  const clientUrl = `http://127.0.0.1:${client}`;
  const peerUrl = `http://127.0.0.1:${peer}`;
  return [
    '--name=codedance',
    `--data-dir=${dataDir}`,
    `--listen-client-urls=${clientUrl}`, `--advertise-client-urls=${clientUrl}`,
    // The peer port is never used by a single member, but its default (2380) would clash with any other etcd.
    `--listen-peer-urls=${peerUrl}`, `--initial-advertise-peer-urls=${peerUrl}`, `--initial-cluster=codedance=${peerUrl}`,
    // The data dir is on tmpfs and thrown away after the run: durability buys nothing, fsync costs seconds.
    '--unsafe-no-fsync=true',
    '--log-level=warn',
  ];
}

export function apiserverArgs(o: { name: string; dir: string; etcdUrl: string; port: number; creds: ClusterCredentials }): string[] {
  return [
    `--etcd-servers=${o.etcdUrl}`,
    // Several clusters share one etcd, each under its own key prefix.
    `--etcd-prefix=/${o.name}`,
    // This machine has no default route, so the advertise address cannot be guessed: say it.
    '--bind-address=127.0.0.1', '--advertise-address=127.0.0.1', `--secure-port=${o.port}`,
    // The apiserver writes its own self-signed serving cert and CA here (Node cannot issue certificates).
    `--cert-dir=${join(o.dir, 'certs')}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${o.creds.saPubFile}`,
    `--service-account-signing-key-file=${o.creds.saKeyFile}`,
    `--token-auth-file=${o.creds.tokenFile}`,
    // RBAC only, so the engine's ClusterRole is what really decides what its token may do.
    '--authorization-mode=RBAC',
    // ServiceAccount: no token controller runs, so pods must not be required to mount a token.
    // TaintNodesByCondition: it gives every new Node the not-ready taint, which only the node-lifecycle
    // controller (not run here) removes; kwok's fake nodes would stay unschedulable.
    '--disable-admission-plugins=ServiceAccount,TaintNodesByCondition',
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    '--profiling=false',
  ];
}

/**
 * The controllers that make Deployments roll and namespaces/owners clean up, plus the EndpointSlice
 * controller: tests check which pods a Service really selects by reading its EndpointSlices (what a proxy
 * routes to), not by trusting a selector. Nothing node- or cloud-related.
 */
export const CONTROLLERS = ['deployment-controller', 'replicaset-controller', 'garbage-collector-controller', 'namespace-controller', 'endpointslice-controller'];

/** Flags shared by kube-controller-manager and kube-scheduler. */
function componentArgs(dir: string, port: number): string[] {
  const kubeconfig = join(dir, 'admin.kubeconfig');
  return [
    `--kubeconfig=${kubeconfig}`,
    // Delegated authn/authz of their own /healthz endpoint; without these they look for in-cluster config.
    `--authentication-kubeconfig=${kubeconfig}`, `--authorization-kubeconfig=${kubeconfig}`,
    // One instance per cluster: no leases, no waiting for leadership.
    '--leader-elect=false',
    // A free port instead of the fixed defaults (10257/10259), which would clash between clusters.
    '--bind-address=127.0.0.1', `--secure-port=${port}`,
  ];
}

export function controllerManagerArgs(dir: string, port: number): string[] {
  return [...componentArgs(dir, port), `--controllers=${CONTROLLERS.join(',')}`, `--cert-dir=${join(dir, 'kcm-certs')}`];
}

export function schedulerArgs(dir: string, port: number): string[] {
  return [...componentArgs(dir, port), `--cert-dir=${join(dir, 'scheduler-certs')}`];
}

export function kwokArgs(dir: string): string[] {
  return [
    `--kubeconfig=${join(dir, 'admin.kubeconfig')}`, '--manage-all-nodes', `--config=${join(dir, 'kwok.yaml')}`,
    // Fake pod IPs: nothing may connect to them. Node leases stand in for the kubelet's heartbeat.
    '--cidr=10.0.0.1/16', '--node-lease-duration-seconds=40',
  ];
}
