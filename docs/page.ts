/**
 * What the learning page's sections share: the state a driver reads
 * (window.__page, see docs/pages.check.ts), the query string, the current
 * language and its strings (`t`), element lookup (`$`), and the list of
 * re-renders run on each language switch.
 */
import { strings, type Key, type Lang } from './i18n.js';

interface PageState {
  state: 'running' | 'done' | 'error';
  error: string | null;
}
export const page: PageState = { state: 'running', error: null };
(window as unknown as { __page: PageState }).__page = page;

export const query = new URLSearchParams(location.search);
let lang: Lang = query.get('lang') === 'ja' ? 'ja' : 'en';
export const t = <K extends Key>(k: K) => strings[lang][k];
export const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** Re-renders whatever shows text: called on load and on each language switch. */
export const rerender: (() => void)[] = [];

export function applyLanguage(): void {
  document.documentElement.lang = lang;
  document.title = t('title');
  for (const el of Array.from(document.querySelectorAll<HTMLElement>('[data-i18n]'))) {
    el.textContent = String(t(el.dataset.i18n as Key));
  }
  for (const f of rerender) f();
}

/** Switches English <-> Japanese and re-renders (the page's language button). */
export function toggleLanguage(): void {
  lang = lang === 'en' ? 'ja' : 'en';
  applyLanguage();
}
