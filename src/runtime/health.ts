/**
 * Whether work can go on: the device is not lost, the instance is not
 * disposed, and the buffers the work touches are good. Whether a buffer is
 * good (its allocation did not run out of memory, a wrapped one is this
 * device's) is known only later, from an error scope. Until then the buffer
 * is unverified, work that uses it runs inside a validation scope, and what
 * the scopes find is reported once, by the next read or flush, instead of as
 * uncaptured validation errors.
 */
import {
  ActivationsError,
  DeviceLostError,
  GPUError,
  InvalidArgumentError,
  OutOfMemoryError,
} from '../core/errors.js';

/** Why a buffer cannot be used: its allocation failed, or it belongs to another device. */
export interface BufferFailure {
  code: 'OUT_OF_MEMORY' | 'DEVICE_MISMATCH';
  message: string;
}

/** A buffer's verdict: why it failed, or null once it is known good. */
export type Verdict = Promise<BufferFailure | null>;

export function failureError(f: BufferFailure, context = ''): ActivationsError {
  const message = context ? `${context}: ${f.message}` : f.message;
  return f.code === 'OUT_OF_MEMORY'
    ? new OutOfMemoryError(message)
    : new InvalidArgumentError(message, f.code);
}

export class Health {
  readonly #device: GPUDevice;
  #lost: DeviceLostError | null = null;
  #lostWaiters = new Set<(e: DeviceLostError) => void>();
  #disposed = false;
  /** Buffers whose verdict has not arrived: large allocations and wrapped buffers. */
  #unverified = new Map<GPUBuffer, Verdict>();
  /** Buffers that cannot be used, and why: checkTensor refuses them before any GPU work. */
  #failed = new WeakMap<GPUBuffer, BufferFailure>();
  /** Verdicts and scopes around work on unverified buffers, not answered yet. */
  #checks = new Set<Promise<void>>();
  /** What they found: the next read or flush rejects with the first (and forgets the rest). */
  #failures: ActivationsError[] = [];
  /** Verdicts of the unverified buffers the open encoder uses: its submission runs in a scope. */
  #encoderRisk: Verdict[] = [];

  constructor(device: GPUDevice) {
    this.#device = device;
    device.lost.then((info) => {
      this.#lost = new DeviceLostError(
        `webgpu-activations: the GPU device was lost (${info.reason}): ${info.message || 'no message'}. ` +
          'Create a new instance with createActivations().',
      );
      for (const reject of this.#lostWaiters) reject(this.#lost);
      this.#lostWaiters.clear();
    });
  }

  /** The loss, once the device has reported it. */
  get lost(): DeviceLostError | null {
    return this.#lost;
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  dispose(): void {
    this.#disposed = true;
  }

  /** Throws if the device is lost or the instance disposed. */
  checkAlive(): void {
    if (this.#lost) throw this.#lost;
    if (this.#disposed) {
      throw new InvalidArgumentError(
        'webgpu-activations: this instance was disposed',
        'TENSOR_DESTROYED',
      );
    }
  }

  /** Rejects when the device is lost, so no await on GPU work can hang past a loss. */
  untilLost<T>(p: Promise<T>): Promise<T> {
    if (this.#lost) return Promise.reject(this.#lost);
    return new Promise<T>((resolve, reject) => {
      const onLost = (e: DeviceLostError) => reject(e);
      this.#lostWaiters.add(onLost);
      p.then(
        (v) => {
          this.#lostWaiters.delete(onLost);
          if (this.#lost) reject(this.#lost);
          else resolve(v);
        },
        (e) => {
          this.#lostWaiters.delete(onLost);
          reject(this.#lost ?? e);
        },
      );
    });
  }

  /** Why `buffer` cannot be used, if it is known to have failed. */
  failureOf(buffer: GPUBuffer): BufferFailure | undefined {
    return this.#failed.get(buffer);
  }

  /** Whether `buffer`'s verdict has not arrived yet. */
  pending(buffer: GPUBuffer): boolean {
    return this.#unverified.has(buffer);
  }

  /** The verdicts of the unverified (or failed) buffers among `buffers`; `encoder`: the open encoder uses them. */
  risk(buffers: readonly GPUBuffer[], encoder: boolean): Verdict[] {
    const verdicts = [];
    for (const b of buffers) {
      const failed = this.#failed.get(b);
      const v = this.#unverified.get(b) ?? (failed && Promise.resolve(failed));
      if (v) verdicts.push(v);
    }
    if (encoder) this.#encoderRisk.push(...verdicts);
    return verdicts;
  }

  /** The verdicts the open encoder's work depends on, for its submission; forgets them. */
  takeEncoderRisk(): Verdict[] {
    const risk = this.#encoderRisk;
    this.#encoderRisk = [];
    return risk;
  }

  /**
   * Runs `record` (a device or queue call that validates at once) inside a
   * validation scope when it uses a buffer not known good (`verdicts`); an
   * error goes to the next read or flush, blamed on the failed buffer.
   */
  scoped<T>(verdicts: Verdict[], what: string, record: () => T): T {
    if (verdicts.length === 0) return record();
    this.#device.pushErrorScope('validation');
    try {
      return record();
    } finally {
      const scope = this.#device.popErrorScope();
      this.#check(
        Promise.all([scope, ...verdicts]).then(([err, ...fs]) => {
          if (!err) return null;
          const f = fs.find((v) => v);
          return f ? failureError(f) : new GPUError(`${what}: ${err.message}`);
        }),
      );
    }
  }

  /**
   * Records `buffer` as unverified until `scope` answers; on an error it is
   * failed (`failure` says why) and the next read or flush rejects.
   */
  verify(
    buffer: GPUBuffer,
    scope: Promise<{ message: string } | null>,
    failure: (message: string) => BufferFailure | null,
    ok?: () => void,
  ): void {
    const verdict = scope.then(
      (err) => {
        this.#unverified.delete(buffer);
        const f = err && failure(err.message.split('\n')[0]);
        if (f) this.#failed.set(buffer, f);
        else ok?.();
        return f;
      },
      () => null,
    );
    this.#unverified.set(buffer, verdict);
    this.#check(verdict.then((f) => f && failureError(f)));
  }

  /** Waits for the checks made so far; the first failure they found (all are forgotten). */
  async failure(): Promise<ActivationsError | undefined> {
    await Promise.all(this.#checks);
    return this.#failures.splice(0)[0];
  }

  #check(p: Promise<ActivationsError | null>): void {
    const c: Promise<void> = p.then(
      (e) => {
        this.#checks.delete(c);
        if (e) this.#failures.push(e);
      },
      () => void this.#checks.delete(c),
    );
    this.#checks.add(c);
  }
}
