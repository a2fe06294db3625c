// The one door from the UI to Rust. Components get a `Backend` from context; the app passes
// `tauriBackend` (over the generated bindings), component tests a fake. Failures are thrown as
// `BackendError` with the stable `code` from Rust; the UI never parses messages.
import { getContext, setContext } from 'svelte';
import {
  commands,
  events,
  type AccountView,
  type AppError,
  type AppInfo,
  type DeliveryView,
  type ComposerState,
  type DraftInput,
  type DraftMedia,
  type DraftSave,
  type DraftSummary,
  type DraftView,
  type EditResult,
  type LinkCardView,
  type NewSlotInput,
  type NextSlotView,
  type OccurrenceView,
  type QueuedView,
  type SlotView,
  type HistoryQuery,
  type LinkRequest,
  type LinkFormView,
  type MediaReceived,
  type HandoffView,
  type MediaView,
  type MetaLinked,
  type MetaPermission,
  type PlanView,
  type QuotaView,
  type RecipientListView,
  type Settings,
  type ShareResult,
  type ShellStrings,
  type TemplateView,
} from './bindings';

export type {
  AccountView,
  AppInfo,
  DeliveryView,
  ComposerState,
  DraftInput,
  DraftMedia,
  DraftSave,
  DraftSummary,
  DraftView,
  EditResult,
  LinkCardView,
  NewSlotInput,
  NextSlotView,
  OccurrenceView,
  QueuedView,
  SlotView,
  HistoryQuery,
  LinkRequest,
  LinkFormView,
  MediaReceived,
  HandoffView,
  MediaView,
  MetaLinked,
  MetaPermission,
  PlanView,
  QuotaView,
  RecipientListView,
  Settings,
  ShareResult,
  ShellStrings,
  TemplateView,
};
export type {
  TargetPlanView,
  PlannedFileView,
  ProblemView,
  MessagingInput,
  TemplateInput,
  RecipientView,
  MediaOrder,
  LinkFieldView,
  LinkFieldKind,
} from './bindings';

export class BackendError extends Error {
  readonly code: string;
  constructor(error: AppError) {
    super(error.message);
    this.name = 'BackendError';
    this.code = error.code;
  }
}

export type Unlisten = () => void;

export interface Backend {
  appInfo(): Promise<AppInfo>;
  saveSettings(settings: Settings): Promise<AppInfo>;
  setShellStrings(strings: ShellStrings): Promise<void>;
  listAccounts(): Promise<AccountView[]>;
  /** Each network's form for linking an account, as core describes it, in the order offered. */
  linkForms(): Promise<LinkFormView[]>;
  linkAccount(request: LinkRequest): Promise<AccountView>;
  /** Whether a Meta app is saved, and the permissions it must ask for. */
  metaAppStatus(): Promise<{ saved: boolean; permissions: MetaPermission[] }>;
  /** Opens an app's share page with the text (also copied); prepared photos shown to attach. */
  handOff(to: string, text: string, media: string[]): Promise<HandoffView>;
  /** Facebook Login in the browser; links every Page reached and its Instagram account. */
  linkMeta(appId: string | null, appSecret: string | null, demo: boolean): Promise<MetaLinked>;
  /** Stops waiting for the browser to come back from Facebook Login. */
  cancelBrowserLogin(): Promise<void>;
  signInMastodon(server: string, demo: boolean): Promise<AccountView>;
  /** A WhatsApp account's recipient lists. */
  recipientLists(accountId: string): Promise<RecipientListView[]>;
  createRecipientList(accountId: string, name: string): Promise<RecipientListView>;
  /** One person a line; `optedIn` is the user's confirmation that each agreed. */
  addRecipients(accountId: string, listId: string, people: string, optedIn: boolean): Promise<RecipientListView>;
  removeRecipient(accountId: string, listId: string, phone: string): Promise<RecipientListView>;
  deleteRecipientList(accountId: string, listId: string): Promise<void>;
  /** A WhatsApp account's approved templates, read from Meta now. */
  whatsappTemplates(accountId: string): Promise<TemplateView[]>;
  /** Whether a Threads app is saved, and the redirect address to register in it. */
  threadsAppStatus(): Promise<{ saved: boolean; redirect: string }>;
  /** Opens Threads' login in the browser; returns its address. */
  startThreadsLogin(appId: string | null, appSecret: string | null, demo: boolean): Promise<string>;
  /** Links the Threads profile from the address Threads sent the browser to. */
  finishThreadsLogin(pasted: string): Promise<AccountView>;
  /** An Instagram or Threads account's 24-hour publishing quota; null for others. */
  publishingQuota(accountId: string): Promise<QuotaView | null>;
  setAccountEnabled(id: string, enabled: boolean): Promise<AccountView>;
  removeAccount(id: string): Promise<number>;
  verifyAccount(id: string): Promise<AccountView>;
  /** Lifts a platform's pause on the account: what waits on it is tried at once. */
  tryAccountNow(id: string): Promise<AccountView>;
  startDemo(): Promise<AccountView[]>;
  addDemoNetworks(): Promise<AccountView[]>;
  pickMedia(): Promise<MediaView[]>;
  attachBytes(name: string, data: Uint8Array): Promise<MediaView>;
  detachMedia(id: string): Promise<void>;
  reviewDraft(draft: DraftInput): Promise<PlanView>;
  share(draft: DraftInput): Promise<ShareResult>;
  /** The queue's posting times. */
  queueSlots(): Promise<SlotView[]>;
  addQueueSlot(slot: NewSlotInput): Promise<SlotView>;
  removeQueueSlot(id: string): Promise<void>;
  /** Every posting time between two instants, with the accounts that already have a post then. */
  queueOccurrences(from: number, to: number): Promise<OccurrenceView[]>;
  /** The next free posting time of each account; an error names an account without any. */
  nextQueueSlots(accounts: string[]): Promise<NextSlotView[]>;
  /** The post to the next free posting time of each chosen account. */
  addToQueue(draft: DraftInput): Promise<QueuedView[]>;
  /** The card of the text's first link as networks show it; null without a link or a readable page. */
  linkPreview(text: string): Promise<LinkCardView | null>;
  /** Keeps the composer's draft in the data folder; a new one when `save.id` is null. */
  saveDraft(save: DraftSave): Promise<DraftSummary>;
  listDrafts(): Promise<DraftSummary[]>;
  /** The draft's state, with its files attached again. */
  openDraft(id: string): Promise<DraftView>;
  deleteDraft(id: string): Promise<boolean>;
  /** A post in the outbox as a draft (its id is the post's), its files attached again. */
  openPost(postId: string): Promise<DraftView>;
  /** The draft takes the post's place for every delivery that has not started. */
  editPost(postId: string, draft: DraftInput): Promise<EditResult>;
  /** Cancels every delivery of the post that has not gone out; how many. */
  cancelPost(postId: string): Promise<number>;
  listOutbox(limit: number): Promise<DeliveryView[]>;
  history(query: HistoryQuery): Promise<DeliveryView[]>;
  reschedulePost(postId: string, at: number): Promise<void>;
  retryDelivery(id: string): Promise<void>;
  retryAllFailures(): Promise<number>;
  cancelDelivery(id: string): Promise<void>;
  resolveDelivery(id: string, sent: boolean): Promise<void>;
  setPaused(paused: boolean): Promise<boolean>;
  openLink(url: string): Promise<void>;
  openDataFolder(): Promise<void>;
  openAccountPage(accountId: string): Promise<void>;
  showQuickShare(): Promise<void>;
  showMain(view: string | null): Promise<void>;
  /** Closes this window (quick share's Esc). */
  closeWindow(): Promise<void>;
  clipboardText(): Promise<string | null>;
  onOutboxChanged(handler: (deliveries: DeliveryView[]) => void): Promise<Unlisten>;
  onMediaReceived(handler: (received: MediaReceived) => void): Promise<Unlisten>;
  onDeliveryPaused(handler: (paused: boolean) => void): Promise<Unlisten>;
  /** Why delivery waits on a local fault (the database busy or full…), or null once it goes on. */
  onDeliveryTrouble(handler: (reason: string | null) => void): Promise<Unlisten>;
  onNavigate(handler: (view: string) => void): Promise<Unlisten>;
  onQuickShareText(handler: (text: string) => void): Promise<Unlisten>;
}

type Result<T> = { status: 'ok'; data: T } | { status: 'error'; error: AppError };

function unwrap<T>(result: Result<T>): T {
  if (result.status === 'error') throw new BackendError(result.error);
  return result.data;
}

export const tauriBackend: Backend = {
  appInfo: () => commands.appInfo(),
  saveSettings: async (settings) => unwrap(await commands.saveSettings(settings)),
  setShellStrings: (strings) => commands.setShellStrings(strings),
  listAccounts: async () => unwrap(await commands.listAccounts()),
  linkForms: () => commands.linkForms(),
  linkAccount: async (request) => unwrap(await commands.linkAccount(request)),
  metaAppStatus: async () => {
    const [saved, permissions] = unwrap(await commands.metaAppStatus());
    return { saved, permissions };
  },
  linkMeta: async (appId, appSecret, demo) => unwrap(await commands.linkMeta(appId, appSecret, demo)),
  handOff: async (to, text, media) => unwrap(await commands.handOff(to, text, media)),
  cancelBrowserLogin: () => commands.cancelBrowserLogin(),
  signInMastodon: async (server, demo) => unwrap(await commands.signInMastodon(server, demo)),
  recipientLists: async (accountId) => unwrap(await commands.recipientLists(accountId)),
  createRecipientList: async (accountId, name) => unwrap(await commands.createRecipientList(accountId, name)),
  addRecipients: async (accountId, listId, people, optedIn) =>
    unwrap(await commands.addRecipients(accountId, listId, people, optedIn)),
  removeRecipient: async (accountId, listId, phone) =>
    unwrap(await commands.removeRecipient(accountId, listId, phone)),
  deleteRecipientList: async (accountId, listId) => {
    unwrap(await commands.deleteRecipientList(accountId, listId));
  },
  whatsappTemplates: async (accountId) => unwrap(await commands.whatsappTemplates(accountId)),
  publishingQuota: async (accountId) => unwrap(await commands.publishingQuota(accountId)),
  threadsAppStatus: async () => {
    const [saved, redirect] = unwrap(await commands.threadsAppStatus());
    return { saved, redirect };
  },
  startThreadsLogin: async (appId, appSecret, demo) => unwrap(await commands.startThreadsLogin(appId, appSecret, demo)),
  finishThreadsLogin: async (pasted) => unwrap(await commands.finishThreadsLogin(pasted)),
  setAccountEnabled: async (id, enabled) => unwrap(await commands.setAccountEnabled(id, enabled)),
  removeAccount: async (id) => unwrap(await commands.removeAccount(id)),
  verifyAccount: async (id) => unwrap(await commands.verifyAccount(id)),
  tryAccountNow: async (id) => unwrap(await commands.tryAccountNow(id)),
  startDemo: async () => unwrap(await commands.startDemo()),
  addDemoNetworks: async () => unwrap(await commands.addDemoNetworks()),
  pickMedia: async () => unwrap(await commands.pickMedia()),
  attachBytes: async (name, data) => unwrap(await commands.attachBytes(name, Array.from(data))),
  detachMedia: async (id) => {
    await commands.detachMedia(id);
  },
  reviewDraft: async (draft) => unwrap(await commands.reviewDraft(draft)),
  share: async (draft) => unwrap(await commands.share(draft)),
  queueSlots: async () => unwrap(await commands.queueSlots()),
  addQueueSlot: async (slot) => unwrap(await commands.addQueueSlot(slot)),
  removeQueueSlot: async (id) => {
    unwrap(await commands.removeQueueSlot(id));
  },
  queueOccurrences: async (from, to) => unwrap(await commands.queueOccurrences(from, to)),
  nextQueueSlots: async (accounts) => unwrap(await commands.nextQueueSlots(accounts)),
  addToQueue: async (draft) => unwrap(await commands.addToQueue(draft)),
  linkPreview: async (text) => unwrap(await commands.linkPreview(text)),
  saveDraft: async (save) => unwrap(await commands.saveDraft(save)),
  listDrafts: async () => unwrap(await commands.listDrafts()),
  openDraft: async (id) => unwrap(await commands.openDraft(id)),
  deleteDraft: async (id) => unwrap(await commands.deleteDraft(id)),
  openPost: async (postId) => unwrap(await commands.openPost(postId)),
  editPost: async (postId, draft) => unwrap(await commands.editPost(postId, draft)),
  cancelPost: async (postId) => unwrap(await commands.cancelPost(postId)),
  listOutbox: async (limit) => unwrap(await commands.listOutbox(limit)),
  history: async (query) => unwrap(await commands.history(query)),
  reschedulePost: async (postId, at) => {
    unwrap(await commands.reschedulePost(postId, at));
  },
  retryDelivery: async (id) => {
    unwrap(await commands.retryDelivery(id));
  },
  retryAllFailures: async () => unwrap(await commands.retryAllFailures()),
  cancelDelivery: async (id) => {
    unwrap(await commands.cancelDelivery(id));
  },
  resolveDelivery: async (id, sent) => {
    unwrap(await commands.resolveDelivery(id, sent));
  },
  setPaused: (paused) => commands.setPaused(paused),
  openLink: async (url) => {
    unwrap(await commands.openLink(url));
  },
  openAccountPage: async (accountId) => {
    unwrap(await commands.openAccountPage(accountId));
  },
  openDataFolder: async () => {
    unwrap(await commands.openDataFolder());
  },
  showQuickShare: async () => {
    unwrap(await commands.showQuickShare());
  },
  showMain: async (view) => {
    unwrap(await commands.showMain(view));
  },
  closeWindow: async () => {
    const { getCurrentWindow } = await import('@tauri-apps/api/window');
    await getCurrentWindow().close();
  },
  clipboardText: () => commands.clipboardText(),
  onOutboxChanged: (handler) => events.outboxChanged.listen((e) => handler(e.payload.deliveries)),
  // Files wait in Rust until this window takes them: once now (they may have come while the
  // window loaded) and at every notice after.
  onMediaReceived: async (handler) => {
    const take = async () => {
      const received = await commands.takeReceivedMedia();
      if (received.media.length > 0 || received.problems.length > 0) handler(received);
    };
    const unlisten = await events.mediaWaiting.listen(() => void take());
    await take();
    return unlisten;
  },
  onDeliveryPaused: (handler) => events.deliveryPaused.listen((e) => handler(e.payload.paused)),
  onDeliveryTrouble: (handler) => events.deliveryTrouble.listen((e) => handler(e.payload.reason)),
  onNavigate: (handler) => events.navigate.listen((e) => handler(e.payload.view)),
  onQuickShareText: (handler) => events.quickShareText.listen((e) => handler(e.payload.text)),
};

export const BACKEND_KEY = Symbol('backend');

export function provideBackend(backend: Backend): void {
  setContext(BACKEND_KEY, backend);
}

export function useBackend(): Backend {
  const backend = getContext<Backend | undefined>(BACKEND_KEY);
  if (!backend) throw new Error('no Backend in context: wrap the view in provideBackend');
  return backend;
}

/** A message for people from anything thrown. */
export function describeError(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'object' && e && 'message' in e) return String((e as { message: unknown }).message);
  return String(e);
}
