import { expect } from "chai";
import { JsonRpcProvider, Wallet, keccak256, toUtf8Bytes, parseUnits, formatUnits, AbiCoder, id as hashText } from "ethers";
import { readDeployment } from "../../agents/chain/deployment.js";
import { NodeRegistration, domainFor } from "../../agents/protocol/eip712.js";
import { NodeRegistry__factory, TestUSDC__factory, PaymentChannel__factory } from "../../types/ethers-contracts/index.js";
import { hardhat, startDevnet, type Devnet } from "../helpers/processes.js";
import { channelDomain, signVoucher } from "../helpers/channels.js";

/**
 * Registry, origin and blacklist tasks as real processes against the devnet: a node registered
 * with a real signature shows up in node:list/node:show; the DAO recognizes it as an origin and
 * grants a compliance role through gov:* tasks; the compliance account blacklists a blob.
 */
describe("registry, origin and blacklist tasks against the devnet (end to end)", function () {
  this.timeout(300_000);
  let devnet: Devnet;
  const run = async (...args: string[]) => hardhat([...args, "--network", "localhost"], devnet.env);
  const ok = async (...args: string[]) => {
    const r = await run(...args);
    expect(r.code, `${args.join(" ")}\n${r.stdout}${r.stderr}`).to.equal(0);
    return r.stdout;
  };
  /** propose → vote (#1, #2) → queue → execute, through the tasks. */
  const passThroughTasks = async (...proposeArgs: string[]) => {
    const id = /Proposed (\d+)/.exec(await ok("gov:propose", ...proposeArgs, "--from", "1"))![1];
    await ok("chain:advance", "--blocks", "2");
    await ok("gov:vote", "--id", id, "--from", "1");
    await ok("gov:vote", "--id", id, "--from", "2");
    await ok("chain:advance", "--blocks", "6");
    await ok("gov:queue", "--id", id);
    await ok("chain:advance", "--seconds", "3");
    return ok("gov:execute", "--id", id);
  };
  const nodeKey = Wallet.createRandom();
  const contentKey = Wallet.createRandom();
  const blobId = keccak256(toUtf8Bytes("a blob that a court ordered down"));

  before(async () => {
    devnet = await startDevnet();
    // Register a node the way `cdn-node register` will: operator #4 sends, the node key signs.
    const provider = new JsonRpcProvider(devnet.rpcUrl, undefined, { staticNetwork: true });
    const operator = await provider.getSigner(4);
    const deployment = readDeployment(31337, devnet.deploymentsDir);
    const registry = NodeRegistry__factory.connect(deployment.contracts.NodeRegistry!, operator);
    const usdc = TestUSDC__factory.connect(deployment.usdc, operator);
    const publicKey = "0x" + nodeKey.signingKey.publicKey.slice(4);
    const multiaddrs = ["/ip4/127.0.0.1/tcp/4101"];
    const metadataHash = keccak256(AbiCoder.defaultAbiCoder().encode(["bytes", "string[]"], [publicKey, multiaddrs]));
    const deadline = BigInt((await provider.getBlock("latest"))!.timestamp + 3600);
    const bond = parseUnits("500", 6);
    const signature = await nodeKey.signTypedData(domainFor("nodeRegistry", 31337n, await registry.getAddress()), NodeRegistration, {
      operator: await operator.getAddress(),
      nodeKey: nodeKey.address,
      metadataHash,
      nonce: await registry.keyNonce(nodeKey.address),
      deadline,
    });
    await (await usdc.approve(await registry.getAddress(), bond)).wait();
    await (await registry.register({ nodeKey: nodeKey.address, capacityMbps: 100, region: 1, pricePerGiB: parseUnits("0.02", 6), bond, deadline, publicKey, multiaddrs }, signature)).wait();
    provider.destroy();
  });
  after(async () => {
    await devnet?.stop();
  });

  it("node:list and node:show read the registered node and its dial data from chain", async () => {
    const list = JSON.parse(await ok("node:list", "--json")) as { nodeId: string; nodeKey: string }[];
    expect(list).to.have.length(1);
    expect(list[0].nodeKey).to.equal(nodeKey.address);
    const shown = JSON.parse(await ok("node:show", nodeKey.address, "--json"));
    expect(shown).to.include({ nodeId: "1", active: true, status: "Registered", capacityMbps: 100, origin: "no" });
    expect(shown.multiaddrs).to.deep.equal(["/ip4/127.0.0.1/tcp/4101"]);
    expect(shown.publicKey).to.equal("0x" + nodeKey.signingKey.publicKey.slice(4));
    const missing = await run("node:show", "7");
    expect(missing.code).to.equal(1);
    expect(missing.stderr.trim()).to.equal("Error: No registered node 7.");
  });

  it("the DAO recognizes the node as an origin through gov:* tasks", async () => {
    const executed = await passThroughTasks("--action", "origin-recognize", "--node", "1", "--account", contentKey.address, "--description", "Recognize origin 1");
    expect(executed).to.include(`OriginRegistry.recognize(1, ${contentKey.address})`);
    const origin = await ok("origin:show", "1");
    expect(origin).to.match(/recognized\s+yes/);
    expect(origin).to.include(`${contentKey.address}  valid`);
    const again = await run("gov:propose", "--action", "origin-recognize", "--node", "1", "--account", contentKey.address, "--description", "again", "--from", "1");
    expect(again.code).to.equal(1);
    expect(again.stderr).to.include("already a recognized origin");
  });

  it("a compliance account granted by the DAO blacklists a blob; others cannot", async () => {
    const leak = await run("gov:propose", "--action", "blacklist-add", "--blob", blobId, "--description", `Take down ${blobId}`, "--from", "1");
    expect(leak.code).to.equal(1);
    expect(leak.stderr).to.include("The description contains the blob id");

    const compliance = await new JsonRpcProvider(devnet.rpcUrl, undefined, { staticNetwork: true }).getSigner(5);
    const account = await compliance.getAddress();
    const refused = await run("blacklist:add", "--blob", blobId, "--from", "5");
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.include("does not hold the compliance role");

    await passThroughTasks("--action", "compliance-grant", "--account", account, "--description", "Compliance desk");
    expect(await ok("blacklist:check", blobId)).to.include("not blacklisted (never listed)");
    expect(await ok("blacklist:add", "--blob", blobId, "--from", "5")).to.match(/Blacklisted as entry 1 .*binding from/);
    expect(await ok("blacklist:check", blobId)).to.match(/BLACKLISTED: entry 1, added .*binding from/);
    await ok("chain:advance", "--seconds", String(24 * 3600));
    expect(await ok("blacklist:check", blobId)).to.include("binding now");
    const bad = await run("blacklist:check", "0x1234");
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.include("--blob must be a blob id");
  });

  it("channel:list and channel:show find a client's channel by payer and by node", async () => {
    const provider = new JsonRpcProvider(devnet.rpcUrl, undefined, { staticNetwork: true });
    const payer = await provider.getSigner(6);
    const deployment = readDeployment(31337, devnet.deploymentsDir);
    const channels = PaymentChannel__factory.connect(deployment.contracts.PaymentChannel!, payer);
    const usdc = TestUSDC__factory.connect(deployment.usdc, payer);
    const deposit = parseUnits("5", 6);
    await (await usdc.approve(await channels.getAddress(), deposit)).wait();
    const nonce = hashText("first channel");
    await (await channels.open(nodeKey.address, deposit, await payer.getAddress(), 0n, nonce)).wait();
    const channelId = await channels.channelIdFor(await payer.getAddress(), nodeKey.address, nonce);
    provider.destroy();

    const byPayer = JSON.parse(await ok("channel:list", "--payer", await payer.getAddress(), "--json"));
    const byNode = JSON.parse(await ok("channel:list", "--node", "1", "--json"));
    expect(byPayer.map((c: { channelId: string }) => c.channelId)).to.deep.equal([channelId]);
    expect(byNode).to.deep.equal(byPayer);
    const shown = JSON.parse(await ok("channel:show", channelId, "--json"));
    expect(shown).to.include({ status: "Open", nodeId: "1", deposit: "5.0 USDC", paid: "0.0 USDC", feeBps: 500 });
    const both = await run("channel:list", "--payer", await payer.getAddress(), "--node", "1");
    expect(both.code).to.equal(1);
    expect(both.stderr).to.include("Give exactly one of --payer");
  });

  it("treasury:withdraw pays the fees a claim accrued to the treasury, from any account, once", async () => {
    const provider = new JsonRpcProvider(devnet.rpcUrl, undefined, { staticNetwork: true });
    const [payer, operator] = [await provider.getSigner(7), await provider.getSigner(4)];
    const deployment = readDeployment(31337, devnet.deploymentsDir);
    const channels = PaymentChannel__factory.connect(deployment.contracts.PaymentChannel!, payer);
    const usdc = TestUSDC__factory.connect(deployment.usdc, payer);
    const treasury = await channels.TREASURY();
    const before = await usdc.balanceOf(treasury);
    await (await usdc.approve(await channels.getAddress(), parseUnits("5", 6))).wait();
    const nonce = hashText("a channel the node claims from");
    await (await channels.open(nodeKey.address, parseUnits("5", 6), await payer.getAddress(), 0n, nonce)).wait();
    const channelId = await channels.channelIdFor(await payer.getAddress(), nodeKey.address, nonce);
    const voucher = await signVoucher(payer, channelDomain({ chainId: 31337n, address: await channels.getAddress() }), channelId, parseUnits("2", 6));
    await (await channels.connect(operator).claim(channelId, parseUnits("2", 6), voucher)).wait();
    const fee = (parseUnits("2", 6) * 500n) / 10_000n; // the devnet's 5 % protocol fee

    const paid = await ok("treasury:withdraw", "--from", "8");
    expect(paid).to.include(`protocol fees owed ${formatUnits(fee, 6)} USDC`);
    expect(paid).to.include(`Paid ${formatUnits(fee, 6)} USDC to the treasury ${treasury}`);
    expect((await usdc.balanceOf(treasury)) - before).to.equal(fee);
    const again = await ok("treasury:withdraw");
    expect(again).to.include("Nothing to withdraw: no transaction sent.");
    expect(await usdc.balanceOf(treasury)).to.equal(before + fee);
    provider.destroy();
  });
});
