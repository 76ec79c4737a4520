import CohortTensor
import Testing

@Suite("Vector operations (axpy, scal, dot, nrm2)")
struct BLAS1Tests {
    @Test("axpy, scal, dot and nrm2 equal naive loops on odd and empty sizes", arguments: [0, 1, 2, 7, 31, 1000])
    func matchNaive(count: Int) {
        var generator = SeededGenerator(seed: UInt64(100 + count))
        let x = Tensor<Float>.randomUniform([count], in: -2..<2, using: &generator)
        let y0 = Tensor<Float>.randomUniform([count], in: -2..<2, using: &generator)

        var y = y0
        y.add(x, scaledBy: -0.75)
        #expect(Reference.maxRelativeError(y.scalars, (0..<count).map { Double(y0.scalars[$0]) - 0.75 * Double(x.scalars[$0]) }) < 1e-6)

        let scaled = x.scaled(by: 3)
        #expect(Reference.maxRelativeError(scaled.scalars, x.scalars.map { 3 * Double($0) }) < 1e-6)

        let dot = (0..<count).reduce(0.0) { $0 + Double(x.scalars[$1]) * Double(y0.scalars[$1]) }
        #expect(abs(Double(x.dot(y0)) - dot) < 1e-4 * max(1, abs(dot)))

        let norm = x.scalars.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        #expect(abs(Double(x.l2Norm) - norm) < 1e-5 * max(1, norm))
    }

    @Test("nrm2 does not overflow where the naive sum of squares would")
    func normWithoutOverflow() {
        let x = Tensor<Float>([3e30, 4e30])
        #expect(abs(x.l2Norm / 5e30 - 1) < 1e-6)
    }

    @Test("scaling by zero gives zeros, even over NaN and infinity")
    func scaleByZero() {
        var x = Tensor<Float>([.nan, .infinity, 2])
        x.scale(by: 0)
        #expect(x.scalars == [0, 0, 0])
    }

    @Test("axpy on a copy leaves the original unchanged")
    func axpyCopyOnWrite() {
        let original = Tensor<Float>([1, 2, 3])
        var copy = original
        copy.add(Tensor<Float>([1, 1, 1]), scaledBy: 1)
        #expect(original.scalars == [1, 2, 3])
        #expect(copy.scalars == [2, 3, 4])
    }
}
