// A proxyless gRPC client (gRPC's own xDS resolver, @grpc/grpc-js-xds) calling
// xds:///TARGET once per argument count; prints one JSON line per reply.
// GRPC_XDS_BOOTSTRAP must name the bootstrap file.
import * as grpc from '@grpc/grpc-js';
import * as xds from '@grpc/grpc-js-xds';

xds.register();
const [target, countText = '1'] = process.argv.slice(2);
const client = new grpc.Client(`xds:///${target}`, grpc.credentials.createInsecure());
const call = () =>
  new Promise((resolve) => {
    client.makeUnaryRequest('/outrigger.test.Echo/Say', (s) => Buffer.from(s), (b) => b.toString(), 'hello', { deadline: Date.now() + 8000 }, (error, reply) => resolve(error ? { error: error.details || error.message } : { reply }));
  });
for (let i = 0; i < Number(countText); i++) process.stdout.write(`${JSON.stringify(await call())}\n`);
client.close();
process.exit(0);
