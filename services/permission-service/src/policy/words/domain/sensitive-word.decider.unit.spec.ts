import { specFor } from '../../testing/decider-spec';
import { sensitiveWord } from './sensitive-word.decider';

const { given } = specFor(sensitiveWord);
const id = {
  wordId: 'w1',
  word: '身份证',
  category: 'pii',
  fields: ['remark', 'description'],
  removed: false,
};

describe('sensitive word decider', () => {
  it('upserts a word with its category and fields once, and removes it', () => {
    given([])
      .when({ type: 'UpsertSensitiveWord', data: id })
      .then([{ type: 'SensitiveWordUpserted', data: id }]);
    given([{ type: 'SensitiveWordUpserted', data: id }])
      .when({ type: 'UpsertSensitiveWord', data: id })
      .then([]);
    given([{ type: 'SensitiveWordUpserted', data: id }])
      .when({ type: 'RemoveSensitiveWord', data: { wordId: 'w1' } })
      .then([{ type: 'SensitiveWordRemoved', data: { ...id, removed: true } }]);
  });

  it('refuses an empty word and one longer than 64 characters', () => {
    given([])
      .when({ type: 'UpsertSensitiveWord', data: { ...id, word: '  ' } })
      .thenFails('PERMISSION.INVALID_ARGUMENT', 'word');
    given([])
      .when({ type: 'UpsertSensitiveWord', data: { ...id, word: 'x'.repeat(65) } })
      .thenFails('PERMISSION.INVALID_ARGUMENT', 'word');
  });
});
