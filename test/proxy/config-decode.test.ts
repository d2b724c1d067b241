// Bootstrap decoding against the real Envoy protos: accepted shapes and the
// exact errors for rejected ones.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeBootstrap, loadBootstrapFile, parseBootstrapText, ConfigError } from '../../src/proxy/index.js';
import { decodeMessage } from '../../src/proxy/config/proto-json.js';
import { proxyFieldPolicy } from '../../src/proxy/config/support.js';
import { compileRouteConfig } from '../../src/proxy/http/route-config.js';
import { durationMs, formatDuration, parseDuration } from '../../src/proxy/config/duration.js';

const decode = (yaml: string) => decodeBootstrap(parseBootstrapText(yaml));

const TCP = 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';

describe('bootstrap decoding', () => {
  test('YAML with snake_case and camelCase names, typed_config, durations and enums', () => {
    const b = decode(`
node: { id: sidecar~10.0.0.1~app.default~default.svc.cluster.local, cluster: app.default, metadata: { ISTIO_VERSION: "1.24" } }
admin: { address: { socket_address: { address: 127.0.0.1, port_value: 15000 } } }
static_resources:
  listeners:
  - name: virtualOutbound
    address: { socketAddress: { address: 0.0.0.0, portValue: 15001 } }
    useOriginalDst: true
    listenerFiltersTimeout: 0.1s
    continueOnListenerFiltersTimeout: true
    trafficDirection: OUTBOUND
    listener_filters:
    - name: envoy.filters.listener.original_dst
      typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.listener.original_dst.v3.OriginalDst }
    filter_chains:
    - filters:
      - name: envoy.filters.network.tcp_proxy
        typed_config: { "@type": ${TCP}, stat_prefix: PassthroughCluster, cluster: PassthroughCluster, idle_timeout: 3600s }
  clusters:
  - { name: PassthroughCluster, type: ORIGINAL_DST, connect_timeout: 10s, lb_policy: CLUSTER_PROVIDED }
  - { name: BlackHoleCluster, type: STATIC, connect_timeout: 10s }
`);
    const l = b.static_resources!.listeners![0]!;
    assert.equal(l.use_original_dst, true);
    assert.equal(l.listener_filters_timeout, '0.100s');
    assert.equal(l.traffic_direction, 'OUTBOUND');
    assert.deepEqual(l.address, { socket_address: { address: '0.0.0.0', port_value: 15001 } });
    assert.deepEqual(l.filter_chains![0]!.filters![0]!.typed_config, {
      '@type': TCP, stat_prefix: 'PassthroughCluster', cluster: 'PassthroughCluster', idle_timeout: '3600s',
    });
    assert.equal(b.static_resources!.clusters![0]!.type, 'ORIGINAL_DST');
    assert.deepEqual(b.node!.metadata, { ISTIO_VERSION: '1.24' });
  });

  test('JSON input, enum numbers become names, wrappers are plain values', () => {
    const b = decodeBootstrap(parseBootstrapText(JSON.stringify({
      static_resources: { clusters: [{ name: 'c', type: 1, connect_timeout: '0.25s', load_assignment: { cluster_name: 'c', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 'example.com', port_value: 80 } } }, load_balancing_weight: 3 }] }] } }] },
    })));
    const c = b.static_resources!.clusters![0]!;
    assert.equal(c.type, 'STRICT_DNS');
    assert.equal(c.connect_timeout, '0.250s');
    assert.equal(c.load_assignment!.endpoints![0]!.lb_endpoints![0]!.load_balancing_weight, 3);
  });

  const cases: { name: string; yaml: string; message: string }[] = [
    { name: 'unknown field', yaml: 'static_resources: { clusters: [ { name: c, conect_timeout: 1s } ] }',
      message: 'static_resources.clusters[0]("c"): unknown field "conect_timeout" in envoy.config.cluster.v3.Cluster' },
    { name: 'unsupported field that changes behaviour', yaml: 'static_resources: { listeners: [ { name: l, per_connection_buffer_limit_bytes: 1024 } ] }',
      message: 'static_resources.listeners[0]("l"): field "per_connection_buffer_limit_bytes" of envoy.config.listener.v3.Listener is not supported by the outrigger proxy' },
    { name: 'unsupported top-level section', yaml: 'stats_flush_interval: 5s',
      message: 'field "stats_flush_interval" of envoy.config.bootstrap.v3.Bootstrap is not supported by the outrigger proxy' },
    { name: 'UDP socket address', yaml: 'admin: { address: { socket_address: { protocol: UDP, address: 127.0.0.1, port_value: 1 } } }',
      message: 'admin.address.socket_address: field "protocol" of envoy.config.core.v3.SocketAddress is not supported by the outrigger proxy' },
    { name: 'a duration that is a number', yaml: 'static_resources: { clusters: [ { name: c, connect_timeout: 5 } ] }',
      message: 'static_resources.clusters[0]("c").connect_timeout: expected a duration such as "1s" or "0.250s", got number 5' },
    { name: 'an empty required name', yaml: 'static_resources: { clusters: [ { name: "" } ] }',
      message: 'static_resources.clusters[0]("").name: must not be empty' },
    { name: 'an unknown enum name', yaml: 'static_resources: { clusters: [ { name: c, lb_policy: FASTEST } ] }',
      message: 'static_resources.clusters[0]("c").lb_policy: string "FASTEST" is not a value of envoy.config.cluster.v3.Cluster.LbPolicy (one of ROUND_ROBIN, LEAST_REQUEST, RING_HASH, RANDOM, MAGLEV, CLUSTER_PROVIDED, LOAD_BALANCING_POLICY_CONFIG)' },
    { name: 'a typed_config of an unloaded type', yaml: 'static_resources: { listeners: [ { name: l, filter_chains: [ { filters: [ { name: f, typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.network.redis_proxy.v3.RedisProxy } } ] } ] } ] }',
      message: 'static_resources.listeners[0]("l").filter_chains[0].filters[0]("f").typed_config: "@type" envoy.extensions.filters.network.redis_proxy.v3.RedisProxy is not a type the outrigger proxy supports' },
    { name: 'a typed_config without @type', yaml: 'static_resources: { listeners: [ { name: l, filter_chains: [ { filters: [ { name: f, typed_config: { cluster: x } } ] } ] } ] }',
      message: 'static_resources.listeners[0]("l").filter_chains[0].filters[0]("f").typed_config: "@type" is missing' },
    { name: 'a oneof with two members', yaml: `static_resources: { listeners: [ { name: l, filter_chains: [ { filters: [ { name: f, typed_config: { "@type": ${TCP}, stat_prefix: s, cluster: a, weighted_clusters: { clusters: [ { name: a, weight: 1 } ] } } } ] } ] } ] }`,
      message: 'static_resources.listeners[0]("l").filter_chains[0].filters[0]("f").typed_config: only one of "cluster", "weighted_clusters" may be set (oneof cluster_specifier)' },
    { name: 'a required oneof left empty', yaml: `static_resources: { listeners: [ { name: l, filter_chains: [ { filters: [ { name: f, typed_config: { "@type": ${TCP}, stat_prefix: s } } ] } ] } ] }`,
      message: 'static_resources.listeners[0]("l").filter_chains[0].filters[0]("f").typed_config: one of "cluster", "weighted_clusters" is required' },
    { name: 'a port out of range', yaml: 'admin: { address: { socket_address: { address: 127.0.0.1, port_value: 70000 } } }',
      message: 'admin.address.socket_address.port_value: must be at most 65535, got 70000' },
    { name: 'a string where a list belongs', yaml: 'static_resources: { listeners: "virtualOutbound" }',
      message: 'static_resources.listeners: expected a list, got string "virtualOutbound"' },
    { name: 'duplicate cluster names', yaml: 'static_resources: { clusters: [ { name: c }, { name: c } ] }',
      message: 'static_resources.clusters[1]: duplicate name "c"' },
    { name: 'a negative count', yaml: 'static_resources: { clusters: [ { name: c, least_request_lb_config: { choice_count: -1 } } ] }',
      message: 'static_resources.clusters[0]("c").least_request_lb_config.choice_count: -1 is out of range for uint32' },
  ];
  for (const c of cases) {
    test(`rejects ${c.name}`, () => {
      assert.throws(() => decode(c.yaml), (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.message, c.message);
        return true;
      });
    });
  }

  test('an unsupported field set to its default changes nothing and is accepted', () => {
    const b = decode('static_resources: { listeners: [ { name: l, per_connection_buffer_limit_bytes: 0, freebind: false } ] }');
    assert.equal(b.static_resources!.listeners![0]!.name, 'l');
  });

  test('file loading names the file; invalid YAML is a ConfigError', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'outrigger-proxy-'));
    try {
      const file = path.join(dir, 'bootstrap.yaml');
      writeFileSync(file, 'static_resources: { clusters: [ { name: c, foo: 1 } ] }\n');
      assert.throws(() => loadBootstrapFile(file), { message: `${file}: static_resources.clusters[0]("c"): unknown field "foo" in envoy.config.cluster.v3.Cluster` });
      writeFileSync(file, 'a: [\n');
      assert.throws(() => loadBootstrapFile(file), (e: unknown) => e instanceof ConfigError && e.message.startsWith(`${file}: ${file} is not valid YAML`));
      assert.throws(() => loadBootstrapFile(path.join(dir, 'missing.yaml')), { message: `cannot read bootstrap ${path.join(dir, 'missing.yaml')}: ENOENT` });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an Istio-generated outbound route (as istioctl shows it, camelCase) is accepted', () => {
    const route = decodeMessage('envoy.config.route.v3.RouteConfiguration', {
      name: '9080',
      validateClusters: false,
      virtualHosts: [{
        name: 'ratings.default.svc.cluster.local:9080',
        domains: ['ratings.default.svc.cluster.local', 'ratings', 'ratings:9080', '10.8.8.106:9080'],
        routes: [{
          name: 'default',
          match: { prefix: '/' },
          route: {
            cluster: 'outbound|9080||ratings.default.svc.cluster.local',
            timeout: '0s',
            retryPolicy: {
              retryOn: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes',
              numRetries: 2,
              retryHostPredicate: [{ name: 'envoy.retry_host_predicates.previous_hosts' }],
              hostSelectionRetryMaxAttempts: '5',
              retriableStatusCodes: [503],
            },
            maxStreamDuration: { maxStreamDuration: '0s', grpcTimeoutHeaderMax: '0s' },
          },
          decorator: { operation: 'ratings.default.svc.cluster.local:9080/*' },
        }],
        includeRequestAttemptCount: true,
      }],
    }, 'RouteConfiguration("9080")', { policy: proxyFieldPolicy });
    assert.equal((route['virtual_hosts'] as { routes: { route: { retry_policy: { host_selection_retry_max_attempts: number } } }[] }[])[0]!.routes[0]!.route.retry_policy.host_selection_retry_max_attempts, 5);
    assert.doesNotThrow(() => compileRouteConfig(route as never, 'RouteConfiguration("9080")'));
  });

  test('decodeMessage decodes any loaded type without the proxy policy (for xDS)', () => {
    const cla = decodeMessage('envoy.config.endpoint.v3.ClusterLoadAssignment', {
      clusterName: 'outbound|9080||ratings', endpoints: [{ lbEndpoints: [{ endpoint: { address: { socketAddress: { address: '10.0.0.1', portValue: 9080 } } } }] }],
    });
    assert.deepEqual(cla, { cluster_name: 'outbound|9080||ratings', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '10.0.0.1', port_value: 9080 } } } }] }] });
  });
});

describe('durations', () => {
  const table: [string, string, number][] = [
    ['1s', '1s', 1000], ['0.1s', '0.100s', 100], ['1.000001s', '1.000001s', 1000.001], ['0s', '0s', 0], ['-1.5s', '-1.500s', -1500], ['3600s', '3600s', 3_600_000],
  ];
  for (const [input, canonical, ms] of table) {
    test(`${input} → ${canonical}, ${ms} ms`, () => {
      assert.equal(formatDuration(parseDuration(input)!), canonical);
      assert.equal(durationMs(canonical, -1), ms);
    });
  }
  for (const bad of ['1', '1m', 's', '1.0000000001s', ' 1s']) test(`rejects ${JSON.stringify(bad)}`, () => assert.equal(parseDuration(bad), undefined));
});
