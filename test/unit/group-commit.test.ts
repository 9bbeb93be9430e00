import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../../src/app/group-commit.ts';

/** A commit that settles only when the test says so, oldest first, and remembers every group it was given. */
function heldCommits() {
  const groups: string[][] = [];
  const pending: { items: string[]; resolve: (outcomes: string[]) => void; reject: (error: unknown) => void }[] = [];
  const commit = (items: readonly string[]) => {
    groups.push([...items]);
    const { promise, resolve, reject } = Promise.withResolvers<string[]>();
    pending.push({ items: [...items], resolve, reject });
    return promise;
  };
  const settled = () => new Promise((resolve) => setImmediate(resolve));
  /** The oldest commit in flight succeeds, with an outcome per item. */
  const finishNext = async () => {
    const next = pending.shift();
    next?.resolve(next.items.map((item) => `done ${item}`));
    await settled();
  };
  const failNext = async (error: Error) => {
    pending.shift()?.reject(error);
    await settled();
  };
  return { groups, commit, finishNext, failNext };
}

function groupCommit(
  commit: (items: readonly string[]) => Promise<string[]>,
  options: Partial<{ maxInFlight: number; maxGroupSize: number; maxWaitMs: number }> = {},
) {
  return new GroupCommit<string, string>({
    maxInFlight: 1,
    maxGroupSize: 100,
    maxWaitMs: 60_000,
    waitedTooLong: (ms) => new Error(`waited ${ms}`),
    commit,
    ...options,
  });
}

describe('GroupCommit', () => {
  it('commits a lone item at once, in a group of its own', async () => {
    const commits = heldCommits();
    const answer = groupCommit(commits.commit).submit('a');
    expect(commits.groups).toEqual([['a']]);
    await commits.finishNext();
    await expect(answer).resolves.toBe('done a');
  });

  it('commits the items that arrive while a transaction is in flight together in the next one, in order', async () => {
    const commits = heldCommits();
    const groups = groupCommit(commits.commit);
    const answers = ['a', 'b', 'c', 'd'].map((item) => groups.submit(item));
    expect(commits.groups).toEqual([['a']]);
    await commits.finishNext();
    expect(commits.groups).toEqual([['a'], ['b', 'c', 'd']]);
    await commits.finishNext();
    await expect(Promise.all(answers)).resolves.toEqual(['done a', 'done b', 'done c', 'done d']);
  });

  it('keeps up to maxInFlight transactions going and no group larger than maxGroupSize', async () => {
    const commits = heldCommits();
    const groups = groupCommit(commits.commit, { maxInFlight: 2, maxGroupSize: 2 });
    const answers = ['a', 'b', 'c', 'd', 'e', 'f'].map((item) => groups.submit(item));
    expect(commits.groups).toEqual([['a'], ['b']]);
    await commits.finishNext();
    expect(commits.groups).toEqual([['a'], ['b'], ['c', 'd']]);
    await commits.finishNext();
    expect(commits.groups).toEqual([['a'], ['b'], ['c', 'd'], ['e', 'f']]);
    await commits.finishNext();
    await commits.finishNext();
    expect(await Promise.all(answers)).toHaveLength(6);
  });

  it('fails every item of a failed group with its error, and goes on with the next group', async () => {
    const commits = heldCommits();
    const groups = groupCommit(commits.commit);
    const first = groups.submit('a');
    const failing = [groups.submit('b'), groups.submit('c')].map((answer) => answer.catch((error: Error) => error.message));
    await commits.finishNext();
    await commits.failNext(new Error('deadlock'));
    expect(await Promise.all(failing)).toEqual(['deadlock', 'deadlock']);
    const later = groups.submit('d');
    expect(commits.groups.at(-1)).toEqual(['d']);
    await commits.finishNext();
    await expect(first).resolves.toBe('done a');
    await expect(later).resolves.toBe('done d');
  });

  it('fails a group whose commit answers another number of outcomes than it has items', async () => {
    const groups = groupCommit(async () => []);
    await expect(groups.submit('a')).rejects.toThrow('answered 0 outcomes for 1 items');
  });

  it('fails an item that waited longer than maxWaitMs without committing it', async () => {
    const commits = heldCommits();
    const groups = groupCommit(commits.commit, { maxWaitMs: 5 });
    const first = groups.submit('a');
    const late = groups.submit('b').catch((error: Error) => error.message);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await commits.finishNext();
    await expect(first).resolves.toBe('done a');
    expect(await late).toMatch(/^waited \d+/);
    expect(commits.groups).toEqual([['a']]);
  });
});
