// Virtual-host and route matching, header mutation and retry decisions: pure tables.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildDomainIndex, matchDomain, stripHostPort } from '../../src/proxy/http/virtual-host-match.js';
import { compileRouteMatch, matchRoute } from '../../src/proxy/http/route-match.js';
import type { RouteMatchConfig } from '../../src/proxy/http/route-match.js';
import { compileRetryPolicy, parseGrpcTimeout, rewritePath } from '../../src/proxy/http/route-config.js';
import { shouldRetry } from '../../src/proxy/http/retry-decision.js';
import type { AttemptOutcome } from '../../src/proxy/http/retry-decision.js';
import { compileHeaderMutation } from '../../src/proxy/http/header-mutation.js';
import type { Headers } from '../../src/proxy/http/header-mutation.js';
import { ConfigError } from '../../src/proxy/index.js';

describe('virtual host domains', () => {
  const index = buildDomainIndex([
    { domains: ['reviews.default.svc.cluster.local', 'reviews.default.svc.cluster.local:9080', 'reviews', 'reviews:9080'], value: 'reviews' },
    { domains: ['*.example.com'], value: 'suffix-short' },
    { domains: ['*.api.example.com'], value: 'suffix-long' },
    { domains: ['api.*'], value: 'prefix-short' },
    { domains: ['api.internal.*'], value: 'prefix-long' },
    { domains: ['*'], value: 'any' },
  ], 'virtual_hosts');
  const table: [string, string, boolean?][] = [
    ['reviews', 'reviews'],
    ['Reviews:9080', 'reviews'],
    ['reviews.default.svc.cluster.local:9080', 'reviews'],
    ['reviews:8080', 'any'],
    ['reviews:8080', 'reviews', true],
    ['a.example.com', 'suffix-short'],
    ['v1.api.example.com', 'suffix-long'],
    ['example.com', 'any'],
    ['api.foo', 'prefix-short'],
    ['api.internal.foo', 'prefix-long'],
    ['x.api.foo', 'any'],
  ];
  for (const [authority, expect, strip] of table) test(`${authority}${strip ? ' (ports stripped)' : ''} → ${expect}`, () => assert.equal(matchDomain(index, authority, strip), expect));

  test('a domain in two virtual hosts is rejected', () => {
    assert.throws(() => buildDomainIndex([{ domains: ['a'], value: 1 }, { domains: ['A'], value: 2 }], 'vh'), (e: unknown) =>
      e instanceof ConfigError && e.message === 'vh[1].domains: domain "A" appears in more than one virtual host');
  });
  test('a wildcard in the middle is rejected', () => assert.throws(() => buildDomainIndex([{ domains: ['a.*.b'], value: 1 }], 'vh'), ConfigError));
  const strips: [string, string][] = [['a:80', 'a'], ['a', 'a'], ['[::1]:80', '[::1]'], ['::1', '::1'], ['a:b', 'a:b']];
  for (const [input, out] of strips) test(`strip port ${input} → ${out}`, () => assert.equal(stripHostPort(input), out));
});

describe('route matching', () => {
  const request = (path: string, headers: Record<string, string> = {}) => ({ path, header: (n: string) => headers[n] });
  const table: { name: string; match: RouteMatchConfig; path: string; headers?: Record<string, string>; expect: boolean }[] = [
    { name: 'prefix', match: { prefix: '/api' }, path: '/api/v1', expect: true },
    { name: 'prefix ignores the query', match: { prefix: '/api' }, path: '/x?/api', expect: false },
    { name: 'prefix is case sensitive by default', match: { prefix: '/API' }, path: '/api', expect: false },
    { name: 'prefix case_sensitive false', match: { prefix: '/API', case_sensitive: false }, path: '/api/x', expect: true },
    { name: 'path is exact, query removed', match: { path: '/productpage' }, path: '/productpage?u=normal', expect: true },
    { name: 'path does not match a longer path', match: { path: '/productpage' }, path: '/productpage/x', expect: false },
    { name: 'safe_regex is a full match', match: { safe_regex: { regex: '/reviews/\\d+' } }, path: '/reviews/12', expect: true },
    { name: 'safe_regex does not match a prefix', match: { safe_regex: { regex: '/reviews/\\d+' } }, path: '/reviews/12/x', expect: false },
    { name: 'path_separated_prefix at a boundary', match: { path_separated_prefix: '/api' }, path: '/api/v1', expect: true },
    { name: 'path_separated_prefix exact', match: { path_separated_prefix: '/api' }, path: '/api?x=1', expect: true },
    { name: 'path_separated_prefix not mid-segment', match: { path_separated_prefix: '/api' }, path: '/apix', expect: false },
    { name: 'header exact', match: { prefix: '/', headers: [{ name: 'end-user', exact_match: 'jason' }] }, path: '/', headers: { 'end-user': 'jason' }, expect: true },
    { name: 'header exact, other value', match: { prefix: '/', headers: [{ name: 'end-user', exact_match: 'jason' }] }, path: '/', headers: { 'end-user': 'bob' }, expect: false },
    { name: 'header string_match prefix, ignore_case', match: { prefix: '/', headers: [{ name: 'x', string_match: { prefix: 'AB', ignore_case: true } }] }, path: '/', headers: { x: 'abc' }, expect: true },
    { name: 'header present', match: { prefix: '/', headers: [{ name: 'x', present_match: true }] }, path: '/', headers: { x: '' }, expect: true },
    { name: 'header absent', match: { prefix: '/', headers: [{ name: 'x', present_match: false }] }, path: '/', expect: true },
    { name: 'header invert', match: { prefix: '/', headers: [{ name: 'x', exact_match: 'a', invert_match: true }] }, path: '/', headers: { x: 'b' }, expect: true },
    { name: 'header regex', match: { prefix: '/', headers: [{ name: 'cookie', safe_regex_match: { regex: '.*user=jason.*' } }] }, path: '/', headers: { cookie: 'a=b; user=jason' }, expect: true },
    { name: 'header range', match: { prefix: '/', headers: [{ name: 'n', range_match: { start: 1, end: 10 } }] }, path: '/', headers: { n: '10' }, expect: false },
    { name: 'header name only means present', match: { prefix: '/', headers: [{ name: 'x' }] }, path: '/', expect: false },
    { name: 'query exact', match: { prefix: '/', query_parameters: [{ name: 'v', string_match: { exact: '2' } }] }, path: '/p?v=2', expect: true },
    { name: 'query missing', match: { prefix: '/', query_parameters: [{ name: 'v', string_match: { exact: '2' } }] }, path: '/p', expect: false },
    { name: 'query present', match: { prefix: '/', query_parameters: [{ name: 'debug', present_match: true }] }, path: '/p?debug', expect: true },
  ];
  for (const c of table) {
    test(c.name, () => assert.equal(matchRoute([compileRouteMatch(c.match, 'match')], request(c.path, c.headers)) === 0, c.expect));
  }
  test('first match wins', () => {
    const routes = [compileRouteMatch({ prefix: '/api/v2' }, 'a'), compileRouteMatch({ prefix: '/api' }, 'b'), compileRouteMatch({ prefix: '/' }, 'c')];
    assert.equal(matchRoute(routes, request('/api/v1')), 1);
    assert.equal(matchRoute(routes, request('/other')), 2);
  });
  test('an invalid regex is a config error naming the field', () => {
    assert.throws(() => compileRouteMatch({ safe_regex: { regex: '(' } }, 'routes[0].match'), (e: unknown) => e instanceof ConfigError && e.message.startsWith('routes[0].match.safe_regex.regex: invalid regex "("'));
  });
  const rewrites: [string, string, string, string][] = [['/api/v1/x', '/api/v1', '/v2', '/v2/x'], ['/api', '/api', '/', '/'], ['/other', '/api', '/', '/other']];
  for (const [path, prefix, replacement, out] of rewrites) test(`prefix_rewrite ${path} (${prefix} → ${replacement}) = ${out}`, () => assert.equal(rewritePath(path, prefix, replacement), out));
});

describe('header mutation', () => {
  test('append, add-if-absent, overwrite and remove', () => {
    const m = compileHeaderMutation([
      { header: { key: 'X-A', value: '2' } },
      { header: { key: 'x-b', value: 'new' }, append_action: 'ADD_IF_ABSENT' },
      { header: { key: 'x-c', value: 'over' }, append: false },
      { header: { key: 'x-d', value: 'd' }, append_action: 'OVERWRITE_IF_EXISTS' },
    ], ['x-remove'], 'h');
    const headers: Headers = { 'x-a': '1', 'x-b': 'old', 'x-c': 'c', 'x-remove': 'r' };
    m.apply(headers);
    assert.deepEqual(headers, { 'x-a': ['1', '2'], 'x-b': 'old', 'x-c': 'over' });
  });
  test('formatters are rejected', () => {
    assert.throws(() => compileHeaderMutation([{ header: { key: 'x', value: '%DOWNSTREAM_REMOTE_ADDRESS%' } }], [], 'h'), {
      message: 'h[0].header.value: header value "%DOWNSTREAM_REMOTE_ADDRESS%" uses a %FORMATTER%, which the outrigger proxy does not support',
    });
  });
});

describe('retry decisions', () => {
  const policy = (retry_on: string, codes: number[] = []) => compileRetryPolicy({ retry_on, num_retries: 2, retriable_status_codes: codes }, 'p');
  const table: [string, AttemptOutcome, boolean][] = [
    ['5xx', { kind: 'response', status: 500 }, true],
    ['5xx', { kind: 'response', status: 404 }, false],
    ['5xx', { kind: 'connect-failure' }, true],
    ['5xx', { kind: 'reset' }, true],
    ['5xx', { kind: 'per-try-timeout' }, true],
    ['gateway-error', { kind: 'response', status: 500 }, false],
    ['gateway-error', { kind: 'response', status: 503 }, true],
    ['connect-failure', { kind: 'connect-failure' }, true],
    ['connect-failure', { kind: 'reset' }, false],
    ['connect-failure', { kind: 'response', status: 503 }, false],
    ['reset', { kind: 'reset' }, true],
    ['retriable-status-codes', { kind: 'response', status: 418 }, true],
    ['retriable-status-codes', { kind: 'response', status: 500 }, false],
    ['retriable-4xx', { kind: 'response', status: 409 }, true],
    ['unavailable', { kind: 'response', status: 200, grpcStatus: 14 }, true],
    ['unavailable', { kind: 'response', status: 200, grpcStatus: 13 }, false],
    ['cancelled', { kind: 'response', status: 200, grpcStatus: 1 }, true],
    ['internal,deadline-exceeded', { kind: 'response', status: 200, grpcStatus: 4 }, true],
    ['refused-stream', { kind: 'reset', refusedStream: true }, true],
    ['refused-stream', { kind: 'reset' }, false],
  ];
  for (const [on, outcome, expect] of table) {
    test(`${on}: ${JSON.stringify(outcome)} → ${expect}`, () => assert.equal(shouldRetry(policy(on, [418]), outcome), expect));
  }
  test('no policy never retries', () => assert.equal(shouldRetry(undefined, { kind: 'reset' }), false));
  test('an unknown retry_on is a config error', () => assert.throws(() => policy('5xx,teapot'), { message: 'p.retry_on: retry_on "teapot" is not supported (use 5xx, gateway-error, reset, connect-failure, retriable-status-codes, refused-stream, retriable-4xx, cancelled, deadline-exceeded, internal, resource-exhausted, unavailable)' }));
  test('only the previous_hosts retry host predicate is accepted', () => {
    assert.doesNotThrow(() => compileRetryPolicy({ retry_on: '5xx', retry_host_predicate: [{ name: 'envoy.retry_host_predicates.previous_hosts' }] }, 'p'));
    assert.throws(() => compileRetryPolicy({ retry_on: '5xx', retry_host_predicate: [{ name: 'envoy.retry_host_predicates.omit_canary_hosts' }] }, 'p'), {
      message: 'p.retry_host_predicate[0]: retry host predicate "envoy.retry_host_predicates.omit_canary_hosts" is not supported (only envoy.retry_host_predicates.previous_hosts)',
    });
  });
  const timeouts: [string | undefined, number | undefined][] = [['100m', 100], ['5S', 5000], ['1H', 3_600_000], ['2M', 120_000], ['500u', 0.5], ['x', undefined], [undefined, undefined], ['123456789S', undefined]];
  for (const [value, ms] of timeouts) test(`grpc-timeout ${value} → ${ms} ms`, () => assert.equal(parseGrpcTimeout(value), ms));
});
