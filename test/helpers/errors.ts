/** Assertions on the errors the library throws or rejects with. */
import { expect } from 'vitest';
import { ActivationsError } from '../../src/index.js';

/** Runs fn and returns the ActivationsError it throws (failing if it throws anything else or nothing). */
export function thrown(fn: () => unknown): ActivationsError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ActivationsError);
    return e as ActivationsError;
  }
  throw new Error('expected an ActivationsError, nothing was thrown');
}

export async function rejected(p: Promise<unknown>): Promise<ActivationsError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ActivationsError);
    return e as ActivationsError;
  }
  throw new Error('expected a rejection with an ActivationsError');
}

/** What fn throws, or its promise rejects with; null when it succeeds. */
export async function outcome(fn: () => unknown): Promise<unknown> {
  try {
    const r = fn();
    if (r instanceof Promise) await r;
    return null;
  } catch (e) {
    return e;
  }
}
