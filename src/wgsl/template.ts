/**
 * The one way generated code is spliced into a hand-written .wgsl template:
 * each `{{NAME}}` slot takes `slots.NAME`.
 *
 * @example
 * fill('const K: u32 = {{K}}u;', { K: '4' }, 'softmax codegen'); // 'const K: u32 = 4u;'
 */

/**
 * The template with every slot filled, in one pass: filled-in text is not
 * searched again, and a `$` in it is copied as is (String.replace with a
 * replacement string would read `$&` and the like as patterns). A slot with
 * no value throws naming `who`, so a template and its generator that drift
 * apart fail at the first kernel built, not as a compile error in a shader
 * nobody reads.
 */
export function fill(
  template: string,
  slots: Readonly<Record<string, string>>,
  who: string,
): string {
  return template.replace(/\{\{([A-Z0-9_]+)\}\}/g, (slot, name: string) => {
    if (!Object.hasOwn(slots, name)) throw new Error(`${who}: slot ${slot} left unfilled`);
    return slots[name];
  });
}
