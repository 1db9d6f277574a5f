import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gitHead } from '../src/provenance.js';

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'init.defaultBranch=main', ...args], {
    cwd,
    encoding: 'utf8',
  }).trim();

describe('gitHead', () => {
  const dir = mkdtempSync(join(tmpdir(), 'specbias-githead-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads what `git rev-parse HEAD` says from the files: a branch, packed refs, a detached HEAD, a worktree', () => {
    const repo = join(dir, 'repo');
    git(dir, 'init', '-q', repo);
    writeFileSync(join(repo, 'a.txt'), 'a');
    git(repo, 'add', 'a.txt');
    git(repo, 'commit', '-q', '-m', 'one');
    const first = git(repo, 'rev-parse', 'HEAD');
    expect(gitHead(repo)).toBe(first);

    writeFileSync(join(repo, 'a.txt'), 'b');
    git(repo, 'commit', '-q', '-am', 'two');
    git(repo, 'pack-refs', '--all');
    const second = git(repo, 'rev-parse', 'HEAD');
    expect(second).not.toBe(first);
    expect(gitHead(repo)).toBe(second);

    git(repo, 'checkout', '-q', '--detach', first);
    expect(gitHead(repo)).toBe(first);
    git(repo, 'checkout', '-q', 'main');

    const tree = join(dir, 'tree');
    git(repo, 'worktree', 'add', '-q', '-b', 'side', tree, first);
    expect(gitHead(tree)).toBe(git(tree, 'rev-parse', 'HEAD'));
    expect(gitHead(tree)).toBe(first);
  });

  it('is null outside any checkout', () => {
    const plain = mkdtempSync(join(tmpdir(), 'specbias-nogit-'));
    try {
      expect(gitHead(plain)).toBeNull();
    } finally {
      rmSync(plain, { recursive: true, force: true });
    }
  });
});
