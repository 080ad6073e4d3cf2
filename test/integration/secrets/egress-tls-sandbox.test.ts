import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BwrapLauncher, runToEnd } from '../../../src/sandbox/index.ts';
import type { EgressRewrite, LaunchSpec } from '../../../src/sandbox/index.ts';
import { createRedactor, createSubstituter, placeholderFor } from '../../../src/secrets/index.ts';
import { HAS_CURL, sandboxUnavailable } from '../sandbox/helpers.ts';
import { createTestCa, startHttpsHost } from '../../helpers/tls.ts';
import type { HttpsHost, TestCa } from '../../helpers/tls.ts';

const unavailable = sandboxUnavailable() ?? (HAS_CURL ? undefined : 'curl is not installed');
const VALUE = 'ghp_SandboxTls_9Kq2Wm7Xz4Lp';
const GUARDED = 'wdn-guarded-tls-3fK2mQ7xZ8pL';

describe(
  'HTTPS placeholders in a real bubblewrap sandbox: curl and node fetch (CD-5, issue 5)',
  { skip: unavailable },
  () => {
    let testCa: TestCa;
    let bound: HttpsHost;
    let other: HttpsHost;
    let launcher: BwrapLauncher;
    const ph = placeholderFor('API_KEY');
    let rewrite: EgressRewrite;

    before(async () => {
      testCa = await createTestCa();
      bound = await startHttpsHost(testCa, (req, body, res) => {
        const auth = String(req.headers.authorization ?? '');
        res.writeHead(200, { 'x-echo': auth }).end(`echo[${auth}|${req.url}|${body}]`);
      });
      other = await startHttpsHost(testCa, (_q, _b, res) => void res.end('other-ok'));
      launcher = new BwrapLauncher({
        profile: { egress: { allowHosts: ['127.0.0.1'], allowPorts: [bound.port, other.port] } },
      });
      const sub = createSubstituter(
        [{ name: 'API_KEY', placeholder: ph, value: VALUE, hosts: [`127.0.0.1:${bound.port}`] }],
        { guard: createRedactor({ values: [{ name: 'GUARDED', value: GUARDED }] }) },
      );
      rewrite = Object.assign(sub, { upstreamCa: [testCa.certPem] });
    });
    after(async () => {
      await Promise.all([bound?.close(), other?.close()]);
    });

    const sh = (script: string, env: Record<string, string> = {}): LaunchSpec => ({
      command: '/bin/sh',
      args: ['-c', script],
      env: {
        PATH: '/usr/bin:/bin',
        API_KEY: ph,
        B: String(bound.port),
        O: String(other.port),
        TEST_CA: testCa.certPem,
        ...env,
      },
      label: 'tls-test',
      egressRewrite: rewrite,
    });

    it('CD-5 over HTTPS (curl): the bound host gets the real value; the echoed value comes back as the placeholder', async () => {
      bound.seen.length = 0;
      const r = await runToEnd(
        launcher,
        sh(
          'curl -sS -i -m 10 -H "Authorization: Bearer $API_KEY" -d "t=$API_KEY" "https://127.0.0.1:$B/a?k=$API_KEY"',
        ),
      );
      assert.equal(r.code, 0, r.stderr);
      const seen = bound.seen.join('\n');
      assert.ok(
        seen.includes(`Bearer ${VALUE}`) && seen.includes(`k=${VALUE}`) && seen.includes(`t=${VALUE}`),
        seen,
      );
      assert.ok(!seen.includes(ph));
      assert.ok(r.stdout.includes(`echo[Bearer ${ph}`), r.stdout);
      assert.match(r.stdout, new RegExp(`x-echo: Bearer ${ph}`, 'i'));
      assert.ok(
        !r.stdout.includes(VALUE) && !r.stderr.includes(VALUE),
        'the real value never entered the sandbox',
      );
    });

    it('CD-5 over HTTPS (node fetch through the preload, NODE_EXTRA_CA_CERTS): same swap, echo scrubbed', async () => {
      bound.seen.length = 0;
      const script = `fetch('https://127.0.0.1:' + process.env.B + '/f', { headers: { authorization: 'Bearer ' + process.env.API_KEY } }).then((r) => r.text()).then((t) => console.log('got ' + t), (e) => { console.error(String(e.cause ?? e)); process.exit(3); });`;
      const r = await runToEnd(launcher, {
        ...sh(''),
        command: process.execPath,
        args: ['-e', script],
      });
      assert.equal(r.code, 0, r.stderr);
      assert.ok(bound.seen.join('\n').includes(`Bearer ${VALUE}`));
      assert.ok(r.stdout.includes(`got echo[Bearer ${ph}|/f|]`), r.stdout);
      assert.ok(!r.stdout.includes(VALUE));
    });

    it('twin: HTTPS to an allowed host with nothing bound is an untouched tunnel presenting its real certificate', async () => {
      other.seen.length = 0;
      // --cacert names only the test CA, never the sandbox CA: success proves the real certificate
      const r = await runToEnd(
        launcher,
        sh(
          'printf "%s" "$TEST_CA" >/tmp/t.pem && curl -sS -m 10 --cacert /tmp/t.pem "https://127.0.0.1:$O/x"',
        ),
      );
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'other-ok');
      // control: the bound host presents the sandbox CA's leaf, which the test CA alone does not verify
      const c = await runToEnd(
        launcher,
        sh(
          'printf "%s" "$TEST_CA" >/tmp/t.pem && curl -sS -m 10 --cacert /tmp/t.pem "https://127.0.0.1:$B/x"',
        ),
      );
      assert.notEqual(c.code, 0);
    });

    it('CD-5: the placeholder sent over HTTPS to an unbound host never becomes the real value there', async () => {
      other.seen.length = 0;
      const r = await runToEnd(
        launcher,
        sh(
          'printf "%s" "$TEST_CA" >/tmp/t.pem && curl -sS -m 10 --cacert /tmp/t.pem -H "Authorization: Bearer $API_KEY" "https://127.0.0.1:$O/steal"',
        ),
      );
      assert.equal(r.code, 0, r.stderr);
      const seen = other.seen.join('\n');
      assert.ok(!seen.includes(VALUE));
      assert.ok(
        seen.includes(ph),
        'positive control: the request went through, with the worthless placeholder',
      );
    });

    it('CD-5: another secret sent over HTTPS to the bound host is refused (403) and never sent', async () => {
      bound.seen.length = 0;
      const r = await runToEnd(
        launcher,
        sh('curl -sS -m 10 -o /dev/null -w "%{http_code}" -H "X-Leak: $LEAK" "https://127.0.0.1:$B/leak"', {
          LEAK: GUARDED,
        }),
      );
      assert.equal(r.stdout, '403');
      assert.deepEqual(bound.seen, []);
    });

    it('the CA private key is not readable in the sandbox: only the certificate and the bundle are, read-only', async () => {
      const r = await runToEnd(
        launcher,
        sh(
          [
            'echo "extra=$NODE_EXTRA_CA_CERTS ssl=$SSL_CERT_FILE req=$REQUESTS_CA_BUNDLE curl=$CURL_CA_BUNDLE"',
            'grep -c "BEGIN CERTIFICATE" "$NODE_EXTRA_CA_CERTS"',
            'grep -rlI "PRIVATE KEY" /run /tmp /etc /proc/self/environ /proc/1/environ 2>/dev/null | head -5',
            'echo keyfiles-done',
            '( echo x >>"$NODE_EXTRA_CA_CERTS" ) 2>/dev/null && echo writable || echo read-only',
          ].join('; '),
        ),
      );
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stdout,
        /extra=\/run\/warden\/lib\/ca\.pem ssl=\/run\/warden\/lib\/ca-bundle\.pem req=\/run\/warden\/lib\/ca-bundle\.pem curl=\/run\/warden\/lib\/ca-bundle\.pem/,
      );
      const lines = r.stdout.trim().split('\n');
      assert.equal(lines[1], '1', 'ca.pem holds exactly one certificate');
      assert.equal(lines[2], 'keyfiles-done', `no file with a private key is visible: ${r.stdout}`);
      assert.equal(lines[3], 'read-only');
    });
  },
);
