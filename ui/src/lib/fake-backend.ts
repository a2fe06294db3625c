// An in-memory Backend for component tests: it keeps accounts, attachments and an outbox, checks
// drafts the way the real one reports (per-target counts and problems), and lets a test push the
// events Rust would send. Calls are recorded so a test can assert what a view asked for.
import type {
  AccountView,
  AppInfo,
  Backend,
  ComposerState,
  DeliveryView,
  DraftInput,
  DraftMedia,
  DraftSave,
  DraftSummary,
  DraftView,
  EditResult,
  LinkCardView,
  LinkFormView,
  MediaReceived,
  NewSlotInput,
  NextSlotView,
  OccurrenceView,
  QueuedView,
  SlotView,
  MediaView,
  PlanView,
  RecipientListView,
  Settings,
  TemplateView,
} from './backend';
import { BackendError } from './backend';
// Generated from core's registry (src-tauri's bindings test), so the fake links as core does.
import { NETWORKS } from './networks';

const linkForms: LinkFormView[] = NETWORKS.map(({ network, networkName, fields }) => ({ network, networkName, fields }));

type Handler<T> = (value: T) => void;

/** What each network offers beyond text and media, as core's `Network::features` says. */
export function featuresOf(network: string): AccountView['features'] {
  return {
    messaging: network === 'whatsapp',
    firstComment: network === 'instagram' ? 2200 : null,
    publishingQuota: network === 'instagram' || network === 'threads',
  };
}

export function account(overrides: Partial<AccountView> = {}): AccountView {
  const name = overrides.name ?? 'Demo Mastodon';
  return {
    id: overrides.id ?? `acc-${name.replace(/\W+/g, '-').toLowerCase()}`,
    network: 'mastodon',
    networkName: 'Mastodon',
    name,
    remoteId: '@demo@127.0.0.1',
    enabled: true,
    demo: true,
    health: 'ok',
    healthDetail: null,
    pausedUntil: null,
    tokenExpiresAt: null,
    picture: null,
    handle: '@demo@127.0.0.1',
    ...overrides,
    features: overrides.features ?? featuresOf(overrides.network ?? 'mastodon'),
  };
}

export function delivery(overrides: Partial<DeliveryView> = {}): DeliveryView {
  return {
    id: 'd1',
    postId: 'p1',
    accountId: 'acc-demo-mastodon',
    accountName: 'Demo Mastodon',
    recipient: null,
    network: 'mastodon',
    demo: true,
    state: 'queued',
    attempts: 0,
    nextAttemptAt: Date.UTC(2026, 10, 22, 10, 0),
    errorKind: null,
    error: null,
    remoteUrl: null,
    progress: null,
    progressN: null,
    progressTotal: null,
    postText: 'Hello',
    mediaCount: 0,
    scheduledAt: null,
    createdAt: Date.UTC(2026, 10, 22, 9, 0),
    updatedAt: Date.UTC(2026, 10, 22, 9, 0),
    ...overrides,
  };
}

export const defaultSettings: Settings = {
  theme: 'system',
  locale: 'en',
  startAtLogin: false,
  shortcut: 'CommandOrControl+Shift+Space',
  notifyFailures: true,
  notifySent: true,
  onboarded: true,
  tourDone: true,
};

export class FakeBackend implements Backend {
  accounts: AccountView[] = [];
  outbox: DeliveryView[] = [];
  media: MediaView[] = [];
  settings: Settings = { ...defaultSettings };
  paused = false;
  /** The in-app demo server's address, in demo mode. */
  demoServer: string | null = null;
  trouble: string | null = null;
  textLimit = 500;
  /** The most files a target takes (core's `too_many_media`); none when null. */
  maxMedia: number | null = null;
  calls: Array<[string, unknown[]]> = [];
  failNext: { code: string; message: string } | null = null;
  private handlers = {
    outbox: [] as Handler<DeliveryView[]>[],
    media: [] as Handler<MediaReceived>[],
    paused: [] as Handler<boolean>[],
    trouble: [] as Handler<string | null>[],
    navigate: [] as Handler<string>[],
    quickText: [] as Handler<string>[],
  };
  private nextId = 1;

  constructor(init: Partial<Pick<FakeBackend, 'accounts' | 'outbox' | 'settings'>> = {}) {
    Object.assign(this, init);
  }

  private record(name: string, ...args: unknown[]) {
    this.calls.push([name, args]);
    if (this.failNext) {
      const e = this.failNext;
      this.failNext = null;
      throw new BackendError(e);
    }
  }

  called(name: string): unknown[][] {
    return this.calls.filter(([n]) => n === name).map(([, a]) => a);
  }

  async appInfo(): Promise<AppInfo> {
    this.record('appInfo');
    return {
      version: '0.1.0',
      dataDir: '/home/me/.local/share/app.fanout.desktop',
      secretStore: { kind: 'keychain', place: 'Secret Service' },
      paused: this.paused,
      deliveryTrouble: this.trouble,
      demoServer: this.demoServer,
      settings: this.settings,
    };
  }
  async saveSettings(settings: Settings) {
    this.record('saveSettings', settings);
    this.settings = { ...settings };
    return this.appInfo();
  }
  shellStrings: Record<string, string> | null = null;
  async setShellStrings(strings: Parameters<Backend['setShellStrings']>[0]) {
    this.record('setShellStrings', strings);
    this.shellStrings = { ...strings };
  }
  async listAccounts() {
    this.record('listAccounts');
    return this.accounts.map((a) => ({ ...a }));
  }
  async linkForms() {
    this.record('linkForms');
    return structuredClone(linkForms);
  }
  async linkAccount(request: Parameters<Backend['linkAccount']>[0]) {
    this.record('linkAccount', request);
    const form = linkForms.find((f) => f.network === request.network);
    if (!form) throw new BackendError({ code: 'invalid_input', message: `unknown network '${request.network}'` });
    const unknown = Object.keys(request.values).filter((key) => !form.fields.some((f) => f.key === key));
    if (unknown.length > 0) throw new BackendError({ code: 'invalid_input', message: `${form.networkName} accounts have no field '${unknown[0]}'` });
    const a = account({
      id: `acc-${this.nextId++}`,
      name: request.name ?? `${form.networkName}: ${Object.values(request.values)[0] ?? ''}`,
      networkName: form.networkName,
      network: request.network,
      enabled: false,
      demo: false,
    });
    this.accounts.push(a);
    return a;
  }
  async handOff(to: string, text: string, media: string[]) {
    this.record('handOff', to, text, media);
    if (!text.trim()) throw new BackendError({ code: 'invalid_input', message: 'nothing to share: give some text or a link' });
    const notes = media.length > 0 ? ['a share link cannot carry files: attach the prepared photo yourself'] : [];
    return { app: to === 'whatsapp' ? 'WhatsApp' : to, notes, files: media.length };
  }
  metaAppSaved = false;
  async metaAppStatus() {
    this.record('metaAppStatus');
    return {
      saved: this.metaAppSaved,
      permissions: [
        { name: 'pages_manage_posts', why: 'publish posts, photos and videos on your Pages' },
        { name: 'instagram_content_publish', why: 'publish to Instagram' },
      ],
    };
  }
  /** When set, a login waits (as for a browser) until cancelled. */
  hangMetaLogin = false;
  private cancelMeta: (() => void) | null = null;
  async cancelBrowserLogin() {
    this.record('cancelBrowserLogin');
    this.cancelMeta?.();
  }
  async signInMastodon(server: string, demo: boolean) {
    this.record('signInMastodon', server, demo);
    if (this.hangMetaLogin) {
      return new Promise<never>((_, reject) => {
        this.cancelMeta = () => reject(new BackendError({ code: 'invalid_input', message: 'signing in to Mastodon was cancelled' }));
      });
    }
    if (!demo && !/^(https?:\/\/)?[a-z0-9.-]+\.[a-z]{2,}\/?$/i.test(server.trim())) {
      throw new BackendError({ code: 'invalid_input', message: `'${server}' is not a server address: use one like https://mastodon.social` });
    }
    const linked = account({ id: `acc-${this.nextId++}`, name: '@baker@mastodon.example', network: 'mastodon', networkName: 'Mastodon', enabled: false, demo });
    this.accounts.push(linked);
    return linked;
  }
  async linkMeta(appId: string | null, appSecret: string | null, demo: boolean) {
    this.record('linkMeta', appId, appSecret, demo);
    if (this.hangMetaLogin) {
      return new Promise<never>((_, reject) => {
        this.cancelMeta = () => reject(new BackendError({ code: 'invalid_input', message: 'the Facebook login was cancelled' }));
      });
    }
    if (!demo && !this.metaAppSaved && !(appId && appSecret)) {
      throw new BackendError({ code: 'invalid_input', message: 'enter your Meta app’s id and secret first' });
    }
    if (appId && appSecret) this.metaAppSaved = true;
    const linked = [
      account({ id: `acc-${this.nextId++}`, name: 'Facebook: Fanout Bakery', network: 'facebook', networkName: 'Facebook Page', enabled: false, demo }),
      account({ id: `acc-${this.nextId++}`, name: 'Instagram: @fanout.bakery', network: 'instagram', networkName: 'Instagram', enabled: false, demo }),
    ];
    this.accounts.push(...linked);
    return { userName: 'Sandbox User', linked, skipped: [] };
  }
  /** Recipient lists by account id. */
  lists: Record<string, RecipientListView[]> = {};
  templates: TemplateView[] = [
    { name: 'hello_world', language: 'en_US', category: 'UTILITY', header: null, body: 'Hello World!', params: 0 },
    { name: 'weekly_news', language: 'en_US', category: 'MARKETING', header: 'image', body: 'Hello {{1}}, this week: {{2}}.', params: 2 },
  ];
  private listOf(accountId: string, listId: string) {
    const list = (this.lists[accountId] ?? []).find((l) => l.id === listId);
    if (!list) throw new BackendError({ code: 'invalid_input', message: `no recipient list '${listId}'` });
    return list;
  }
  async recipientLists(accountId: string) {
    this.record('recipientLists', accountId);
    return (this.lists[accountId] ?? []).map((l) => ({ ...l, members: [...l.members] }));
  }
  async createRecipientList(accountId: string, name: string) {
    this.record('createRecipientList', accountId, name);
    const list = { id: `list-${this.nextId++}`, name: name.trim(), members: [] };
    this.lists[accountId] = [...(this.lists[accountId] ?? []), list];
    return { ...list };
  }
  async addRecipients(accountId: string, listId: string, people: string, optedIn: boolean) {
    this.record('addRecipients', accountId, listId, people, optedIn);
    if (!optedIn) throw new BackendError({ code: 'invalid_input', message: 'confirm that each of them opted in' });
    const list = this.listOf(accountId, listId);
    for (const line of people.split('\n').filter((l) => l.trim())) {
      const phone = line.match(/\+[\d ]+/)?.[0].replace(/ /g, '');
      if (!phone) throw new BackendError({ code: 'invalid_input', message: `'${line.trim()}' has no country code` });
      const name = line.replace(/\+[\d ]+/, '').trim() || null;
      list.members.push({ phone, name, optedInAt: Date.UTC(2026, 10, 22) });
    }
    return { ...list, members: [...list.members] };
  }
  async removeRecipient(accountId: string, listId: string, phone: string) {
    this.record('removeRecipient', accountId, listId, phone);
    const list = this.listOf(accountId, listId);
    list.members = list.members.filter((m) => m.phone !== phone);
    return { ...list, members: [...list.members] };
  }
  async deleteRecipientList(accountId: string, listId: string) {
    this.record('deleteRecipientList', accountId, listId);
    this.lists[accountId] = (this.lists[accountId] ?? []).filter((l) => l.id !== listId);
  }
  threadsAppSaved = false;
  private threadsState: string | null = null;
  async threadsAppStatus() {
    this.record('threadsAppStatus');
    return { saved: this.threadsAppSaved, redirect: 'https://localhost/fanout/threads' };
  }
  async startThreadsLogin(appId: string | null, appSecret: string | null, demo: boolean) {
    this.record('startThreadsLogin', appId, appSecret, demo);
    if (!demo && !this.threadsAppSaved && !(appId && appSecret)) {
      throw new BackendError({ code: 'invalid_input', message: 'enter your Threads app’s id and secret first' });
    }
    if (appId && appSecret) this.threadsAppSaved = true;
    this.threadsState = 'st4te';
    return 'https://threads.net/oauth/authorize?client_id=1&state=st4te';
  }
  async finishThreadsLogin(pasted: string) {
    this.record('finishThreadsLogin', pasted);
    if (!this.threadsState || !pasted.includes(`state=${this.threadsState}`)) {
      throw new BackendError({ code: 'invalid_input', message: 'that address is not from this login' });
    }
    const a = account({ id: `acc-${this.nextId++}`, name: 'Threads: @me', network: 'threads', networkName: 'Threads', enabled: false, demo: false, tokenExpiresAt: Date.now() + 60 * 86_400_000 });
    this.accounts.push(a);
    this.threadsState = null;
    return a;
  }
  /** Quotas by account id. */
  quotas: Record<string, { used: number; total: number }> = {};
  async publishingQuota(accountId: string) {
    this.record('publishingQuota', accountId);
    return this.quotas[accountId] ?? null;
  }
  async whatsappTemplates(accountId: string) {
    this.record('whatsappTemplates', accountId);
    return this.templates.map((t) => ({ ...t }));
  }
  async setAccountEnabled(id: string, enabled: boolean) {
    this.record('setAccountEnabled', id, enabled);
    const a = this.accounts.find((x) => x.id === id);
    if (!a) throw new BackendError({ code: 'unknown_account', message: `no account '${id}'` });
    a.enabled = enabled;
    return { ...a };
  }
  async removeAccount(id: string) {
    this.record('removeAccount', id);
    this.accounts = this.accounts.filter((a) => a.id !== id);
    return 0;
  }
  async verifyAccount(id: string) {
    this.record('verifyAccount', id);
    const a = this.accounts.find((x) => x.id === id);
    if (!a) throw new BackendError({ code: 'unknown_account', message: `no account '${id}'` });
    a.health = 'ok';
    return { ...a };
  }
  async tryAccountNow(id: string) {
    this.record('tryAccountNow', id);
    const a = this.accounts.find((x) => x.id === id);
    if (!a) throw new BackendError({ code: 'unknown_account', message: `no account '${id}'` });
    a.pausedUntil = null;
    return { ...a };
  }
  async startDemo() {
    this.record('startDemo');
    this.accounts = [
      account({ name: 'Demo Mastodon' }),
      account({ name: 'Demo Discord', network: 'discord', networkName: 'Discord webhook' }),
      account({ name: 'Demo Team Chat', network: 'discord', networkName: 'Discord webhook' }),
    ];
    return this.accounts;
  }
  async addDemoNetworks() {
    this.record('addDemoNetworks');
    const have = new Set(this.accounts.filter((a) => a.demo).map((a) => a.network));
    const added = NETWORKS.filter((n) => n.demo !== null && !have.has(n.network)).map((n) =>
      account({ id: `acc-${this.nextId++}`, name: n.demo ?? '', network: n.network, networkName: n.networkName }),
    );
    this.accounts.push(...added);
    return added;
  }
  /** The names the next picked files have, in turn; then beach.jpg. */
  pickedNames: string[] = [];
  async pickMedia() {
    this.record('pickMedia');
    const m = { id: `m${this.nextId++}`, name: this.pickedNames.shift() ?? 'beach.jpg', mime: 'image/jpeg', bytes: 2_400_000, thumbnail: 'fanout-media://localhost/thumb/x' };
    this.media.push(m);
    return [m];
  }
  async attachBytes(name: string, data: Uint8Array) {
    this.record('attachBytes', name, data.length);
    const m = { id: `m${this.nextId++}`, name, mime: 'image/png', bytes: data.length, thumbnail: null };
    this.media.push(m);
    return m;
  }
  async detachMedia(id: string) {
    this.record('detachMedia', id);
  }
  /** What each account was sent, as core compares it for "the same post again". */
  private shared: { accountId: string; text: string; at: string }[] = [];
  async reviewDraft(draft: DraftInput): Promise<PlanView> {
    this.record('reviewDraft', draft);
    const textFor = (id: string) => draft.texts.find((t) => t.accountId === id)?.text ?? draft.text;
    const problems: PlanView['problems'] = [];
    if (!draft.text.trim() && draft.media.length === 0) problems.push({ code: 'empty', account: null, detail: null });
    const normal = (s: string) => s.trim().split(/\s+/).join(' ');
    for (const id of draft.again ? [] : draft.targets) {
      const before = this.shared.find((s) => s.accountId === id && s.text === normal(textFor(id)));
      const name = this.accounts.find((x) => x.id === id)?.name ?? id;
      if (before && draft.media.length === 0) problems.push({ code: 'duplicate', account: name, detail: before.at });
    }
    const targets = draft.targets.map((id) => {
      const a = this.accounts.find((x) => x.id === id) ?? account({ id });
      const length = [...textFor(id)].length;
      const over = length > this.textLimit;
      const template = draft.messaging?.find((m) => m.accountId === id)?.template;
      return {
        account: a,
        story: draft.story && (a.network === 'facebook' || a.network === 'instagram'),
        textLength: length,
        textLimit: this.textLimit,
        textUnit: 'characters',
        problems: [
          ...(over
            ? [
                {
                  code: 'text_too_long',
                  values: { count: String(length), limit: String(this.textLimit), unit: 'characters', over: String(length - this.textLimit) },
                  message: `text is ${length}/${this.textLimit} characters for ${a.name}`,
                  fix: `shorten it by ${length - this.textLimit}`,
                },
              ]
            : []),
          ...(this.maxMedia !== null && draft.media.length > this.maxMedia
            ? [
                {
                  code: 'too_many_media',
                  values: { max: String(this.maxMedia), count: String(draft.media.length) },
                  message: `${a.name} takes at most ${this.maxMedia} files; this post has ${draft.media.length}`,
                  fix: 'remove some, or share them separately',
                },
              ]
            : []),
          // As core: each empty value of a template is a problem of its target.
          ...(template?.params ?? []).flatMap((value, i) =>
            value.trim()
              ? []
              : [
                  {
                    code: 'template_value_missing',
                    values: { n: String(i + 1) },
                    message: `the template '${template?.name}' needs a value for {{${i + 1}}}`,
                    fix: 'fill in every value of the template',
                  },
                ],
          ),
        ],
        files: (draft.orders?.find((o) => o.accountId === a.id)?.positions.map((i) => draft.media[i]) ?? draft.media).map((m) => ({ mediaId: m.id, mime: 'image/jpeg', width: 1080, height: draft.story && (a.network === 'facebook' || a.network === 'instagram') ? 1920 : 1350, bytes: 300_000, changes: [], preview: `fanout-media://localhost/variant/${m.id}-${m.focusX ?? 0.5}-${m.focusY ?? 0.5}` })),
      };
    });
    return { problems, targets, ready: problems.length === 0 && targets.every((t) => t.problems.length === 0) };
  }
  /** Posting times; their occurrences are computed in the machine's own zone (tests use it). */
  slots: SlotView[] = [];
  /** What the fake's clock says for the queue: every occurrence after this counts. */
  queueNow = Date.now();
  private occurrencesOf(slot: SlotView, from: number, to: number): number[] {
    const [h, m] = slot.time.split(':').map(Number);
    const out: number[] = [];
    const d = new Date(from);
    d.setHours(0, 0, 0, 0);
    for (; d.getTime() < to; d.setDate(d.getDate() + 1)) {
      const iso = ((d.getDay() + 6) % 7) + 1;
      if (!slot.days.includes(iso)) continue;
      const at = new Date(d.getFullYear(), d.getMonth(), d.getDate(), h, m).getTime();
      if (at >= from && at < to) out.push(at);
    }
    return out;
  }
  private takenAt(accountId: string, at: number): boolean {
    return this.outbox.some((r) => r.accountId === accountId && r.scheduledAt === at && r.state !== 'cancelled');
  }
  async queueSlots(): Promise<SlotView[]> {
    this.record('queueSlots');
    return this.slots.map((x) => ({ ...x, next: this.occurrencesOf(x, this.queueNow, this.queueNow + 8 * 86_400_000)[0] ?? null }));
  }
  async addQueueSlot(slot: NewSlotInput): Promise<SlotView> {
    this.record('addQueueSlot', slot);
    if (slot.days.length === 0) throw new BackendError({ code: 'invalid_input', message: 'choose at least one day for the posting time' });
    if (slot.accounts.length === 0) throw new BackendError({ code: 'invalid_input', message: 'choose at least one account for the posting time' });
    const added = { id: String(this.slots.length + 1), days: [...slot.days].sort(), time: slot.time, zone: slot.zone, accounts: slot.accounts, next: null };
    this.slots.push(added);
    return added;
  }
  async removeQueueSlot(id: string) {
    this.record('removeQueueSlot', id);
    this.slots = this.slots.filter((x) => x.id !== id);
  }
  async queueOccurrences(from: number, to: number): Promise<OccurrenceView[]> {
    this.record('queueOccurrences', from, to);
    return this.slots
      .flatMap((slot) =>
        this.occurrencesOf(slot, from, to).map((at) => ({ at, slot: slot.id, accounts: slot.accounts, taken: slot.accounts.filter((a) => this.takenAt(a, at)) })),
      )
      .sort((a, b) => a.at - b.at);
  }
  async nextQueueSlots(accounts: string[]): Promise<NextSlotView[]> {
    this.record('nextQueueSlots', accounts);
    return accounts.map((accountId) => {
      const times = this.slots
        .filter((x) => x.accounts.includes(accountId))
        .flatMap((x) => this.occurrencesOf(x, this.queueNow, this.queueNow + 366 * 86_400_000))
        .filter((at) => !this.takenAt(accountId, at))
        .sort((a, b) => a - b);
      if (times.length === 0) {
        const name = this.accounts.find((a) => a.id === accountId)?.name ?? accountId;
        throw new BackendError({ code: 'invalid_input', message: `${name} has no posting times: add some in the Queue view` });
      }
      return { accountId, at: times[0] };
    });
  }
  async addToQueue(draft: DraftInput): Promise<QueuedView[]> {
    this.record('addToQueue', draft);
    const next = await this.nextQueueSlots(draft.targets);
    const byTime = new Map<number, string[]>();
    for (const n of next) byTime.set(n.at, [...(byTime.get(n.at) ?? []), n.accountId]);
    return [...byTime.entries()]
      .sort(([a], [b]) => a - b)
      .map(([at, accounts]) => {
        const postId = `post-${this.nextId++}`;
        for (const accountId of accounts) {
          const a = this.accounts.find((x) => x.id === accountId);
          this.outbox.push(delivery({ id: `d${this.nextId++}`, postId, accountId, accountName: a?.name ?? accountId, network: a?.network ?? 'mastodon', state: 'queued', postText: draft.text, scheduledAt: at }));
        }
        return { postId, at, accounts };
      });
  }
  /** Cards of linked pages by address; a link not here has no card. */
  cards: Record<string, LinkCardView> = {};
  async linkPreview(text: string): Promise<LinkCardView | null> {
    this.record('linkPreview', text);
    const link = text.split(/\s+/).map((w) => w.replace(/[.,;:!?)]+$/, '')).find((w) => /^https?:\/\//.test(w));
    return (link && this.cards[link]) || null;
  }
  /** Drafts as the data folder keeps them: the state and the files with their alt text and focus. */
  drafts: Array<{ id: string; name: string; state: ComposerState; media: DraftMedia[]; updatedAt: number }> = [];
  /** The clock drafts are stamped with; each save moves it on a minute. */
  draftClock = Date.UTC(2026, 10, 22, 9, 0);
  private summary(d: FakeBackend['drafts'][number]): DraftSummary {
    const line = d.state.text.split('\n').map((l) => l.trim()).find((l) => l) ?? '';
    return {
      id: d.id,
      name: d.name,
      title: d.name.trim() || line.slice(0, 60),
      files: d.media.length,
      targets: d.state.targets.length,
      updatedAt: d.updatedAt,
      scheduledAt: d.state.later ? d.state.scheduledAt : null,
    };
  }
  async saveDraft(save: DraftSave): Promise<DraftSummary> {
    this.record('saveDraft', save);
    this.draftClock += 60_000;
    const kept = { id: save.id ?? `draft-${this.nextId++}`, name: save.name.trim(), state: JSON.parse(JSON.stringify(save.state)) as ComposerState, media: save.media.map((m) => ({ ...m })), updatedAt: this.draftClock };
    this.drafts = [kept, ...this.drafts.filter((d) => d.id !== kept.id)];
    return this.summary(kept);
  }
  async listDrafts(): Promise<DraftSummary[]> {
    this.record('listDrafts');
    return this.drafts.map((d) => this.summary(d));
  }
  async openDraft(id: string): Promise<DraftView> {
    this.record('openDraft', id);
    const d = this.drafts.find((x) => x.id === id);
    if (!d) throw new BackendError({ code: 'invalid', message: `there is no draft ${id}: it was deleted or shared` });
    const media = d.media.map((m) => {
      const known = this.media.find((x) => x.id === m.id) ?? { id: m.id, name: 'photo.jpg', mime: 'image/jpeg', bytes: 1000, thumbnail: null };
      const again = { ...known, id: `m${this.nextId++}` };
      this.media.push(again);
      return { media: again, altText: m.altText, focusX: m.focusX, focusY: m.focusY };
    });
    return { id: d.id, name: d.name, state: JSON.parse(JSON.stringify(d.state)) as ComposerState, media, missing: [] };
  }
  async deleteDraft(id: string): Promise<boolean> {
    this.record('deleteDraft', id);
    const had = this.drafts.some((d) => d.id === id);
    this.drafts = this.drafts.filter((d) => d.id !== id);
    return had;
  }
  async openPost(postId: string): Promise<DraftView> {
    this.record('openPost', postId);
    const rows = this.outbox.filter((d) => d.postId === postId);
    if (rows.length === 0) throw new BackendError({ code: 'invalid', message: `there is no post ${postId} in the outbox` });
    const first = rows[0];
    const media = Array.from({ length: first.mediaCount }, () => {
      const m = { id: `m${this.nextId++}`, name: 'photo.jpg', mime: 'image/jpeg', bytes: 1000, thumbnail: null };
      this.media.push(m);
      return { media: m, altText: null, focusX: null, focusY: null };
    });
    return {
      id: postId,
      name: '',
      state: {
        text: first.postText,
        targets: [...new Set(rows.filter((r) => r.state !== 'cancelled').map((r) => r.accountId))],
        texts: [],
        firstComments: [],
        story: false,
        later: first.scheduledAt !== null,
        scheduledAt: first.scheduledAt,
        messaging: [],
        orders: [],
      },
      media,
      missing: [],
    };
  }
  async editPost(postId: string, draft: DraftInput): Promise<EditResult> {
    this.record('editPost', postId, draft);
    const rows = this.outbox.filter((d) => d.postId === postId);
    const waiting = (r: DeliveryView) => r.state === 'queued' && r.attempts === 0;
    if (!rows.some(waiting)) {
      throw new BackendError({ code: 'conflict', message: 'every delivery of this post has started, gone out or been cancelled, so it can no longer be edited; share it again instead' });
    }
    const post = `post-${this.nextId++}`;
    const unchanged = rows.filter((r) => !waiting(r) && r.state !== 'cancelled');
    const deliveries: string[] = [];
    for (const accountId of draft.targets) {
      if (unchanged.some((r) => r.accountId === accountId)) continue;
      const kept = rows.find((r) => waiting(r) && r.accountId === accountId);
      const a = this.accounts.find((x) => x.id === accountId);
      const row = kept ?? delivery({ id: `d${this.nextId++}`, accountId, accountName: a?.name ?? accountId, network: a?.network ?? 'mastodon' });
      Object.assign(row, { postId: post, postText: draft.text, scheduledAt: draft.scheduledAt, mediaCount: draft.media.length });
      if (!kept) this.outbox.push(row);
      deliveries.push(row.id);
    }
    this.outbox = this.outbox.filter((r) => r.postId !== postId || !waiting(r));
    return { postId: post, deliveries, unchanged };
  }
  async cancelPost(postId: string): Promise<number> {
    this.record('cancelPost', postId);
    let n = 0;
    for (const r of this.outbox) {
      if (r.postId === postId && ['queued', 'retry_wait', 'needs_attention', 'unconfirmed', 'failed'].includes(r.state)) {
        r.state = 'cancelled';
        n++;
      }
    }
    return n;
  }
  async share(draft: DraftInput) {
    this.record('share', draft);
    const at = new Date(Date.UTC(2026, 10, 20, 9, 30)).toISOString();
    for (const id of draft.targets) {
      const text = (draft.texts.find((t) => t.accountId === id)?.text ?? draft.text).trim().split(/\s+/).join(' ');
      this.shared.push({ accountId: id, text, at });
    }
    const postId = `p${this.nextId++}`;
    const ids = draft.targets.map((accountId) => {
      const a = this.accounts.find((x) => x.id === accountId);
      const d = delivery({ id: `d${this.nextId++}`, postId, accountId, accountName: a?.name ?? accountId, postText: draft.text, mediaCount: draft.media.length, scheduledAt: draft.scheduledAt });
      this.outbox.unshift(d);
      return d.id;
    });
    return { postId, deliveries: ids };
  }
  async listOutbox(limit: number) {
    this.record('listOutbox', limit);
    return this.outbox.slice(0, limit).map((d) => ({ ...d }));
  }
  async reschedulePost(postId: string, at: number) {
    this.record('reschedulePost', postId, at);
    const moved = this.outbox.filter((d) => d.postId === postId);
    moved.forEach((d) => (d.scheduledAt = at));
    this.emitOutbox(moved.map((d) => ({ ...d })));
  }
  async history(query: Parameters<Backend['history']>[0]) {
    this.record('history', query);
    return this.outbox.filter(
      (d) =>
        d.state === 'sent' &&
        (!query.accountId || d.accountId === query.accountId) &&
        (!query.search || d.postText.toLowerCase().includes(query.search.toLowerCase())),
    );
  }
  private change(id: string, state: string) {
    const d = this.outbox.find((x) => x.id === id);
    if (!d) throw new BackendError({ code: 'unknown_delivery', message: `no delivery '${id}'` });
    d.state = state;
    this.emitOutbox([{ ...d }]);
  }
  async retryDelivery(id: string) {
    this.record('retryDelivery', id);
    this.change(id, 'queued');
  }
  async retryAllFailures() {
    this.record('retryAllFailures');
    const failed = this.outbox.filter((d) => d.state === 'failed' || d.state === 'needs_attention');
    failed.forEach((d) => this.change(d.id, 'queued'));
    return failed.length;
  }
  async cancelDelivery(id: string) {
    this.record('cancelDelivery', id);
    this.change(id, 'cancelled');
  }
  async resolveDelivery(id: string, sent: boolean) {
    this.record('resolveDelivery', id, sent);
    this.change(id, sent ? 'sent' : 'queued');
  }
  async setPaused(paused: boolean) {
    this.record('setPaused', paused);
    this.paused = paused;
    this.handlers.paused.forEach((h) => h(paused));
    return paused;
  }
  async openLink(url: string) {
    this.record('openLink', url);
  }
  async openAccountPage(accountId: string) {
    this.record('openAccountPage', accountId);
  }
  async openDataFolder() {
    this.record('openDataFolder');
  }
  async showQuickShare() {
    this.record('showQuickShare');
  }
  async showMain(view: string | null) {
    this.record('showMain', view);
  }
  async closeWindow() {
    this.record('closeWindow');
  }
  async clipboardText() {
    this.record('clipboardText');
    return 'from the clipboard';
  }
  private listen<T>(list: Handler<T>[], handler: Handler<T>) {
    list.push(handler);
    return Promise.resolve(() => {
      const i = list.indexOf(handler);
      if (i >= 0) list.splice(i, 1);
    });
  }
  onOutboxChanged(h: Handler<DeliveryView[]>) {
    return this.listen(this.handlers.outbox, h);
  }
  onMediaReceived(h: Handler<MediaReceived>) {
    return this.listen(this.handlers.media, h);
  }
  onDeliveryPaused(h: Handler<boolean>) {
    return this.listen(this.handlers.paused, h);
  }
  onDeliveryTrouble(h: Handler<string | null>) {
    return this.listen(this.handlers.trouble, h);
  }
  onNavigate(h: Handler<string>) {
    return this.listen(this.handlers.navigate, h);
  }
  onQuickShareText(h: Handler<string>) {
    return this.listen(this.handlers.quickText, h);
  }

  /** What the Rust watcher does when deliveries change. */
  emitOutbox(changed: DeliveryView[]) {
    for (const c of changed) {
      const i = this.outbox.findIndex((d) => d.id === c.id);
      if (i >= 0) this.outbox[i] = { ...c };
    }
    this.handlers.outbox.forEach((h) => h(changed));
  }
  emitMedia(received: MediaReceived) {
    this.handlers.media.forEach((h) => h(received));
  }
  /** What the Rust side does when the worker pauses on a local fault, or goes on. */
  emitTrouble(reason: string | null) {
    this.trouble = reason;
    this.handlers.trouble.forEach((h) => h(reason));
  }
  emitNavigate(view: string) {
    this.handlers.navigate.forEach((h) => h(view));
  }
}
