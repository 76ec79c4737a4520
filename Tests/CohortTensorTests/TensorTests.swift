import CohortTensor
import Foundation
import Testing

@Suite("Tensor storage, shape and copy-on-write")
struct TensorTests {
    @Test("a copy is unaffected by a write to the original")
    func copyOnWrite() {
        var original = Tensor<Float>(rows: [[1, 2], [3, 4]])
        let copy = original
        original[0, 1] = 20
        original.mapInPlace { $0 + 1 }
        #expect(copy.scalars == [1, 2, 3, 4])
        #expect(original.scalars == [2, 21, 4, 5])
        var other = copy
        other.withUnsafeMutableBufferPointer { $0[0] = -1 }
        #expect(copy.scalars[0] == 1)
        #expect(other.scalars[0] == -1)
    }

    @Test("creation: zeros, filled, from arrays, rank 0")
    func creation() {
        #expect(Tensor<Float>.zeros([2, 3]).scalars == [0, 0, 0, 0, 0, 0])
        #expect(Tensor<Float>(shape: [2], repeating: 7).scalars == [7, 7])
        let m = Tensor<Float>(rows: [[1, 2, 3], [4, 5, 6]])
        #expect(m.shape == [2, 3] && m[1, 2] == 6)
        #expect(Tensor<Float>.zeros([]).count == 1)
        #expect(Tensor<Float>.zeros([0, 5]).count == 0)
    }

    @Test("reshape keeps the elements; transpose swaps indices", arguments: [(0, 3), (1, 5), (5, 1), (33, 70)])
    func reshapeAndTranspose(size: (Int, Int)) {
        let (rows, columns) = size
        var generator = SeededGenerator(seed: 61)
        let m = Tensor<Float>.randomUniform([rows, columns], using: &generator)
        #expect(m.reshaped([columns, rows]).scalars == m.scalars)
        #expect(m.reshaped([rows * columns]).shape == [rows * columns])
        let t = m.transposed()
        #expect(t.shape == [columns, rows])
        for i in 0..<rows { for j in 0..<columns { #expect(t[j, i] == m[i, j]) } }
        #expect(t.transposed() == m)
    }

    @Test("row slices and gathers copy the right rows")
    func rowSlices() {
        let m = Tensor<Float>(rows: [[1, 2], [3, 4], [5, 6], [7, 8]])
        #expect(m.rows(1..<3).scalars == [3, 4, 5, 6])
        #expect(m.rows(1..<3).shape == [2, 2])
        #expect(m.rows(4..<4).shape == [0, 2])
        #expect(m.rows(at: [3, 0, 3]).scalars == [7, 8, 1, 2, 7, 8])
        #expect(m.row(2).scalars == [5, 6])
        #expect(Tensor.concatenatingRows([m.rows(0..<1), m.rows(3..<4)]).scalars == [1, 2, 7, 8])
    }

    @Test("Codable round-trip keeps shape and values")
    func codable() throws {
        let m = Tensor<Float>(rows: [[1.5, -2], [0, 3]])
        let data = try JSONEncoder().encode(m)
        #expect(try JSONDecoder().decode(Tensor<Float>.self, from: data) == m)
    }

    @Test("a shape that does not fit the scalars stops with a message naming both")
    func badShape() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor<Float>(shape: [2, 2], scalars: [1, 2, 3])
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("[2, 2]") && message.contains("got 3"), "stderr: \(message)")
    }

    @Test("a reshape to the wrong count stops with a message naming both shapes")
    func badReshape() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor<Float>.zeros([2, 3]).reshaped([4, 2])
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("[2, 3]") && message.contains("[4, 2]"), "stderr: \(message)")
    }
}
