/**
 * The fused softmax cross-entropy over logits [rows, classes]: argument and
 * label checks, the row kernel (loss per row and dlogits in one pass), then
 * the 'mean' or 'sum' of the row losses in one fixed-order workgroup.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { bytesPerElement, Tensor, tensorRange } from '../core/tensor.js';
import {
  bindingLimit,
  checkBindable,
  checkKeys,
  checkObject,
  checkSameLayout,
  describe,
  shapeText,
} from '../core/validate.js';
import type { BufferRange, Runtime } from '../runtime/runtime.js';
import { lossSumShader } from './codegen.js';
import { planRows } from './plan.js';
import { recordRows } from './record.js';
import { windowsOf } from './windows.js';
import type { CrossEntropyOptions } from './table.js';

const OP_CE = 'softmaxCrossEntropy';

/** Labels as i32 words with ignored rows marked -1, after checking each against [0, classes). */
function labelWords(
  labels: Int32Array | Uint32Array,
  rows: number,
  classes: number,
  ignore: number | undefined,
) {
  if (labels.length !== rows) {
    throw new InvalidArgumentError(
      `${OP_CE}: target has ${labels.length} labels but logits have ${rows} rows`,
      'SHAPE_MISMATCH',
    );
  }
  const words = new Int32Array(Math.max(1, rows));
  let count = 0;
  for (let r = 0; r < rows; r++) {
    const l = labels[r];
    if (l === ignore) {
      words[r] = -1;
      continue;
    }
    if (l < 0 || l >= classes) {
      throw new InvalidArgumentError(
        `${OP_CE}: target[${r}] = ${l} is outside [0, ${classes})` +
          (ignore === undefined ? '' : ` and is not ignoreIndex (${ignore})`),
        'INVALID_PARAMETER',
      );
    }
    words[r] = l;
    count++;
  }
  return { words, count };
}

/** Fused loss and gradient: { loss ([rows] for 'none', else []), dlogits ([rows, classes]) }. */
export function softmaxCrossEntropy(
  rt: Runtime,
  logits: Tensor,
  target: Tensor | Int32Array | Uint32Array,
  options: CrossEntropyOptions = {},
): { loss: Tensor; dlogits: Tensor } {
  rt.checkTensor(OP_CE, 'logits', logits);
  if (logits.shape.length !== 2) {
    throw new InvalidArgumentError(
      `${OP_CE}: logits must have shape [rows, classes], got ${shapeText(logits.shape)}`,
      'SHAPE_MISMATCH',
    );
  }
  const [rows, classes] = logits.shape;
  const o = checkObject(OP_CE, 'options', options);
  checkKeys(OP_CE, 'option', o, ['ignoreIndex', 'labelSmoothing', 'reduction']);
  const reduction = o.reduction ?? 'mean';
  if (reduction !== 'none' && reduction !== 'mean' && reduction !== 'sum') {
    throw new InvalidArgumentError(
      `${OP_CE}: reduction must be 'none', 'mean' or 'sum', got ${describe(reduction)}`,
      'INVALID_PARAMETER',
    );
  }
  const s = o.labelSmoothing ?? 0;
  if (typeof s !== 'number' || !(s >= 0 && s < 1)) {
    throw new InvalidArgumentError(
      `${OP_CE}: labelSmoothing must be in [0, 1), got ${describe(s)}`,
      'INVALID_PARAMETER',
    );
  }
  const ignore = o.ignoreIndex;
  if (ignore !== undefined && (typeof ignore !== 'number' || !Number.isSafeInteger(ignore))) {
    throw new InvalidArgumentError(
      `${OP_CE}: ignoreIndex must be an integer, got ${describe(ignore)}`,
      'INVALID_PARAMETER',
    );
  }
  const labels = target instanceof Int32Array || target instanceof Uint32Array;
  let count = rows;
  let words: Int32Array | null = null;
  if (labels) {
    ({ words, count } = labelWords(target, rows, classes, ignore as number | undefined));
  } else {
    if (!(target instanceof Tensor)) {
      throw new InvalidArgumentError(
        `${OP_CE}: target must be an Int32Array or Uint32Array of labels or a probability Tensor, got ${describe(target)}`,
      );
    }
    rt.checkTensor(OP_CE, 'target', target);
    checkSameLayout(OP_CE, 'logits', logits, 'target', target);
    if (ignore !== undefined) {
      throw new InvalidArgumentError(
        `${OP_CE}: ignoreIndex applies to integer labels, not a probability target`,
      );
    }
  }
  // Logits larger than one binding run in windows of whole rows (a row is never split: its loss
  // is summed in one workgroup); the per-row arrays are bound whole.
  checkBindable(rt.limits, OP_CE, 'the per-row losses', rows * 4);
  const limit = bindingLimit(rt.limits);
  const bytes = bytesPerElement(logits.dtype);
  const plan = planRows(rows, classes, 1, {
    split: false,
    subgroups: rt.features.has('subgroups'),
    rows: false,
    bindElems: limit / bytes,
  });
  if (logits.byteLength > limit)
    windowsOf(OP_CE, { rows, len: classes, inner: 1, plan }, bytes, limit);

  const scale = reduction === 'mean' ? (count > 0 ? 1 / count : 0) : 1;
  const dlogits = rt.allocate(logits.shape, logits.dtype, `${OP_CE} dlogits`);
  const lossRows = rt.allocate(
    [rows],
    'float32',
    reduction === 'none' ? `${OP_CE} loss` : `${OP_CE} row losses`,
  );
  const extra: BufferRange[] = [];
  let labelTensor: Tensor | null = null;
  if (words) {
    labelTensor = rt.allocate([words.length], 'float32', `${OP_CE} labels`);
    rt.upload(labelTensor, words);
    extra.push(tensorRange(labelTensor));
  }
  extra.push(tensorRange(lossRows));
  recordRows(rt, {
    op: OP_CE,
    mode: 'ce',
    log: false,
    labels,
    inputs: labels ? [logits] : [logits, target as Tensor],
    out: dlogits,
    extra,
    rows,
    len: classes,
    inner: 1,
    // The subgroup rows kernel (rows.wgsl) has no cross-entropy mode.
    plan,
    signBit: 0,
    invT: 1,
    factor: scale,
    smoothC: classes > 0 ? s / classes : 0,
    keep: 1 - s,
  });
  labelTensor?.destroy();
  if (rows > 0 && classes === 0) {
    // No kernel ran (nothing to write in dlogits): an empty row has loss 0.
    rt.upload(lossRows, new Float32Array(rows));
  }
  if (reduction === 'none') return { loss: lossRows, dlogits };

  const loss = rt.allocate([], 'float32', `${OP_CE} loss`);
  const u = new ArrayBuffer(16);
  new Uint32Array(u, 0, 2).set([rows, 0]);
  new Float32Array(u, 8, 2).set([scale, NaN]);
  const pipeline = rt.pipeline('softmax|ce-sum', `${OP_CE} ${reduction}`, lossSumShader);
  rt.dispatch(pipeline, u, [tensorRange(lossRows), tensorRange(loss)], 1);
  lossRows.destroy();
  return { loss, dlogits };
}
