export { KeyedTurns } from './keyed-turns';
