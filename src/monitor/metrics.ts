/**
 * A small Prometheus registry (text exposition format 0.0.4): counters, gauges and histograms
 * with labels, a bound on series per metric, and `render()` returning the `/metrics` body.
 * Ours rather than prom-client: the gateway needs four metric kinds and no default collectors,
 * and a bounded series count is a security property (agents choose tool names).
 */
type Labels = Readonly<Record<string, string>>;

abstract class Metric {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  readonly maxSeries: number;
  dropped = 0;
  constructor(name: string, help: string, labelNames: readonly string[], maxSeries: number) {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) throw new TypeError(`invalid metric name ${name}`);
    for (const l of labelNames)
      if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(l)) throw new TypeError(`invalid label ${l}`);
    this.name = name;
    this.help = help;
    this.labelNames = labelNames;
    this.maxSeries = maxSeries;
  }
  protected key(labels: Labels): string {
    return this.labelNames.map((l) => labels[l] ?? '').join('\u0000');
  }
  protected fmt(key: string, extra?: [string, string]): string {
    const values = key.split('\u0000');
    const parts = this.labelNames.map((l, i) => `${l}="${escapeLabel(values[i] ?? '')}"`);
    if (extra) parts.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
    return parts.length > 0 ? `{${parts.join(',')}}` : '';
  }
  abstract type(): string;
  abstract lines(): string[];
  render(): string {
    return [
      `# HELP ${this.name} ${this.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`,
      `# TYPE ${this.name} ${this.type()}`,
      ...this.lines(),
    ].join('\n');
  }
}

export class Counter extends Metric {
  readonly #values = new Map<string, number>();
  inc(labels: Labels = {}, by = 1): void {
    if (!(by >= 0)) throw new RangeError('counters only go up');
    const k = this.key(labels);
    const v = this.#values.get(k);
    if (v === undefined && this.#values.size >= this.maxSeries) {
      this.dropped++;
      return;
    }
    this.#values.set(k, (v ?? 0) + by);
  }
  get(labels: Labels = {}): number {
    return this.#values.get(this.key(labels)) ?? 0;
  }
  type(): string {
    return 'counter';
  }
  lines(): string[] {
    return [...this.#values].map(([k, v]) => `${this.name}${this.fmt(k)} ${num(v)}`);
  }
}

export class Gauge extends Metric {
  readonly #values = new Map<string, number>();
  set(labels: Labels, v: number): void {
    const k = this.key(labels);
    if (!this.#values.has(k) && this.#values.size >= this.maxSeries) {
      this.dropped++;
      return;
    }
    this.#values.set(k, v);
  }
  add(labels: Labels, by: number): void {
    this.set(labels, (this.#values.get(this.key(labels)) ?? 0) + by);
  }
  type(): string {
    return 'gauge';
  }
  lines(): string[] {
    return [...this.#values].map(([k, v]) => `${this.name}${this.fmt(k)} ${num(v)}`);
  }
}

export class Histogram extends Metric {
  readonly buckets: readonly number[];
  readonly #series = new Map<string, { counts: number[]; sum: number; count: number }>();
  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    buckets: readonly number[],
    maxSeries: number,
  ) {
    super(name, help, labelNames, maxSeries);
    this.buckets = [...buckets].sort((a, b) => a - b);
  }
  observe(labels: Labels, v: number): void {
    const k = this.key(labels);
    let s = this.#series.get(k);
    if (!s) {
      if (this.#series.size >= this.maxSeries) {
        this.dropped++;
        return;
      }
      s = { counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.#series.set(k, s);
    }
    for (let i = 0; i < this.buckets.length; i++) if (v <= this.buckets[i]!) s.counts[i]!++;
    s.sum += v;
    s.count++;
  }
  type(): string {
    return 'histogram';
  }
  lines(): string[] {
    const out: string[] = [];
    for (const [k, s] of this.#series) {
      this.buckets.forEach((b, i) =>
        out.push(`${this.name}_bucket${this.fmt(k, ['le', num(b)])} ${s.counts[i]}`),
      );
      out.push(`${this.name}_bucket${this.fmt(k, ['le', '+Inf'])} ${s.count}`);
      out.push(`${this.name}_sum${this.fmt(k)} ${num(s.sum)}`);
      out.push(`${this.name}_count${this.fmt(k)} ${s.count}`);
    }
    return out;
  }
}

export class MetricsRegistry {
  readonly #metrics = new Map<string, Metric>();
  readonly #maxSeries: number;
  constructor(opts: { maxSeriesPerMetric?: number } = {}) {
    this.#maxSeries = opts.maxSeriesPerMetric ?? 2000;
  }
  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.#add(new Counter(name, help, labelNames, this.#maxSeries));
  }
  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.#add(new Gauge(name, help, labelNames, this.#maxSeries));
  }
  histogram(
    name: string,
    help: string,
    labelNames: readonly string[],
    buckets: readonly number[],
  ): Histogram {
    return this.#add(new Histogram(name, help, labelNames, buckets, this.#maxSeries));
  }
  /** The `/metrics` body (Content-Type: text/plain; version=0.0.4). */
  render(): string {
    return [...this.#metrics.values()].map((m) => m.render()).join('\n') + '\n';
  }
  #add<M extends Metric>(m: M): M {
    if (this.#metrics.has(m.name)) throw new TypeError(`metric ${m.name} registered twice`);
    this.#metrics.set(m.name, m);
    return m;
  }
}

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function num(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}
