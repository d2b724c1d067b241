// One pod's life: init containers in order, each to completion (a native sidecar
// only until it has started, then it keeps running), then every container at
// once; stopping in the reverse order (containers, then native sidecars).
import { ContainerRunner } from './container.js';
import type { ContainerContext } from './container.js';
import type { PodEvent } from './events.js';
import type { PlannedPod } from './plan.js';
import { podPhase, podReady } from './status.js';
import type { PodStatus } from './status.js';

export class PodRunner {
  readonly inits: ContainerRunner[];
  readonly containers: ContainerRunner[];
  startedAt: string | undefined;
  private failed = false;
  private terminating = false;
  private initialized = false;
  events: PodEvent[] = [];

  constructor(
    readonly pod: PlannedPod,
    context: (container: string) => ContainerContext,
    private readonly graceMs = 5000,
  ) {
    this.inits = pod.initContainers.map((spec) => new ContainerRunner(spec, context(spec.container)));
    this.containers = pod.containers.map((spec) => new ContainerRunner(spec, context(spec.container)));
  }

  status(): PodStatus {
    return {
      initContainers: this.inits.map((c) => structuredClone(c.status)),
      containers: this.containers.map((c) => structuredClone(c.status)),
      ...(this.terminating ? { terminating: true } : {}),
      ...(this.failed ? { failed: true } : {}),
      ...(this.initialized ? { initialized: true } : {}),
    };
  }

  phase(): string {
    return podPhase(this.status());
  }

  ready(): boolean {
    return podReady(this.status());
  }

  async run(): Promise<void> {
    this.startedAt = new Date().toISOString();
    for (const init of this.inits) {
      if (this.terminating) return;
      if (init.spec.nativeSidecar) {
        init.start();
        await until(() => this.terminating || (init.status.state.kind === 'running' && init.status.started));
        await init.postStarted();
        continue;
      }
      const finished = init.finished();
      init.start();
      const code = await finished;
      if (code !== 0) {
        // Only under restartPolicy Never does an init container's failure end the pod.
        this.failed = true;
        return;
      }
    }
    if (this.terminating) return;
    const finished = Promise.all(this.containers.map((c) => c.finished()));
    this.initialized = true;
    // In order, each after the previous one's postStart hook (holdApplicationUntilProxyStarts).
    for (const c of this.containers) {
      if (this.terminating) return;
      c.start();
      await c.postStarted();
    }
    // When every container has finished for good (a Job's pod), native sidecars are stopped,
    // last started first, so that the pod can complete.
    await finished;
    for (const init of [...this.inits].reverse()) if (init.spec.nativeSidecar && !this.terminating) await init.stop(this.graceMs);
  }

  async stop(graceMs: number): Promise<void> {
    this.terminating = true;
    await Promise.all(this.containers.map((c) => c.stop(graceMs)));
    for (const init of [...this.inits].reverse()) await init.stop(graceMs);
  }
}

function until(condition: () => boolean, intervalMs = 50): Promise<void> {
  return new Promise((resolve) => {
    const check = () => (condition() ? resolve() : setTimeout(check, intervalMs));
    check();
  });
}
