/** An event as a decider produces it and as the write path appends it. */
export type DomainEvent = { type: string; data: unknown };

/**
 * One feature's pure decision: `decide` answers a command on a state with the events to append (none when
 * the state already is as asked), `evolve` folds one event in at its stream revision.
 */
export interface Decider<State, Command, Event extends DomainEvent> {
  initialState(): State;
  evolve(state: State, event: Event, revision: number): State;
  /** Several events at once, the same state as `evolve` one by one (cheaper for a long history). */
  evolveAll?(state: State, events: readonly { event: Event; revision: number }[]): State;
  decide(command: Command, state: State): Event[];
  /** The revision of the object the command addresses (-1: it does not exist), checked against expected_revision. */
  revisionOf(command: Command, state: State): number;
}
