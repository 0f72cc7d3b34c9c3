/**
 * `npm run devnet` end to end: the script itself (scripts/devnet.ts) with the whole network, as a
 * user starts it; its summary is checked, a few of its printed example commands are run against the
 * live devnet, and Ctrl-C (SIGINT) stops every process it started (no orphan left behind).
 */
import { expect } from "chai";
import { execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { agentCli, startDevnet, ROOT, type Devnet } from "../helpers/processes.js";
import { devnetStateDir } from "../../scripts/devnet-ports.js";
import { tmpDir } from "../helpers/tmp.js";

/** Runs scripts/devnet.ts with `args` to its exit (the refusals exit before starting anything). */
function runDevnet(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--disable-warning=ExperimentalWarning", "--import", "tsx", "scripts/devnet.ts", ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout!.on("data", (d) => (out += d));
    child.stderr!.on("data", (d) => (err += d));
    child.on("exit", (code) => resolve({ code, out, err }));
  });
}

/** Processes whose command line mentions `text` (this test's devnet data dirs carry its port). */
function processesMentioning(text: string): string[] {
  const out = execFileSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" });
  return out.split("\n").filter((l) => l.includes(text) && !l.includes("ps -eo"));
}

/** Runs one of the devnet's printed `npm run <bin> -- …` example lines as the user would. */
function runExample(line: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  const m = /^(?:(\S+=\S+ )*)npm run (cdn-[a-z]+) -- (.*)$/.exec(line.trim());
  if (!m) throw new Error(`not an npm run example: ${line}`);
  const tokens = line.trim().split(/\s+/);
  const envs = Object.fromEntries(tokens.slice(0, tokens.indexOf("npm")).map((t) => [t.slice(0, t.indexOf("=")), t.slice(t.indexOf("=") + 1)]));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...agentCli(m[2] as Parameters<typeof agentCli>[0]), ...m[3].split(/\s+/)], {
      cwd: ROOT,
      env: { ...env, ...envs },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout!.on("data", (d) => (out += d));
    child.stderr!.on("data", (d) => (out += d));
    child.on("exit", (code) => resolve({ code, out }));
  });
}

describe("e2e › npm run devnet (the whole network)", function () {
  this.timeout(320_000);
  let devnet: Devnet;

  before(async () => {
    // five agents start under tsx: on a loaded 2-core machine this has taken over 120 s
    devnet = await startDevnet(300_000, { full: true });
  });

  after(async () => {
    await devnet?.stop();
  });

  it("brings up an origin, three cache nodes in two regions, a watchtower and a slasher; a paid fetch through a cache node; closes; prints the summary", () => {
    const out = devnet.output();
    expect(out).to.match(/node 1 origin +region 1 .*\(recognized origin\)/);
    expect(out).to.match(/node 2 cache-1 +region 1 .*\(cache\)/);
    expect(out).to.match(/node 3 cache-2 +region 2 .*\(cache\)/);
    expect(out).to.match(/node 4 cache-3 +region 2 .*\(cache\)/);
    expect(out).to.match(/sample blob 0x[0-9a-f]{64}/);
    expect(out).to.include("4 nodes, a watchtower");
    expect(out).to.match(/fetching +the sample blob through cache-2/);
    expect(out).to.include("the fetched bytes equal the sample blob");
    // the client paid the cache node; the cache node paid the origin upstream; both closed with their vouchers
    expect(out).to.match(/cache-2 closed channel 0x[0-9a-f]{8}… with its best voucher: 0\.\d+ USDC newly paid/);
    expect(out).to.match(/origin closed channel 0x[0-9a-f]{8}… with its best voucher: 0\.\d+ USDC newly paid/);
    const line = (name: string) => new RegExp(`^  ${name} +0x[0-9a-fA-F]{40} +([+-]?)(\\d+\\.\\d+) USDC`, "m").exec(out);
    expect(line("client")?.[1]).to.equal("-");
    expect(line("origin")?.[1]).to.equal("+");
    expect(line("cache-2")?.[1]).to.equal("+");
    expect(line("treasury")?.[1]).to.equal("+");
    // the treasury's fees wait in PaymentChannel for the task DAO members run
    expect(out).to.match(/^ {2}treasury .*held in PaymentChannel until a DAO member runs npx hardhat treasury:withdraw\)$/m);
    // what the client lost = what the cache node and the treasury gained, plus what the cache node paid the origin (net zero within the network)
    const amount = (name: string) => Math.round(Number(line(name)![2]) * 1e6) * (line(name)![1] === "-" ? -1 : 1);
    expect(amount("client") + amount("origin") + amount("cache-2") + amount("treasury")).to.equal(0);
    expect(out).to.match(/gas [1-9][\d,]*/);
    // one ready figure, on the clock of every progress line (seconds since the devnet started)
    expect(out.match(/\bready\b/g)).to.have.length(1);
    expect(out).to.match(/^ready in \d+\.\d s\./m);
    // the agents' logs are files under the state directory, named in the summary
    const dir = devnetStateDir(devnet.port);
    expect(out).to.include(`Agent logs: ${dir}/logs/<name>.log (origin, cache-1, cache-2, cache-3, watchtower, slasher).`);
    for (const name of ["origin", "cache-1", "cache-2", "cache-3", "watchtower", "slasher"]) expect(readFileSync(`${dir}/logs/${name}.log`, "utf8"), name).to.include('{"ready":true');
    // libp2p ports derived from --port: the nodes on port + 1 … + 4, the watchtower on + 5
    const listen = (name: string) => JSON.parse(readFileSync(`${dir}/${name}/config.json`, "utf8")).listen[0] as string;
    expect(["origin", "cache-1", "cache-2", "cache-3", "watchtower"].map(listen)).to.deep.equal([1, 2, 3, 4, 5].map((i) => `/ip4/127.0.0.1/tcp/${devnet.port + i}`));
    expect(out).to.include("docs/first-hour.md walks through these commands");
    expect(out.trim().split("\n").at(-1)).to.equal("Ctrl-C stops the devnet.");
  });

  it("stays up for manual use: the printed example commands work against it", async () => {
    const examples = devnet
      .output()
      .split("\n")
      .filter((l) => /npm run cdn-/.test(l));
    expect(examples.length).to.be.greaterThan(5);
    const pick = (re: RegExp) => examples.find((l) => re.test(l))!;
    const channels = await runExample(pick(/cdn-client .* channels list/), devnet.env);
    expect(channels.code, channels.out).to.equal(0);
    expect(channels.out).to.match(/0x[0-9a-f]{64} +Closed/);
    const tower = await runExample(pick(/cdn-watchtower .* status/), devnet.env);
    expect(tower.code, tower.out).to.equal(0);
    expect(tower.out).to.match(/channels +\d+ held/);
    const slasher = await runExample(pick(/cdn-slasher .* status/), devnet.env);
    expect(slasher.code, slasher.out).to.equal(0);
    expect(slasher.out).to.include("watching 0 blob id(s)");
    // a second fetch, through another cache node (the printed --via example)
    const fetch = await runExample(pick(/cdn-client .* fetch .* --via /).replace("/tmp/sample2.bin", `${devnet.deploymentsDir}/sample2.bin`), devnet.env);
    expect(fetch.code, fetch.out).to.equal(0);
    const dir = /--data-dir (\S+)\/client/.exec(pick(/cdn-client/))![1];
    expect(readFileSync(`${devnet.deploymentsDir}/sample2.bin`).equals(readFileSync(`${dir}/sample.bin`))).to.equal(true);

    // the client's channel commands (docs/client-guide.md): top up the new channel, close it; the node answers the close at once with its best voucher
    const listLine = pick(/cdn-client .* channels list/);
    const open = /(0x[0-9a-f]{64}) +Open/.exec((await runExample(listLine, devnet.env)).out)![1];
    const topup = await runExample(listLine.replace("channels list", `channels topup ${open} 0.5`), devnet.env);
    expect(topup.code, topup.out).to.equal(0);
    expect(topup.out).to.match(/deposit now \d+\.\d+ USDC/);
    const close = await runExample(listLine.replace("channels list", `channels close ${open}`), devnet.env);
    expect(close.code, close.out).to.equal(0);
    // the running node answers a payer's close at once: the CLI says which state the channel is in now
    expect(close.out).to.match(new RegExp(`${open}: (closing; the dispute window ends at \\S+ chain time|closed; the node was paid)`));
    let closed = false;
    for (let i = 0; i < 50 && !closed; i++) {
      closed = new RegExp(`${open} +Closed`).test((await runExample(listLine, devnet.env)).out);
      if (!closed) await new Promise((r) => setTimeout(r, 200));
    }
    expect(closed, "the node closes with its best voucher").to.equal(true);
  });

  it("docs/first-hour.md: every command in it runs against the devnet (section 1 is this suite's start)", async function () {
    this.timeout(900_000); // a dozen CLI processes through tsx: over 320 s on a loaded machine
    const doc = readFileSync(`${ROOT}/docs/first-hour.md`, "utf8");
    const lines = [...doc.matchAll(/```sh\n([\s\S]*?)```/g)]
      .flatMap((m) => m[1].split("\n"))
      .map((l) => l.replace(/\s+#.*$/, "").trim())
      .filter(Boolean);
    expect(lines.slice(0, 2)).to.deep.equal(["npm ci", "npm run devnet"]); // what the before hook's devnet is (npm ci ran before any test)
    const out = devnet.output();
    const dir = devnetStateDir(devnet.port);
    const files = tmpDir("cdn-first-hour-");
    const gatewayPort = devnet.port + 7; // beside the devnet's own ports, not the documented 8733 (tests never take fixed ports)
    const values: Record<string, string> = {
      "/tmp/cdn-devnet-8545": dir,
      "<blobId>": /sample blob (0x[0-9a-f]{64})/.exec(out)![1],
      "<cacheNodeKey>": /--via (0x[0-9a-f]{40})/.exec(out)![1],
      "/tmp/sample.bin": `${files}/sample.bin`,
      "/tmp/sample2.bin": `${files}/sample2.bin`,
      "/tmp/via-http.bin": `${files}/via-http.bin`,
      "127.0.0.1:8733": `127.0.0.1:${gatewayPort}`,
    };
    const fill = (line: string) => Object.entries(values).reduce((l, [k, v]) => l.replaceAll(k, v), line);
    let gateway: ReturnType<typeof spawn> | undefined;
    try {
      for (const line of lines.slice(2).map(fill)) {
        if (line.includes("<channelId>") && !values["<channelId>"]) {
          // the first channel still open, picked once: close and settle act on the same one
          const list = await runExample(fill("npm run cdn-client -- --data-dir /tmp/cdn-devnet-8545/client channels list"), devnet.env);
          values["<channelId>"] = /^(0x[0-9a-f]{64}) +Open/m.exec(list.out)?.[1] ?? /^(0x[0-9a-f]{64})/m.exec(list.out)![1];
        }
        const command = fill(line);
        if (command.includes(" gateway")) {
          // long-running: started on a port of the test's, stopped after the curl line
          const m = /npm run cdn-client -- (.*)$/.exec(command)!;
          gateway = spawn(process.execPath, [...agentCli("cdn-client"), ...m[1].split(/\s+/), "--port", String(gatewayPort)], { cwd: ROOT, env: devnet.env, stdio: ["ignore", "pipe", "pipe"] });
          await new Promise<void>((resolve, reject) => {
            let text = "";
            gateway!.stdout!.on("data", (d) => ((text += d), text.includes("gateway http://") && resolve()));
            gateway!.on("exit", (code) => reject(new Error(`the gateway exited (${code}): ${text}`)));
          });
        } else if (command.startsWith("curl ")) {
          const r = await new Promise<number | null>((resolve) => spawn("curl", ["-sSf", ...command.slice(5).split(/\s+/)], { stdio: "ignore" }).on("exit", resolve));
          expect(r, command).to.equal(0);
          expect(readFileSync(`${files}/via-http.bin`).equals(readFileSync(`${dir}/sample.bin`))).to.equal(true);
          // the user stops the gateway (Ctrl-C) before closing channels from the same key
          await new Promise((r) => (gateway!.once("exit", r), gateway!.kill("SIGINT")));
        } else {
          if (command.includes("channels settle")) {
            // the running node answers the close with its best voucher: settle reads the channel once that landed
            for (
              let i = 0;
              i < 50 && !new RegExp(`${values["<channelId>"]} +Closed`).test((await runExample(fill("npm run cdn-client -- --data-dir /tmp/cdn-devnet-8545/client channels list"), devnet.env)).out);
              i++
            )
              await new Promise((r) => setTimeout(r, 200));
          }
          const r = await runExample(command, devnet.env);
          expect(r.code, `${command}\n${r.out}`).to.equal(0);
          if (command.includes("channels close")) expect(r.out).to.match(/: (closed|closing)/);
        }
      }
    } finally {
      if (gateway && gateway.exitCode === null) await new Promise((r) => (gateway!.once("exit", r), gateway!.kill("SIGTERM")));
    }
    expect(readFileSync(`${files}/sample.bin`).equals(readFileSync(`${dir}/sample.bin`))).to.equal(true);
  });

  it("a port it uses is refused in one sentence; a second devnet on another --port comes up beside it", async () => {
    // a chain on one of this devnet's libp2p ports; a full devnet whose derived ports overlap this one's
    let r = await runDevnet(["--port", String(devnet.port + 3), "--chain-only"], devnet.env);
    expect([r.code, r.err.trim()]).to.deep.equal([
      1,
      `devnet: port ${devnet.port + 3} (the chain's JSON-RPC) is already in use on 127.0.0.1 (another devnet, or a chain node?): stop it, or start this one elsewhere with npm run devnet -- --port ${devnet.port + 13}.`,
    ]);
    r = await runDevnet(["--port", String(devnet.port - 2)], devnet.env);
    expect(r.code).to.equal(1);
    expect(r.err.trim()).to.equal(
      `devnet: ports ${devnet.port}, ${devnet.port + 1}, ${devnet.port + 2}, ${devnet.port + 3} (the agents' libp2p, derived from --port) are already in use on 127.0.0.1 (another devnet, or a chain node?): stop it, or start this one elsewhere with npm run devnet -- --port ${devnet.port + 8}.`,
    );
    expect(r.out).not.to.include("chain ");
    // a second devnet beside the first: its own chain, Ignition journal and deployments; the first keeps serving
    const second = await startDevnet(300_000);
    try {
      expect(second.output()).to.match(/^ready in \d+\.\d s\./m);
      const channels = await runExample(
        devnet
          .output()
          .split("\n")
          .find((l) => /cdn-client .* channels list/.test(l))!,
        devnet.env,
      );
      expect(channels.code, channels.out).to.equal(0);
    } finally {
      await second.stop();
    }
  });

  it("stopping it (SIGTERM, handled as Ctrl-C) stops every process it started", async () => {
    const marker = `cdn-devnet-${devnet.port}/`;
    expect(processesMentioning(marker).length).to.be.greaterThanOrEqual(6); // 4 nodes, watchtower, slasher
    await devnet.stop();
    expect(processesMentioning(marker)).to.deep.equal([]);
    expect(processesMentioning(`--port ${devnet.port}`)).to.deep.equal([]);
  });
});
