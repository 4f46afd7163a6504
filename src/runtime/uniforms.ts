/**
 * Uniforms of recorded dispatches. Our own work takes 256-byte slots (the
 * minimum dynamic offset alignment) in 64 KiB arenas, staged in memory and
 * written at submit; queue order makes the arenas safe to overwrite for the
 * next submission, so slots restart at the first after each one. Work
 * recorded into a caller's encoder (encode()) gets immutable buffers instead.
 */
import type { BindGroupCache, BufferRange } from './bind-groups.js';

export const UNIFORM_SLOT = 256;
const ARENA_SLOTS = 256;
/** Slots one submission may take: past this the recorder submits, so the arenas stay bounded. */
const MAX_SLOTS = 64 * ARENA_SLOTS;
/** Immutable encode() uniforms kept by content (4096 x 256 bytes = 1 MiB). */
const MAX_IMMUTABLE = 4096;

export class Uniforms {
  readonly #device: GPUDevice;
  readonly #bindGroups: BindGroupCache;
  #arenas: { buffer: GPUBuffer; data: ArrayBuffer }[] = [];
  #used = 0;
  /**
   * Uniforms of work recorded into a caller's encoder: we cannot know when
   * the caller submits, so these buffers are immutable, written at creation
   * and cached by content (a training step that repeats allocates nothing).
   */
  #immutable = new Map<string, GPUBuffer>();

  constructor(device: GPUDevice, bindGroups: BindGroupCache) {
    this.#device = device;
    this.#bindGroups = bindGroups;
  }

  /** A 256-byte uniform slot holding `words` (as u32 bits), written at submit. */
  slot(words: ArrayBuffer): BufferRange {
    const slot = this.#used++;
    const arena = Math.floor(slot / ARENA_SLOTS);
    if (arena === this.#arenas.length) {
      this.#arenas.push({
        buffer: this.#device.createBuffer({
          label: `webgpu-activations uniforms ${arena}`,
          size: UNIFORM_SLOT * ARENA_SLOTS,
          usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
        }),
        data: new ArrayBuffer(UNIFORM_SLOT * ARENA_SLOTS),
      });
      this.#bindGroups.own(this.#arenas[arena].buffer);
    }
    const a = this.#arenas[arena];
    const offset = (slot % ARENA_SLOTS) * UNIFORM_SLOT;
    new Uint8Array(a.data, offset, words.byteLength).set(new Uint8Array(words));
    return { buffer: a.buffer, offset, size: UNIFORM_SLOT };
  }

  /** An immutable uniform buffer holding `words`, shared by every dispatch with the same words. */
  immutable(words: ArrayBuffer): BufferRange {
    const key = Array.from(new Uint32Array(words, 0, words.byteLength >> 2)).join(',');
    let buffer = this.#immutable.get(key);
    if (!buffer) {
      buffer = this.#device.createBuffer({
        label: 'webgpu-activations encode() uniforms',
        size: UNIFORM_SLOT,
        usage: GPUBufferUsage.UNIFORM,
        mappedAtCreation: true,
      });
      new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(words));
      buffer.unmap();
      this.#bindGroups.own(buffer);
      this.#immutable.set(key, buffer);
      if (this.#immutable.size > MAX_IMMUTABLE) {
        // Dropped, not destroyed: a caller's encoder not yet submitted may still bind it (GC frees it).
        this.#immutable.delete(this.#immutable.keys().next().value as string);
      }
    }
    return { buffer, offset: 0, size: UNIFORM_SLOT };
  }

  /** Whether the recorded work should be submitted before it takes more slots. */
  get full(): boolean {
    return this.#used >= MAX_SLOTS;
  }

  /** Queues the slots taken since the last submission; the next slot is the first again. */
  write(): void {
    const used = this.#used;
    for (let i = 0; i * ARENA_SLOTS < used; i++) {
      const bytes = Math.min(ARENA_SLOTS, used - i * ARENA_SLOTS) * UNIFORM_SLOT;
      this.#device.queue.writeBuffer(this.#arenas[i].buffer, 0, this.#arenas[i].data, 0, bytes);
    }
    this.#used = 0;
  }

  /** Bytes kept: the arenas and the immutable uniforms. */
  get bytes(): number {
    return this.#arenas.length * UNIFORM_SLOT * ARENA_SLOTS + this.#immutable.size * UNIFORM_SLOT;
  }

  destroy(): void {
    for (const a of this.#arenas) a.buffer.destroy();
    this.#arenas = [];
    for (const b of this.#immutable.values()) b.destroy();
    this.#immutable.clear();
  }
}
