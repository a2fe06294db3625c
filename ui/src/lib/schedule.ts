// The time a post is scheduled for: a wall-clock time in a chosen time zone, checked the way core
// checks it (not in the past, at most a year ahead) before Schedule is offered.

/** How far ahead a post may be scheduled; core refuses more (`post::SCHEDULE_HORIZON`). */
export const HORIZON_MS = 365 * 24 * 3600 * 1000;
/** Core lets a time a minute in the past through (the time it took to press Schedule). */
const GRACE_MS = 60 * 1000;

/** The zone this machine is in. */
export function localZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** Every zone the engine knows, the local one included. */
export function zones(): string[] {
  const all = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  return [...new Set([localZone(), 'UTC', ...all])].sort();
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function parts(ms: number, zone: string): Record<string, number> {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(zone, f);
  }
  return Object.fromEntries(f.formatToParts(ms).filter((p) => p.type !== 'literal').map((p) => [p.type, Number(p.value)]));
}

/** How far `zone`'s wall clock is ahead of UTC at `ms`. */
function offset(ms: number, zone: string): number {
  const p = parts(ms, zone);
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour % 24, p.minute, p.second);
  return wall - Math.floor(ms / 1000) * 1000;
}

/** `YYYY-MM-DDTHH:MM[:SS]` on `zone`'s wall clock → ms since the epoch; null unless it is such a time. */
export function zonedToMs(value: string, zone: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/.exec(value);
  if (!m) return null;
  const [y, mo, d, h, mi] = m.slice(1, 6).map(Number);
  const sec = Number(m[6] ?? 0);
  const wall = Date.UTC(y, mo - 1, d, h, mi, sec);
  const check = new Date(wall);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59 || sec > 59) return null;
  try {
    const first = wall - offset(wall, zone);
    // Across a change of offset (summer time) the second guess is the one that holds.
    return wall - offset(first, zone);
  } catch {
    return null;
  }
}

/** ms since the epoch → `YYYY-MM-DDTHH:MM` on `zone`'s wall clock. */
export function msToZoned(ms: number, zone: string): string {
  const p = parts(ms, zone);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour % 24)}:${pad(p.minute)}`;
}

export type ScheduleCheck = { ms: number; error: null } | { ms: null; error: 'invalid' | 'past' | 'far' };

/** Whether `value` in `zone` is a time a post can be scheduled for, now. */
export function checkSchedule(value: string, zone: string, now: number): ScheduleCheck {
  const ms = zonedToMs(value, zone);
  if (ms === null) return { ms: null, error: 'invalid' };
  if (ms < now - GRACE_MS) return { ms: null, error: 'past' };
  if (ms > now + HORIZON_MS) return { ms: null, error: 'far' };
  return { ms, error: null };
}

/** Quick picks: in an hour, tomorrow at nine, and the start of next week at nine, in `zone`. */
export function quickPicks(now: number, zone: string, firstDay = 1): Array<{ key: 'hour' | 'tomorrow' | 'nextWeek'; value: string }> {
  const today = msToZoned(now, zone).slice(0, 10);
  const day = (offsetDays: number) => {
    const d = new Date(`${today}T00:00:00Z`);
    d.setUTCDate(d.getUTCDate() + offsetDays);
    return d.toISOString().slice(0, 10);
  };
  const weekday = new Date(`${today}T00:00:00Z`).getUTCDay();
  const untilNextWeek = ((firstDay - weekday + 7) % 7) || 7;
  const inAnHour = Math.ceil((now + 3600_000) / (15 * 60_000)) * 15 * 60_000;
  return [
    { key: 'hour', value: msToZoned(inAnHour, zone) },
    { key: 'tomorrow', value: `${day(1)}T09:00` },
    { key: 'nextWeek', value: `${day(untilNextWeek)}T09:00` },
  ];
}
