import Foundation
import Testing
@testable import CohortPrivacy

@Suite("L2 clipping")
struct L2ClippingTests {
    /// A reproducible vector: a linear congruential sequence mapped to [−scale, scale].
    func vector(count: Int, seed: UInt64, scale: Float) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return (Float(state >> 40) / Float(1 << 24) * 2 - 1) * scale
        }
    }

    @Test("a clipped vector never exceeds the bound, and keeps its direction")
    func neverExceedsBound() {
        for (seed, count) in [(1, 7), (2, 1000), (3, 100_003), (4, 1)] as [(UInt64, Int)] {
            for bound: Float in [1e-3, 0.1, 1, 3.7, 1e3] {
                let original = vector(count: count, seed: seed, scale: 50)
                var values = original
                let factor = clip(&values, toNorm: bound)
                #expect(l2Norm(values) <= Double(bound), "n = \(count), C = \(bound): \(l2Norm(values))")
                if l2Norm(original) > Double(bound) {
                    #expect(l2Norm(values) >= Double(bound) * (1 - 2e-6))
                    #expect(factor < 1)
                } else {
                    #expect(factor == 1 && values == original)
                }
                for index in stride(from: 0, to: count, by: max(1, count / 50)) {
                    #expect(values[index] == original[index] * factor)
                }
            }
        }
    }

    @Test("a vector within the bound is left exactly unchanged")
    func shortVectorsUnchanged() {
        let original = vector(count: 1000, seed: 9, scale: 0.01)
        let norm = l2Norm(original)
        var values = original
        #expect(clip(&values, toNorm: Float(norm) * 1.0001) == 1)
        #expect(values == original)
        var empty: [Float] = []
        #expect(clip(&empty, toNorm: 1) == 1)
        // Exactly on the bound: unchanged too.
        var onBound: [Float] = [3, 4]
        #expect(clip(&onBound, toNorm: 5) == 1)
        #expect(onBound == [3, 4])
    }

    @Test("the norm is accurate and does not overflow for large Float32 entries")
    func normAccuracy() {
        #expect(l2Norm([3, 4]) == 5)
        let large = [Float](repeating: 1e30, count: 4)
        #expect(relativeDifference(l2Norm(large), 2e30) < 1e-6)
        let ones = [Float](repeating: 1, count: 1_000_001)
        #expect(relativeDifference(l2Norm(ones), sqrt(1_000_001.0)) < 1e-14)
    }

    @Test("non-finite updates are zeroed, not passed on")
    func nonFiniteZeroed() {
        var values: [Float] = [1, .nan, 2]
        #expect(clip(&values, toNorm: 1) == 0)
        #expect(values == [0, 0, 0])
        var infinite: [Float] = [.infinity, 1]
        clip(&infinite, toNorm: 1)
        #expect(infinite == [0, 0])
        #expect(clipFactor(norm: 10, toNorm: 0) == 0)
        let copy = clipped([3, 4], toNorm: 1)
        #expect(l2Norm(copy.vector) <= 1 && copy.factor < 0.2 + 1e-6)
    }
}
