import CohortTensor
import Testing

@Suite("Per-row norms and scaling")
struct RowsTests {
    @Test("squared row norms match a double-precision sum, for widths with and without a partial vector",
          arguments: [1, 2, 15, 16, 17, 30, 64, 130, 784])
    func squaredRowNorms(width: Int) {
        var generator = SeededGenerator(seed: UInt64(width))
        let matrix = Tensor<Float>.randomNormal([37, width], using: &generator)
        var norms = [Float](repeating: -1, count: 40)
        matrix.squaredRowNorms(into: &norms)
        for row in 0..<37 {
            var reference = 0.0
            for column in 0..<width { reference += Double(matrix[row, column]) * Double(matrix[row, column]) }
            #expect(abs(Double(norms[row]) - reference) <= 1e-5 * reference + 1e-6, "row \(row)")
        }
        #expect(norms[37...].allSatisfy { $0 == -1 }, "entries past the last row are left alone")
    }

    @Test("scaleRows multiplies each row by its factor and leaves rows with factor 1 as they are",
          arguments: [2, 17, 64, 784])
    func scaleRows(width: Int) {
        var generator = SeededGenerator(seed: 9)
        let matrix = Tensor<Float>.randomNormal([5, width], using: &generator)
        let factors: [Float] = [1, 0.5, 0.25, 1, 3]
        var scaled = matrix
        scaled.scaleRows(by: factors)
        for row in 0..<5 {
            for column in 0..<width {
                #expect(scaled[row, column] == matrix[row, column] * factors[row], "row \(row), column \(column)")
            }
        }
    }
}
