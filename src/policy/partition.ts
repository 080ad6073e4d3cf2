/**
 * Partitions a policy set by request scope: for an (action, resource) pair, only policies whose
 * action and resource scope can match are handed to Cedar. Cedar's cost grows with every policy
 * in the set, so the hot path stays short even with hundreds of policies.
 *
 * Partitions are pre-parsed into cedar-wasm's thread-local cache under a content-addressed id
 * (sha256 of the subset), so the same subset is parsed once per process however often the set
 * is reloaded. cedar-wasm has no way to evict an entry: memory grows with the number of distinct
 * subsets ever loaded (bounded by the policy sets, not by traffic).
 */
import { createHash } from 'node:crypto';
import type { EntityUidJson, PolicyJson, TypeAndId } from './cedar.ts';
import { preparsePolicySet } from './cedar.ts';
import type { CompiledPolicy, CompiledSet } from './compile.ts';
import { uid } from './request.ts';

export interface Partition {
  /** cedar-wasm's preparsed set id; '' when the partition is empty. */
  readonly setId: string;
  readonly policies: readonly CompiledPolicy[];
  /** Without a permit the answer is deny, and Cedar need not be called. */
  readonly hasPermit: boolean;
  /** Parse failure of the preparse (should not happen for a validated set); denies. */
  readonly error: string | undefined;
  /**
   * Whether any policy's conditions mention `principal` / `resource`. When none does, the
   * entities are passed without attributes: each attribute costs cedar-wasm time per request,
   * and scope checks (`==`, `in`, `is`) only need uids and parents.
   */
  readonly principalAttrs: boolean;
  readonly resourceAttrs: boolean;
  /** Context attributes the partition's conditions read (all of them if unsure). */
  readonly contextAttrs: ReadonlySet<string>;
}

const CONTEXT_FIELDS = ['args', 'now', 'datetime', 'task', 'session', 'grant', 'taint'];
const CONTEXT_ACCESS = /"left":\{"Var":"context"\},"attr":"((?:[^"\\]|\\.)*)"/g;

function contextUse(policies: readonly CompiledPolicy[]): ReadonlySet<string> {
  const used = new Set<string>();
  for (const p of policies) {
    const text = JSON.stringify(p.json.conditions);
    const uses = text.split('{"Var":"context"}').length - 1;
    const accesses = [...text.matchAll(CONTEXT_ACCESS)];
    // `context` used other than as `context.x` / `context has x`: assume it reads everything.
    if (accesses.length !== uses) return new Set(CONTEXT_FIELDS);
    for (const m of accesses) used.add(JSON.parse(`"${m[1]!}"`) as string);
  }
  return used;
}

const preparsed = new Set<string>();
const MAX_CACHED = 10_000;

export class Partitioner {
  readonly #set: CompiledSet;
  readonly #byKey = new Map<string, Partition>();
  readonly #bySubset = new Map<string, Partition>();

  constructor(set: CompiledSet) {
    this.#set = set;
  }

  get(action: string, resource: TypeAndId, server: string): Partition {
    const key = `${action}\u0000${resource.type}\u0000${server}\u0000${resource.id}`;
    const hit = this.#byKey.get(key);
    if (hit !== undefined) return hit;
    const serverUid = uid('Server', server);
    const policies = this.#set.policies.filter(
      (p) => actionMatches(p.json, action) && resourceMatches(p.json, resource, serverUid),
    );
    const subsetKey = policies.map((p) => p.id).join('\u0000');
    let part = this.#bySubset.get(subsetKey);
    if (part === undefined) {
      part = makePartition(policies);
      this.#bySubset.set(subsetKey, part);
    }
    if (this.#byKey.size >= MAX_CACHED) this.#byKey.clear(); // resource URIs are unbounded
    this.#byKey.set(key, part);
    return part;
  }
}

function usesVar(policies: readonly CompiledPolicy[], v: 'principal' | 'resource'): boolean {
  const needle = JSON.stringify({ Var: v });
  return policies.some((p) => JSON.stringify(p.json.conditions).includes(needle));
}

function makePartition(policies: readonly CompiledPolicy[]): Partition {
  const hasPermit = policies.some((p) => p.effect === 'permit');
  const base = {
    policies,
    hasPermit,
    principalAttrs: usesVar(policies, 'principal'),
    resourceAttrs: usesVar(policies, 'resource'),
    contextAttrs: contextUse(policies),
  };
  if (!hasPermit) return { ...base, setId: '', error: undefined };
  const texts = Object.fromEntries(policies.map((p) => [p.id, p.text]));
  const setId = `warden:${createHash('sha256').update(JSON.stringify(texts)).digest('hex')}`;
  if (!preparsed.has(setId)) {
    const r = preparsePolicySet(setId, texts);
    if (r.type === 'failure') {
      return { ...base, setId, error: r.errors.map((e) => e.message).join('; ') };
    }
    preparsed.add(setId);
  }
  return { ...base, setId, error: undefined };
}

function norm(e: EntityUidJson): TypeAndId {
  return '__entity' in e ? e.__entity : e;
}

function same(a: TypeAndId, b: TypeAndId): boolean {
  return a.type === b.type && a.id === b.id;
}

function actionMatches(p: PolicyJson, action: string): boolean {
  const a = p.action;
  const is = (e: EntityUidJson): boolean => same(norm(e), uid('Action', action));
  switch (a.op) {
    case 'All':
      return true;
    case '==':
      return 'entity' in a ? is(a.entity) : true;
    case 'in':
      return 'entity' in a ? is(a.entity) : a.entities.some(is);
  }
}

/** Conservative: anything not understood matches (the partition is a superset, never less). */
function resourceMatches(p: PolicyJson, resource: TypeAndId, server: TypeAndId): boolean {
  const r = p.resource;
  const within = (e: EntityUidJson): boolean => same(norm(e), resource) || same(norm(e), server);
  switch (r.op) {
    case 'All':
      return true;
    case '==':
      return 'entity' in r ? same(norm(r.entity), resource) : true;
    case 'in':
      return 'entity' in r ? within(r.entity) : true;
    case 'is':
      if (r.entity_type !== resource.type) return false;
      return r.in !== undefined && 'entity' in r.in ? within(r.in.entity) : true;
  }
}
