import type { TagEvent, TagKind } from './tag.events';

export type TagState =
  | { status: 'absent' }
  | { status: 'active' | 'deleted'; tenantId: string; tagId: string; name: string; kind: TagKind };

export const initialTagState: TagState = { status: 'absent' };

export function evolve(state: TagState, event: TagEvent): TagState {
  switch (event.type) {
    case 'TagCreated':
      return { status: 'active', ...event.data };
    case 'TagRenamed':
      return state.status === 'absent' ? state : { ...state, name: event.data.name };
    case 'TagDeleted':
      return state.status === 'absent' ? state : { ...state, status: 'deleted' };
    default: {
      const unknown: never = event;
      return unknown;
    }
  }
}
