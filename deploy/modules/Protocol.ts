/**
 * The protocol contracts on top of the DAO core: NodeRegistry (with the capacity bond),
 * OriginRegistry, ContentBlacklist and PaymentChannel (which also slashes). The registry's slasher
 * is the PaymentChannel, wired once in this deployment by `initializeSlasher` (callable only by the
 * deployer, once; it locks itself), so no account keeps any power over the wiring.
 */
import type { ArgumentType, IgnitionModuleBuilder } from "@nomicfoundation/ignition-core";
import { ZeroAddress } from "ethers";

type Future = Parameters<IgnitionModuleBuilder["call"]>[0];

export function buildProtocol(
  m: IgnitionModuleBuilder,
  deps: { usdc: Future; params: Future; timelock: Future; treasury: ArgumentType },
) {
  const registry = m.contract("NodeRegistry", [deps.usdc, deps.params, ZeroAddress]);
  const blacklist = m.contract("ContentBlacklist", [deps.params, deps.timelock]);
  const origins = m.contract("OriginRegistry", [registry, deps.timelock]);
  const channels = m.contract("PaymentChannel", [deps.usdc, deps.params, registry, blacklist, deps.treasury]);
  m.call(registry, "initializeSlasher", [channels], { id: "wireSlasher" });
  return { registry, blacklist, origins, channels };
}
