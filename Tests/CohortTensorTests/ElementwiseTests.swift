import CohortTensor
import Testing

@Suite("Element-wise arithmetic and maps")
struct ElementwiseTests {
    @Test("tensor-tensor and tensor-scalar arithmetic equal naive loops", arguments: [[0, 3], [1, 1], [5, 7], [1, 33]])
    func arithmetic(shape: [Int]) {
        var generator = SeededGenerator(seed: 21)
        let a = Tensor<Float>.randomUniform(shape, in: 1..<2, using: &generator)
        let b = Tensor<Float>.randomUniform(shape, in: 1..<2, using: &generator)
        let n = a.count
        #expect((a + b).scalars == (0..<n).map { a.scalars[$0] + b.scalars[$0] })
        #expect((a - b).scalars == (0..<n).map { a.scalars[$0] - b.scalars[$0] })
        #expect((a * b).scalars == (0..<n).map { a.scalars[$0] * b.scalars[$0] })
        #expect((a / b).scalars == (0..<n).map { a.scalars[$0] / b.scalars[$0] })
        #expect((a + 2).scalars == a.scalars.map { $0 + 2 })
        #expect((a - 2).scalars == a.scalars.map { $0 - 2 })
        #expect((3 * a).scalars == a.scalars.map { 3 * $0 })
        #expect((a / 4).scalars == a.scalars.map { $0 / 4 })
        #expect((-a).scalars == a.scalars.map { -$0 })
        #expect((a + b).shape == shape)

        var c = a
        c += b
        c -= a
        #expect(c.maxAbsoluteDifference(b) <= 1e-6)
        c *= a
        #expect(c.maxAbsoluteDifference(a * b) <= 1e-6)
    }

    @Test("map and mapInPlace apply the function to every element")
    func maps() {
        let x = Tensor<Float>(rows: [[-1, 0.5], [2, -3]])
        let relu = x.map { max(0, $0) }
        #expect(relu.scalars == [0, 0.5, 2, 0])
        #expect(relu.shape == [2, 2])
        var y = x
        y.mapInPlace { $0 * $0 }
        #expect(y.scalars == [1, 0.25, 4, 9])
        #expect(x.scalars == [-1, 0.5, 2, -3])
        #expect(x.zipMap(y) { $0 + $1 }.scalars == [0, 0.75, 6, 6])
    }

    @Test("row-broadcast bias add adds the vector to every row", arguments: [(0, 4), (1, 1), (3, 5), (65, 2)])
    func rowBroadcast(size: (Int, Int)) {
        let (rows, columns) = size
        var generator = SeededGenerator(seed: 22)
        let m = Tensor<Float>.randomUniform([rows, columns], using: &generator)
        let bias = Tensor<Float>.randomUniform([columns], using: &generator)
        let result = m.addingToEachRow(bias)
        for i in 0..<rows {
            for j in 0..<columns { #expect(result[i, j] == m[i, j] + bias.scalars[j]) }
        }
    }

    @Test("element-wise shape mismatch stops with a message naming both shapes")
    func mismatch() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor<Float>.zeros([2, 3]) + Tensor<Float>.zeros([3, 2])
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("[2, 3]") && message.contains("[3, 2]"), "stderr: \(message)")
    }
}
