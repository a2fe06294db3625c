// The one place a control's backend call waits and reports: what every view relies on.
import { beforeEach, describe, expect, it } from 'vitest';
import { attempt, Busy } from './action.svelte';
import { toasts } from './toasts.svelte';

/** A promise the test settles by hand, to look at the action while it is still under way. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((yes, no) => ([resolve, reject] = [yes, no]));
  return { promise, resolve, reject };
}

const shown = () => toasts.list.map(({ text, kind }) => ({ text, kind }));

beforeEach(() => {
  toasts.list = [];
});

describe('Busy', () => {
  it('is running while the action runs, not before or after, and returns its result', async () => {
    const busy = new Busy();
    const call = deferred<number>();
    expect(busy.running, 'nothing has started').toBe(false);
    const done = busy.run(() => call.promise);
    expect(busy.running, 'the controls wait as soon as the action starts').toBe(true);
    call.resolve(42);
    expect(await done, 'the caller gets what the backend answered').toBe(42);
    expect(busy.running, 'the controls are usable again once it ended').toBe(false);
    expect(shown(), 'a success says nothing of its own').toEqual([]);
  });

  it('reports a failure as an error toast in the backend’s words, ends, and resolves undefined', async () => {
    const busy = new Busy();
    const call = deferred<string>();
    const done = busy.run(() => call.promise);
    // What the backend rejects with: `{code, message}`, not an Error.
    call.reject({ code: 'network', message: 'The server did not answer' });
    await expect(done, 'a failure is not thrown on to the view').resolves.toBeUndefined();
    expect(busy.running, 'a failed action frees the controls too').toBe(false);
    expect(shown(), 'the user reads the message, not "[object Object]"').toEqual([
      { text: 'The server did not answer', kind: 'error' },
    ]);
  });

  it('says which keyed action runs, as the one flag it replaces did', async () => {
    const busy = new Busy<string>();
    const first = deferred<void>();
    const second = deferred<void>();
    const a = busy.run(() => first.promise, 'a');
    expect([busy.runningFor('a'), busy.runningFor('b')], 'only the account acted on waits').toEqual([true, false]);
    const b = busy.run(() => second.promise, 'b');
    expect([busy.runningFor('a'), busy.runningFor('b')], 'the action started last is the one named').toEqual([false, true]);
    second.resolve();
    await b;
    expect(busy.running, 'the first action to end clears it').toBe(false);
    first.resolve();
    await a;
  });
});

describe('attempt', () => {
  it('returns the result, or undefined after an error toast worded like the Error', async () => {
    expect(await attempt(async () => 'ok')).toBe('ok');
    expect(await attempt(() => Promise.reject(new Error('Disk full')))).toBeUndefined();
    expect(shown()).toEqual([{ text: 'Disk full', kind: 'error' }]);
  });
});
