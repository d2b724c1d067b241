// The HTTP side of the injector, independent of how the server is made, so that
// `outrigger webhook` and `outrigger discovery` (on 15017, as istiod) serve the same handler.
//   POST /inject, /inject/cluster/<c>/net/<n>   AdmissionReview in, AdmissionReview out
//   GET  /healthz                               200 while the handler can serve
//   GET  /metrics                               Prometheus text
import type { IncomingMessage, ServerResponse } from 'node:http';
import { scope } from '../log/index.js';
import { AdmissionReviewError, decodeAdmissionReview } from './admission-review.js';
import { isInjectPath } from './inject-path.js';
import { WebhookMetrics } from './metrics.js';
import { ReviewCache } from './review-cache.js';
import type { SettingsSource } from './settings-source.js';

const log = scope('webhook');

/** Pods are far smaller; the API server itself refuses requests over 3 MiB. */
export const defaultMaxBodyBytes = 4 * 1024 * 1024;

export interface InjectionHandlerOptions {
  metrics?: WebhookMetrics;
  maxBodyBytes?: number;
  /** Answers to repeated identical requests (a ReplicaSet's pods); false turns it off. Default: 512 entries. */
  cache?: ReviewCache | false;
}

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

function reply(res: ServerResponse, status: number, body: string, contentType = 'text/plain; charset=utf-8', close = false): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), ...(close ? { Connection: 'close' } : {}) });
  res.end(body);
}

type BodyResult = { body: Buffer } | { failure: 'too_large' | 'aborted' };

/** Reads the whole body; answers 413 itself when it is larger than the limit. */
function readBody(req: IncomingMessage, res: ServerResponse, limit: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (result: BodyResult) => {
      if (!settled) resolve(result);
      settled = true;
    };
    const tooLarge = () => {
      // Close the connection: the rest of the body is not worth reading.
      reply(res, 413, `request body larger than ${limit} bytes\n`, undefined, true);
      res.once('finish', () => req.destroy());
      settle({ failure: 'too_large' });
    };
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) return tooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > limit) {
        req.pause();
        return tooLarge();
      }
      chunks.push(chunk);
    });
    req.on('end', () => settle({ body: Buffer.concat(chunks) }));
    // A client that goes away mid-body: nobody to answer, nothing to count as ours.
    req.on('error', () => settle({ failure: 'aborted' }));
    req.on('close', () => settle({ failure: 'aborted' }));
  });
}

/** The webhook's request listener; `source.current()` is read per request, so reloads apply at once. */
export function createInjectionHandler(source: SettingsSource, options: InjectionHandlerOptions = {}): RequestListener {
  const metrics = options.metrics ?? new WebhookMetrics();
  const maxBodyBytes = options.maxBodyBytes ?? defaultMaxBodyBytes;
  const cache = options.cache === false ? new ReviewCache(0) : (options.cache ?? new ReviewCache());
  metrics.cacheHits = () => cache.hits;

  const serveInject = async (req: IncomingMessage, res: ServerResponse, path: string) => {
    metrics.requests++;
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      metrics.recordFailure('bad_request');
      return reply(res, 405, 'only POST is served on the injection path\n');
    }
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (contentType !== 'application/json') {
      metrics.recordFailure('bad_request');
      req.resume();
      return reply(res, 415, `invalid Content-Type ${JSON.stringify(contentType)}, expected application/json\n`);
    }
    const read = await readBody(req, res, maxBodyBytes);
    if ('failure' in read) {
      if (read.failure === 'too_large') metrics.recordFailure('body_too_large');
      return;
    }
    const { body } = read;
    if (body.length === 0) {
      metrics.recordFailure('bad_request');
      return reply(res, 400, 'no body found\n');
    }
    const started = process.hrtime.bigint();
    let review;
    try {
      review = cache.review(decodeAdmissionReview(body), source.current(), { path });
    } catch (error) {
      if (!(error instanceof AdmissionReviewError)) throw error;
      log.warn(`${error.message}`);
      metrics.recordFailure('bad_request');
      return reply(res, 400, `${error.message}\n`);
    }
    metrics.recordOutcome(review.outcome);
    const { outcome } = review;
    if (outcome.result === 'denied') log.warn(`pod ${review.podName}: ${outcome.message}`);
    else if (outcome.result === 'skipped') log.debug(`pod ${review.podName}: not injected (${outcome.reason}: ${outcome.detail})`);
    else log.debug(`pod ${review.podName}: injected, ${outcome.patch.length} patch operations`);
    reply(res, 200, JSON.stringify(review.response), 'application/json');
    metrics.observeLatency(Number(process.hrtime.bigint() - started) / 1e9);
  };

  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    let work: Promise<void> | void;
    try {
      if (isInjectPath(path)) work = serveInject(req, res, path);
      else if (path === '/healthz' || path === '/ready') work = reply(res, 200, 'ok\n');
      else if (path === '/metrics') work = reply(res, 200, metrics.render(), 'text/plain; version=0.0.4; charset=utf-8');
      else work = reply(res, 404, `no handler for ${path}\n`);
    } catch (error) {
      work = Promise.reject(error);
    }
    // A bug of ours is still a response, never a crashed process: 500 only for what is not the user's input.
    Promise.resolve(work).catch((error: unknown) => {
      log.error(`internal error serving ${path}: ${(error as Error).stack ?? String(error)}`);
      metrics.recordFailure('internal');
      reply(res, 500, 'internal error\n');
    });
  };
}
