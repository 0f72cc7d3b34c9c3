import { expect } from "chai";
import { blobIdAsCid, blobIdToCid, parseBlobRef } from "../../../agents/protocol/cid.js";
import { fromHex } from "../../../agents/protocol/bytes.js";

const ID = "0x5c170547d40533fb44a0c4874b2977285d519c9e8129f7733c364d97cf2cabd6";

describe("protocol › cid › parseBlobRef", () => {
  it("takes a blob id with or without 0x, in either case", () => {
    expect(parseBlobRef(ID)).to.equal(ID);
    expect(parseBlobRef(ID.slice(2).toUpperCase())).to.equal(ID);
  });
  it("takes the blob id's identity CID and gives the id back", () => {
    const cid = blobIdAsCid(fromHex(ID, 32)).toString();
    expect(cid.startsWith("bafkqaic")).to.equal(true);
    expect(parseBlobRef(cid)).to.equal(ID);
  });
  it("refuses the DHT key (one-way) and junk with one sentence", () => {
    expect(() => parseBlobRef(blobIdToCid(fromHex(ID, 32)).toString())).to.throw(/DHT key/);
    expect(() => parseBlobRef("0x1234")).to.throw(/neither a blob id/);
    expect(() => parseBlobRef("bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi")).to.throw(/not a blob CID/);
  });
});
