import { AhoCorasick } from '@monyone/aho-corasick/fast';
import type { SensitiveWordV1 } from '@tagguard/contracts';

/** Full-width → half-width (NFKC: "ＶＩＰ" → "VIP", "１２３" → "123"), then lower case. */
export function normaliseText(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}

type CompiledWords = {
  automaton: AhoCorasick | null;
  /** Normalised word → the word entries that spell it (two entries may normalise alike). */
  byText: Map<string, SensitiveWordV1[]>;
};

// One automaton per words map: the fold copies the map only when a word changes, so identity is the version.
const compiled = new WeakMap<ReadonlyMap<string, SensitiveWordV1>, CompiledWords>();

function compile(words: ReadonlyMap<string, SensitiveWordV1>): CompiledWords {
  let c = compiled.get(words);
  if (c) return c;
  const byText = new Map<string, SensitiveWordV1[]>();
  for (const w of words.values()) {
    const text = normaliseText(w.word);
    if (text === '') continue;
    const list = byText.get(text);
    if (list) list.push(w);
    else byText.set(text, [w]);
  }
  c = { automaton: byText.size ? new AhoCorasick([...byText.keys()]) : null, byText };
  compiled.set(words, c);
  return c;
}

/** The ids of the words that occur in `value` and apply to `field` (a word's `fields` empty: every field). */
export function sensitiveHits(
  words: ReadonlyMap<string, SensitiveWordV1>,
  field: string,
  value: string,
): string[] {
  const { automaton, byText } = compile(words);
  if (!automaton || value === '') return [];
  const hits = new Set<string>();
  for (const m of automaton.matchInText(normaliseText(value))) {
    for (const w of byText.get(m.keyword) ?? []) {
      if (w.fields.length === 0 || w.fields.includes(field)) hits.add(w.wordId);
    }
  }
  return [...hits].sort();
}
