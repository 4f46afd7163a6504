/**
 * node --import tsx docs/pages.check.ts  (through scripts/with-webgpu.mjs in CI)
 *
 * Opens the learning page (docs/index.html) and the training example
 * (examples/mlp/index.html) in headless Chromium with few training steps,
 * and checks that each page finished, every canvas drew (non-blank), the
 * language switch changes the text (where a page has one), and the console
 * had no errors. Screenshots go to docs/results/ (gitignored). Exits
 * non-zero on failure.
 */
import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { ROOT, startBrowser } from '../bench/browser.js';

const RESULTS = `${ROOT}docs/results`;

const PAGES = [
  { name: 'docs', path: 'docs/index.html?steps=12', lang: true },
  { name: 'mlp', path: 'examples/mlp/index.html?steps=12', lang: false },
];

async function waitForPage(page: Page, timeoutMs: number) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const s = await page
      .evaluate(
        () =>
          (window as unknown as { __page?: { state: string; error: string | null } }).__page ??
          null,
      )
      .catch((e: Error) => {
        // A reload (Vite optimising a dependency on a cold cache) destroys the context: poll again.
        if (/context was destroyed|navigation/i.test(e.message)) return null;
        throw e;
      });
    if (s && s.state !== 'running') return s;
    if (Date.now() > end) throw new Error(`the page did not finish within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Non-white pixels and distinct colours of every canvas on the page. */
function canvasInk(page: Page) {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll('canvas')).map((c) => {
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      const seen = new Set<number>();
      let ink = 0;
      for (let i = 0; i < d.length; i += 4) {
        if (d[i + 3] !== 0 && (d[i] !== 255 || d[i + 1] !== 255 || d[i + 2] !== 255)) ink++;
        seen.add((d[i] << 24) | (d[i + 1] << 16) | (d[i + 2] << 8) | d[i + 3]);
      }
      return { id: c.id, ink, colours: seen.size, pixels: c.width * c.height };
    }),
  );
}

async function main(): Promise<string[]> {
  mkdirSync(RESULTS, { recursive: true });
  const failures: string[] = [];
  const { browser, port, close } = await startBrowser();
  try {
    for (const p of PAGES) {
      const errors: string[] = [];
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
      const t0 = Date.now();
      await page.goto(`http://127.0.0.1:${port}/${p.path}`);
      const s = await waitForPage(page, 8 * 60_000);
      const seconds = ((Date.now() - t0) / 1000).toFixed(1);
      if (s.state !== 'done') failures.push(`${p.name}: ended in state ${s.state}: ${s.error}`);
      const canvases = await canvasInk(page);
      if (canvases.length === 0) failures.push(`${p.name}: no canvas`);
      for (const c of canvases) {
        // Ink on at least 1% of the pixels, in at least 3 colours.
        if (c.ink < c.pixels / 100 || c.colours < 3)
          failures.push(`${p.name}: canvas #${c.id} looks blank (${JSON.stringify(c)})`);
      }
      await page.screenshot({ path: `${RESULTS}/${p.name}-en.png`, fullPage: true });
      if (p.lang) {
        const before = await page.locator('body').innerText();
        await page.click('#lang');
        const after = await page.locator('body').innerText();
        if (after === before)
          failures.push(`${p.name}: the language switch did not change the text`);
        if (!/[\u3040-\u30ff]/.test(after))
          failures.push(`${p.name}: no Japanese text after the switch`);
        if ((await page.evaluate(() => document.documentElement.lang)) !== 'ja')
          failures.push(`${p.name}: <html lang> is not ja after the switch`);
        // Text drawn into canvases is redrawn in the new language too.
        const inkAfter = await canvasInk(page);
        for (const c of inkAfter)
          if (c.ink < c.pixels / 100)
            failures.push(`${p.name} (ja): canvas #${c.id} blank after the switch`);
        await page.screenshot({ path: `${RESULTS}/${p.name}-ja.png`, fullPage: true });
        await page.click('#lang');
        // The page re-renders after the click: wait (up to 10 s) for English to be back, judged by
        // the language and the absence of kana, not by live figures that move between reads.
        const restored = await page
          .waitForFunction(
            () =>
              document.documentElement.lang === 'en' &&
              !/[\u3040-\u30ff]/.test(document.body.innerText),
            undefined,
            { timeout: 10_000 },
          )
          .then(() => true)
          .catch(() => false);
        if (!restored) {
          const back = await page.locator('body').innerText();
          const kana = back.match(/.{0,40}[\u3040-\u30ff].{0,40}/)?.[0];
          failures.push(
            `${p.name}: switching back did not restore the English text (still: ${kana ?? 'lang attribute'})`,
          );
        }
      }
      for (const e of errors) failures.push(`${p.name}: console error: ${e}`);
      console.log(
        `pages.check: ${p.name} ${s.state} in ${seconds} s, ${canvases.length} canvases, ${errors.length} console errors`,
      );
      await page.close();
    }
  } finally {
    await close();
  }
  return failures;
}

main().then(
  (failures) => {
    if (failures.length) {
      console.error(`pages.check FAILED:\n- ${failures.join('\n- ')}`);
      process.exit(1);
    }
    console.log(`pages.check: ok (screenshots in docs/results/)`);
    process.exit(0);
  },
  (e) => {
    console.error(`pages.check FAILED: ${(e as Error)?.stack ?? e}`);
    process.exit(1);
  },
);
