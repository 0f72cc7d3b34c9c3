import { expect } from "chai";
import { parseRange } from "../../../../agents/client/gateway/range.js";

describe("client › gateway › parseRange", () => {
  it("no header or another unit → the whole blob", () => {
    expect(parseRange(undefined, 100)).to.deep.equal({ kind: "whole" });
    expect(parseRange("items=0-1", 100)).to.deep.equal({ kind: "whole" });
  });
  it("bytes=a-b, bytes=a- and bytes=-n", () => {
    expect(parseRange("bytes=10-19", 100)).to.deep.equal({ kind: "range", start: 10, end: 19 });
    expect(parseRange("bytes=10-", 100)).to.deep.equal({ kind: "range", start: 10, end: 99 });
    expect(parseRange("bytes=90-500", 100)).to.deep.equal({ kind: "range", start: 90, end: 99 });
    expect(parseRange("bytes=-10", 100)).to.deep.equal({ kind: "range", start: 90, end: 99 });
    expect(parseRange("bytes=-1000", 100)).to.deep.equal({ kind: "range", start: 0, end: 99 });
  });
  it("a start past the end, an empty suffix or an empty blob → unsatisfiable (416)", () => {
    expect(parseRange("bytes=100-", 100)).to.deep.equal({ kind: "unsatisfiable" });
    expect(parseRange("bytes=-0", 100)).to.deep.equal({ kind: "unsatisfiable" });
    expect(parseRange("bytes=0-", 0)).to.deep.equal({ kind: "unsatisfiable" });
  });
  it("several ranges or an inverted range are ignored (the whole blob, as RFC 9110 allows)", () => {
    expect(parseRange("bytes=0-1,5-6", 100)).to.deep.equal({ kind: "whole" });
    expect(parseRange("bytes=20-10", 100)).to.deep.equal({ kind: "whole" });
  });
});
