// A minimal PNG writer for `render --format png`: 8-bit RGB, no interlace, filter 0 on every row,
// the image data as one zlib stream from libdeflate (which the trace format already links).

import CDeflate

enum PNGEncoder {
    /// rgb: [height × width × 3] bytes, row-major. Returns the PNG file's bytes.
    static func encode(width: Int, height: Int, rgb: [UInt8]) -> [UInt8] {
        precondition(rgb.count == width * height * 3)
        var raw = [UInt8](); raw.reserveCapacity(height * (width * 3 + 1))
        for y in 0..<height {
            raw.append(0)                                   // filter type 0 (None)
            raw.append(contentsOf: rgb[(y * width * 3)..<((y + 1) * width * 3)])
        }
        var out: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var ihdr = be32(width) + be32(height)
        ihdr += [8, 2, 0, 0, 0]                             // depth 8, colour type 2 (RGB), deflate, filter 0, no interlace
        chunk(&out, "IHDR", ihdr)
        chunk(&out, "IDAT", zlib(raw))
        chunk(&out, "IEND", [])
        return out
    }

    static func be32(_ v: Int) -> [UInt8] { [UInt8(v >> 24 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }

    static func chunk(_ out: inout [UInt8], _ type: String, _ data: [UInt8]) {
        let typeBytes = Array(type.utf8)
        out += be32(data.count) + typeBytes + data
        let body = typeBytes + data
        let crc = body.withUnsafeBytes { libdeflate_crc32(0, $0.baseAddress, $0.count) }
        out += be32(Int(crc))
    }

    /// The zlib stream (RFC 1950) of `data` at libdeflate's level 9.
    static func zlib(_ data: [UInt8]) -> [UInt8] {
        guard let c = libdeflate_alloc_compressor(9) else { return [] }
        defer { libdeflate_free_compressor(c) }
        let bound = libdeflate_zlib_compress_bound(c, data.count)
        var out = [UInt8](repeating: 0, count: bound)
        let n = data.withUnsafeBytes { src in
            out.withUnsafeMutableBytes { dst in
                libdeflate_zlib_compress(c, src.baseAddress, src.count, dst.baseAddress, dst.count)
            }
        }
        return Array(out.prefix(n))
    }
}

/// The glyphs a PNG is drawn with: `table` (BitmapFont+Glyphs.swift, generated) for text, and block
/// elements as rectangles so heatmap cells tile exactly.
enum BitmapFont {
    /// Draws `glyph` into the cell at pixel (x0, y0) of a cw × ch cell; false when the glyph is unknown.
    static func draw(_ glyph: Unicode.Scalar, x0: Int, y0: Int, cw: Int, ch: Int, color: (UInt8, UInt8, UInt8),
                     into rgb: inout [UInt8], width: Int) -> Bool {
        func fill(_ x: Int, _ y: Int, _ w: Int, _ h: Int) {
            for yy in y..<(y + h) { for xx in x..<(x + w) {
                let i = (yy * width + xx) * 3
                rgb[i] = color.0; rgb[i + 1] = color.1; rgb[i + 2] = color.2
            } }
        }
        let v = glyph.value
        if v == 0x2588 { fill(x0, y0, cw, ch); return true }                   // █
        if v == 0x2580 { fill(x0, y0, cw, ch / 2); return true }               // ▀
        if (0x2581...0x2587).contains(v) {                                       // ▁ … ▇ (▄ is 0x2584)
            let h = ch * Int(v - 0x2580) / 8
            fill(x0, y0 + ch - h, cw, h); return true
        }
        if (0x2589...0x258F).contains(v) {                                       // ▉ … ▏ (left 7/8 … 1/8)
            fill(x0, y0, max(1, cw * Int(0x2590 - v) / 8), ch); return true
        }
        if v == 0x2590 { fill(x0 + cw / 2, y0, cw - cw / 2, ch); return true }   // ▐
        guard let rows = table[v] else { return v == 0x20 }
        for (r, bits) in rows.enumerated() where r < ch {
            for b in 0..<min(8, cw) where bits & (0x80 >> b) != 0 { fill(x0 + b, y0 + r, 1, 1) }
        }
        return true
    }
}
