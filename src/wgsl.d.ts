// Shaders are imported as text; Vite (and Vitest) resolve the `?raw` suffix.
declare module '*.wgsl?raw' {
  const source: string;
  export default source;
}
