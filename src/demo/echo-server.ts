// A small HTTP server for the demo: answers with its name and the peer it sees.
import http from 'node:http';

const [name = 'echo', portText = '9080'] = process.argv.slice(2);
const server = http.createServer((req, res) => {
  const peer = `${req.socket.remoteAddress?.replace(/^::ffff:/, '')}:${req.socket.remotePort}`;
  res.setHeader('content-type', 'text/plain');
  res.end(`${name} answered ${req.method} ${req.url}; the connection came from ${peer}\n`);
});
server.listen(Number(portText), '::', () => process.stdout.write(`ready ${name}\n`));
