export { type App, type AppOptions, createApp } from "./app.js";
export type { Identity } from "./auth/identity.js";
export { mintToken } from "./auth/tokens.js";
export { createMemoryBroker, MemoryHub } from "./broker/memory.js";
export type * from "./broker/types.js";
export { type Config, ConfigError, loadConfig } from "./config.js";
export { SwitchboardError } from "./errors.js";
export type { ChannelPolicy, NamespaceOptions } from "./gateway/namespaces.js";
