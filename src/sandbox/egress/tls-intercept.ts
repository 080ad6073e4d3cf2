/**
 * TLS interception for placeholder-bound hosts only (issue 5, CD-5). The proxy has already
 * answered the CONNECT and seen a TLS ClientHello on a tunnel to a host that has a secret bound.
 * Here it terminates that TLS with a leaf minted by the sandbox's own CA (trusted inside the
 * sandbox only), reads one HTTP/1.1 request, lets the rewrite hook swap placeholders (or refuse),
 * and sends it on over TLS verified against the system trust store (plus configured extra CAs).
 * ALPN offers http/1.1 only: an HTTP/2-only client fails to the bound host.
 */
import { Duplex } from 'node:stream';
import { TLSSocket } from 'node:tls';
import type { EgressRewrite } from './proxy.ts';
import type { SandboxCa } from './sandbox-ca.ts';
import { rewriteTunnelled } from './tunnel-rewrite.ts';
import type { TunnelOutcome, TunnelTarget } from './tunnel-rewrite.ts';

export interface InterceptContext {
  readonly rewrite: EgressRewrite;
  readonly target: Omit<TunnelTarget, 'tls'>;
  readonly ca: SandboxCa;
  readonly trust: string;
}

/**
 * A stream over `sock` that first yields `first` (the bytes already read to recognise TLS).
 * `sock` must be paused; reading from the wrapper resumes it.
 */
function withPrefix(sock: Duplex, first: Buffer): Duplex {
  const d = new Duplex({
    read() {
      sock.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      if (sock.destroyed) return cb(new Error('client gone'));
      sock.write(chunk, () => cb());
    },
    final(cb) {
      sock.end();
      cb();
    },
    destroy(err, cb) {
      sock.destroy();
      cb(err);
    },
  });
  d.push(first);
  sock.on('data', (c: Buffer) => {
    if (!d.push(c)) sock.pause();
  });
  sock.once('end', () => d.push(null));
  sock.once('close', () => d.destroy());
  return d;
}

/** Terminates the sandbox's TLS on `client` and relays one rewritten request over verified TLS. */
export function interceptTls(
  ctx: InterceptContext,
  client: Duplex,
  first: Buffer,
  done: (o: TunnelOutcome) => void,
): void {
  let finished = false;
  const finish = (o: TunnelOutcome): void => {
    if (finished) return;
    finished = true;
    done(o);
  };
  ctx.ca.contextFor(ctx.target.host).then(
    (secureContext) => {
      const tls = new TLSSocket(withPrefix(client, first), {
        isServer: true,
        secureContext,
        ALPNProtocols: ['http/1.1'],
      });
      tls.on('error', () => {
        tls.destroy();
        client.destroy();
        finish({ refused: 'sandbox-tls-handshake-failed', bytesIn: 0, bytesOut: 0 });
      });
      client.once('close', () => tls.destroy());
      rewriteTunnelled(
        ctx.rewrite,
        { ...ctx.target, tls: { trust: ctx.trust } },
        tls,
        Buffer.alloc(0),
        finish,
      );
    },
    () => {
      client.destroy();
      finish({ refused: 'leaf-certificate-unavailable', bytesIn: 0, bytesOut: 0 });
    },
  );
}
