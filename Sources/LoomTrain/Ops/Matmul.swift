import CBLAS

/// f32 matrix products for training, all through `cblas_sgemm` (row-major).
public enum Matmul {
    /// c[m, n] = (accumulate ? c : 0) + op(a) · op(b), op = transpose when the flag is set.
    /// a is [m, k] (or [k, m] when transA), b is [k, n] (or [n, k] when transB).
    public static func gemm(_ a: UnsafePointer<Float>, transA: Bool, _ b: UnsafePointer<Float>, transB: Bool,
                            m: Int, n: Int, k: Int, into c: UnsafeMutablePointer<Float>, accumulate: Bool) {
        strided(a, lda: transA ? m : k, transA: transA, b, ldb: transB ? k : n, transB: transB,
                m: m, n: n, k: k, alpha: 1, into: c, ldc: n, accumulate: accumulate)
    }

    /// Array convenience of ``gemm(_:transA:_:transB:m:n:k:into:accumulate:)``.
    public static func gemm(_ a: [Float], transA: Bool, _ b: [Float], transB: Bool, m: Int, n: Int, k: Int,
                            into c: inout [Float], accumulate: Bool) {
        precondition(a.count >= m * k && b.count >= k * n && c.count >= m * n,
                     "gemm: buffers of \(a.count), \(b.count), \(c.count) values for m \(m), n \(n), k \(k)")
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                    gemm(ap.baseAddress!, transA: transA, bp.baseAddress!, transB: transB, m: m, n: n, k: k,
                         into: cp.baseAddress!, accumulate: accumulate)
                }
            }
        }
    }

    /// c = (accumulate ? c : 0) + alpha · op(a) · op(b) over matrices whose rows lie `lda`, `ldb`, `ldc` values
    /// apart (one head's columns of a wider row, for example).
    static func strided(_ a: UnsafePointer<Float>, lda: Int, transA: Bool, _ b: UnsafePointer<Float>, ldb: Int, transB: Bool,
                        m: Int, n: Int, k: Int, alpha: Float, into c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        guard m > 0, n > 0 else { return }
        guard k > 0 else {
            if !accumulate { for r in 0..<m { (c + r * ldc).update(repeating: 0, count: n) } }
            return
        }
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), accumulate ? 1 : 0, c, Int32(ldc))
    }
}
