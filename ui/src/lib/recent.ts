// The target sets last shared to, most recent first, for the quick-share window.
const KEY = 'fanout.recentTargets';
const MAX = 5;

export function recentTargetSets(): string[][] {
  try {
    const raw = JSON.parse(localStorage.getItem(KEY) ?? '[]') as unknown;
    return Array.isArray(raw) ? raw.filter((s): s is string[] => Array.isArray(s) && s.every((x) => typeof x === 'string')) : [];
  } catch {
    return [];
  }
}

export function rememberTargetSet(ids: string[]): void {
  const key = [...ids].sort().join(',');
  const rest = recentTargetSets().filter((s) => [...s].sort().join(',') !== key);
  localStorage.setItem(KEY, JSON.stringify([ids, ...rest].slice(0, MAX)));
}
