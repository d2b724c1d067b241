// Filter-chain selection: Envoy's criteria order and "most specific wins, no backtracking".
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkDistinctMatches, compileChainMatch, selectFilterChain } from '../../src/proxy/filter-chain-match.js';
import type { ConnectionMatchInfo } from '../../src/proxy/filter-chain-match.js';
import type { FilterChainMatch } from '../../src/proxy/config/types.js';
import { ConfigError } from '../../src/proxy/index.js';

const base: ConnectionMatchInfo = {
  destinationIp: '10.0.0.1', destinationPort: 9080, sourceIp: '10.0.0.2', sourcePort: 40000, directSourceIp: '10.0.0.2',
  transportProtocol: 'raw_buffer', applicationProtocols: [],
};

interface Case {
  name: string;
  chains: (FilterChainMatch | undefined)[];
  conn: Partial<ConnectionMatchInfo>;
  expect: number;
}

const cidr = (address_prefix: string, prefix_len: number) => ({ address_prefix, prefix_len });

const cases: Case[] = [
  { name: 'an empty match matches everything', chains: [undefined], conn: {}, expect: 0 },
  { name: 'destination_port beats no port', chains: [{}, { destination_port: 9080 }], conn: {}, expect: 1 },
  { name: 'another port falls back to the portless chain', chains: [{}, { destination_port: 9080 }], conn: { destinationPort: 80 }, expect: 0 },
  { name: 'no backtracking: the port matches but a later criterion fails', chains: [{}, { destination_port: 9080, transport_protocol: 'tls' }], conn: {}, expect: -1 },
  { name: 'longest destination prefix wins', chains: [{ prefix_ranges: [cidr('10.0.0.0', 8)] }, { prefix_ranges: [cidr('10.0.0.0', 24)] }, {}], conn: {}, expect: 1 },
  { name: 'a destination outside every prefix uses the empty chain', chains: [{ prefix_ranges: [cidr('192.168.0.0', 16)] }, {}], conn: {}, expect: 1 },
  { name: 'IPv4-mapped destinations match IPv4 prefixes', chains: [{ prefix_ranges: [cidr('10.0.0.1', 32)] }], conn: { destinationIp: '::ffff:10.0.0.1' }, expect: 0 },
  { name: 'IPv6 prefixes', chains: [{ prefix_ranges: [cidr('fd00::', 8)] }, {}], conn: { destinationIp: 'fd00::1' }, expect: 0 },
  { name: 'exact server name beats a wildcard', chains: [{ server_names: ['*.example.com'] }, { server_names: ['api.example.com'] }], conn: { serverName: 'api.example.com', transportProtocol: 'tls' }, expect: 1 },
  { name: 'the longer wildcard wins', chains: [{ server_names: ['*.com'] }, { server_names: ['*.example.com'] }], conn: { serverName: 'a.b.example.com' }, expect: 1 },
  { name: 'no SNI: only chains without server_names', chains: [{ server_names: ['a.com'] }, {}], conn: {}, expect: 1 },
  { name: 'server names compare case-insensitively', chains: [{ server_names: ['A.com'] }], conn: { serverName: 'a.COM' }, expect: 0 },
  { name: 'transport protocol tls', chains: [{ transport_protocol: 'raw_buffer' }, { transport_protocol: 'tls' }], conn: { transportProtocol: 'tls' }, expect: 1 },
  { name: 'server names are checked before the transport protocol', chains: [{ transport_protocol: 'tls' }, { server_names: ['a.com'] }], conn: { serverName: 'a.com', transportProtocol: 'tls' }, expect: 1 },
  { name: 'application protocols: any overlap', chains: [{}, { application_protocols: ['http/1.0', 'http/1.1', 'h2c'] }], conn: { applicationProtocols: ['h2c'] }, expect: 1 },
  { name: 'application protocols: no overlap uses the empty chain', chains: [{}, { application_protocols: ['h2c'] }], conn: { applicationProtocols: ['http/1.1'] }, expect: 0 },
  { name: "Istio inbound: TLS+istio ALPN vs plaintext HTTP vs TCP", chains: [
    { destination_port: 9080, transport_protocol: 'tls', application_protocols: ['istio-peer-exchange', 'istio'] },
    { destination_port: 9080, transport_protocol: 'raw_buffer', application_protocols: ['http/1.1', 'h2c'] },
    { destination_port: 9080, transport_protocol: 'raw_buffer' },
  ], conn: { applicationProtocols: ['http/1.1'] }, expect: 1 },
  { name: 'direct source prefix', chains: [{}, { direct_source_prefix_ranges: [cidr('10.0.0.0', 24)] }], conn: {}, expect: 1 },
  { name: 'source type SAME_IP_OR_LOOPBACK for loopback peers', chains: [{}, { source_type: 'SAME_IP_OR_LOOPBACK' }], conn: { sourceIp: '127.0.0.6' }, expect: 1 },
  { name: 'source type SAME_IP_OR_LOOPBACK for the same IP', chains: [{ source_type: 'SAME_IP_OR_LOOPBACK' }], conn: { sourceIp: '10.0.0.1' }, expect: 0 },
  { name: 'source type EXTERNAL', chains: [{ source_type: 'SAME_IP_OR_LOOPBACK' }, { source_type: 'EXTERNAL' }], conn: {}, expect: 1 },
  { name: 'source prefix ranges, longest wins', chains: [{ source_prefix_ranges: [cidr('10.0.0.0', 16)] }, { source_prefix_ranges: [cidr('10.0.0.2', 32)] }], conn: {}, expect: 1 },
  { name: 'source ports', chains: [{}, { source_ports: [40000] }], conn: {}, expect: 1 },
  { name: 'destination port outranks a more specific source', chains: [{ source_prefix_ranges: [cidr('10.0.0.2', 32)] }, { destination_port: 9080 }], conn: {}, expect: 1 },
  { name: 'nothing matches', chains: [{ destination_port: 1 }], conn: {}, expect: -1 },
];

describe('selectFilterChain', () => {
  for (const c of cases) {
    test(c.name, () => {
      const compiled = c.chains.map((m, i) => compileChainMatch(m, `filter_chains[${i}]`));
      assert.equal(selectFilterChain(compiled, { ...base, ...c.conn }), c.expect);
    });
  }

  test('identical matches are rejected, whatever the order of their lists', () => {
    assert.throws(() => checkDistinctMatches([{ server_names: ['a', 'b'] }, { server_names: ['b', 'a'] }], 'listener'), (e: unknown) =>
      e instanceof ConfigError && e.message === 'listener: filter_chains[0] and filter_chains[1] have the same filter_chain_match; each chain must match something different');
    assert.doesNotThrow(() => checkDistinctMatches([{}, { destination_port: 1 }], 'listener'));
  });

  test('bad prefixes and wildcards are config errors', () => {
    assert.throws(() => compileChainMatch({ prefix_ranges: [cidr('10.0.0.0', 33)] }, 'm'), { message: 'm.prefix_ranges[0].prefix_len: prefix_len 33 is longer than 32' });
    assert.throws(() => compileChainMatch({ prefix_ranges: [cidr('nope', 8)] }, 'm'), { message: 'm.prefix_ranges[0].address_prefix: "nope" is not an IP address' });
    assert.throws(() => compileChainMatch({ server_names: ['a.*.com'] }, 'm'), { message: 'm.server_names: server name "a.*.com": only a leading "*." wildcard is allowed' });
  });
});
