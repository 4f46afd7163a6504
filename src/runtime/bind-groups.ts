/**
 * Bind groups kept for reuse. Creating one is the largest single cost of
 * recording a small op (bench/notes/latency.md, item 4), and small ops repeat
 * their bindings: uniform slots restart at the first slot after every
 * submission and the buffer pool hands the same buffers back, so a chain of
 * ops recorded twice asks for the same (pipeline, buffer, offset, size) lists.
 *
 * Only buffers the runtime created itself are cached against. A bind group
 * holds its buffers alive, and a caller's wrapped buffer must stay the
 * caller's to let go of; the runtime's own buffers are destroyed explicitly.
 */

/** One resource binding of a dispatch: a byte range of a buffer. */
export interface BufferRange {
  buffer: GPUBuffer;
  offset: number;
  size: number;
}

/** Enough for every distinct binding of a few hundred recorded ops. */
const CAPACITY = 1024;

export class BindGroupCache {
  #ids = new WeakMap<object, number>();
  #owned = new WeakSet<GPUBuffer>();
  #nextId = 1;
  /** Insertion order is recency order: a hit moves its entry to the end. */
  #groups = new Map<string, GPUBindGroup>();
  /** getBindGroupLayout makes a new object on every call: one per pipeline, made on a miss. */
  #layouts = new WeakMap<GPUComputePipeline, GPUBindGroupLayout>();

  /** Marks a buffer the runtime created (and will destroy) as safe to cache against. */
  own(buffer: GPUBuffer): void {
    this.#owned.add(buffer);
  }

  #id(o: object): number {
    let id = this.#ids.get(o);
    if (id === undefined) this.#ids.set(o, (id = this.#nextId++));
    return id;
  }

  /** The bind group of `ranges` at bindings 0..n for `pipeline`, made or reused. */
  get(
    device: GPUDevice,
    pipeline: GPUComputePipeline,
    ranges: readonly BufferRange[],
  ): GPUBindGroup {
    let key = `${this.#id(pipeline)}`;
    for (const r of ranges) {
      if (!this.#owned.has(r.buffer)) return this.#create(device, pipeline, ranges);
      key += `|${this.#id(r.buffer)}:${r.offset}:${r.size}`;
    }
    let group = this.#groups.get(key);
    if (group) {
      this.#groups.delete(key);
    } else {
      group = this.#create(device, pipeline, ranges);
      if (this.#groups.size >= CAPACITY) {
        this.#groups.delete(this.#groups.keys().next().value as string);
      }
    }
    this.#groups.set(key, group);
    return group;
  }

  #create(
    device: GPUDevice,
    pipeline: GPUComputePipeline,
    ranges: readonly BufferRange[],
  ): GPUBindGroup {
    let layout = this.#layouts.get(pipeline);
    if (!layout) this.#layouts.set(pipeline, (layout = pipeline.getBindGroupLayout(0)));
    return device.createBindGroup({
      label: pipeline.label,
      layout,
      entries: ranges.map((r, binding) => ({
        binding,
        resource: { buffer: r.buffer, offset: r.offset, size: r.size },
      })),
    });
  }

  clear(): void {
    this.#groups.clear();
  }
}
