import CohortTensor
import Foundation
import Testing

@Suite("Seeded random tensors")
struct RandomTests {
    @Test("the same seed gives the same tensor; another seed does not")
    func determinism() {
        var g1 = SeededGenerator(seed: 7), g2 = SeededGenerator(seed: 7), g3 = SeededGenerator(seed: 8)
        let a = Tensor<Float>.randomNormal([100], using: &g1)
        let b = Tensor<Float>.randomNormal([100], using: &g2)
        let c = Tensor<Float>.randomNormal([100], using: &g3)
        #expect(a == b)
        #expect(a != c)
    }

    @Test("uniform draws stay in range with mean and variance of U(a, b)")
    func uniform() {
        var generator = SeededGenerator(seed: 71)
        let n = 200_000
        let x = Tensor<Double>.randomUniform([n], in: -1..<3, using: &generator)
        #expect(x.scalars.allSatisfy { $0 >= -1 && $0 < 3 })
        let mean = x.mean()
        let variance = x.scalars.reduce(0.0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)
        // U(-1, 3): mean 1, variance 16/12; tolerances are about 5 standard errors.
        #expect(abs(mean - 1) < 5 * (16.0 / 12 / Double(n)).squareRoot())
        #expect(abs(variance - 16.0 / 12) < 0.02)
    }

    @Test("normal draws have the requested mean, standard deviation and tail mass")
    func normal() {
        var generator = SeededGenerator(seed: 72)
        let n = 200_001
        let x = Tensor<Double>.randomNormal([n], mean: 2, standardDeviation: 3, using: &generator)
        #expect(x.count == n)
        let mean = x.mean()
        let variance = x.scalars.reduce(0.0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)
        #expect(abs(mean - 2) < 5 * 3 / Double(n).squareRoot())
        #expect(abs(variance.squareRoot() - 3) < 0.03)
        // P(|Z| > 2) = 0.0455 for a standard normal.
        let tail = Double(x.scalars.filter { abs(($0 - 2) / 3) > 2 }.count) / Double(n)
        #expect(abs(tail - 0.0455) < 0.003)
    }
}
