// One container as a process in its pod's network namespace: started with its
// uid/gid (setpriv), environment and working directory, its output appended to
// its log file; restarted with back-off as its restart policy says; probed.
// The process is the leader of its own process group, so that stopping a
// container stops whatever it started.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { restartDelay, nextCrashCount } from './backoff.js';
import type { BackoffPolicy } from './backoff.js';
import type { HookAction, LaunchSpec, Probe } from './launch.js';
import type { ProberClient } from './prober-client.js';
import type { ContainerStatus } from './status.js';
import { runAction } from './actions.js';
import type { ActionResult } from './actions.js';
import { containerEnv, podCommand } from './container-command.js';
import { initialThreshold, observe } from './probe-threshold.js';


export interface ContainerContext {
  netns: string;
  podIP: string;
  podName: string;
  logFile: string;
  /** The command that runs the outrigger CLI for uids that cannot read the checkout. */
  outriggerCommand(): string[];
  prober: ProberClient;
  backoff: BackoffPolicy;
  onChange(): void;
  log(message: string): void;
  /** Records a pod event (kubectl describe's Events). */
  event(type: 'Normal' | 'Warning', reason: string, message: string): void;
}

const now = () => new Date().toISOString();

// pilot-agent wait gives up after its own timeout (60 s by default); this is only a backstop.
const POST_START_TIMEOUT_MS = 600_000;

export class ContainerRunner {
  readonly status: ContainerStatus;
  private child: ChildProcess | undefined;
  private startedAtMs = 0;
  private crashes = 0;
  private stopping = false;
  private timers = new Set<NodeJS.Timeout>();
  private exitWaiters: ((code: number) => void)[] = [];
  private probeGeneration = 0;
  private postStart: Promise<void> = Promise.resolve();

  constructor(
    readonly spec: LaunchSpec,
    private readonly ctx: ContainerContext,
  ) {
    this.status = { name: spec.container, state: { kind: 'waiting', reason: spec.init ? '' : 'ContainerCreating' }, ready: false, started: false, restartCount: 0, ...(spec.nativeSidecar ? { restartable: true } : {}) };
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  argv(): string[] {
    const program = this.spec.program.kind === 'outrigger' ? this.ctx.outriggerCommand() : [this.spec.program.path];
    return podCommand(this.ctx.netns, this.spec.uid, this.spec.gid, [...program, ...this.spec.args], this.spec.capabilities);
  }

  /** Starts the process; for an init container, resolves with its exit code (after restarts per policy). */
  start(): void {
    if (this.stopping) return;
    if (this.spec.workingDir !== undefined && !existsSync(this.spec.workingDir)) {
      this.setTerminated(128, 'StartError', undefined);
      this.ctx.log(`container ${this.spec.container}: workingDir ${this.spec.workingDir} does not exist`);
      this.afterExit(128);
      return;
    }
    const argv = this.argv();
    const fd = openSync(this.ctx.logFile, 'a', 0o644);
    let child: ChildProcess;
    try {
      child = spawn(argv[0]!, argv.slice(1), { env: containerEnv(this.spec, this.ctx.podName), stdio: ['ignore', fd, fd], detached: true, ...(this.spec.workingDir ? { cwd: this.spec.workingDir } : {}) });
    } finally {
      closeSync(fd);
    }
    this.child = child;
    this.startedAtMs = Date.now();
    this.status.state = { kind: 'running', startedAt: now() };
    this.ctx.event('Normal', 'Started', `Started container ${this.spec.container}`);
    this.status.ready = false;
    this.status.started = this.spec.startupProbe === undefined;
    this.ctx.onChange();
    child.on('error', (error) => this.ctx.log(`container ${this.spec.container}: ${error.message}`));
    child.on('exit', (code, signal) => {
      if (this.child !== child) return;
      this.child = undefined;
      this.probeGeneration++;
      const exitCode = code ?? 128 + (signal ? osSignal(signal) : 0);
      this.setTerminated(exitCode, exitCode === 0 ? 'Completed' : 'Error', signal ?? undefined);
      this.afterExit(exitCode);
    });
    if (!this.spec.init || this.spec.nativeSidecar) this.startProbes();
    if (this.spec.postStart) {
      // The kubelet runs postStart right after the start and starts the next container only
      // once it returns: that is what holdApplicationUntilProxyStarts relies on.
      const hook = this.spec.postStart;
      this.postStart = this.runAction(hook, POST_START_TIMEOUT_MS).then(({ ok, detail }) => {
        if (ok || this.child !== child) return;
        this.ctx.log(`container ${this.spec.container} of ${this.ctx.podName}: FailedPostStartHook, killing it`);
        this.ctx.event('Warning', 'FailedPostStartHook', `PostStartHook failed: ${detail}`);
        this.signal('SIGKILL');
      });
    } else this.postStart = Promise.resolve();
  }

  /** Resolves once the last start's postStart hook has finished (at once without one). */
  postStarted(): Promise<void> {
    return this.postStart;
  }

  /** Resolves with the exit code of the next exit that is final (no restart follows). */
  finished(): Promise<number> {
    return new Promise((resolve) => this.exitWaiters.push(resolve));
  }

  private setTerminated(exitCode: number, reason: string, signal: string | undefined): void {
    this.status.state = { kind: 'terminated', exitCode, reason, finishedAt: now(), ...(signal ? { signal } : {}) };
    this.status.ready = false;
    this.status.started = false;
    this.ctx.onChange();
  }

  private afterExit(exitCode: number): void {
    const policy = this.spec.restartPolicy;
    const restart = !this.stopping && (policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0));
    if (!restart) {
      for (const w of this.exitWaiters.splice(0)) w(exitCode);
      return;
    }
    this.crashes = nextCrashCount(this.ctx.backoff, this.crashes, Date.now() - this.startedAtMs);
    const delay = restartDelay(this.ctx.backoff, this.crashes);
    this.status.state = { kind: 'waiting', reason: 'CrashLoopBackOff', message: `back-off ${Math.round(delay / 1000)}s restarting failed container=${this.spec.container} pod=${this.ctx.podName}` };
    this.ctx.event('Warning', 'BackOff', `Back-off restarting failed container ${this.spec.container} in pod ${this.ctx.podName}`);
    this.ctx.onChange();
    this.later(delay, () => {
      this.status.restartCount++;
      this.start();
    });
  }

  private later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  private startProbes(): void {
    const generation = this.probeGeneration;
    const live = () => generation === this.probeGeneration && !this.stopping;
    const { startupProbe, readinessProbe, livenessProbe } = this.spec;
    const afterStarted = () => {
      if (!readinessProbe) {
        this.status.ready = true;
        this.ctx.onChange();
      } else this.loop(readinessProbe, 'Readiness', live, (ok) => this.setReady(ok));
      if (livenessProbe) this.loop(livenessProbe, 'Liveness', live, (ok) => !ok && this.restartUnhealthy('liveness'));
    };
    if (!startupProbe) return afterStarted();
    this.loop(startupProbe, 'Startup', live, (ok) => {
      if (ok && !this.status.started) {
        this.status.started = true;
        this.ctx.onChange();
        afterStarted();
        return true;
      }
      if (!ok) this.restartUnhealthy('startup');
      return false;
    });
  }

  /** Runs a probe every period; `verdict` gets each thresholded result, returns true to stop. */
  private loop(probe: Probe, which: string, live: () => boolean, verdict: (ok: boolean) => boolean | void): void {
    let state = initialThreshold;
    const tick = async () => {
      if (!live()) return;
      const ok = await this.runProbe(probe, which);
      if (!live()) return;
      const next = observe(state, ok, probe);
      state = next.state;
      if (next.verdict !== undefined && verdict(next.verdict) === true) return;
      this.later(probe.periodSeconds * 1000, () => void tick());
    };
    this.later(probe.initialDelaySeconds * 1000, () => void tick());
  }

  private setReady(ok: boolean): void {
    if (this.status.ready === ok) return;
    this.status.ready = ok;
    this.ctx.onChange();
  }

  private restartUnhealthy(which: string): void {
    this.ctx.log(`container ${this.spec.container} of ${this.ctx.podName}: ${which} probe failed, restarting`);
    this.ctx.event('Normal', 'Killing', `Container ${this.spec.container} failed ${which} probe, will be restarted`);
    this.probeGeneration++;
    this.signal('SIGTERM');
    const child = this.child;
    this.later(2000, () => {
      if (this.child === child) this.signal('SIGKILL');
    });
  }

  private async runProbe(probe: Probe, which: string): Promise<boolean> {
    const result = await this.runAction(probe.action, probe.timeoutSeconds * 1000);
    if (!result.ok) this.ctx.event('Warning', 'Unhealthy', `${which} probe failed: ${result.detail}`);
    return result.ok;
  }

  private runAction(a: HookAction, timeoutMs: number): Promise<ActionResult> {
    return runAction(a, timeoutMs, { netns: this.ctx.netns, podIP: this.ctx.podIP, podName: this.ctx.podName, spec: this.spec, prober: this.ctx.prober, outriggerCommand: () => this.ctx.outriggerCommand() });
  }

  signal(sig: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        // Already gone.
      }
    }
  }

  /** SIGTERM, then SIGKILL after the grace period; no restart afterwards. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + graceMs;
    // preStop runs first and counts against the grace period, as in kube.
    if (this.spec.preStop) await Promise.race([this.runAction(this.spec.preStop, graceMs), exited]);
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), Math.max(0, deadline - Date.now()));
    await exited;
    clearTimeout(timer);
  }
}

function osSignal(signal: NodeJS.Signals): number {
  const numbers: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGTERM: 15 };
  return numbers[signal] ?? 0;
}
