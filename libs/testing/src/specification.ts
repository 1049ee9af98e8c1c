/**
 * Given/When/Then for a decider: given past events, when a command is decided, then these events are
 * produced, or this error (matched on its fields, e.g. code and field) is thrown.
 */
export function given<Command, Event, State = unknown>(decider: {
  decide(command: Command, state: State): Event[];
  evolve(state: State, event: Event): State;
  initialState: State;
}) {
  return (history: Event[]) => ({
    when(command: Command) {
      const run = () => decider.decide(command, history.reduce(decider.evolve, decider.initialState));
      return {
        then(expected: Event[]) {
          expect(run()).toEqual(expected);
        },
        thenThrows(expected: Record<string, unknown>) {
          let thrown: unknown;
          try {
            run();
          } catch (error) {
            thrown = error;
          }
          expect(thrown).toBeInstanceOf(Error);
          expect(thrown).toMatchObject(expected);
        },
      };
    },
  });
}
