import { expect } from "chai";
import path from "node:path";
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
});
