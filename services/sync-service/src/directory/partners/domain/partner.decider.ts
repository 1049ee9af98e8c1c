import type { PartnerEnterprise, PartnerRelation, PartnerStaff } from '../../domain/directory.model';
import { DirectoryError, invalid } from '../../domain/directory.errors';
import type { Decider } from '../../domain/decider';
import { idOf, nameOf, sameValue } from '../../domain/directory-rules';

export type PartnerEvent =
  | { type: 'PartnerUpserted'; data: { partner: PartnerEnterprise } }
  | { type: 'PartnerRemoved'; data: { corpId: string } }
  | { type: 'PartnerStaffUpserted'; data: { staff: PartnerStaff } }
  | { type: 'PartnerStaffRemoved'; data: { corpId: string; staffId: string } };

export type PartnerCommand =
  | { type: 'UpsertPartner'; data: { partner: PartnerEnterprise } }
  | { type: 'RemovePartner'; data: { corpId: string } }
  | { type: 'UpsertPartnerStaff'; data: { staff: PartnerStaff } }
  | { type: 'RemovePartnerStaff'; data: { corpId: string; staffId: string } };

/** A partner enterprise with its staff, one stream per enterprise (staff never outlive their enterprise). */
export type PartnerState = {
  partner: PartnerEnterprise | null;
  staff: Record<string, PartnerStaff>;
  revision: number;
};

const RELATIONS: readonly PartnerRelation[] = ['upstream', 'downstream', 'connected'];

function existing(state: PartnerState, corpId: string): PartnerEnterprise {
  if (!state.partner)
    throw new DirectoryError('DIRECTORY.NOT_FOUND', `partner enterprise ${corpId} does not exist`, 'corpId');
  return state.partner;
}

export const partner: Decider<PartnerState, PartnerCommand, PartnerEvent> = {
  initialState: () => ({ partner: null, staff: {}, revision: -1 }),

  evolve(state, event, revision) {
    switch (event.type) {
      case 'PartnerUpserted':
        return { ...state, partner: event.data.partner, revision };
      case 'PartnerRemoved':
        return { partner: null, staff: {}, revision };
      case 'PartnerStaffUpserted':
        return {
          ...state,
          staff: { ...state.staff, [event.data.staff.staffId]: event.data.staff },
          revision,
        };
      case 'PartnerStaffRemoved': {
        const { [event.data.staffId]: _gone, ...staff } = state.staff;
        return { ...state, staff, revision };
      }
    }
  },

  decide(command, state) {
    switch (command.type) {
      case 'UpsertPartner': {
        const p = command.data.partner;
        if (!RELATIONS.includes(p.relation))
          throw invalid('relation', `must be one of ${RELATIONS.join(', ')}`);
        const next = { corpId: idOf(p.corpId, 'corpId'), name: nameOf(p.name, 'name'), relation: p.relation };
        return sameValue(state.partner, next) ? [] : [{ type: 'PartnerUpserted', data: { partner: next } }];
      }
      case 'RemovePartner':
        // Its staff go first, each with its own event: one domain event is one integration event.
        return state.partner
          ? [
              ...Object.keys(state.staff).map((staffId): PartnerEvent => ({
                type: 'PartnerStaffRemoved',
                data: { corpId: command.data.corpId, staffId },
              })),
              { type: 'PartnerRemoved', data: { corpId: command.data.corpId } },
            ]
          : [];
      case 'UpsertPartnerStaff': {
        const s = command.data.staff;
        const corpId = existing(state, idOf(s.corpId, 'corpId')).corpId;
        const next = { corpId, staffId: idOf(s.staffId, 'staffId'), name: nameOf(s.name, 'name') };
        return sameValue(state.staff[next.staffId], next)
          ? []
          : [{ type: 'PartnerStaffUpserted', data: { staff: next } }];
      }
      case 'RemovePartnerStaff':
        return state.staff[command.data.staffId]
          ? [{ type: 'PartnerStaffRemoved', data: { ...command.data } }]
          : [];
      default: {
        const unknown: never = command;
        throw new Error(`unknown command ${JSON.stringify(unknown)}`);
      }
    }
  },

  revisionOf: (_command, state) => state.revision,
};
