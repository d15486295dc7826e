// A small baseline JPEG encoder for the fake server's images. Each 8×8 block keeps only its
// average colour (the DC coefficient; all AC coefficients are zero), which any JPEG decoder reads
// and which is enough for realistic sizes and a real byte format.

const DC_BITS = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]; // standard luminance DC table (ITU T.81, K.3)
const DC_VALUES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const AC_BITS = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]; // one symbol: end of block
const AC_VALUES = [0x00];

/** Canonical Huffman codes for a table: value → [code, length]. */
function huffmanCodes(bits: readonly number[], values: readonly number[]): Map<number, [number, number]> {
  const codes = new Map<number, [number, number]>();
  let code = 0,
    k = 0;
  for (let length = 1; length <= 16; length++) {
    for (let i = 0; i < bits[length - 1]!; i++) codes.set(values[k++]!, [code++, length]);
    code <<= 1;
  }
  return codes;
}

class BitWriter {
  private readonly out: number[] = [];
  private buffer = 0;
  private count = 0;
  write(value: number, length: number): void {
    for (let i = length - 1; i >= 0; i--) {
      this.buffer = (this.buffer << 1) | ((value >> i) & 1);
      if (++this.count === 8) {
        this.out.push(this.buffer);
        if (this.buffer === 0xff) this.out.push(0x00); // byte stuffing
        this.buffer = 0;
        this.count = 0;
      }
    }
  }
  finish(): Uint8Array {
    if (this.count > 0) this.write(0x7f, 8 - this.count); // pad with 1-bits
    return Uint8Array.from(this.out);
  }
}

const segment = (marker: number, body: number[]) => [0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 0xff, ...body];

/**
 * Encodes an image given by `blockColour(bx, by)` → [r, g, b] (the colour of each 8×8 block)
 * as a baseline JPEG of `width`×`height`.
 */
export function encodeBlockJpeg(width: number, height: number, blockColour: (bx: number, by: number) => readonly [number, number, number]): Uint8Array {
  const dc = huffmanCodes(DC_BITS, DC_VALUES);
  const [eob, eobLength] = huffmanCodes(AC_BITS, AC_VALUES).get(0)!;
  const bits = new BitWriter();
  const previous = [0, 0, 0];
  const blocksX = Math.ceil(width / 8),
    blocksY = Math.ceil(height / 8);
  for (let by = 0; by < blocksY; by++) {
    for (let bx = 0; bx < blocksX; bx++) {
      const [r, g, b] = blockColour(bx, by);
      const ycc = [0.299 * r + 0.587 * g + 0.114 * b, 128 - 0.168736 * r - 0.331264 * g + 0.5 * b, 128 + 0.5 * r - 0.418688 * g - 0.081312 * b];
      for (let c = 0; c < 3; c++) {
        const value = Math.round((ycc[c]! - 128) * 8); // DC of the JPEG DCT = 8 × mean(sample − 128), quantiser 1
        const diff = value - previous[c]!;
        previous[c] = value;
        const magnitude = Math.abs(diff);
        const category = magnitude === 0 ? 0 : Math.floor(Math.log2(magnitude)) + 1;
        const [code, length] = dc.get(category)!;
        bits.write(code, length);
        if (category > 0) bits.write(diff < 0 ? diff + (1 << category) - 1 : diff, category);
        bits.write(eob, eobLength);
      }
    }
  }
  const quantTable = [0x00, ...new Array<number>(64).fill(1)];
  const frame = [8, height >> 8, height & 0xff, width >> 8, width & 0xff, 3, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0];
  const huffman = [0x00, ...DC_BITS, ...DC_VALUES, 0x10, ...AC_BITS, ...AC_VALUES];
  const scan = [3, 1, 0x00, 2, 0x00, 3, 0x00, 0, 63, 0];
  return Uint8Array.from([
    0xff,
    0xd8,
    ...segment(0xe0, [0x4a, 0x46, 0x49, 0x46, 0x00, 1, 1, 0, 0, 1, 0, 1, 0, 0]),
    ...segment(0xdb, quantTable),
    ...segment(0xc0, frame),
    ...segment(0xc4, huffman),
    ...segment(0xda, scan),
    ...bits.finish(),
    0xff,
    0xd9,
  ]);
}
