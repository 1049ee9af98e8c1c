import type { Decider, DomainEvent } from '../write/decider';

/** given(events).when(command).then(events | error code): a decider spec reads like its rule. */
export function specFor<S, C, E extends DomainEvent>(decider: Decider<S, C, E>) {
  return {
    given(events: E[]) {
      const state = events.reduce((s, e, i) => decider.evolve(s, e, i), decider.initialState());
      return {
        state,
        when(command: C) {
          const run = () => decider.decide(command, state);
          return {
            then: (expected: E[]) => expect(run()).toEqual(expected),
            thenFails: (code: string, field?: string) => {
              let thrown: unknown;
              try {
                run();
              } catch (error) {
                thrown = error;
              }
              expect(thrown).toMatchObject({ code, ...(field ? { field } : {}) });
            },
          };
        },
      };
    },
  };
}
