import type { Customer } from '../../domain/directory.model';
import { specFor } from '../../testing/decider-spec';
import { customer } from './customer.decider';

const c = (extra: Partial<Customer> = {}): Customer => ({
  externalUserId: 'wmABC',
  name: 'Wang',
  corpName: 'Acme',
  followers: [
    {
      employeeId: 'zhangsan',
      remark: 'VIP',
      description: '',
      remarkCorpName: 'Acme',
      remarkMobiles: ['13800000000'],
    },
  ],
  ...extra,
});
const { given } = specFor(customer);

describe('customer decider', () => {
  it('upserts a customer, then nothing for the same again; removes it', () => {
    given([])
      .when({ type: 'UpsertCustomer', data: { customer: c() } })
      .then([{ type: 'CustomerUpserted', data: { customer: c() } }]);
    given([{ type: 'CustomerUpserted', data: { customer: c() } }])
      .when({ type: 'UpsertCustomer', data: { customer: c() } })
      .then([]);
    given([{ type: 'CustomerUpserted', data: { customer: c() } }])
      .when({ type: 'RemoveCustomer', data: { externalUserId: 'wmABC' } })
      .then([{ type: 'CustomerRemoved', data: { externalUserId: 'wmABC' } }]);
  });

  it('names the follower field at fault', () => {
    const f = c().followers[0]!;
    given([])
      .when({ type: 'UpsertCustomer', data: { customer: c({ followers: [f, f] }) } })
      .thenFails('DIRECTORY.INVALID_ARGUMENT', 'followers');
    given([])
      .when({
        type: 'UpsertCustomer',
        data: { customer: c({ followers: [{ ...f, remarkMobiles: ['call me'] }] }) },
      })
      .thenFails('DIRECTORY.INVALID_ARGUMENT', 'followers[0].remarkMobiles[0]');
  });
});
