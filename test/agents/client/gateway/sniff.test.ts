import { expect } from "chai";
import { safeContentType, sniffContentType } from "../../../../agents/client/gateway/sniff.js";

describe("client › gateway › sniffContentType", () => {
  it("recognizes images, WebM and MP4 by their first bytes", () => {
    expect(sniffContentType(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]))).to.equal("image/png");
    expect(sniffContentType(Uint8Array.from([0xff, 0xd8, 0xff, 0xe0]))).to.equal("image/jpeg");
    expect(sniffContentType(Uint8Array.from([0x1a, 0x45, 0xdf, 0xa3, 1]))).to.equal("video/webm");
    expect(sniffContentType(Buffer.from("\0\0\0\x18ftypisom"))).to.equal("video/mp4");
  });
  it("never sniffs HTML or SVG as a document (text/plain), and binary noise is octet-stream", () => {
    expect(sniffContentType(Buffer.from("<html><script>alert(1)</script></html>"))).to.equal("text/plain; charset=utf-8");
    expect(sniffContentType(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'))).to.equal("text/plain; charset=utf-8");
    expect(sniffContentType(Uint8Array.from([0, 1, 2, 3, 0xfe]))).to.equal("application/octet-stream");
  });
  it("?type= accepts a plain media type only", () => {
    expect(safeContentType("video/webm")).to.equal("video/webm");
    expect(safeContentType("text/plain; charset=utf-8")).to.equal("text/plain; charset=utf-8");
    expect(safeContentType("text/html\r\nx-injected: 1")).to.equal(undefined);
    expect(safeContentType(null)).to.equal(undefined);
  });
});
