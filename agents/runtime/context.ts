/**
 * What every agent command that touches the chain starts from: its key, the chain (the project's
 * contracts connected to the key's wallet, the token's permit domain from config) and a logger on
 * stderr. Each agent's cli/context.ts adds its own store and services on top.
 */
import { Wallet, type JsonRpcProvider } from "ethers";
import { connectContracts, connectRpc, type Contracts } from "../chain/contracts.js";
import type { PermitDomainOverride } from "../chain/permit.js";
import { loadKeyFile, type Identity } from "./keys.js";
import { createLogger, type Logger } from "./logger.js";
import { traceRpc } from "./trace.js";

export interface AgentConnectionConfig {
  keyFile: string;
  rpcUrl: string;
  deploymentsDir?: string;
  usdcPermitDomain?: PermitDomainOverride;
  logLevel: string;
  /** Pretty logs (default: when stderr is a terminal). */
  logPretty?: boolean;
}

export interface AgentConnection {
  identity: Identity;
  provider: JsonRpcProvider;
  /** The contracts connected to the key's wallet. */
  contracts: Contracts;
  logger: Logger;
}

/** `logs`: where JSON log lines go (stderr for one-shot commands, whose stdout carries results; a running `start` logs on stdout). */
export async function connectAgent(program: string, config: AgentConnectionConfig, options: { logs?: "stdout" | "stderr" } = {}): Promise<AgentConnection> {
  const identity = loadKeyFile(config.keyFile);
  const { provider, deployment } = await connectRpc(config.rpcUrl, config.deploymentsDir);
  traceRpc(provider, program);
  const contracts = connectContracts(deployment, new Wallet(identity.wallet.privateKey, provider), { usdcPermitDomain: config.usdcPermitDomain });
  const logger = createLogger({ name: program, level: config.logLevel, pretty: config.logPretty ?? Boolean(process.stderr.isTTY), stream: options.logs ?? "stderr" });
  return { identity, provider, contracts, logger };
}

/** An agent command's connection plus its store; `close()` closes the store and the RPC connection. */
export interface AgentContext<C, S extends { close(): void }> extends AgentConnection {
  config: C;
  store: S;
  close(): void;
}

/** connectAgent, then the agent's store (opened from its config). */
export async function openAgent<C extends AgentConnectionConfig, S extends { close(): void }>(
  program: string,
  config: C,
  openStore: (config: C) => S,
  options: { logs?: "stdout" | "stderr" } = {},
): Promise<AgentContext<C, S>> {
  const connection = await connectAgent(program, config, options);
  const store = openStore(config);
  return {
    ...connection,
    config,
    store,
    close() {
      store.close();
      connection.provider.destroy();
    },
  };
}
