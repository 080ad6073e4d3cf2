/**
 * The one place that reads the process environment (STYLE: config is its only reader).
 * Callers name the variable; nothing here enumerates or logs the environment.
 */
export function readEnv(name: string): string | undefined {
  const v = process.env[name];
  return v === undefined || v === '' ? undefined : v;
}
