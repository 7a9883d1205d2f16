export * from "./channel.js";
export * from "./claims.js";
export * from "./codes.js";
export * from "./decode.js";
export * from "./frames.js";
export * from "./rest.js";
