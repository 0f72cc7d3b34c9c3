/**
 * A chain whose USDC already exists: the DAO core and the protocol contracts on top of the token
 * at parameter `Production.usdc`. The protocol fee goes to `Production.treasury` when the
 * parameters name one, else to the DAO's timelock. Parameters: deploy/parameters/<network>.json.
 */
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import GovernanceModule from "./Governance.js";
import { buildProtocol } from "./Protocol.js";

/** The module; `withTreasury` says whether the parameters name a treasury (else the timelock). */
export function productionModule(withTreasury: boolean) {
  return buildModule("Production", (m) => {
    const governance = m.useModule(GovernanceModule);
    const usdc = m.contractAt("IUSDC", m.getParameter<string>("usdc"), { id: "USDC" });
    const treasury = withTreasury ? m.getParameter<string>("treasury") : governance.timelock;
    const protocol = buildProtocol(m, { usdc, params: governance.params, treasury, timelock: governance.timelock });
    return { ...governance, usdc, ...protocol };
  });
}

export default productionModule(false);
