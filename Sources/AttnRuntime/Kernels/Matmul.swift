// Matrix-matrix products for prefill: OpenBLAS sgemm on f32 weights (dequantized per layer).

import CBLAS

/// out [T, rows] = x [T, cols] · Wᵀ, with W [rows, cols] row-major f32 (a linear layer on T tokens).
/// out's rows are `outStride` floats apart (default `rows`), so a slice of columns can be written.
public func matmul(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                   tokens t: Int, rows: Int, cols: Int, outStride: Int? = nil) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(t), Int32(rows), Int32(cols),
                1, x, Int32(cols), w, Int32(cols), 0, out, Int32(outStride ?? rows))
}

/// The reference, summing in Double.
public func matmulNaive(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                        tokens t: Int, rows: Int, cols: Int) {
    for i in 0..<t {
        for r in 0..<rows {
            var s = 0.0
            for c in 0..<cols { s += Double(x[i * cols + c]) * Double(w[r * cols + c]) }
            out[i * rows + r] = Float(s)
        }
    }
}

/// Sets OpenBLAS's thread count (the prefill path); decode uses the WorkerPool instead.
public func setBLASThreads(_ n: Int) {
    openblas_set_num_threads(Int32(n))
}
