export { AuthError, authenticate, type AuthErrorCode, type MetadataLike } from './authenticate';
export {
  isLoopbackHost,
  loadDevPrivateKey,
  loadSigningPrivateKey,
  resolveVerifierKey,
  type VerifierKey,
} from './signing-keys';
export { signToken, TokenError, TokenVerifier, type Principal, type TokenProblem } from './token';
