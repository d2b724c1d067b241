// Where the client connects and how it authenticates: kubeconfig contexts (a table over the pure
// resolver, then real files against the FAKE API server) and the in-cluster service-account
// mount, from a temporary directory, with the token rotated under a running client.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify as stringifyYaml } from 'yaml';
import { defaultConnection, inClusterConnection, KubeApiError, KubeClient, KubeConfigError, loadKubeconfig, resolveKubeconfig } from '../../src/kube/api/index.js';
import { FakeKubeApi } from '../support/fake-kube-api.js';

let api: FakeKubeApi;
let dir: string;
before(async () => {
  api = await FakeKubeApi.start({ tokens: ['sa-token-1'], clientCertificates: true });
  dir = mkdtempSync(path.join(tmpdir(), 'outrigger-kube-api-'));
});
after(async () => {
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

function kubeconfig(cluster: Record<string, unknown>, user: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  return stringifyYaml({
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': 'test',
    clusters: [{ name: 'other', cluster: { server: 'https://other:6443' } }, { name: 'fake', cluster }],
    users: [{ name: 'me', user }],
    contexts: [{ name: 'test', context: { cluster: 'fake', user: 'me', namespace: 'istio-system' } }, { name: 'elsewhere', context: { cluster: 'other', user: 'me' } }],
    ...extra,
  });
}

describe('resolveKubeconfig (pure)', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const cases: { name: string; text: string; context?: string; expect: Record<string, unknown> | RegExp }[] = [
    {
      name: 'inline CA, token, namespace',
      text: kubeconfig({ server: 'https://127.0.0.1:6443', 'certificate-authority-data': b64('CA') }, { token: 'abc' }),
      expect: { contextName: 'test', server: 'https://127.0.0.1:6443', ca: { data: Buffer.from('CA') }, token: { data: Buffer.from('abc') }, insecureSkipTlsVerify: false, namespace: 'istio-system' },
    },
    {
      name: 'files relative to the kubeconfig\'s directory',
      text: kubeconfig({ server: 'https://h:1', 'certificate-authority': 'ca.crt' }, { 'client-certificate': '/abs/c.crt', 'client-key': 'keys/c.key' }),
      expect: { contextName: 'test', server: 'https://h:1', ca: { file: '/cfg/ca.crt' }, cert: { file: '/abs/c.crt' }, key: { file: '/cfg/keys/c.key' }, insecureSkipTlsVerify: false, namespace: 'istio-system' },
    },
    {
      name: 'data wins over a file; insecure; tls-server-name; tokenFile',
      text: kubeconfig({ server: 'https://h:1', 'certificate-authority': 'ca.crt', 'certificate-authority-data': b64('X'), 'insecure-skip-tls-verify': true, 'tls-server-name': 'kubernetes' }, { tokenFile: 'tok' }),
      expect: { contextName: 'test', server: 'https://h:1', ca: { data: Buffer.from('X') }, token: { file: '/cfg/tok' }, insecureSkipTlsVerify: true, tlsServerName: 'kubernetes', namespace: 'istio-system' },
    },
    {
      name: 'another context by name',
      context: 'elsewhere',
      text: kubeconfig({ server: 'https://h:1' }, {}),
      expect: { contextName: 'elsewhere', server: 'https://other:6443', insecureSkipTlsVerify: false },
    },
    { name: 'no current-context', text: kubeconfig({ server: 'https://h:1' }, {}, { 'current-context': '' }), expect: /no current-context set/ },
    { name: 'an unknown context', context: 'nope', text: kubeconfig({ server: 'https://h:1' }, {}), expect: /no context named "nope"/ },
    { name: 'a cluster without a server', text: kubeconfig({}, {}), expect: /cluster "fake" has no server/ },
    { name: 'an exec plugin', text: kubeconfig({ server: 'https://h:1' }, { exec: { command: 'aws' } }), expect: /user "me" uses an exec plugin, which Outrigger does not run/ },
    { name: 'a certificate without a key', text: kubeconfig({ server: 'https://h:1' }, { 'client-certificate-data': b64('C') }), expect: /client certificate without a key/ },
    { name: 'not a kubeconfig', text: '- a\n- b\n', expect: /not a kubeconfig/ },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const run = () => resolveKubeconfig(c.text, '/cfg', c.context !== undefined ? { context: c.context } : {});
      if (c.expect instanceof RegExp) assert.throws(run, (error: unknown) => error instanceof KubeConfigError && (c.expect as RegExp).test(error.message));
      else assert.deepEqual(run(), c.expect);
    });
  }
});

describe('kubeconfig files against the fake API server', () => {
  test('CA file and token; client certificate files; inline data; tokenFile; insecure-skip-tls-verify', async () => {
    const client = await api.issueClientCertificate();
    const base = path.join(dir, 'kc');
    mkdirSync(path.join(base, 'pki'), { recursive: true });
    writeFileSync(path.join(base, 'pki', 'ca.crt'), api.ca.cert);
    writeFileSync(path.join(base, 'pki', 'client.crt'), client.cert);
    writeFileSync(path.join(base, 'pki', 'client.key'), client.key);
    writeFileSync(path.join(base, 'token'), 'sa-token-1\n');
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const variants: [string, string, (r: { authorization: string | undefined; clientCertificate: boolean }) => boolean][] = [
      ['token', kubeconfig({ server: api.url, 'certificate-authority': 'pki/ca.crt' }, { token: 'sa-token-1' }), (r) => r.authorization === 'Bearer sa-token-1'],
      ['cert files', kubeconfig({ server: api.url, 'certificate-authority': 'pki/ca.crt' }, { 'client-certificate': 'pki/client.crt', 'client-key': 'pki/client.key' }), (r) => r.clientCertificate && r.authorization === undefined],
      ['cert data', kubeconfig({ server: api.url, 'certificate-authority-data': b64(api.ca.cert) }, { 'client-certificate-data': b64(client.cert), 'client-key-data': b64(client.key) }), (r) => r.clientCertificate],
      ['tokenFile', kubeconfig({ server: api.url, 'certificate-authority-data': b64(api.ca.cert) }, { tokenFile: 'token' }), (r) => r.authorization === 'Bearer sa-token-1'],
      ['insecure', kubeconfig({ server: api.url, 'insecure-skip-tls-verify': true }, { token: 'sa-token-1' }), (r) => r.authorization === 'Bearer sa-token-1'],
    ];
    for (const [name, text, check] of variants) {
      const file = path.join(base, `${name.replace(/\W/g, '-')}.yaml`);
      writeFileSync(file, text);
      const connection = loadKubeconfig(file);
      assert.equal(connection.namespace, 'istio-system');
      const kube = new KubeClient(connection);
      try {
        await kube.list('/api/v1/nodes');
        assert.ok(check(api.requests.at(-1)!), name);
      } finally {
        kube.close();
      }
    }
    // No credentials at all: the server says 401.
    const anonymous = path.join(base, 'anonymous.yaml');
    writeFileSync(anonymous, kubeconfig({ server: api.url, 'certificate-authority': 'pki/ca.crt' }, {}));
    const kube = new KubeClient(loadKubeconfig(anonymous));
    await assert.rejects(kube.list('/api/v1/nodes'), (error: unknown) => error instanceof KubeApiError && error.status === 401);
    kube.close();
    // A CA file that is not there: a clear error naming the file.
    writeFileSync(path.join(base, 'missing.yaml'), kubeconfig({ server: api.url, 'certificate-authority': 'pki/missing.crt' }, {}));
    assert.throws(() => loadKubeconfig(path.join(base, 'missing.yaml')), /certificate-authority: cannot read ".*pki\/missing\.crt": no such file/);
    // $KUBECONFIG's first file, when no --kubeconfig is given.
    assert.equal(defaultConnection({ env: { KUBECONFIG: `${path.join(base, 'token.yaml')}${path.delimiter}/nonexistent` } })?.server.toString(), `${api.url}/`);
    assert.equal(defaultConnection({ env: {} }), undefined);
  });
});

describe('in-cluster', () => {
  test('the service-account mount: CA, namespace, and a token re-read when the kubelet rotates it', async () => {
    // The kubelet's layout: files are symlinks into ..data, itself a symlink swapped on update.
    const sa = path.join(dir, 'serviceaccount');
    const write = (version: string, token: string) => {
      const target = path.join(sa, version);
      mkdirSync(target, { recursive: true });
      writeFileSync(path.join(target, 'token'), token);
      writeFileSync(path.join(target, 'ca.crt'), api.ca.cert);
      writeFileSync(path.join(target, 'namespace'), 'istio-system');
      symlinkSync(version, path.join(sa, '..data_tmp'));
      renameSync(path.join(sa, '..data_tmp'), path.join(sa, '..data'));
    };
    write('..v1', 'sa-token-1');
    for (const name of ['token', 'ca.crt', 'namespace']) symlinkSync(path.join('..data', name), path.join(sa, name));
    const env = { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(api.port) };
    const connection = inClusterConnection(env, sa);
    assert.equal(connection.server.toString(), `${api.url}/`);
    assert.equal(connection.namespace, 'istio-system');
    const kube = new KubeClient(connection);
    try {
      await kube.list('/api/v1/nodes');
      assert.equal(api.requests.at(-1)!.authorization, 'Bearer sa-token-1');
      api.tokens.add('sa-token-2');
      write('..v2', 'sa-token-2');
      api.tokens.delete('sa-token-1');
      await kube.list('/api/v1/nodes');
      assert.equal(api.requests.at(-1)!.authorization, 'Bearer sa-token-2');
    } finally {
      kube.close();
      api.tokens.add('sa-token-1');
    }
    assert.equal(defaultConnection({ env, serviceAccountDir: sa })?.server.toString(), `${api.url}/`);
    assert.equal(inClusterConnection({ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' }, sa).server.toString(), 'https://[fd00::1]/');
    assert.throws(() => inClusterConnection({}, sa), /KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set/);
    assert.throws(() => inClusterConnection(env, path.join(dir, 'nowhere')), /cannot read the service-account token/);
  });
});
