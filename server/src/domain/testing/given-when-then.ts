import { expect } from 'vitest';
import type { DomainEvent } from '@harborguard/shared';
import type { Decider } from '../decider.js';
import { AppError, type AppErrorKind } from '../errors.js';

export const SPEC_TIME = '2026-11-27T10:00:00.000Z';

/**
 * Given / when / then for a decider: the events a stream already has, a command, and the
 * events it decides or the error it answers.
 */
export function deciderSpec<S, C, E extends DomainEvent>(decider: Decider<S, C, E>) {
  return (given: E[]) => {
    const state = given.reduce((current, event) => decider.evolve(current, { ...event, metadata: { occurredAt: SPEC_TIME } }), decider.initialState());
    return {
      when: (command: C) => ({
        then: (expected: E[]) => expect(decider.decide(command, state)).toEqual(expected),
        thenFails: (kind: AppErrorKind, message?: RegExp) => {
          let caught: unknown;
          try {
            decider.decide(command, state);
          } catch (error) {
            caught = error;
          }
          expect(caught, 'the command is refused').toBeInstanceOf(AppError);
          expect((caught as AppError).kind).toBe(kind);
          if (message) expect((caught as AppError).message).toMatch(message);
        },
      }),
      state,
    };
  };
}
