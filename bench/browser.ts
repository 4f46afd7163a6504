/**
 * Shared by bench/run.ts and bench/page.check.ts: start Vite on 127.0.0.1 at
 * a free port, launch Debian's Chromium (never a downloaded one) with the
 * WebGPU-on-SwiftShader flags, open the bench page with a query.
 */
import { createServer as netServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './chromium.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = netServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Session {
  server: ViteDevServer;
  browser: Browser;
  page: Page;
  url: string;
  close(): Promise<void>;
}

/** Vite serving the repository on 127.0.0.1 at a free port, and headless Chromium (with `extraArgs`). */
export async function startBrowser(extraArgs: string[] = []): Promise<{
  server: ViteDevServer;
  browser: Browser;
  port: number;
  close(): Promise<void>;
}> {
  const port = await freePort();
  const server = await createServer({
    configFile: `${ROOT}vite.config.ts`,
    root: ROOT,
    // No HMR and no watcher: an edit under src/ (other work in the tree) must not reload the page mid-run.
    server: { host: '127.0.0.1', port, strictPort: true, hmr: false, watch: null },
  });
  await server.listen();
  const browser = await chromium
    .launch({
      executablePath: CHROMIUM_PATH,
      args: [...CHROMIUM_ARGS, ...extraArgs],
      headless: true,
    })
    .catch(async (e: unknown) => {
      await server.close();
      throw e;
    });
  const close = async () => {
    await browser.close().catch(() => {});
    await server.close();
  };
  return { server, browser, port, close };
}

export async function openBench(
  query: string,
  onConsole?: (type: string, text: string) => void,
): Promise<Session> {
  const { server, browser, port, close } = await startBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    if (onConsole) {
      page.on('console', (m) => onConsole(m.type(), m.text()));
      page.on('pageerror', (e) => onConsole('error', `pageerror: ${e.message}`));
    }
    const url = `http://127.0.0.1:${port}/bench/index.html${query ? `?${query}` : ''}`;
    await page.goto(url);
    return { server, browser, page, url, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** Waits until the page says done or error; calls tick with its progress line and share done meanwhile. */
export async function waitForBench(
  page: Page,
  timeoutMs: number,
  tick?: (progress: string, done: number) => void,
) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    // A reload (Vite re-optimising a dependency on a cold cache) destroys the context: poll again.
    const s = await page
      .evaluate(() => {
        const b = (
          window as unknown as {
            __bench?: { state: string; progress: string; done: number; error: string | null };
          }
        ).__bench;
        return b ? { state: b.state, progress: b.progress, done: b.done, error: b.error } : null;
      })
      .catch((e: Error) => {
        if (/context was destroyed|navigation/i.test(e.message)) return null;
        throw e;
      });
    if (s && s.state !== 'running') return s;
    if (s) tick?.(s.progress, s.done);
    if (Date.now() > end)
      throw new Error(
        `bench: the page did not finish within ${timeoutMs / 1000} s (last: ${s?.progress})`,
      );
    await new Promise((r) => setTimeout(r, 500));
  }
}
