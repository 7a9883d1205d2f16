import { Buffer } from "node:buffer";

/**
 * vitest's jsdom environment replaces the global Uint8Array with jsdom's, while Node's own
 * APIs (TextEncoder, crypto) keep producing Node's. jose, which the in-process test server uses
 * to sign and verify tokens, then rejects every key with an `instanceof` check. The SDK does not
 * care; the server running in the same process does, so tests that use jsdom put Node's back.
 */
const NodeUint8Array = Object.getPrototypeOf(Buffer.prototype).constructor as Uint8ArrayConstructor;
if (globalThis.Uint8Array !== NodeUint8Array) globalThis.Uint8Array = NodeUint8Array;
