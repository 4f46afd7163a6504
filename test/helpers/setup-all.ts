// After every test file: the shared device raised no uncaptured (unhandled) GPU error.
import { afterAll, expect } from 'vitest';
import { uncapturedErrors } from './gpu.js';

afterAll(() => {
  expect(uncapturedErrors, 'uncaptured GPU errors on the shared device').toEqual([]);
});
