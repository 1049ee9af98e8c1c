import { base, catalogSpec, created } from '../../../testing/catalog-decider.fixtures';
import { decideRevertRules } from './revert-rules.decider';

const spec = catalogSpec(decideRevertRules);

describe('revert rules', () => {
  it('given a rate-limit rule of 0, then INVALID_ARGUMENT names max_per_hour', () => {
    spec([created('t1', 'x')])
      .when({
        type: 'DefineRevertRule',
        data: { ...base, rule: { ruleId: 'r1', tagId: 't1', type: 'removal_rate_limit', maxPerHour: 0 } },
      })
      .thenThrows({ code: 'TAG.INVALID_ARGUMENT', field: 'max_per_hour' });
  });
});
