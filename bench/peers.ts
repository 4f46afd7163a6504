/**
 * The peers named in the options, made on our device: TF.js and ORT Web
 * (browser only, loaded on demand so Node never imports them), the naive
 * WGSL kernel and the CPU loop. A peer whose setup fails becomes an error
 * row instead of a silent absence.
 */
import { cpuPeer } from './cpu.js';
import { naivePeer } from './naive.js';
import type { PeerName } from './options.js';
import { emptyRow } from './rows.js';
import type { PeerImpl, Row } from './types.js';

/** Where the page serves ORT Web's wasm files (see vite.config.ts); needed for 'ort' only. */
export async function makePeers(
  names: PeerName[],
  device: GPUDevice,
  ortWasmDir?: string,
): Promise<{ peers: PeerImpl[]; failed: Row[] }> {
  const peers: PeerImpl[] = [];
  const failed: Row[] = [];
  for (const name of names) {
    try {
      if (name === 'tf') peers.push(await (await import('./peer-tf.js')).tfPeer(device));
      if (name === 'ort') {
        if (!ortWasmDir) throw new Error('no wasm directory for ONNX Runtime Web');
        peers.push((await import('./peer-ort.js')).ortPeer(device, ortWasmDir));
      }
      if (name === 'naive') peers.push(naivePeer(device));
      if (name === 'cpu') peers.push(cpuPeer());
    } catch (e) {
      failed.push({
        ...emptyRow(name, { op: '(setup)', dir: 'forward', dtype: 'float32', shape: [0] }),
        error: `${name} setup failed: ${(e as Error)?.message ?? e}`,
      });
    }
  }
  return { peers, failed };
}
