import CohortData
import Foundation
import Testing

@Suite("Gamma and Dirichlet sampling")
struct PartitionSamplingTests {
    /// Gamma(α, 1) has mean α and variance α. With n = 200,000 draws the sample mean's
    /// standard error is √(α/n) and the sample variance's is α·√((2 + 6/α)/n) (the excess
    /// kurtosis of Gamma(α) is 6/α); the test allows five standard errors.
    @Test("Gamma draws have mean α and variance α", arguments: [0.3, 1.0, 5.0])
    func gammaMoments(alpha: Double) {
        let n = 200_000
        var generator = SplitMix64(seed: 17)
        let gamma = GammaDistribution(shape: alpha)
        var draws = [Double](repeating: 0, count: n)
        for i in 0..<n { draws[i] = gamma.sample(using: &generator) }
        #expect(draws.allSatisfy { $0 >= 0 && $0.isFinite })
        let (mean, standardDeviation) = naiveMeanAndStandardDeviation(draws)
        let variance = standardDeviation * standardDeviation
        let meanError = (alpha / Double(n)).squareRoot()
        let varianceError = alpha * ((2 + 6 / alpha) / Double(n)).squareRoot()
        #expect(abs(mean - alpha) < 5 * meanError, "mean \(mean) for α = \(alpha)")
        #expect(abs(variance - alpha) < 5 * varianceError, "variance \(variance) for α = \(alpha)")
    }

    /// A check on the shape, not only the moments: P(G ≤ 1) for Gamma(1) = Exp(1) is 1 − e⁻¹.
    @Test("Gamma(1) is the unit exponential")
    func gammaOneIsExponential() {
        let n = 100_000
        var generator = SplitMix64(seed: 23)
        let gamma = GammaDistribution(shape: 1)
        var below = 0
        for _ in 0..<n where gamma.sample(using: &generator) <= 1 { below += 1 }
        let expected = 1 - exp(-1.0)
        let standardError = (expected * (1 - expected) / Double(n)).squareRoot()
        #expect(abs(Double(below) / Double(n) - expected) < 5 * standardError)
    }

    /// E[ln G] = ψ(α), the digamma function: ψ(0.01) = −100.560885… (ψ(α) = ψ(α + 1) − 1/α
    /// with ψ(1.01) = −0.560885…), and Var[ln G] = ψ′(0.01) = 10001.62…. The draws
    /// themselves mostly underflow.
    @Test("the log sampler stays finite and correct where draws underflow")
    func logSampleForTinyShape() {
        let n = 100_000
        var generator = SplitMix64(seed: 29)
        let gamma = GammaDistribution(shape: 0.01)
        var sum = 0.0
        for _ in 0..<n {
            let value = gamma.logSample(using: &generator)
            #expect(value.isFinite)
            sum += value
        }
        let standardError = (10001.62 / Double(n)).squareRoot()
        #expect(abs(sum / Double(n) - (-100.560885)) < 5 * standardError)
    }

    @Test("Dirichlet draws sum to 1 and have mean αᵢ / Σα")
    func dirichletMean() {
        let n = 50_000
        var generator = SplitMix64(seed: 31)
        let dirichlet = DirichletDistribution(concentration: [0.5, 1.5, 3])
        var sums = [0.0, 0.0, 0.0]
        for _ in 0..<n {
            let p = dirichlet.sample(using: &generator)
            #expect(abs(p.reduce(0, +) - 1) < 1e-12)
            for i in 0..<3 { sums[i] += p[i] }
        }
        let expected = [0.1, 0.3, 0.6]
        for i in 0..<3 {
            // Var[pᵢ] = aᵢ(1 − aᵢ)/(α₀ + 1) with aᵢ = αᵢ/α₀, α₀ = 5.
            let standardError = (expected[i] * (1 - expected[i]) / 6 / Double(n)).squareRoot()
            #expect(abs(sums[i] / Double(n) - expected[i]) < 5 * standardError, "component \(i)")
        }
    }

    @Test("a Dirichlet with a tiny alpha still gives a valid vector, mostly on one component")
    func dirichletTinyAlpha() {
        var generator = SplitMix64(seed: 37)
        let dirichlet = DirichletDistribution(symmetric: 0.001, count: 10)
        for _ in 0..<1000 {
            let p = dirichlet.sample(using: &generator)
            #expect(p.allSatisfy { $0 >= 0 && $0.isFinite })
            #expect(abs(p.reduce(0, +) - 1) < 1e-12)
            #expect((p.max() ?? 0) > 0.5)
        }
    }
}
