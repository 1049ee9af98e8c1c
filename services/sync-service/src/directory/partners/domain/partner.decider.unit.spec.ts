import { specFor } from '../../testing/decider-spec';
import { partner } from './partner.decider';

const p = { corpId: 'wwcorp1', name: 'Supplier', relation: 'upstream' as const };
const { given } = specFor(partner);

describe('partner decider', () => {
  it('upserts a partner once, then its staff', () => {
    given([])
      .when({ type: 'UpsertPartner', data: { partner: p } })
      .then([{ type: 'PartnerUpserted', data: { partner: p } }]);
    given([{ type: 'PartnerUpserted', data: { partner: p } }])
      .when({ type: 'UpsertPartner', data: { partner: p } })
      .then([]);
    given([{ type: 'PartnerUpserted', data: { partner: p } }])
      .when({ type: 'UpsertPartnerStaff', data: { staff: { corpId: 'wwcorp1', staffId: 's1', name: 'Li' } } })
      .then([
        { type: 'PartnerStaffUpserted', data: { staff: { corpId: 'wwcorp1', staffId: 's1', name: 'Li' } } },
      ]);
  });

  it('refuses staff of an unknown partner and an unknown relation', () => {
    given([])
      .when({ type: 'UpsertPartnerStaff', data: { staff: { corpId: 'x', staffId: 's1', name: 'Li' } } })
      .thenFails('DIRECTORY.NOT_FOUND', 'corpId');
    given([])
      .when({ type: 'UpsertPartner', data: { partner: { ...p, relation: 'sideways' as never } } })
      .thenFails('DIRECTORY.INVALID_ARGUMENT', 'relation');
  });

  it('removes a partner with its staff', () => {
    given([
      { type: 'PartnerUpserted', data: { partner: p } },
      { type: 'PartnerStaffUpserted', data: { staff: { corpId: 'wwcorp1', staffId: 's1', name: 'Li' } } },
    ])
      .when({ type: 'RemovePartner', data: { corpId: 'wwcorp1' } })
      .then([
        { type: 'PartnerStaffRemoved', data: { corpId: 'wwcorp1', staffId: 's1' } },
        { type: 'PartnerRemoved', data: { corpId: 'wwcorp1' } },
      ]);
  });
});
