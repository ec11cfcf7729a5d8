/**
 * The reference point for the full stack: a bare `node:http` server that reads the request body
 * and answers 200 with the JSON text it is given (`BARE_REPLY`: a real heartbeat answer of the
 * service), and nothing else. Run as its own process with plain `node` (like the service, which
 * runs compiled JavaScript), listening on an ephemeral port that it prints to stderr.
 */
export const BARE_SERVER_SOURCE = `
import { createServer } from 'node:http';
const reply = process.env.BARE_REPLY;
if (!reply) throw new Error('BARE_REPLY: the answer to send is missing');
const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    Buffer.concat(chunks);
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(reply) });
    res.end(reply);
  });
});
server.listen(0, '127.0.0.1', () => console.error('bare server listening on http://127.0.0.1:' + server.address().port));
process.on('SIGTERM', () => server.close(() => process.exit(0)) && server.closeAllConnections());
`;

export const BARE_SERVER_ARGS = ['--input-type=module', '--eval', BARE_SERVER_SOURCE];
