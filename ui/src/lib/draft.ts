// The composer's draft, kept in localStorage as the user types, so a closed window or a restart
// loses nothing. Attachments are not kept: they are files the app holds only while it runs.
export type StoredDraft = {
  text: string;
  targets: string[];
  /** Account id → that target's own text. */
  texts: Record<string, string>;
  /** Images as full-screen 9:16 stories. */
  story: boolean;
  when: 'now' | 'later';
  at: string;
};

const KEY = 'fanout.draft';

export function loadDraft(): StoredDraft {
  try {
    const raw = localStorage.getItem(KEY);
    if (raw) {
      const d = JSON.parse(raw) as Partial<StoredDraft>;
      return {
        text: typeof d.text === 'string' ? d.text : '',
        targets: Array.isArray(d.targets) ? d.targets.filter((x) => typeof x === 'string') : [],
        texts:
          d.texts && typeof d.texts === 'object'
            ? Object.fromEntries(Object.entries(d.texts).filter(([, v]) => typeof v === 'string'))
            : {},
        story: d.story === true,
        when: d.when === 'later' ? 'later' : 'now',
        at: typeof d.at === 'string' ? d.at : '',
      };
    }
  } catch {
    // A damaged draft is dropped, never fatal.
  }
  return { text: '', targets: [], texts: {}, story: false, when: 'now', at: '' };
}

export function saveDraft(draft: StoredDraft): void {
  localStorage.setItem(KEY, JSON.stringify(draft));
}

export function clearDraft(): void {
  localStorage.removeItem(KEY);
}

/** `datetime-local` value (local time) → ms since the epoch, or null. */
export function localInputToMs(value: string): number | null {
  if (!value) return null;
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? null : ms;
}

/** ms since the epoch → `datetime-local` value in local time. */
export function msToLocalInput(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
