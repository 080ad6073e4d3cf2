/**
 * A small, strict extractor for npm package tarballs (gzip + ustar/pax), used only after the
 * tarball's digest matched the signed catalog. Regular files and directories only: links,
 * devices and FIFOs are skipped; absolute paths and `..` segments are refused, so nothing is
 * written outside the destination.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize, sep } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { RegistryError } from './errors.ts';

const BLOCK = 512;

function field(h: Buffer, start: number, len: number): string {
  const raw = h.subarray(start, start + len);
  const nul = raw.indexOf(0);
  return raw.subarray(0, nul < 0 ? len : nul).toString('utf8');
}

function octal(h: Buffer, start: number, len: number): number {
  const s = field(h, start, len).trim();
  const n = s === '' ? 0 : parseInt(s, 8);
  if (!Number.isSafeInteger(n) || n < 0) throw bad('a header has an invalid number');
  return n;
}

function bad(why: string): RegistryError {
  return new RegistryError('ERR_PACKAGE_ARCHIVE', `package archive rejected: ${why}`);
}

function paxPath(body: Buffer): string | undefined {
  for (const rec of body.toString('utf8').split('\n')) {
    const m = /^\d+ path=(.*)$/.exec(rec);
    if (m) return m[1];
  }
  return undefined;
}

/** The path below `dest` for an entry, without its first component (`package/`), or undefined. */
function target(dest: string, name: string): string | undefined {
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (name.startsWith('/') || parts.includes('..'))
    throw bad(`unsafe path ${JSON.stringify(name.slice(0, 100))}`);
  const rest = parts.slice(1);
  if (rest.length === 0) return undefined;
  const out = normalize(join(dest, ...rest));
  if (!out.startsWith(dest + sep)) throw bad(`unsafe path ${JSON.stringify(name.slice(0, 100))}`);
  return out;
}

/** Extracts a .tgz (already verified) into `dest`, stripping the first path component. */
export function extractTgz(tgz: Buffer, dest: string, maxBytes = 256 * 1024 * 1024): number {
  let tar: Buffer;
  try {
    tar = gunzipSync(tgz, { maxOutputLength: maxBytes });
  } catch {
    throw bad('not a gzip archive within the size limit');
  }
  mkdirSync(dest, { recursive: true });
  let off = 0;
  let files = 0;
  let nextPath: string | undefined;
  while (off + BLOCK <= tar.length) {
    const h = tar.subarray(off, off + BLOCK);
    if (h.every((b) => b === 0)) break;
    const size = octal(h, 124, 12);
    const type = String.fromCharCode(h[156] ?? 0);
    const prefix = field(h, 345, 155);
    const name = nextPath ?? (prefix === '' ? field(h, 0, 100) : `${prefix}/${field(h, 0, 100)}`);
    const body = tar.subarray(off + BLOCK, off + BLOCK + size);
    if (body.length < size) throw bad('truncated');
    off += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'x') {
      nextPath = paxPath(body);
      continue;
    }
    if (type === 'g') continue;
    if (type === 'L') {
      nextPath = body.toString('utf8').replace(/\0+$/, '');
      continue;
    }
    nextPath = undefined;
    const out = target(dest, name);
    if (out === undefined) continue;
    if (type === '5') {
      mkdirSync(out, { recursive: true });
    } else if (type === '0' || type === '\0') {
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, body, { mode: (octal(h, 100, 8) & 0o111) !== 0 ? 0o755 : 0o644 });
      files++;
    }
  }
  return files;
}
