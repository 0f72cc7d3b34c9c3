import { createRequire } from "node:module";
import path from "node:path";
import hardhatToolboxMochaEthers from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import { configVariable, defineConfig } from "hardhat/config";
import { tasks } from "./tasks/index.js";

const require = createRequire(import.meta.url);
// Offline compilation: solcjs from the pinned npm `solc` package (no compiler download).
const SOLC_VERSION = "0.8.30";
const solcPath = path.join(path.dirname(require.resolve("solc/package.json")), "soljson.js");
// CDN_BUILD_DIR lets parallel work trees build without sharing artifacts (default: the usual dirs).
const buildDir = process.env.CDN_BUILD_DIR;

export default defineConfig({
  plugins: [hardhatToolboxMochaEthers],
  tasks,
  solidity: {
    profiles: {
      default: {
        version: SOLC_VERSION,
        path: solcPath,
        settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: "cancun" },
      },
    },
  },
  test: {
    solidity: {
      profiles: {
        // `npm test`: the fuzz tests at their default 256 runs each, to stay fast
        default: {},
        // `npm run fuzz`: the balance-conservation and payout fuzz tests at 10,000 runs each (docs/threat-model.md)
        thorough: { fuzz: { runs: 10_000 } },
      },
    },
  },
  paths: {
    tests: { mocha: "test", solidity: "test/solidity" },
    ...(buildDir ? { artifacts: `${buildDir}/artifacts`, cache: `${buildDir}/cache` } : {}),
  },
  networks: {
    hardhatMainnet: { type: "edr-simulated", chainType: "l1" },
    // An in-process chain with a non-devnet chain id: tests that production floors apply.
    productionLike: { type: "edr-simulated", chainType: "l1", chainId: 424242 },
    localhost: { type: "http", chainType: "l1", url: process.env.CDN_RPC_URL ?? "http://127.0.0.1:8545" },
    // A chain to deploy to (docs/deploy.md): its RPC URL and the deployer's key are configuration
    // variables, read from the environment or from the encrypted keystore (`npx hardhat keystore set`).
    target: {
      type: "http",
      chainType: "l1",
      url: configVariable("CDN_TARGET_RPC_URL"),
      accounts: [configVariable("CDN_DEPLOYER_KEY")],
    },
  },
  typechain: { outDir: buildDir ? `${buildDir}/types/ethers-contracts` : "types/ethers-contracts" },
});
