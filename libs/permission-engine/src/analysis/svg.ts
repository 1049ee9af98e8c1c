import type { Viz } from '@viz-js/viz';

let viz: Promise<Viz> | undefined;

/** DOT → SVG with Graphviz compiled to WebAssembly (@viz-js/viz): no binary to install, no I/O. */
export async function renderSvg(dot: string): Promise<string> {
  viz ??= import('@viz-js/viz').then((m) => m.instance());
  const result = (await viz).render(dot, { format: 'svg' });
  if (result.status !== 'success')
    throw new Error(`graphviz: ${result.errors.map((e) => e.message).join('; ') || 'render failed'}`);
  return result.output;
}
