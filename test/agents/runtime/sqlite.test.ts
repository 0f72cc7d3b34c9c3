import { expect } from "chai";
import path from "node:path";
import { stat, type FileHandle } from "node:fs/promises";
import { SchemaVersionError, SqliteStore, fromHex64, migrate, openDatabase, toHex64 } from "../../../agents/runtime/sqlite.js";
import { NodeStore } from "../../../agents/node/store.js";
import { tmpDir } from "../../helpers/tmp.js";

class TwoTables extends SqliteStore {
  static readonly MIGRATIONS = ["CREATE TABLE a (x INTEGER);", "CREATE TABLE b (y INTEGER);"];
  constructor(file: string, migrations = TwoTables.MIGRATIONS) {
    super(file, migrations);
  }
}

describe("agents › runtime › sqlite (the agents' store base)", () => {
  const file = () => path.join(tmpDir("cdn-sqlite-"), "state.db");

  it("migrates a database written by an older version to the newest schema, one version at a time", () => {
    const f = file();
    const old = new TwoTables(f, TwoTables.MIGRATIONS.slice(0, 1));
    expect(old.schemaVersion).to.equal(1);
    old.db.prepare("INSERT INTO a (x) VALUES (7)").run();
    old.close();
    const now = new TwoTables(f);
    expect(now.schemaVersion).to.equal(2);
    expect(now.db.prepare("SELECT x FROM a").get()).to.deep.equal({ x: 7 });
    now.db.prepare("INSERT INTO b (y) VALUES (1)").run();
    now.close();
  });

  it("refuses a database from a newer version with one sentence, and leaves it as it was", () => {
    const f = file();
    new NodeStore(f).close();
    const db = openDatabase(f);
    db.exec("PRAGMA user_version = 99");
    db.close();
    let caught: unknown;
    try {
      new NodeStore(f);
    } catch (e) {
      caught = e;
    }
    expect(caught).to.be.instanceOf(SchemaVersionError);
    expect((caught as SchemaVersionError).message).to.equal(
      `${f} has schema version 99, newer than this software knows (${(caught as SchemaVersionError).known}): upgrade it, or use another data directory`,
    );
    const again = openDatabase(f);
    expect((again.prepare("PRAGMA user_version").get() as { user_version: number }).user_version).to.equal(99);
    again.close();
  });

  it("a failed migration rolls back whole and keeps the old version", () => {
    const db = openDatabase(":memory:");
    migrate(db, ["CREATE TABLE a (x INTEGER);"]);
    expect(() => migrate(db, ["CREATE TABLE a (x INTEGER);", "CREATE TABLE c (z INTEGER); CREATE TABLE a (dup INTEGER);"])).to.throw();
    expect((db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version).to.equal(1);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'c'").get()).to.equal(undefined);
    db.close();
  });

  it("amounts as 64 hex digits sort as numbers", () => {
    const values = [0n, 1n, 255n, 256n, 10n ** 30n, 2n ** 255n];
    const texts = values.map(toHex64);
    expect([...texts].sort()).to.deep.equal(texts);
    expect(texts.map(fromHex64)).to.deep.equal(values);
  });
  it("group commit: every syncLog call made while an fsync runs shares the next one, which starts after the running one and covers their commits", async () => {
    const gates: (() => void)[] = [];
    const started: number[] = [];
    class Gated extends TwoTables {
      protected override async fsyncLog(): Promise<void> {
        started.push(Number((this.db.prepare("SELECT count(*) AS n FROM a").get() as { n: number }).n)); // rows this fsync covers
        await new Promise<void>((resolve) => gates.push(resolve));
        await super.fsyncLog();
      }
    }
    const store = new Gated(file());
    const insert = () => store.db.prepare("INSERT INTO a (x) VALUES (1)").run();
    insert();
    const first = store.syncLog();
    insert(); // committed after the first fsync started: only a later one covers it
    const waiting = [store.syncLog(), store.syncLog(), store.syncLog()];
    const settled: string[] = [];
    for (const [i, p] of waiting.entries()) void p.then(() => settled.push(`late ${i}`));
    void first.then(() => settled.push("first"));
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).to.deep.equal([1]);
    gates.shift()!();
    await first;
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).to.deep.equal(["first"]); // the late callers wait for their own fsync
    expect(started).to.deep.equal([1, 2]); // one more fsync for all three, covering the second row
    gates.shift()!();
    await Promise.all(waiting);
    expect(settled).to.deep.equal(["first", "late 0", "late 1", "late 2"]);
    expect(started).to.have.length(2);
    const alone = store.syncLog(); // nothing running: a fresh fsync at once
    expect(started).to.have.length(3);
    gates.shift()!();
    await alone;
    store.close();
  });
  it("the write-ahead log it keeps open for syncs stays the file SQLite writes: after another connection opened and closed the database, after checkpoints (also TRUNCATE) and after the log's reuse", async () => {
    const f = file();
    const store = new TwoTables(f);
    const insert = () => store.db.prepare("INSERT INTO a (x) VALUES (1)").run();
    const kept = async () => (await (store as unknown as { logHandle: Promise<FileHandle | undefined> }).logHandle)!;
    insert();
    await store.syncLog();
    const handle = await kept();
    const sameFile = async () => {
      const [held, named] = await Promise.all([handle.stat(), stat(`${f}-wal`)]);
      return held.ino === named.ino && held.dev === named.dev;
    };
    expect(await sameFile()).to.equal(true);
    // another process's connection (a CLI command) opens, writes and closes: not the last connection, so the log stays
    const other = openDatabase(f);
    other.prepare("INSERT INTO a (x) VALUES (2)").run();
    other.close();
    insert();
    await store.syncLog();
    expect(await sameFile()).to.equal(true);
    for (const mode of ["PASSIVE", "FULL", "RESTART", "TRUNCATE"]) {
      store.db.exec(`PRAGMA wal_checkpoint(${mode})`);
      for (let i = 0; i < 50; i++) insert(); // the log rewound and written again from its start
      await store.syncLog();
      expect(await sameFile(), mode).to.equal(true);
      expect(await kept()).to.equal(handle);
    }
    expect((store.db.prepare("SELECT count(*) AS n FROM a").get() as { n: number }).n).to.equal(203);
    store.close();
  });
});
