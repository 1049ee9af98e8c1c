import type { Customer, CustomerFollower } from '../../domain/directory.model';
import { invalid } from '../../domain/directory.errors';
import type { Decider } from '../../domain/decider';
import { idOf, nameOf, sameValue, textOf } from '../../domain/directory-rules';

export type CustomerEvent =
  | { type: 'CustomerUpserted'; data: { customer: Customer } }
  | { type: 'CustomerRemoved'; data: { externalUserId: string } };

export type CustomerCommand =
  | { type: 'UpsertCustomer'; data: { customer: Customer } }
  | { type: 'RemoveCustomer'; data: { externalUserId: string } };

/** One external customer per stream, with the employees who follow them and their remarks. */
export type CustomerState = { customer: Customer | null; revision: number };

/** WeCom lets one customer be followed by many employees; a bound keeps one event reasonable. */
export const MAX_FOLLOWERS = 500;

function validFollower(f: CustomerFollower, i: number): CustomerFollower {
  const at = `followers[${i}]`;
  if (f.remarkMobiles.length > 5) throw invalid(`${at}.remarkMobiles`, 'must have at most 5 entries');
  return {
    employeeId: idOf(f.employeeId, `${at}.employeeId`),
    remark: textOf(f.remark, `${at}.remark`, 64),
    description: textOf(f.description, `${at}.description`, 256),
    remarkCorpName: textOf(f.remarkCorpName, `${at}.remarkCorpName`, 64),
    remarkMobiles: f.remarkMobiles.map((m, j) => {
      if (!/^\+?[0-9-]{3,20}$/.test(m)) throw invalid(`${at}.remarkMobiles[${j}]`, 'must be a phone number');
      return m;
    }),
  };
}

function validCustomer(c: Customer): Customer {
  if (c.followers.length > MAX_FOLLOWERS)
    throw invalid('followers', `must have at most ${MAX_FOLLOWERS} entries`);
  const followers = c.followers.map(validFollower);
  const ids = followers.map((f) => f.employeeId);
  if (new Set(ids).size !== ids.length) throw invalid('followers', 'must name each employee once');
  return {
    externalUserId: idOf(c.externalUserId, 'externalUserId'),
    name: nameOf(c.name, 'name', 128),
    corpName: textOf(c.corpName, 'corpName', 128),
    followers,
  };
}

export const customer: Decider<CustomerState, CustomerCommand, CustomerEvent> = {
  initialState: () => ({ customer: null, revision: -1 }),

  evolve(_state, event, revision) {
    switch (event.type) {
      case 'CustomerUpserted':
        return { customer: event.data.customer, revision };
      case 'CustomerRemoved':
        return { customer: null, revision };
    }
  },

  decide(command, state) {
    switch (command.type) {
      case 'UpsertCustomer': {
        const next = validCustomer(command.data.customer);
        return sameValue(state.customer, next)
          ? []
          : [{ type: 'CustomerUpserted', data: { customer: next } }];
      }
      case 'RemoveCustomer':
        return state.customer
          ? [{ type: 'CustomerRemoved', data: { externalUserId: command.data.externalUserId } }]
          : [];
      default: {
        const unknown: never = command;
        throw new Error(`unknown command ${JSON.stringify(unknown)}`);
      }
    }
  },

  revisionOf: (_command, state) => state.revision,
};
