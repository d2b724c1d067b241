// The command line as a user meets it: bin/outrigger from the checkout.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'outrigger');
const run = (args: string[], env: Record<string, string> = {}) => {
  const result = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '', ...env } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
};
const seedArgs = ['-p', '15001', '-z', '15006', '-u', '1337', '-m', 'REDIRECT', '-i', '*', '-x', '', '-b', '*', '-d', '15090,15021,15020', '--ipv6=false'];

describe('outrigger', () => {
  test('--help lists the commands', () => {
    const help = run(['--help']);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /iptables\|istio-iptables/);
    assert.match(help.stdout, /version/);
  });

  test('version, in three shapes', () => {
    assert.match(run(['version']).stdout, /^client version: \d+\.\d+\.\d+\n$/);
    assert.match(run(['version', '--short']).stdout, /^\d+\.\d+\.\d+\n$/);
    const json = JSON.parse(run(['version', '-o', 'json']).stdout) as { clientVersion: { version: string } };
    assert.match(json.clientVersion.version, /^\d+\.\d+\.\d+$/);
    assert.match(run(['--version']).stdout, /^\d+\.\d+\.\d+\n$/);
  });

  test('an unknown command or flag is a short error, not a stack trace', () => {
    const unknown = run(['frobnicate']);
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /unknown command 'frobnicate'/);
    const flag = run(['iptables', '--no-such-flag']);
    assert.equal(flag.status, 1);
    assert.match(flag.stderr, /unknown option '--no-such-flag'/);
  });
});

describe('outrigger iptables', () => {
  test('--help documents every istio-iptables flag with its environment variable', () => {
    const help = run(['iptables', '--help']);
    assert.equal(help.status, 0);
    for (const flag of ['-p, --envoy-port', '-z, --inbound-capture-port', '-e, --inbound-tunnel-port', '-u, --proxy-uid', '-g, --proxy-gid', '-m, --istio-inbound-interception-mode', '-b, --istio-inbound-ports', '-d, --istio-local-exclude-ports', '-i, --istio-service-cidr', '-x, --istio-service-exclude-cidr', '-q, --istio-outbound-ports', '-o, --istio-local-outbound-ports-exclude', '-c, --istio-exclude-interfaces', '-k, --kube-virt-interfaces', '-t, --istio-inbound-tproxy-mark', '-r, --istio-inbound-tproxy-route-table', '--redirect-dns', '--capture-all-dns', '--drop-invalid', '-n, --dry-run', '--cleanup-only', '--reconcile', '--native-nftables', '--ipv6', '--dns-servers', 'ISTIO_OUTBOUND_OWNER_GROUPS']) {
      assert.ok(help.stdout.includes(flag), flag);
    }
    assert.match(help.stdout, /env ISTIO_INBOUND_PORTS/);
  });

  test('--dry-run prints the iptables-restore input and nothing else on stdout', () => {
    const out = run(['iptables', ...seedArgs, '--dry-run']);
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /^\* nat\n-N ISTIO_INBOUND\n/);
    assert.match(out.stdout, /-A ISTIO_INBOUND -p tcp --dport 15021 -j RETURN\n/);
    assert.match(out.stdout, /COMMIT\n$/);
    assert.equal(out.stdout.match(/^\* nat$/gm)?.length, 1);
  });

  test('with IPv6 the ip6tables-restore input follows', () => {
    const out = run(['iptables', ...seedArgs, '--ipv6=true', '-n']);
    assert.equal(out.stdout.match(/^\* nat$/gm)?.length, 2);
    assert.match(out.stdout, /-A ISTIO_OUTPUT -o lo -s ::6\/128 -j RETURN/);
  });

  test('istio-iptables is an alias; pflag-style -p=16001 and environment variables work', () => {
    const out = run(['istio-iptables', '-p=16001', '-n', '--ipv6=false'], { ISTIO_INBOUND_PORTS: '9080', ISTIO_SERVICE_CIDR: '10.0.0.0/8' });
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /--to-ports 16001/);
    assert.match(out.stdout, /-A ISTIO_INBOUND -p tcp --dport 9080 -j ISTIO_IN_REDIRECT/);
    assert.match(out.stdout, /-A ISTIO_OUTPUT -d 10\.0\.0\.0\/8 -j ISTIO_REDIRECT/);
  });

  test('--native-nftables --dry-run prints the nft script', () => {
    const out = run(['iptables', ...seedArgs, '--native-nftables', '--dry-run']);
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /^add table inet istio-proxy-mangle\n/);
    assert.match(out.stdout, /table inet istio-proxy-nat \{/);
  });

  const bad: [string, string[], RegExp][] = [
    ['an invalid CIDR', ['-i', '10.0.0.0/40'], /^Error: invalid value "10\.0\.0\.0\/40" for --istio-service-cidr: prefix length must be 0-32\n$/],
    ['"*" in an exclude list', ['-x', '*'], /^Error: invalid value "\*" for --istio-service-exclude-cidr/],
    ['an unknown mode', ['-m', 'MIRROR'], /^Error: invalid value "MIRROR" for --istio-inbound-interception-mode/],
    ['a port out of range', ['-z', '0'], /^Error: invalid value "0" for --inbound-capture-port: port out of range 1-65535\n$/],
    ['a bad log level', ['--log_output_level=default:loud'], /unknown level "loud"/],
  ];
  for (const [name, args, message] of bad) {
    test(`bad input: ${name} exits 1 with a message naming the flag`, () => {
      const out = run(['iptables', ...args, '--dry-run']);
      assert.equal(out.status, 1);
      assert.match(out.stderr, message);
      assert.equal(out.stdout, '');
      assert.doesNotMatch(out.stderr, /\n\s+at /);
    });
  }
});

describe('outrigger proxy', () => {
  test('without a bootstrap, proxy says -c is required; sidecar needs no bootstrap but the pod identity', () => {
    const proxy = run(['proxy']);
    assert.equal(proxy.status, 1);
    assert.match(proxy.stderr, /required option '-c, --config-path <file>' not specified/);
    const sidecar = run(['proxy', 'sidecar', '--domain', '$(POD_NAMESPACE).svc.cluster.local', '--proxyLogLevel=warning', '--proxyComponentLogLevel=misc:error', '--log_output_level=default:info']);
    assert.equal(sidecar.status, 1);
    assert.equal(sidecar.stderr, 'Error: POD_NAME is not set: the sidecar needs the pod\'s identity from its environment\n');
  });

  test('sidecar rejects a bad log level or PROXY_CONFIG before starting anything', () => {
    const level = run(['proxy', 'sidecar', '--log_output_level=default:loud'], { POD_NAME: 'p', POD_NAMESPACE: 'default', INSTANCE_IP: '10.0.0.1' });
    assert.equal(level.status, 1);
    assert.match(level.stderr, /^Error: invalid value "default:loud" for --log_output_level: unknown level "loud"/);
    const config = run(['proxy', 'sidecar'], { POD_NAME: 'p', POD_NAMESPACE: 'default', INSTANCE_IP: '10.0.0.1', PROXY_CONFIG: '{discoveryAddress: [' });
    assert.equal(config.status, 1);
    assert.match(config.stderr, /^Error: PROXY_CONFIG: /);
  });
});
