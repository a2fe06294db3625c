// What a control does when it calls the backend: the controls wait while the call runs, and a
// failure reaches the user as an error toast in the backend's words. A view never writes its own
// try/catch for that; it never re-throws either, so a caller goes on after a failure.
import { describeError } from './backend';
import { toast } from './toasts.svelte';

/** Runs `work`; a failure becomes an error toast. The result, or undefined when it failed (it never rejects). */
export async function attempt<T>(work: () => Promise<T>): Promise<T | undefined> {
  try {
    return await work();
  } catch (e) {
    toast(describeError(e), 'error');
    return undefined;
  }
}

/**
 * Whether an action is under way, for the controls that start it. A `Busy<Key>` also says which
 * one (an account's id, say). As a plain flag would: the last action started is the one it names,
 * and the first to end clears it.
 */
export class Busy<Key = never> {
  /** The key of the action under way (true when it was started without one), or null. */
  #current = $state<Key | true | null>(null);

  get running(): boolean {
    return this.#current !== null;
  }

  runningFor(key: Key): boolean {
    return this.#current === key;
  }

  /** Runs `work` as {@link attempt} does, running (for `key`, if given) until it ends. */
  async run<T>(work: () => Promise<T>, key?: Key): Promise<T | undefined> {
    this.#current = key ?? true;
    try {
      return await attempt(work);
    } finally {
      this.#current = null;
    }
  }
}
