// The composer's state, kept outside the Compose view so leaving it loses nothing (files, alt
// text and focus included), and kept as a draft in the data folder by the backend, so a restart
// loses nothing either and a draft never shows up under another data folder.
import type { Attached } from '../components/MediaItem.svelte';
import type { Messaging } from '../components/WhatsAppTarget.svelte';
import type { Backend, DraftSave, DraftView, MediaOrder } from './backend';
import { msToLocalInput } from './draft';
import { localZone, zonedToMs } from './schedule';

export type Composer = {
  /** The draft it is kept as; null until there is something to keep. */
  draftId: string | null;
  name: string;
  text: string;
  targets: string[];
  /** Account id → that target's own text. */
  texts: Record<string, string>;
  /** Images as full-screen 9:16 stories. */
  story: boolean;
  when: 'now' | 'later';
  /** `datetime-local` value, on `zone`'s wall clock. */
  at: string;
  /** The time zone `at` is in; this machine's unless the user picks another. */
  zone: string;
  media: Attached[];
  /** Per WhatsApp target: its recipient list and, if picked, the template it sends. */
  messaging: Record<string, Messaging>;
  /** Per Instagram target: the comment added under the post once it is live. */
  comments: Record<string, string>;
  /** Account id → that target's own order of the files, by attachment id. */
  orders: Record<string, string[]>;
  /** The scheduled post being edited, when the composer edits one instead of writing a draft. */
  editing: { postId: string; at: number | null } | null;
};

/** The draft the composer showed last, so the next start opens it again. */
const CURRENT = 'fanout.currentDraft';

export function blankComposer(): Composer {
  return {
    draftId: null,
    name: '',
    text: '',
    targets: [],
    texts: {},
    story: false,
    when: 'now',
    at: msToLocalInput(Date.now() + 60 * 60 * 1000),
    zone: localZone(),
    media: [],
    messaging: {},
    comments: {},
    orders: {},
    editing: null,
  };
}

export const composer = $state<Composer>(blankComposer());

let restored: Promise<void> | null = null;

/** Once per run: opens the draft the composer showed last, if this data folder still has it. */
export function restoreComposer(backend: Backend): Promise<void> {
  restored ??= (async () => {
    // Drafts were once kept in the web view's storage, shared by every data folder: not read.
    localStorage.removeItem('fanout.draft');
    const id = localStorage.getItem(CURRENT);
    if (!id || composer.draftId || composer.text || composer.media.length) return;
    try {
      const drafts = await backend.listDrafts();
      if (drafts.some((d) => d.id === id)) fillComposer(await backend.openDraft(id));
    } catch {
      // A draft that cannot be opened leaves the composer empty; the Drafts list still shows it.
    }
  })();
  return restored;
}

/** For tests: forget the composer and whether it was restored. */
export function resetComposer() {
  Object.assign(composer, blankComposer());
  restored = null;
}

/** Puts a post from the outbox into the composer: to edit it in place, or as a new draft. */
export function fillFromPost(view: DraftView, mode: 'edit' | 'duplicate') {
  fillComposer({ ...view, id: '' });
  composer.draftId = null;
  rememberCurrent(null);
  if (mode === 'edit') {
    composer.editing = { postId: view.id, at: view.state.scheduledAt };
  } else {
    // A copy is a new post: now, unless the user picks a time.
    composer.when = 'now';
    composer.at = blankComposer().at;
  }
}

/** Puts an opened draft into the composer. */
export function fillComposer(view: DraftView) {
  const s = view.state;
  Object.assign(composer, {
    draftId: view.id || null,
    name: view.name,
    text: s.text,
    targets: s.targets,
    texts: Object.fromEntries(s.texts.map((x) => [x.accountId, x.text])),
    comments: Object.fromEntries(s.firstComments.map((x) => [x.accountId, x.text])),
    story: s.story,
    when: s.later ? 'later' : 'now',
    at: s.scheduledAt !== null ? msToLocalInput(s.scheduledAt) : blankComposer().at,
    zone: localZone(),
    media: view.media.map((f) => ({
      view: f.media,
      alt: f.altText ?? '',
      focus: f.focusX !== null && f.focusY !== null ? { x: f.focusX, y: f.focusY } : null,
    })),
    messaging: Object.fromEntries(s.messaging.map((m) => [m.accountId, { list: m.list, template: m.template }])),
    orders: Object.fromEntries(
      s.orders.map((o) => [o.accountId, o.positions.map((p) => view.media[p]?.media.id).filter((id): id is string => !!id)]),
    ),
    editing: null,
  } satisfies Composer);
  rememberCurrent(view.id || null);
}

export function rememberCurrent(id: string | null) {
  if (id) localStorage.setItem(CURRENT, id);
  else localStorage.removeItem(CURRENT);
}

/** True when the composer holds nothing worth keeping as a draft. */
export function composerIsEmpty(c: Composer): boolean {
  // A post being edited lives in the outbox, not in a draft.
  if (c.editing) return true;
  return !c.text.trim() && c.media.length === 0 && Object.values(c.texts).every((t) => !t.trim()) && !c.name.trim();
}

/** What the backend keeps of the composer. */
export function draftToSave(c: Composer): DraftSave {
  return {
    id: c.draftId,
    name: c.name,
    state: {
      text: c.text,
      targets: [...c.targets],
      texts: Object.entries(c.texts).map(([accountId, text]) => ({ accountId, text })),
      firstComments: Object.entries(c.comments).map(([accountId, text]) => ({ accountId, text })),
      story: c.story,
      later: c.when === 'later',
      scheduledAt: zonedToMs(c.at, c.zone),
      messaging: Object.entries(c.messaging).map(([accountId, m]) => ({ accountId, list: m.list, template: m.template })),
      orders: ordersOf(c, Object.keys(c.orders)),
    },
    media: c.media.map((m) => ({ id: m.view.id, altText: m.alt.trim() || null, focusX: m.focus?.x ?? null, focusY: m.focus?.y ?? null })),
  };
}

/** The files `accountId` gets, in its own order where it has one: the files it names that are
 * still attached, then any attached since, in the shared order. */
export function mediaFor(c: Composer, accountId: string): Attached[] {
  const own = c.orders[accountId];
  if (!own) return c.media;
  const named = own.map((id) => c.media.find((m) => m.view.id === id)).filter((m): m is Attached => !!m);
  return [...named, ...c.media.filter((m) => !own.includes(m.view.id))];
}

/** The accounts' own orders as positions in the shared list, for those that differ from it. */
export function ordersOf(c: Composer, accountIds: string[]): MediaOrder[] {
  return accountIds
    .filter((id) => id in c.orders)
    .map((accountId) => ({ accountId, positions: mediaFor(c, accountId).map((m) => c.media.indexOf(m)) }))
    .filter((o) => o.positions.some((p, i) => p !== i));
}

/** Moves a file of `accountId`'s order by `by` places (its own order starts as the shared one). */
export function moveFor(c: Composer, accountId: string, mediaId: string, by: number) {
  const ids = mediaFor(c, accountId).map((m) => m.view.id);
  const from = ids.indexOf(mediaId);
  const to = from + by;
  if (from < 0 || to < 0 || to >= ids.length) return;
  ids.splice(to, 0, ...ids.splice(from, 1));
  c.orders = { ...c.orders, [accountId]: ids };
}

/** `accountId` gets the files in the shared order again. */
export function sharedOrderFor(c: Composer, accountId: string) {
  c.orders = Object.fromEntries(Object.entries(c.orders).filter(([k]) => k !== accountId));
}

/** Schedules what the composer holds for `at`, to these accounts (a free posting time). */
export function scheduleAt(at: number, accountIds: string[]) {
  composer.when = 'later';
  composer.zone = localZone();
  composer.at = msToLocalInput(at);
  composer.targets = [...new Set([...composer.targets, ...accountIds])];
}
