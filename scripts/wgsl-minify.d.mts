import type { Plugin } from 'vite';
export function minifyWgsl(source: string): string;
export function wgslTokens(source: string): string[];
export function wgslMinifyPlugin(): Plugin;
