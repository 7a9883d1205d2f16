import * as sdk from "./index.js";

/**
 * The entry of the script-tag build (dist/switchboard.min.js). The global `Switchboard` is the
 * client class itself, so a page without a bundler writes `new Switchboard({ url, token })` as it
 * would with pusher-js or centrifuge-js; the rest of the SDK hangs off it
 * (`Switchboard.SwitchboardError`, `Switchboard.SDK_VERSION`, …), including
 * `Switchboard.Switchboard`, the name the ESM build exports.
 */
const Switchboard = Object.assign(sdk.Switchboard, sdk);

(globalThis as { Switchboard?: typeof Switchboard }).Switchboard = Switchboard;
