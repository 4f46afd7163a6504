/**
 * The learning page: why activations exist, every activation and its
 * derivative, the vanishing gradient, and output layers, in English and
 * Japanese. Everything plotted is computed by this library's kernels on the
 * page's GPU device; the text about each op (formula, range, where it is
 * used, parameters) comes from the activation table.
 *
 * This module starts the page; each section lives in its own module
 * (why.ts, explorer.ts, vanishing.ts, outputs.ts) and what they share in
 * page.ts.
 *
 * Query: ?lang=ja, ?steps=N (training steps of section 1, default 80).
 * window.__page tells a driver (docs/pages.check.ts) when all plots are drawn.
 */
import { createActivations } from '../src/index.js';
import { setupExplorer } from './explorer.js';
import { setupOutputs } from './outputs.js';
import { $, applyLanguage, page, t, toggleLanguage } from './page.js';
import { setupVanishing } from './vanishing.js';
import { setupWhy } from './why.js';

$('lang').addEventListener('click', toggleLanguage);

async function main(): Promise<void> {
  applyLanguage();
  const status = $('status');
  status.textContent = t('loading');
  const act = await createActivations();
  await setupExplorer(act);
  await setupOutputs(act);
  await setupVanishing(act);
  await setupWhy(act);
  status.textContent = '';
}

main().then(
  () => (page.state = 'done'),
  (e: Error) => {
    page.state = 'error';
    page.error = e.message;
    $('status').textContent = `error: ${e.message}`;
    console.error(e);
  },
);
