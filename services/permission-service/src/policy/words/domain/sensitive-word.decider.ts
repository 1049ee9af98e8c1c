import type { SensitiveWordV1 } from '@tagguard/contracts';
import type { Decider } from '../../domain/decider';
import { idOf, listOf, nameOf, sameValue } from '../../domain/policy-rules';

export type WordEvent =
  | { type: 'SensitiveWordUpserted'; data: SensitiveWordV1 }
  | { type: 'SensitiveWordRemoved'; data: SensitiveWordV1 };

export type WordCommand =
  | { type: 'UpsertSensitiveWord'; data: Omit<SensitiveWordV1, 'removed'> }
  | { type: 'RemoveSensitiveWord'; data: { wordId: string } };

/** One entry of the tenant's sensitive-word library (the engine normalises width and case when matching). */
export type WordState = { word: SensitiveWordV1 | null; revision: number };

const MAX_WORD = 64;

export const sensitiveWord: Decider<WordState, WordCommand, WordEvent> = {
  initialState: () => ({ word: null, revision: -1 }),

  evolve: (_state, event, revision) => ({
    word: event.type === 'SensitiveWordUpserted' ? event.data : null,
    revision,
  }),

  decide(command, state) {
    switch (command.type) {
      case 'UpsertSensitiveWord': {
        const d = command.data;
        const next: SensitiveWordV1 = {
          wordId: idOf(d.wordId, 'wordId'),
          word: nameOf(d.word, 'word', MAX_WORD),
          category: nameOf(d.category, 'category'),
          fields: listOf(d.fields, 'fields', idOf),
          removed: false,
        };
        return sameValue(state.word, next) ? [] : [{ type: 'SensitiveWordUpserted', data: next }];
      }
      case 'RemoveSensitiveWord':
        return state.word ? [{ type: 'SensitiveWordRemoved', data: { ...state.word, removed: true } }] : [];
      default: {
        const unknown: never = command;
        throw new Error(`unknown command ${JSON.stringify(unknown)}`);
      }
    }
  },

  revisionOf: (_command, state) => (state.word ? state.revision : -1),
};
