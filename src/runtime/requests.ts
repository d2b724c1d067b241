// How `outrigger apply`/`delete` reach the supervisor of a running cluster: a
// request file in the state directory, answered by a result file next to it.
// Files, like the rest of the state, so that nothing but the state directory
// is shared and a request survives a CLI that is interrupted while waiting.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SourcedObject } from './manifests.js';

export interface ClusterRequest {
  op: 'apply' | 'delete';
  objects: SourcedObject[];
}

export interface ClusterResult {
  ok: boolean;
  lines: string[];
  problems: string[];
}

export function requestsDir(stateDir: string): string {
  return path.join(stateDir, 'requests');
}

/** Queues a request; its id orders it after every earlier one. */
export function submitRequest(stateDir: string, request: ClusterRequest): string {
  const dir = requestsDir(stateDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const id = `${Date.now().toString().padStart(15, '0')}-${process.pid}`;
  const tmp = path.join(dir, `.${id}.tmp`);
  writeFileSync(tmp, JSON.stringify(request));
  renameSync(tmp, path.join(dir, `${id}.request.json`));
  return id;
}

/** Waits for the supervisor's answer; undefined if none came in time (or it stopped). */
export async function awaitResult(stateDir: string, id: string, timeoutMs: number, alive: () => boolean): Promise<ClusterResult | undefined> {
  const file = path.join(requestsDir(stateDir), `${id}.result.json`);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (existsSync(file)) {
      const result = JSON.parse(readFileSync(file, 'utf8')) as ClusterResult;
      rmSync(file, { force: true });
      return result;
    }
    if (!alive()) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return undefined;
}

/** The supervisor's side: the oldest pending request, if any. */
export function nextRequest(stateDir: string): { id: string; request: ClusterRequest } | undefined {
  const dir = requestsDir(stateDir);
  if (!existsSync(dir)) return undefined;
  const file = readdirSync(dir).filter((f) => f.endsWith('.request.json')).sort()[0];
  if (file === undefined) return undefined;
  const id = file.slice(0, -'.request.json'.length);
  const full = path.join(dir, file);
  let request: ClusterRequest;
  try {
    request = JSON.parse(readFileSync(full, 'utf8')) as ClusterRequest;
  } catch (error) {
    rmSync(full, { force: true });
    answerRequest(stateDir, id, { ok: false, lines: [], problems: [`the request could not be read: ${(error as Error).message}`] });
    return nextRequest(stateDir);
  }
  rmSync(full, { force: true });
  return { id, request };
}

export function answerRequest(stateDir: string, id: string, result: ClusterResult): void {
  const dir = requestsDir(stateDir);
  const tmp = path.join(dir, `.${id}.result.tmp`);
  writeFileSync(tmp, JSON.stringify(result));
  renameSync(tmp, path.join(dir, `${id}.result.json`));
}
