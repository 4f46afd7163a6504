/**
 * Dawn's node binding spins the JS thread while a queue wait is pending,
 * taking a core from SwiftShader. So each wait first sleeps for most (80%)
 * of the time the caller expects the work to take, then awaits the rest.
 * Used by the Node runner and the Node probes.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** Wraps queue.onSubmittedWorkDone; call the returned function with the expected milliseconds before each wait. */
export function sleepBeforeWaits(queue: GPUQueue): (ms: number) => void {
  let expectMs = 0;
  const wait = queue.onSubmittedWorkDone.bind(queue);
  queue.onSubmittedWorkDone = async () => {
    const ahead = expectMs * 0.8;
    expectMs = 0;
    if (ahead > 1) await sleep(ahead);
    return wait();
  };
  return (ms) => {
    expectMs = ms;
  };
}
