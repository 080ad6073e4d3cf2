import { INSIDE } from '../bwrap-argv.ts';

/**
 * Files Warden writes into a per-launcher assets directory and binds read-only into every
 * sandbox at /run/warden/lib. They are plain CommonJS so they run under any Node without tsx.
 */

/** Relay: 127.0.0.1:3128 inside the sandbox → the host proxy's Unix socket. argv[2] = ready fifo. */
export const RELAY_SOURCE = `'use strict';
const net = require('node:net');
const fs = require('node:fs');
const ready = process.argv[2];
const server = net.createServer((c) => {
  const u = net.connect(${JSON.stringify(INSIDE.proxySocket)});
  c.pipe(u);
  u.pipe(c);
  c.on('error', () => u.destroy());
  u.on('error', () => c.destroy());
  c.on('close', () => u.destroy());
  u.on('close', () => c.destroy());
});
server.on('error', () => process.exit(1));
server.listen(${INSIDE.relayPort}, '127.0.0.1', () => fs.writeFileSync(ready, 'ok\\n'));
`;

/**
 * Preload (NODE_OPTIONS=--require): routes fetch (undici EnvHttpProxyAgent as the global
 * dispatcher) and http/https (CONNECT tunnels through the relay) through the proxy.
 */
export const PRELOAD_SOURCE = `'use strict';
const net = require('node:net');
const tls = require('node:tls');
const http = require('node:http');
const https = require('node:https');
const PORT = ${INSIDE.relayPort};
try {
  const undici = require(${JSON.stringify(INSIDE.undici)});
  undici.setGlobalDispatcher(new undici.EnvHttpProxyAgent());
} catch {
  process.stderr.write('warden: fetch proxy preload unavailable\\n');
}
function tunnel(host, port, cb) {
  const s = net.connect(PORT, '127.0.0.1');
  const authority = (host.includes(':') ? '[' + host + ']' : host) + ':' + port;
  let buf = Buffer.alloc(0);
  const fail = (e) => { s.destroy(); cb(e); };
  s.once('error', fail);
  const onReadable = () => {
    let chunk;
    while ((chunk = s.read()) !== null) {
      buf = Buffer.concat([buf, chunk]);
      const i = buf.indexOf('\\r\\n\\r\\n');
      if (i < 0) continue;
      s.removeListener('readable', onReadable);
      s.removeListener('error', fail);
      const head = buf.subarray(0, i).toString('latin1');
      if (!/^HTTP\\/1\\.[01] 200/.test(head)) return fail(new Error('egress proxy refused ' + authority + ': ' + head.split('\\r\\n')[0]));
      const rest = buf.subarray(i + 4);
      if (rest.length > 0) s.unshift(rest);
      return cb(null, s);
    }
  };
  s.on('readable', onReadable);
  s.write('CONNECT ' + authority + ' HTTP/1.1\\r\\nHost: ' + authority + '\\r\\n\\r\\n');
}
class TunnelAgent extends http.Agent {
  createConnection(o, cb) { tunnel(o.host || 'localhost', o.port || 80, cb); }
}
class TlsTunnelAgent extends https.Agent {
  createConnection(o, cb) {
    tunnel(o.host || 'localhost', o.port || 443, (e, s) => (e ? cb(e) : cb(null, tls.connect({ ...o, socket: s }))));
  }
}
http.globalAgent = new TunnelAgent({ keepAlive: false });
https.globalAgent = new TlsTunnelAgent({ keepAlive: false });
`;

/** /etc/passwd and /etc/group naming only the sandbox user; /etc/hosts with localhost. */
export function identityFiles(uid: number, gid: number): Record<'passwd' | 'group' | 'hosts', string> {
  return {
    passwd: `sandbox:x:${uid}:${gid}:Warden sandbox:/tmp:/usr/sbin/nologin\n`,
    group: `sandbox:x:${gid}:\n`,
    hosts: `127.0.0.1 localhost\n::1 localhost\n`,
  };
}
