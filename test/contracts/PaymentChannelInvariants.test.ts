/**
 * Property test: random sequences of open, top up, claim, payee close, payer close, dispute (with
 * and without a watchtower bounty), settle, slash, USDC-blacklisting of the operator, the operator's
 * withdrawal of its node's credit and time jumps, driven by fast-check against the contract. After every step:
 * - the contract's USDC balance == Σ balances of channels not closed + Σ withdrawable balances + the
 *   node's credit + pending slash rewards + protocol fees owed to the treasury;
 * - the protocol fees accrued == Σ fees of every channel's payouts (from events);
 * - per channel, `paid` never decreases and never exceeds the deposit;
 * - per channel, operator + treasury + bounty payouts (from events) == paid, exactly, and the
 *   treasury's part equals fee(paid) computed on the cumulative amount;
 * - per closed channel, refund + paid == deposit; overall, deposits == refunds + payouts + open balances.
 * Operations may revert (random inputs); reverted steps must change nothing.
 */
import { expect } from "chai";
import { network } from "hardhat";
import fc from "fast-check";
import { id, type ContractTransactionResponse, type Wallet } from "ethers";
import { DAY, HOUR, NO_AUTH, USDC, channelDomain, deployChannels, nextNonce, randomWallet, signAuth, latestAnchor, signCommitment, signVoucher, type ChannelContext } from "../helpers/channels.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;

type Op =
  | { kind: "open"; payer: number; deposit: bigint; session: boolean }
  | { kind: "topUp"; ch: number; amount: bigint }
  | { kind: "claim"; ch: number; delta: bigint; bySession: boolean }
  | { kind: "payeeClose"; ch: number; delta: bigint }
  | { kind: "payerClose"; ch: number }
  | { kind: "dispute"; ch: number; delta: bigint; bounty: number }
  | { kind: "settle"; ch: number; wait: boolean }
  | { kind: "time"; seconds: bigint }
  | { kind: "slash" }
  | { kind: "blockOperator"; on: boolean }
  | { kind: "withdraw" }
  | { kind: "claimReward"; reporterWithdraws: boolean };

const amount = fc.bigInt({ min: 0n, max: 60n * USDC });
const chIdx = fc.nat({ max: 7 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("open" as const), payer: fc.nat({ max: 1 }), deposit: fc.bigInt({ min: 0n, max: 80n * USDC }), session: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("topUp" as const), ch: chIdx, amount }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("claim" as const), ch: chIdx, delta: amount, bySession: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("payeeClose" as const), ch: chIdx, delta: amount }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("payerClose" as const), ch: chIdx }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("dispute" as const), ch: chIdx, delta: amount, bounty: fc.nat({ max: 3_000 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("settle" as const), ch: chIdx, wait: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("time" as const), seconds: fc.bigInt({ min: 1n, max: 2n * DAY }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("slash" as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("blockOperator" as const), on: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("withdraw" as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("claimReward" as const), reporterWithdraws: fc.boolean() }) },
);

interface Tracked {
  id: string;
  session?: Wallet;
  lastPaid: bigint;
  deposited: bigint;
  operatorPaid: bigint;
  feePaid: bigint;
  bountyPaid: bigint;
  refund: bigint;
  closed: boolean;
}

describe("PaymentChannel invariants (fast-check)", function () {
  const fixture = () => deployChannels(connection);

  it("holds the accounting invariants over random operation sequences", async function () {
    // Successful transactions per function, across all runs: the sequences must really exercise them.
    const succeeded = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 30 }), async (ops) => {
        const ctx: ChannelContext = await networkHelpers.loadFixture(fixture);
        const domain = channelDomain(ctx);
        const payers = [ctx.payer, ctx.payer2];
        const operator = await ctx.operator.getAddress();
        const nodeKey = await ctx.nodeKey.getAddress();
        const accounts = [operator, await ctx.treasury.getAddress(), await ctx.watchtower.getAddress(), await ctx.reporter.getAddress(), ...(await Promise.all(payers.map((p) => p.getAddress())))];
        const channels: Tracked[] = [];
        let blobCounter = 0;
        const slashed: string[] = [];

        const record = async (tx: ContractTransactionResponse) => {
          const receipt = await tx.wait();
          for (const log of receipt!.logs) {
            if (log.address !== ctx.address) continue;
            const parsed = ctx.channels.interface.parseLog(log);
            if (!parsed) continue;
            if (parsed.name === "PayoutDeferred") succeeded.set("(deferred)", (succeeded.get("(deferred)") ?? 0) + 1);
            const c = channels.find((t) => t.id === parsed.args[0]);
            if (parsed.name === "ChannelPaid" && c) {
              c.operatorPaid += parsed.args.operatorAmount;
              c.feePaid += parsed.args.feeAmount;
            } else if (parsed.name === "ChannelDisputed" && c) {
              c.bountyPaid += parsed.args.bounty;
            } else if (parsed.name === "ChannelClosed" && c) {
              c.refund += parsed.args.refund;
              c.closed = true;
            } else if (parsed.name === "ChannelOpened" && c) {
              c.deposited += parsed.args.deposit;
            } else if (parsed.name === "ChannelToppedUp" && c) {
              c.deposited += parsed.args.amount;
            }
          }
        };
        const attempt = async (send: () => Promise<ContractTransactionResponse>) => {
          try {
            const tx = await send();
            await record(tx);
            const name = ctx.channels.interface.parseTransaction({ data: tx.data })?.name ?? "?";
            succeeded.set(name, (succeeded.get(name) ?? 0) + 1);
          } catch (err) {
            if (!String(err).includes("revert")) throw err;
            if (process.env.FC_DEBUG) console.log(String(err).slice(0, 200));
          }
        };
        const pick = (i: number) => (channels.length === 0 ? undefined : channels[i % channels.length]);
        /** Disputes and settles mostly target channels in their dispute window (any channel otherwise). */
        const closing = new Set<string>();
        const pickClosing = (i: number) => {
          const list = channels.filter((t) => closing.has(t.id) && !t.closed);
          return list.length === 0 || i === 7 ? pick(i) : list[i % list.length];
        };

        const checkInvariants = async () => {
          let open = 0n;
          let totalDeposits = 0n;
          let totalRefunds = 0n;
          let totalPayouts = 0n;
          let totalFees = 0n;
          for (const t of channels) {
            const info = await ctx.channels.getChannel(t.id);
            expect(info.paid >= t.lastPaid, "paid never decreases").to.equal(true);
            expect(info.paid <= info.deposit, "paid never exceeds the deposit").to.equal(true);
            t.lastPaid = info.paid;
            expect(info.deposit).to.equal(t.deposited);
            expect(t.operatorPaid + t.feePaid + t.bountyPaid, "operator + treasury + bounty == paid").to.equal(info.paid);
            expect(t.feePaid, "fee on cumulative amounts").to.equal((info.paid * info.feeBps) / 10_000n);
            const balance = await ctx.channels.balanceOf(t.id);
            if (t.closed) {
              expect(info.status).to.equal(3n);
              expect(balance).to.equal(0n);
              expect(t.refund + info.paid, "refund + paid == deposit").to.equal(info.deposit);
            } else {
              expect(balance).to.equal(info.deposit - info.paid);
            }
            open += balance;
            totalDeposits += t.deposited;
            totalRefunds += t.refund;
            totalPayouts += info.paid;
            totalFees += t.feePaid;
          }
          let credited = 0n;
          for (const a of accounts) credited += await ctx.channels.withdrawable(a);
          credited += (await ctx.channels.nodeCredit(ctx.nodeId)).credit;
          expect(credited).to.equal(await ctx.channels.totalWithdrawable());
          const pending = await ctx.channels.pendingSlashRewards();
          const fees = await ctx.channels.protocolFees();
          expect(fees.accrued, "fees accrued == Σ fee(paid)").to.equal(totalFees);
          expect(fees.owed <= fees.accrued, "fees owed ≤ fees accrued").to.equal(true);
          expect(await ctx.usdc.balanceOf(ctx.address), "USDC held == open balances + withdrawable + node credit + pending slash rewards + protocol fees owed").to.equal(
            open + credited + pending + fees.owed,
          );
          expect(totalDeposits, "deposits == refunds + payouts + open balances").to.equal(totalRefunds + totalPayouts + open);
        };

        for (const op of ops) {
          const c = "ch" in op ? (op.kind === "dispute" || op.kind === "settle" ? pickClosing(op.ch) : pick(op.ch)) : undefined;
          switch (op.kind) {
            case "open": {
              const payer = payers[op.payer];
              const nonce = nextNonce();
              const cid = await ctx.channels.channelIdFor(await payer.getAddress(), await ctx.nodeKey.getAddress(), nonce);
              const session = op.session ? randomWallet() : undefined;
              const expiry = session ? BigInt(await networkHelpers.time.latest()) + DAY : 0n;
              const t: Tracked = { id: cid, session, lastPaid: 0n, deposited: 0n, operatorPaid: 0n, feePaid: 0n, bountyPaid: 0n, refund: 0n, closed: false };
              channels.push(t);
              await attempt(() => ctx.channels.connect(payer).open(nodeKey, op.deposit, session?.address ?? ethers.ZeroAddress, expiry, nonce));
              if (t.deposited === 0n) channels.pop();
              break;
            }
            case "topUp":
              if (c) {
                const info = await ctx.channels.getChannel(c.id);
                const signer = (await payers[0].getAddress()) === info.payer ? payers[0] : payers[1];
                await attempt(() => ctx.channels.connect(signer).topUp(c.id, op.amount));
              }
              break;
            case "claim":
            case "payeeClose":
            case "dispute":
              if (c) {
                const info = await ctx.channels.getChannel(c.id);
                const target = info.paid + op.delta;
                const payerSigner = (await payers[0].getAddress()) === info.payer ? payers[0] : payers[1];
                const signer = op.kind === "claim" && op.bySession && c.session ? c.session : payerSigner;
                const sig = await signVoucher(signer, domain, c.id, target);
                if (op.kind === "claim") await attempt(() => ctx.channels.connect(ctx.operator).claim(c.id, target, sig));
                else if (op.kind === "payeeClose") await attempt(() => ctx.channels.connect(ctx.nodeKey).closeByPayee(c.id, target, sig));
                else {
                  const auth = { nodeId: ctx.nodeId, watchtower: await ctx.others[0].getAddress(), beneficiary: accounts[2], maxBps: op.bounty, expiry: 2n ** 63n };
                  const authSig = op.bounty > 0 ? await signAuth(ctx.nodeKey, domain, auth) : "0x";
                  await attempt(() => ctx.channels.connect(ctx.others[0]).dispute(c.id, target, sig, op.bounty > 0 ? auth : NO_AUTH, authSig));
                }
              }
              break;
            case "payerClose":
              if (c) {
                const info = await ctx.channels.getChannel(c.id);
                const signer = (await payers[0].getAddress()) === info.payer ? payers[0] : payers[1];
                await attempt(() => ctx.channels.connect(signer).closeByPayer(c.id));
                closing.add(c.id);
              }
              break;
            case "settle":
              if (c) {
                // Half the time, wait out the dispute window first.
                if (op.wait) await networkHelpers.time.increase(DAY + 1n);
                await attempt(() => ctx.channels.connect(ctx.others[1]).settle(c.id));
              }
              break;
            case "time":
              await networkHelpers.time.increase(op.seconds);
              break;
            case "slash": {
              // A blob listed now; a fresh channel opened after it binds; the node's commitment revealed.
              const blobId = id("blob" + blobCounter++);
              await ctx.blacklist.add(blobId, HOUR);
              await networkHelpers.time.increase(HOUR);
              const nonce = nextNonce();
              const cid = await ctx.channels.channelIdFor(accounts[4], await ctx.nodeKey.getAddress(), nonce);
              const t: Tracked = { id: cid, lastPaid: 0n, deposited: 0n, operatorPaid: 0n, feePaid: 0n, bountyPaid: 0n, refund: 0n, closed: false };
              channels.push(t);
              await attempt(() => ctx.channels.connect(ctx.payer).open(nodeKey, 2n * USDC, ethers.ZeroAddress, 0n, nonce));
              if (t.deposited === 0n) {
                channels.pop();
                break;
              }
              const commitment = { blobId, client: accounts[4], channelId: cid, ...(await latestAnchor(ethers.provider)) };
              const signature = await signCommitment(ctx.nodeKey, domain, commitment);
              const salt = id("salt" + blobCounter);
              const hash = await ctx.channels.evidenceCommitHash(accounts[3], commitment, signature, salt);
              await attempt(() => ctx.channels.connect(ctx.reporter).commitEvidence(hash, commitment.anchorBlock));
              await attempt(() => ctx.channels.connect(ctx.reporter).revealEvidence(commitment, signature, salt));
              slashed.push(blobId);
              break;
            }
            case "claimReward":
              for (const blobId of slashed) {
                const entry = await ctx.blacklist.entryOf(blobId);
                await attempt(() => ctx.channels.connect(ctx.others[1]).claimSlashReward(ctx.nodeId, blobId, entry.entryId));
              }
              if (op.reporterWithdraws) await attempt(() => ctx.channels.connect(ctx.reporter).withdraw());
              await attempt(() => ctx.channels.connect(ctx.others[1]).withdrawTreasury());
              break;
            case "blockOperator":
              if (op.on) await ctx.usdc.connect(ctx.deployer).blacklist(operator);
              else await ctx.usdc.connect(ctx.deployer).unBlacklist(operator);
              break;
            case "withdraw":
              await attempt(() => ctx.channels.connect(ctx.operator).withdrawNodeCredit(ctx.nodeId));
              break;
          }

          await checkInvariants();
        }
        // Whatever was credited can be withdrawn once the operator is unfrozen; the invariants still hold.
        if ((await ctx.channels.nodeCredit(ctx.nodeId)).credit > 0n) {
          await ctx.usdc.connect(ctx.deployer).unBlacklist(operator);
          await attempt(() => ctx.channels.connect(ctx.operator).withdrawNodeCredit(ctx.nodeId));
          expect((await ctx.channels.nodeCredit(ctx.nodeId)).credit).to.equal(0n);
          await checkInvariants();
        }
      }),
      { numRuns: 80, seed: Number(process.env.FC_SEED ?? 20261125), endOnFailure: true },
    );
    if (process.env.FC_DEBUG) console.log("      successful calls:", Object.fromEntries(succeeded));
    for (const fn of ["open", "topUp", "claim", "closeByPayee", "closeByPayer", "dispute", "settle", "revealEvidence", "withdrawNodeCredit"]) {
      expect(succeeded.get(fn) ?? 0, `successful ${fn} calls`).to.be.greaterThan(0);
    }
  });
});
