/**
 * Out of memory: ask for tensors until the device cannot allocate one. The
 * work runs in a child process that caps its own address space (see
 * test/oom-child.ts for why and how); this file asserts what it reports.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('out of memory', () => {
  it('one OutOfMemoryError from an error scope, no validation storm; earlier tensors intact; works again after destroy', () => {
    const child = spawnSync(process.execPath, ['--import', 'tsx', 'test/runtime/oom-child.ts'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 110_000,
      // One malloc arena: glibc's per-thread arenas reserve 64 MiB of address space each, at random moments.
      env: { ...process.env, MALLOC_ARENA_MAX: '1' },
    });
    const last = child.stdout.trim().split('\n').pop() ?? '';
    const context = `exit ${child.status ?? child.signal}\nstdout: ${child.stdout}\nstderr: ${child.stderr.slice(-4000)}`;
    expect(last.startsWith('{'), context).toBe(true);
    const f = JSON.parse(last);
    expect(f.error, context).toBeUndefined();
    const oom = {
      name: 'OutOfMemoryError',
      code: 'OUT_OF_MEMORY',
      activations: true,
      outOfMemory: true,
    };
    const clear =
      /could not be allocated \(268435456 bytes\): out of memory \(.+\); destroy tensors, await act.flush\(\), retry/;

    // The work before the failure ran, and the failing request was refused by the device itself.
    expect(f.warmMismatches).toBe(0);
    expect(f.allocated).toBeGreaterThanOrEqual(2);
    expect(f.earlierFlushes).toEqual(Array(f.allocated).fill('resolved'));
    expect(f.leftMiB).toBeLessThan(256);
    // One clear error at the next flush, none uncaptured; it is reported once.
    expect(f.flushError, context).toMatchObject(oom);
    expect(f.flushError.message).toMatch(clear);
    expect(f.flushError.message).toMatch(/VK_ERROR_OUT_OF|out of memory/i);
    expect(f.uncapturedAtFailure).toEqual([]);
    expect(f.secondFlush).toBe('resolved');
    // The failed tensor is refused before any GPU work, by an op and by read.
    expect(f.useFailed).toMatchObject(oom);
    expect(f.useFailed.message).toMatch(/^relu: x: /);
    expect(f.dispatchesAfterUse).toBe(0);
    expect(f.readFailed).toMatchObject(oom);
    // Earlier tensors and the input read back correctly.
    expect(f.earlierMismatches).toEqual(Array(f.allocated).fill(0));
    expect(f.srcMismatches).toBe(0);
    // After destroying them, the same request succeeds and computes correctly.
    expect(f.liveBytesAfterDestroy).toBe(f.srcBytes);
    expect(f.flushAgain).toBe('resolved');
    expect(f.againMismatches).toBe(0);
    expect(f.uncaptured).toEqual([]);
  }, 120_000);
});
