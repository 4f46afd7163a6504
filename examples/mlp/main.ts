/**
 * The MLP page: pick the dataset, the hidden activation and the depth, train,
 * and watch the loss curve and the decision boundary. Query parameters
 * (?dataset=rings&activation=relu&hidden=32&steps=150) set the controls and
 * start training at once; window.__page tells a driver (docs/pages.check.ts)
 * when it is done.
 */
import * as tf from '@tensorflow/tfjs-core';
import { activationNames, activations, createActivations } from '../../src/index.js';
import type { ActivationName } from '../../src/index.js';
import { makeDataset, type DatasetKind } from './data.js';
import { drawBoundary, drawLoss, gridPoints } from './draw.js';
import { tfOnDevice, train } from './train.js';
import { modes, trainTfMode, type Mode } from './tf-mode.js';

interface PageState {
  state: 'running' | 'done' | 'error';
  error: string | null;
  accuracy: number | null;
}
const page: PageState = { state: 'running', error: null, accuracy: null };
(window as unknown as { __page: PageState }).__page = page;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = $<HTMLDivElement>('status');
const q = new URLSearchParams(location.search);

function fill(select: HTMLSelectElement, values: string[], chosen: string) {
  for (const v of values) select.add(new Option(v, v, v === chosen, v === chosen));
}
const hiddenOps = activationNames.filter(
  (op) => activations[op].usedIn !== 'output' || op === 'sigmoid' || op === 'identity',
);
fill($('dataset'), ['rings', 'spirals'], q.get('dataset') ?? 'rings');
fill($('activation'), hiddenOps, q.get('activation') ?? 'relu');
fill($('hidden'), ['32', '32,32', '64,64', '16'], q.get('hidden') ?? '32');
fill($('mode'), modes, q.get('mode') ?? 'interop');
if (q.get('steps')) $<HTMLInputElement>('steps').value = q.get('steps')!;

const GRID = 48;
// One device for the page, shared by TF.js and this library.
const ready = createActivations().then(async (act) => ({ act, backend: await tfOnDevice(act) }));

async function run(): Promise<void> {
  page.state = 'running';
  const button = $<HTMLButtonElement>('train');
  button.disabled = true;
  try {
    const { act, backend } = await ready;
    const kind = $<HTMLSelectElement>('dataset').value as DatasetKind;
    const activation = $<HTMLSelectElement>('activation').value as ActivationName;
    const hidden = $<HTMLSelectElement>('hidden').value.split(',').map(Number);
    const steps = Math.max(1, Number($<HTMLInputElement>('steps').value) || 150);
    const trainSet = makeDataset(kind, 256, 1);
    const testSet = makeDataset(kind, 256, 2);
    const grid = tf.tensor2d(gridPoints(GRID), [GRID * GRID, 2]);
    const points: { step: number; loss: number }[] = [];
    const t0 = performance.now();
    const mode = $<HTMLSelectElement>('mode').value as Mode;
    const common = {
      hidden,
      activation,
      seed: 3,
      learningRate: kind === 'rings' ? 0.05 : 0.02,
      steps,
    };
    const onLoss = async (step: number, loss: number) => {
      points.push({ step, loss });
      drawLoss($('loss'), [{ label: `${activation} (${mode})`, colour: '#1864ab', points }], steps);
      status.textContent = `step ${step + 1} / ${steps}, loss ${loss.toFixed(4)}`;
      // Let the page paint between steps.
      await new Promise((r) => setTimeout(r, 0));
    };
    // 'interop': our kernels called by hand (train.ts); 'tf' / 'tf+provider': the same
    // plain-TF.js MLP on TF's kernels, or on ours after registerTfjsKernels (tf-mode.ts).
    const trained =
      mode === 'interop'
        ? await train(act, backend, trainSet, { ...common, every: 5, onLoss }).then(({ mlp }) => ({
            probabilities: (x: tf.Tensor2D) => mlp.probabilities(x),
            accuracy: (d: typeof testSet) => mlp.accuracy(d),
            dispose: () => mlp.dispose(),
            note: '',
          }))
        : await trainTfMode(mode, trainSet, { ...common, onLoss }).then((t) => ({
            probabilities: t.probabilities,
            accuracy: t.accuracy,
            dispose: t.dispose,
            note:
              `, median step ${t.msPerStep.toFixed(1)} ms` +
              (t.stats
                ? `; ran on ours: ${Object.entries(t.stats)
                    .filter(([, v]) => v.ours > 0)
                    .map(([k, v]) => `${k.replace('WebGPUActivations.', '')} ${v.ours}`)
                    .join(', ')}`
                : ''),
          }));
    // A boundary while training would cost a read each time; draw it once at the end.
    drawBoundary($('boundary'), await trained.probabilities(grid), GRID, testSet);
    const accuracy = await trained.accuracy(testSet);
    page.accuracy = accuracy;
    status.textContent =
      `${steps} steps in ${((performance.now() - t0) / 1000).toFixed(1)} s, final loss ` +
      `${points[points.length - 1].loss.toFixed(4)}, test accuracy ${(100 * accuracy).toFixed(1)}%` +
      trained.note;
    trained.dispose();
    grid.dispose();
    page.state = 'done';
  } catch (e) {
    page.state = 'error';
    page.error = (e as Error).message;
    status.textContent = `error: ${(e as Error).message}`;
    console.error(e);
  } finally {
    button.disabled = false;
  }
}

$<HTMLButtonElement>('train').addEventListener('click', () => void run());
void run();
