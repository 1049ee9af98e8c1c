export { AuthError, authenticate, type AuthErrorCode, type MetadataLike } from './authenticate';
export { loadDevPrivateKey, loadPublicKey } from './signing-keys';
export { signToken, TokenError, TokenVerifier, type Principal, type TokenProblem } from './token';
