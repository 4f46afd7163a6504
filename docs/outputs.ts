/**
 * Section 4 of the learning page: output layers. Identity for a regression
 * value, sigmoid for a binary probability, and softmax over three class
 * scores, each driven by sliders and computed by the library's kernels.
 */
import type { Activations } from '../src/index.js';
import { $, rerender, t } from './page.js';
import { drawBars, PALETTE } from './plots.js';

export async function setupOutputs(act: Activations): Promise<void> {
  const regZ = $<HTMLInputElement>('reg-z');
  const binZ = $<HTMLInputElement>('bin-z');
  const scores = [2.0, 1.0, -0.5];
  const sliders = scores.map((v, i) => {
    const input = Object.assign(document.createElement('input'), {
      type: 'range',
      min: '-4',
      max: '4',
      step: '0.1',
      value: String(v),
    });
    const label = document.createElement('label');
    label.className = 'param';
    const name = document.createElement('span');
    label.append(name, input);
    $('multi-sliders').append(label);
    return { input, name, i };
  });
  const numberLine = (
    canvas: HTMLCanvasElement,
    v: number,
    lo: number,
    hi: number,
    text: string,
  ) => {
    const ctx = canvas.getContext('2d')!;
    const { width: w, height: h } = canvas;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, w, h);
    const X = (x: number) => 20 + ((w - 40) * (x - lo)) / (hi - lo);
    ctx.strokeStyle = '#999';
    ctx.beginPath();
    ctx.moveTo(X(lo), h - 20);
    ctx.lineTo(X(hi), h - 20);
    ctx.stroke();
    ctx.font = '11px system-ui, sans-serif';
    ctx.fillStyle = '#555';
    for (const k of [lo, (lo + hi) / 2, hi]) ctx.fillText(String(k), X(k) - 6, h - 4);
    ctx.fillStyle = '#1864ab';
    ctx.beginPath();
    ctx.arc(X(Math.max(lo, Math.min(hi, v))), h - 20, 7, 0, 2 * Math.PI);
    ctx.fill();
    ctx.font = '14px system-ui, sans-serif';
    ctx.fillStyle = '#222';
    ctx.fillText(text, 20, 18);
  };
  const draw = async () => {
    const [y] = await act.apply('identity', new Float32Array([Number(regZ.value)]));
    numberLine($('out-identity'), y, -5, 5, `${t('value')} = ${y.toFixed(2)}`);
    const [p] = await act.apply('sigmoid', new Float32Array([Number(binZ.value)]));
    numberLine(
      $('out-sigmoid'),
      p,
      0,
      1,
      `${t('probability')} = sigmoid(${binZ.value}) = ${p.toFixed(3)}`,
    );
    const z = Float32Array.from(sliders, (s) => Number(s.input.value));
    const probs = await act.apply('softmax', z, { shape: [1, 3] });
    const names = t('classes');
    sliders.forEach((s) => (s.name.textContent = `${names[s.i]} ${t('score')} ${s.input.value} `));
    const sum = probs.reduce((a, b) => a + b, 0);
    drawBars(
      $('out-softmax'),
      [
        ...names.map((label, i) => ({ label, value: probs[i], colour: PALETTE[i] })),
        { label: t('sum'), value: sum, colour: '#868e96' },
      ],
      1,
    );
  };
  for (const el of [regZ, binZ, ...sliders.map((s) => s.input)])
    el.addEventListener('input', () => void draw());
  rerender.push(() => void draw());
  await draw();
}
