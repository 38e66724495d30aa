/**
 * kwok configuration: fake-node conventions and the Stages that play the kubelet. kwok run standalone has
 * no built-in stages (and supplying any pod Stage would replace kwok's defaults anyway), so every stage we
 * rely on is here: node initialize + heartbeat, pod ready, pod crash-loop (+ a restart every ~20 s), and
 * pod deletion (finalizers removed first, then the object deleted, as the kubelet would once containers stop).
 * Trimmed from kwok v0.8's kustomize/stage/{node,pod}/fast stages.
 */

import type { Manifest } from './api.js';

/** Pods with this label stay Running but never Ready, in CrashLoopBackOff. */
export const CRASH_LABEL = 'codedance.io/simulate';
export const CRASH_VALUE = 'crashloop';

/**
 * gojq expression for "this pod crash-loops": the label above, OR any container whose image *tag* contains
 * "crash" (e.g. `demo:v2-crash`; the registry host and digest are ignored), OR a tag containing
 * "stablecrash" on a pod that is not a canary: an image that runs as a canary but cannot run as the target
 * (a failed promotion: in life, a config or capacity only the target has). kwok's selectors evaluate jq,
 * so matching on the image works; the expression yields a boolean compared with 'true'.
 */
const TAG = '.spec.containers[]?.image | split("@")[0] | split("/")[-1] | (split(":")[1] // "")';
const CRASHES = `(.metadata.labels["${CRASH_LABEL}"] == "${CRASH_VALUE}") or ([${TAG} | contains("crash") and (contains("stablecrash") | not)] | any)`
  + ` or (((.metadata.labels["codedance.io/rollout-role"] // "") != "canary") and ([${TAG} | contains("stablecrash")] | any))`;

/** A Node object following kwok's fake-node.yaml conventions, without the taint so any pod may land. */
export function fakeNode(name: string): Manifest {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'kwok.x-k8s.io/node': 'fake' },
      labels: {
        'beta.kubernetes.io/arch': 'amd64', 'beta.kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64',
        'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/role': 'agent',
        'node-role.kubernetes.io/agent': '', type: 'kwok',
      },
    },
    status: { allocatable: { cpu: '32', memory: '256Gi', pods: '110' }, capacity: { cpu: '32', memory: '256Gi', pods: '110' } },
  };
}

const nodeConditions = `
      conditions:
      {{ range NodeConditions }}
      - lastHeartbeatTime: {{ $now | Quote }}
        lastTransitionTime: {{ or $.metadata.creationTimestamp $now | Quote }}
        message: {{ .message | Quote }}
        reason: {{ .reason | Quote }}
        status: {{ .status | Quote }}
        type: {{ .type | Quote }}
      {{ end }}`;

// Pod IPs come from kwok's fake CIDR: nothing may connect to them.
const podAddresses = `
      hostIP: {{ NodeIPWith .spec.nodeName | Quote }}
      podIP: {{ PodIPWith .spec.nodeName ( or .spec.hostNetwork false ) ( or .metadata.uid "" ) ( or .metadata.name "" ) ( or .metadata.namespace "" ) | Quote }}
      startTime: {{ or .status.startTime $now | Quote }}`;

const condition = (type: string, status: boolean) => `
      - lastTransitionTime: {{ $now | Quote }}
        status: "${status ? 'True' : 'False'}"
        type: ${type}`;

/** Crash-looping container statuses; `restarts` is a template expression for restartCount. */
const crashStatuses = (restarts: string) => `
      containerStatuses:
      {{ range $i, $c := .spec.containers }}
      - image: {{ $c.image | Quote }}
        name: {{ $c.name | Quote }}
        ready: false
        started: false
        restartCount: ${restarts}
        lastState:
          terminated: { exitCode: 1, reason: Error, startedAt: {{ $now | Quote }}, finishedAt: {{ $now | Quote }} }
        state:
          waiting:
            reason: CrashLoopBackOff
            message: {{ printf "back-off 10s restarting failed container=%s" $c.name | Quote }}
      {{ end }}`;

const stage = (name: string, kind: 'Node' | 'Pod', selector: Array<[string, string, string[]?]>, next: string, delayMs?: number) => `---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata: { name: ${name} }
spec:
  resourceRef: { apiGroup: v1, kind: ${kind} }
  selector:
    matchExpressions:
${selector.map(([key, op, values]) => `    - key: '${key.replaceAll("'", "''")}'\n      operator: ${op}${values ? `\n      values: [${values.map((v) => `'${v}'`).join(', ')}]` : ''}`).join('\n')}
${delayMs ? `  delay: { durationMilliseconds: ${delayMs}, jitterDurationMilliseconds: ${delayMs + delayMs / 10} }\n` : ''}  next:
${next}`;

const template = (body: string) => `    statusTemplate: |
      {{ $now := Now }}${body}`;

const NOT_DELETED: [string, string] = ['.metadata.deletionTimestamp', 'DoesNotExist'];
const READY = '.status.conditions.[] | select( .type == "Ready" ) | .status';
const WAITING = '.status.containerStatuses.[].state.waiting.reason';

/**
 * The kwok --config file: every Stage, and no KwokConfiguration (one in the file replaces kwok's defaulted
 * options with zero values: "playStageParallelism must be greater than 0"); options go in as flags.
 */
export function kwokConfigYaml(): string {
  return `${stage('node-initialize', 'Node', [[READY, 'NotIn', ['True']]], template(`${nodeConditions}
      nodeInfo: { architecture: amd64, operatingSystem: linux, kubeletVersion: {{ printf "kwok-%s" Version | Quote }}, containerRuntimeVersion: kwok, kernelVersion: kwok, kubeProxyVersion: kwok, osImage: kwok, bootID: "", machineID: "", systemUUID: "" }
      addresses:
      - { type: InternalIP, address: {{ NodeIP | Quote }} }
      - { type: Hostname, address: {{ .metadata.name | Quote }} }
      phase: Running`))}
${stage('node-heartbeat', 'Node', [[READY, 'In', ['True']]], template(nodeConditions), 60_000)}
${stage('pod-ready', 'Pod', [NOT_DELETED, ['.status.phase', 'In', ['Pending']], [READY, 'NotIn', ['True']], [CRASHES, 'NotIn', ['true']]], template(`
      conditions:${condition('Initialized', true)}${condition('Ready', true)}${condition('ContainersReady', true)}${condition('PodScheduled', true)}
      containerStatuses:
      {{ range .spec.containers }}
      - image: {{ .image | Quote }}
        name: {{ .name | Quote }}
        ready: true
        started: true
        restartCount: 0
        state: { running: { startedAt: {{ $now | Quote }} } }
      {{ end }}${podAddresses}
      phase: Running`))}
${stage('pod-crashloop', 'Pod', [NOT_DELETED, [CRASHES, 'In', ['true']], [WAITING, 'NotIn', ['CrashLoopBackOff']]], template(`
      conditions:${condition('Initialized', true)}${condition('Ready', false)}${condition('ContainersReady', false)}${condition('PodScheduled', true)}${crashStatuses('1')}${podAddresses}
      phase: Running`))}
${stage('pod-crashloop-restart', 'Pod', [NOT_DELETED, [CRASHES, 'In', ['true']], [WAITING, 'In', ['CrashLoopBackOff']]], template(`
      {{ $statuses := .status.containerStatuses }}${crashStatuses('{{ add1 (index $statuses $i).restartCount }}')}`), 20_000)}
${stage('pod-remove-finalizers', 'Pod', [['.metadata.deletionTimestamp', 'Exists'], ['.metadata.finalizers', 'Exists']], '    finalizers: { empty: true }')}
${stage('pod-delete', 'Pod', [['.metadata.deletionTimestamp', 'Exists'], ['.metadata.finalizers', 'DoesNotExist']], '    delete: true')}
`;
}
