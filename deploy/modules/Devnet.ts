/**
 * Everything a local chain needs: the DAO core, TestUSDC (a USDC-shaped token: 6 decimals, permit
 * over ("USD Coin", "2") without EIP-5267, blacklist, pause, and a faucet mint) and the protocol
 * contracts. A chain whose USDC already exists uses ./Production.ts.
 */
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import GovernanceModule from "./Governance.js";
import { buildProtocol } from "./Protocol.js";

/** The test tokens: TestUSDC (no EIP-5267, like USDC), TestUSDCWithDomain (publishes its EIP-712 domain) or TestUSDCWithoutVersion (neither: the agents need usdcPermitDomain). */
export type TestToken = "TestUSDC" | "TestUSDCWithDomain" | "TestUSDCWithoutVersion";

export function devnetModule(token: TestToken = "TestUSDC") {
  return buildModule("Devnet", (m) => {
    const deployer = m.getAccount(0);
    const governance = m.useModule(GovernanceModule);
    const usdc = m.contract(token as "TestUSDC", [deployer], { id: "USDC" });
    const protocol = buildProtocol(m, { usdc, params: governance.params, treasury: governance.timelock, timelock: governance.timelock });
    return { ...governance, usdc, ...protocol };
  });
}

export default devnetModule();
