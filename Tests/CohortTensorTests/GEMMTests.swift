import CohortTensor
import Testing

@Suite("Matrix multiply (gemm, gemv)")
struct GEMMTests {
    static let transposeCases: [(Bool, Bool)] = [(false, false), (false, true), (true, false), (true, true)]

    @Test("gemm equals the naive triple loop for every transpose combination, odd, thin and empty shapes",
          arguments: [(false, false), (false, true), (true, false), (true, true)])
    func matmulMatchesNaive(transposes: (Bool, Bool)) {
        let (ta, tb) = transposes
        var generator = SeededGenerator(seed: 11)
        var checked = 0
        for m in edgeDimensions {
            for n in [0, 1, 5, 33] {
                for k in [0, 1, 3, 31, 64] {
                    let a = Tensor<Float>.randomUniform(ta ? [k, m] : [m, k], in: -1..<1, using: &generator)
                    let b = Tensor<Float>.randomUniform(tb ? [n, k] : [k, n], in: -1..<1, using: &generator)
                    let c = Tensor.matmul(a, transposeA: Transpose(ta), b, transposeB: Transpose(tb))
                    #expect(c.shape == [m, n])
                    let expected = Reference.matmul(a, ta, b, tb)
                    #expect(Reference.maxRelativeError(c.scalars, expected) < 1e-5,
                            "m=\(m) n=\(n) k=\(k) ta=\(ta) tb=\(tb)")
                    checked += 1
                }
            }
        }
        #expect(checked == edgeDimensions.count * 20)
    }

    @Test("accumulate form computes α·op(A)·op(B) + β·C in place", arguments: [(false, false), (true, true), (true, false), (false, true)])
    func accumulateForm(transposes: (Bool, Bool)) {
        let (ta, tb) = transposes
        var generator = SeededGenerator(seed: 12)
        for (m, n, k) in [(1, 9, 4), (9, 1, 4), (13, 7, 5), (64, 30, 128), (3, 3, 0)] {
            let a = Tensor<Float>.randomUniform(ta ? [k, m] : [m, k], in: -1..<1, using: &generator)
            let b = Tensor<Float>.randomUniform(tb ? [n, k] : [k, n], in: -1..<1, using: &generator)
            let c0 = Tensor<Float>.randomUniform([m, n], in: -1..<1, using: &generator)
            var c = c0
            Tensor.gemm(a, transposeA: Transpose(ta), b, transposeB: Transpose(tb), into: &c, alpha: 0.5, beta: 2)
            let product = Reference.matmul(a, ta, b, tb)
            let expected = (0..<(m * n)).map { 0.5 * product[$0] + 2 * Double(c0.scalars[$0]) }
            #expect(Reference.maxRelativeError(c.scalars, expected) < 1e-5, "m=\(m) n=\(n) k=\(k)")
        }
    }

    @Test("gemm into a shared C leaves the other copy untouched (copy-on-write)")
    func accumulateDoesNotWriteThroughCopies() {
        let a = Tensor<Float>(rows: [[1, 2], [3, 4]])
        let original = Tensor<Float>(shape: [2, 2], repeating: 1)
        var c = original
        Tensor.gemm(a, a, into: &c, beta: 1)
        #expect(original.scalars == [1, 1, 1, 1])
        #expect(c.scalars == [8, 11, 16, 23])
    }

    @Test("gemv equals the naive loop, with and without transpose, including empty")
    func gemvMatchesNaive() {
        var generator = SeededGenerator(seed: 13)
        for transpose in [false, true] {
            for (m, n) in [(0, 3), (3, 0), (1, 1), (1, 17), (17, 1), (31, 9)] {
                let a = Tensor<Float>.randomUniform([m, n], in: -1..<1, using: &generator)
                let (rows, columns) = transpose ? (n, m) : (m, n)
                let x = Tensor<Float>.randomUniform([columns], in: -1..<1, using: &generator)
                let y0 = Tensor<Float>.randomUniform([rows], in: -1..<1, using: &generator)
                var y = y0
                Tensor.gemv(a, transpose: Transpose(transpose), x, into: &y, alpha: 2, beta: -1)
                let product = Reference.matmul(a, transpose, x.reshaped([columns, 1]), false)
                let expected = (0..<rows).map { 2 * product[$0] - Double(y0.scalars[$0]) }
                #expect(Reference.maxRelativeError(y.scalars, expected) < 1e-5, "m=\(m) n=\(n) t=\(transpose)")
            }
        }
    }

    @Test("Double gemm agrees with the naive loop to double precision")
    func doublePrecision() {
        var generator = SeededGenerator(seed: 14)
        let a = Tensor<Double>.randomUniform([23, 19], in: -1..<1, using: &generator)
        let b = Tensor<Double>.randomUniform([19, 11], in: -1..<1, using: &generator)
        let c = a.matmul(b)
        var worst = 0.0
        for i in 0..<23 {
            for j in 0..<11 {
                var total = 0.0
                for p in 0..<19 { total += a[i, p] * b[p, j] }
                worst = max(worst, abs(total - c[i, j]))
            }
        }
        #expect(worst < 1e-13)
    }

    @Test("a shape mismatch stops with a message naming both shapes")
    func shapeMismatchNamesBothShapes() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let a = Tensor<Float>.zeros([2, 3])
            let b = Tensor<Float>.zeros([4, 5])
            _ = Tensor.matmul(a, b)
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("[2, 3]") && message.contains("[4, 5]"), "stderr: \(message)")
    }
}
