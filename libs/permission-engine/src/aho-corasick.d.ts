// The package's subpath export is invisible to `moduleResolution: node10`; these are its own typings (dist/fast.d.cts).
declare module '@monyone/aho-corasick/fast' {
  export class AhoCorasick {
    constructor(keywords: string[]);
    hasKeywordInText(text: string): boolean;
    matchInText(text: string): { begin: number; end: number; keyword: string }[];
  }
}
