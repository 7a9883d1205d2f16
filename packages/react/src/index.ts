export { SwitchboardContext, useSwitchboard } from "./context.js";
export {
  type ChannelState,
  type TypingState,
  useChannel,
  useConnectionState,
  usePresence,
  useTyping,
} from "./hooks.js";
export { SwitchboardProvider, type SwitchboardProviderProps } from "./provider.js";
