import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { podPhase, podReady, podRow } from '../../src/runtime/status.js';
import type { ContainerStatus, PodStatus } from '../../src/runtime/status.js';

const T = '2026-01-01T00:00:00Z';
const running = (name: string, ready: boolean, restartCount = 0): ContainerStatus => ({ name, state: { kind: 'running', startedAt: T }, ready, started: true, restartCount });
const waiting = (name: string, reason: string, restartCount = 0): ContainerStatus => ({ name, state: { kind: 'waiting', reason }, ready: false, started: false, restartCount });
const done = (name: string, exitCode: number, reason = exitCode === 0 ? 'Completed' : 'Error', restartCount = 0): ContainerStatus => ({ name, state: { kind: 'terminated', exitCode, reason, finishedAt: T }, ready: false, started: false, restartCount });

const cases: { name: string; status: PodStatus; ready: string; shown: string; restarts: number; phase: string; endpoint: boolean }[] = [
  { name: 'all containers running and ready', status: { initContainers: [done('istio-init', 0)], containers: [running('app', true), running('istio-proxy', true)] }, ready: '2/2', shown: 'Running', restarts: 0, phase: 'Running', endpoint: true },
  { name: 'the proxy not ready yet', status: { initContainers: [done('istio-init', 0)], containers: [running('app', true), running('istio-proxy', false)] }, ready: '1/2', shown: 'Running', restarts: 0, phase: 'Running', endpoint: false },
  { name: 'before anything ran', status: { initContainers: [], containers: [waiting('app', 'ContainerCreating')] }, ready: '0/1', shown: 'ContainerCreating', restarts: 0, phase: 'Pending', endpoint: false },
  { name: 'first of two init containers running', status: { initContainers: [waiting('a', ''), waiting('b', '')], containers: [waiting('app', 'PodInitializing')] }, ready: '0/1', shown: 'Init:0/2', restarts: 0, phase: 'Pending', endpoint: false },
  { name: 'second init container running', status: { initContainers: [done('a', 0), { ...running('b', false) }], containers: [waiting('app', 'PodInitializing')] }, ready: '0/1', shown: 'Init:1/2', restarts: 0, phase: 'Pending', endpoint: false },
  { name: 'an init container failed', status: { initContainers: [done('istio-init', 1)], containers: [waiting('app', 'PodInitializing')] }, ready: '0/1', shown: 'Init:Error', restarts: 0, phase: 'Pending', endpoint: false },
  { name: 'an init container in back-off', status: { initContainers: [waiting('istio-init', 'CrashLoopBackOff', 3)], containers: [waiting('app', 'PodInitializing')] }, ready: '0/1', shown: 'Init:CrashLoopBackOff', restarts: 3, phase: 'Pending', endpoint: false },
  { name: 'an init container killed by a signal', status: { initContainers: [done('x', 137, '')], containers: [waiting('app', 'PodInitializing')] }, ready: '0/1', shown: 'Init:ExitCode:137', restarts: 0, phase: 'Pending', endpoint: false },
  { name: 'a container in crash-loop back-off', status: { initContainers: [], containers: [waiting('app', 'CrashLoopBackOff', 4)] }, ready: '0/1', shown: 'CrashLoopBackOff', restarts: 4, phase: 'Running', endpoint: false },
  { name: 'one crashed, one running', status: { initContainers: [], containers: [running('app', true, 1), done('side', 2)] }, ready: '1/2', shown: 'Error', restarts: 1, phase: 'Running', endpoint: false },
  { name: 'a finished job-like pod', status: { initContainers: [], containers: [done('app', 0)] }, ready: '0/1', shown: 'Completed', restarts: 0, phase: 'Succeeded', endpoint: false },
  { name: 'a failed pod', status: { initContainers: [], containers: [done('app', 1)] }, ready: '0/1', shown: 'Error', restarts: 0, phase: 'Failed', endpoint: false },
  { name: 'completed app beside a running one', status: { initContainers: [], containers: [done('a', 0), running('b', true)] }, ready: '1/2', shown: 'Running', restarts: 0, phase: 'Running', endpoint: false },
  { name: 'a native sidecar counts in READY', status: { initContainers: [{ ...running('istio-proxy', true), restartable: true }], containers: [running('app', true)] }, ready: '2/2', shown: 'Running', restarts: 0, phase: 'Running', endpoint: true },
  { name: 'a native sidecar not started holds initialisation', status: { initContainers: [{ ...running('istio-proxy', false), started: false, restartable: true }], containers: [waiting('app', 'PodInitializing')] }, ready: '0/2', shown: 'Init:0/1', restarts: 0, phase: 'Pending', endpoint: false },
  { name: 'a Job pod whose app finished and whose native sidecar was then stopped', status: { initialized: true, initContainers: [{ ...done('istio-proxy', 143, 'Error'), restartable: true }], containers: [done('app', 0)] }, ready: '0/2', shown: 'Completed', restarts: 0, phase: 'Succeeded', endpoint: false },
  { name: 'terminating', status: { initContainers: [], containers: [running('app', true, 2)], terminating: true }, ready: '1/1', shown: 'Terminating', restarts: 2, phase: 'Running', endpoint: false },
];

describe('pod status as kubectl shows it', () => {
  for (const c of cases) {
    test(c.name, () => {
      assert.deepEqual(podRow(c.status), { ready: c.ready, status: c.shown, restarts: c.restarts });
      assert.equal(podPhase(c.status), c.phase);
      assert.equal(podReady(c.status), c.endpoint);
    });
  }
});
