import { KeyedTurns } from './keyed-turns';

/** A run that ends when told to, recording when it started and ended. */
function gate(log: string[], name: string) {
  let open!: () => void;
  let fail!: (e: Error) => void;
  const done = new Promise<string>((resolve, reject) => {
    open = () => resolve(name);
    fail = reject;
  });
  const work = async () => {
    log.push(`${name} started`);
    try {
      return await done;
    } finally {
      log.push(`${name} ended`);
    }
  };
  return { work, open, fail };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('KeyedTurns', () => {
  it('given two runs of one key, then the second starts only after the first ended; another key does not wait', async () => {
    const turns = new KeyedTurns();
    const log: string[] = [];
    const [a1, a2, b1] = [gate(log, 'a1'), gate(log, 'a2'), gate(log, 'b1')];
    const runs = [turns.run('a', a1.work), turns.run('a', a2.work), turns.run('b', b1.work)];
    await tick();
    expect(log).toEqual(['a1 started', 'b1 started']);
    a1.open();
    await tick();
    expect(log).toEqual(['a1 started', 'b1 started', 'a1 ended', 'a2 started']);
    a2.open();
    b1.open();
    await expect(Promise.all(runs)).resolves.toEqual(['a1', 'a2', 'b1']);
  });

  it('given a run that fails, then the caller gets the failure and the next run of the key still runs', async () => {
    const turns = new KeyedTurns();
    const log: string[] = [];
    const [first, second] = [gate(log, 'first'), gate(log, 'second')];
    const failed = turns.run('k', first.work);
    const next = turns.run('k', second.work);
    first.fail(new Error('boom'));
    await expect(failed).rejects.toThrow('boom');
    second.open();
    await expect(next).resolves.toBe('second');
  });

  it('says a key is busy while a run of it is in progress or waiting, and forgets it after', async () => {
    const turns = new KeyedTurns();
    const g = gate([], 'g');
    const run = turns.run('k', g.work);
    expect([turns.busy('k'), turns.busy('other')]).toEqual([true, false]);
    g.open();
    await run;
    await tick();
    expect(turns.busy('k')).toBe(false);
  });
});
