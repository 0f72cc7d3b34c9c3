/**
 * Everything a local chain needs: the protocol modules plus MockUSDC (a faucet with USDC's
 * 6 decimals, permit and address blacklist). Production deployments use the real USDC address.
 */
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import GovernanceModule from "./Governance.js";

export default buildModule("Devnet", (m) => {
  const deployer = m.getAccount(0);
  const governance = m.useModule(GovernanceModule);
  const usdc = m.contract("MockUSDC", [deployer]);
  return { ...governance, usdc };
});
