/**
 * Real processes: the devnet (Hardhat node + deployment) and the cdn-node CLI (init, register,
 * publish, start, channels close) spawned with process.execPath. The node agent is killed with
 * SIGKILL in the middle of a paid stream, restarted, and must still collect every voucher it had
 * acknowledged (logged "voucher stored" after the fsync), and the client resumes the download
 * from its last verified byte. Origin recognition uses hardhat_impersonateAccount on the timelock
 * over RPC (a test-only shortcut for a governance proposal).
 */
import { expect } from "chai";
import { readFileSync } from "node:fs";
import path from "node:path";
import { JsonRpcProvider, Wallet } from "ethers";
import { TEST_CHAIN, useDevnet } from "../helpers/processes.js";
import { connectContracts, readChannel } from "../../agents/chain/contracts.js";
import { readDeployment } from "../../agents/chain/deployment.js";
import { identityFromSecret } from "../../agents/runtime/keys.js";
import { createHost } from "../../agents/runtime/host.js";
import { ClientStore } from "../../agents/client/store.js";
import { createClient } from "../../agents/client/client.js";
import { clientChainView } from "../../agents/client/chain.js";
import { CLIENT_CLI, NODE_CLI, devKey, runCli, startNodeProcess, startOriginProcess, type CliResult } from "./delivery-processes.js";
import { tmpDir } from "../helpers/tmp.js";

describe("e2e › node agent as a real process", function () {
  // ~25 CLI processes in one story (each loads the agents through tsx: seconds on a loaded machine);
  // a block every 2 s on anvil adds wall time to every transaction
  this.timeout(TEST_CHAIN === "anvil" ? 3 * 360_000 : 360_000);
  const devnet = useDevnet();
  const children = devnet.children;

  it("SIGKILL mid-stream: after a restart the node still collects every voucher it acknowledged; the client resumes", async () => {
    const env = { ...devnet.env };
    const provider = new JsonRpcProvider(devnet.rpcUrl);
    const deployment = readDeployment(31337, devnet.deploymentsDir);
    const origin = await startOriginProcess(env, provider, deployment, 7, 8 * 1024 * 1024 + 4321);
    const { args, nodeId, blobId, data } = origin;
    // stdout carries the result only (one line per file); the JSON logs went to stderr
    expect(origin.published.stdout.trim().split("\n"), origin.published.stdout).to.have.length(1);
    expect(origin.published.stderr).to.include('"level"');
    let node = origin.node;
    children.push(node.child);
    let r: CliResult;

    // the client, in-process, with a funded devnet account
    const identity = identityFromSecret(devKey(8));
    const contracts = connectContracts(deployment, new Wallet(identity.wallet.privateKey, provider));
    const host = await createHost({ privateKey: identity.privateKey, listen: [], allow: ["/ip4/127.0.0.1"] });
    const store = new ClientStore(path.join(tmpDir("cdn-client-"), "client.db"));
    const client = createClient({ maxAttempts: 1 }, { host, identity, chain: clientChainView(contracts), contracts, store });
    const received: Buffer[] = [];
    let got = 0;
    try {
      const it = client.fetch(blobId, {
        onProgress: (p) => {
          if (p.bytes >= 3 * 1024 * 1024 && node.child.exitCode === null && node.child.signalCode === null) node.child.kill("SIGKILL");
        },
      });
      const error = await (async () => {
        try {
          for await (const b of it) {
            received.push(Buffer.from(b));
            got += b.length;
          }
        } catch (e) {
          return e;
        }
      })();
      expect(error, "the stream should break when the node dies").to.be.instanceOf(Error);
      await new Promise((resolve) => (node.child.exitCode !== null || node.child.signalCode !== null ? resolve(null) : node.child.once("exit", resolve)));
      expect(node.child.signalCode).to.equal("SIGKILL");
      const acknowledged = node.acknowledged();
      expect(acknowledged > 0n, "the node acknowledged vouchers before it died").to.equal(true);
      expect(got).to.be.greaterThan(0).and.lessThan(data.length);
      const channelId = store.channels()[0].channelId;

      // restart: the stored vouchers are still there; close and collect
      node = await startNodeProcess(args, env);
      children.push(node.child);
      // the client resumes from its last verified byte
      const rest = await (async () => {
        const parts: Buffer[] = [];
        for await (const b of client.fetch(blobId, { range: { offset: got } })) parts.push(Buffer.from(b));
        return Buffer.concat(parts);
      })();
      expect(Buffer.concat([...received, rest]).equals(data)).to.equal(true);
      const signed = store.channel(channelId)!.signed;

      r = await runCli(NODE_CLI, [...args, "channels", "close", channelId], env);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout.trim()).to.match(/^0x[0-9a-f]{64}: closed, [0-9.]+ USDC newly paid$/);
      // nothing left to do: already-closed channels are not mentioned; named, they get one sentence
      r = await runCli(NODE_CLI, [...args, "channels", "close"], env);
      expect([r.code, r.stdout]).to.deep.equal([0, ""]);
      r = await runCli(NODE_CLI, [...args, "channels", "claim"], env);
      expect([r.code, r.stdout]).to.deep.equal([0, ""]);
      r = await runCli(NODE_CLI, [...args, "channels", "close", channelId], env);
      expect(r.stdout.trim()).to.equal(`${channelId}: already closed; nothing to close`);
      const state = await readChannel(contracts.channels, channelId);
      expect(state.status).to.equal("Closed");
      expect(state.paid >= acknowledged).to.equal(true);
      expect(state.paid).to.equal(signed);

      // and the client CLI downloads the blob from the restarted node (new channel, new key)
      const clientDir = tmpDir("cdn-client-cli-");
      r = await runCli(CLIENT_CLI, ["--data-dir", clientDir, "init", "--import", devKey(9)], env);
      expect(r.code, r.stderr).to.equal(0);
      const out = path.join(clientDir, "blob.bin");
      r = await runCli(CLIENT_CLI, ["--data-dir", clientDir, "fetch", blobId, "-o", out, "--no-progress"], env);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/verified from 0x[0-9a-f]{40}; paid 0\.\d+ USDC/);
      expect(readFileSync(out).equals(data)).to.equal(true);
      r = await runCli(CLIENT_CLI, ["--data-dir", clientDir, "channels", "list"], env);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/^0x[0-9a-f]{64}\s+Open\s+node 0x[0-9a-f]{40}\s+deposit 1\.0 USDC\s+signed 0\.00\d+ USDC/m);
      // the node closes it first; the client's close and settle then say what state it is in (no revert dump)
      const cliChannel = /^(0x[0-9a-f]{64})/m.exec(r.stdout)![1];
      r = await runCli(NODE_CLI, [...args, "channels", "close"], env);
      expect(r.stdout.trim()).to.match(new RegExp(`^${cliChannel}: closed, [0-9.]+ USDC newly paid$`));
      r = await runCli(CLIENT_CLI, ["--data-dir", clientDir, "channels", "close", cliChannel], env);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/: already closed \(the node closed it, or it was settled\): the node was paid 0\.\d+ USDC, the rest went back to you; nothing to close or settle\.$/m);
      r = await runCli(CLIENT_CLI, ["--data-dir", clientDir, "channels", "settle", cliChannel], env);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/: already closed; nothing to settle/);
      r = await runCli(NODE_CLI, [...args, "status", "--json"], env);
      expect(r.code, r.stderr).to.equal(0);
      const status = JSON.parse(r.stdout);
      expect(status).to.include({ nodeId: nodeId.toString(), active: true, origin: true, blobs: 1, channels: 2 });
      // the running node's metrics, scraped through <dataDir>/metrics.url
      expect(status.running.cdn_node_bytes_served_total).to.be.greaterThan(0);
      expect(status.running.cdn_node_vouchers_total).to.be.greaterThan(0);
      expect(status.running.cdn_node_chain_view_age_seconds).to.be.lessThan(1800);
      r = await runCli(NODE_CLI, [...args, "status"], env);
      expect(r.stdout).to.match(/^running: served \d+ B, paid for \d+ B, \d+ vouchers$/m);
      expect(r.stdout).to.match(/^refusals: .*; chain view age \d+ s; peers: \d+ nodes, \d+ clients$/m);
      r = await runCli(NODE_CLI, [...args, "exit"], env);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/deregistered; its bond can be withdrawn after/);
      r = await runCli(NODE_CLI, [...args, "status"], env);
      expect(r.stdout).to.match(/^unbonding [0-9.]+ USDC: withdrawable from \S+ chain time \(in [0-9.]+ (days|h|min); then cdn-node exit\)$/m);
      r = await runCli(CLIENT_CLI, ["--data-dir", clientDir, "fetch", "0x1234", "-o", out], env);
      expect(r.code).to.equal(1);
      expect(r.stderr.trim()).to.equal('cdn-client: "0x1234" is not a blob id (0x followed by 64 hex digits).');
    } finally {
      await host.stop();
      store.close();
      provider.destroy();
    }
  });
});
