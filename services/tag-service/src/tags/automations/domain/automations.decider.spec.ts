import { base, catalogSpec, created } from '../../../testing/catalog-decider.fixtures';
import { decideAutomations } from './automations.decider';

const spec = catalogSpec(decideAutomations);

describe('automations', () => {
  it('given a customer tag, when an automation is defined on it, then it is recorded; on a group it is refused', () => {
    const rule = {
      ruleId: 'r1',
      tagId: 't1',
      assigneeId: 'sales-1',
      dueInHours: 24,
      guideTemplate: '联系 {{customer.name}}',
    };
    spec([created('t1', '意向客户')])
      .when({ type: 'DefineAutomation', data: { ...base, rule } })
      .then([{ type: 'AutomationRuleDefined', data: rule }]);
    spec([created('g1', 'x', null, 'group')])
      .when({ type: 'DefineAutomation', data: { ...base, rule: { ...rule, tagId: 'g1' } } })
      .thenThrows({ code: 'TAG.INVALID_ARGUMENT', field: 'tag_id' });
  });
});
