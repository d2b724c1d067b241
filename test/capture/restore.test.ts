import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildRuleSet, renderRestore, resolveCaptureConfig } from '../../src/capture/index.js';

// The injector's arguments from the seed (istio-init of the Bookinfo productpage pod).
const seedFlags = {
  'envoy-port': '15001',
  'inbound-capture-port': '15006',
  'proxy-uid': '1337',
  'istio-inbound-interception-mode': 'REDIRECT',
  'istio-service-cidr': '*',
  'istio-service-exclude-cidr': '',
  'istio-inbound-ports': '*',
  'istio-local-exclude-ports': '15090,15020',
};

test('the seed pod: REDIRECT, all ports, the nine ISTIO_OUTPUT rules in order', () => {
  const config = resolveCaptureConfig(seedFlags, {}, { firstAddressIsIpv6: false });
  const text = renderRestore(buildRuleSet(config).v4);
  assert.equal(
    text,
    [
      '* nat',
      '-N ISTIO_INBOUND',
      '-N ISTIO_REDIRECT',
      '-N ISTIO_IN_REDIRECT',
      '-N ISTIO_OUTPUT',
      '-A ISTIO_INBOUND -p tcp --dport 15008 -j RETURN',
      '-A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001',
      '-A ISTIO_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15006',
      '-A PREROUTING -p tcp -j ISTIO_INBOUND',
      '-A ISTIO_INBOUND -p tcp --dport 22 -j RETURN',
      '-A ISTIO_INBOUND -p tcp --dport 15090 -j RETURN',
      '-A ISTIO_INBOUND -p tcp --dport 15020 -j RETURN',
      '-A ISTIO_INBOUND -p tcp -j ISTIO_IN_REDIRECT',
      '-A OUTPUT -p tcp -j ISTIO_OUTPUT',
      '-A ISTIO_OUTPUT -o lo -s 127.0.0.6/32 -j RETURN',
      '-A ISTIO_OUTPUT -o lo ! -d 127.0.0.1/32 -m owner --uid-owner 1337 -j ISTIO_IN_REDIRECT',
      '-A ISTIO_OUTPUT -o lo -m owner ! --uid-owner 1337 -j RETURN',
      '-A ISTIO_OUTPUT -m owner --uid-owner 1337 -j RETURN',
      '-A ISTIO_OUTPUT -o lo ! -d 127.0.0.1/32 -m owner --gid-owner 1337 -j ISTIO_IN_REDIRECT',
      '-A ISTIO_OUTPUT -o lo -m owner ! --gid-owner 1337 -j RETURN',
      '-A ISTIO_OUTPUT -m owner --gid-owner 1337 -j RETURN',
      '-A ISTIO_OUTPUT -d 127.0.0.1/32 -j RETURN',
      '-A ISTIO_OUTPUT -j ISTIO_REDIRECT',
      'COMMIT',
      '',
    ].join('\n'),
  );
});
