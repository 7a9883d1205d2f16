import { describe, expect, it } from "vitest";
import { builtInModules } from "../../server/src/modules/index.js";
import { widgetsModule } from "../../server/src/platform/test-fixtures/widgets/index.js";
import { SwitchboardError } from "./errors.js";
import { setupFixture } from "./test-support/fixture.js";

const fx = setupFixture();

describe("error codes the SDK does not know", () => {
  it("reaches the caller with the module's own code and details, as it came", async () => {
    const server = await fx.server({ modules: [...builtInModules(), widgetsModule] });
    const client = await fx.agent(server, "alice");
    const failed = await client
      .rpc("widgets.spin", { owner: "alice", turns: 9 })
      .catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(SwitchboardError);
    expect(failed).toMatchObject({ code: "widget_jammed", details: { maxTurns: 3 } });
    // and the connection goes on as before
    expect(await client.rpc("widgets.spin", { owner: "alice", turns: 2 })).toMatchObject({
      turns: 2,
    });
  });
});
