import Foundation
import Testing
@testable import CohortPrivacy

@Suite("Adaptive clipping (Andrew et al. 2021)")
struct AdaptiveClippingTests {
    /// Runs `rounds` noiseless rounds against fixed update norms and returns the final C.
    func run(_ clipping: inout AdaptiveClipping, norms: [Double], rounds: Int) {
        for _ in 0..<rounds {
            let unclipped = norms.filter { clipping.isUnclipped(norm: $0) }.count
            clipping.update(unclippedCount: unclipped, expectedCount: Double(norms.count), standardNormal: 0)
        }
    }

    @Test("C converges to the target quantile from above and from below", arguments: [0.5, 0.8, 0.2])
    func tracksQuantile(gamma: Double) throws {
        let norms = (1...200).map { Double($0) / 20 }  // 0.05 … 10, evenly spread
        let quantile = norms[Int(gamma * Double(norms.count)) - 1]
        for start in [0.01, 1000.0] {
            var clipping = try AdaptiveClipping(
                initialClipNorm: start, targetQuantile: gamma, learningRate: 0.2, countNoiseStandardDeviation: 0)
            run(&clipping, norms: norms, rounds: 400)
            // Geometric steps of at most e^(0.2·0.01) per unit of mismatch: C settles within a
            // few percent of the quantile.
            #expect(abs(clipping.clipNorm - quantile) / quantile < 0.05, "γ = \(gamma), start \(start): C = \(clipping.clipNorm), quantile \(quantile)")
        }
    }

    @Test("one step follows C ← C·exp(−η(b̃ − γ)) with b̃ = (count + σ_b·ξ)/m")
    func singleStep() throws {
        var clipping = try AdaptiveClipping(
            initialClipNorm: 2, targetQuantile: 0.5, learningRate: 0.2, countNoiseStandardDeviation: 5)
        let fraction = clipping.update(unclippedCount: 60, expectedCount: 100, standardNormal: 1.5)
        let expectedFraction: Double = (60.0 + 5.0 * 1.5) / 100.0
        #expect(fraction == expectedFraction)
        #expect(relativeDifference(clipping.clipNorm, 2 * exp(-0.2 * (fraction - 0.5))) < 1e-15)
        // All clipped: C grows; none clipped: C shrinks.
        var grow = try AdaptiveClipping(initialClipNorm: 1, countNoiseStandardDeviation: 0)
        grow.update(unclippedCount: 0, expectedCount: 10, standardNormal: 0)
        #expect(grow.clipNorm > 1)
        var shrink = try AdaptiveClipping(initialClipNorm: 1, countNoiseStandardDeviation: 0)
        shrink.update(unclippedCount: 10, expectedCount: 10, standardNormal: 0)
        #expect(shrink.clipNorm < 1)
    }

    @Test("the noise split gives back the total noise multiplier")
    func noiseSplit() throws {
        let z = 1.0
        let sigmaB = 10.0
        let zDelta = try AdaptiveClipping.deltaNoiseMultiplier(total: z, countNoiseStandardDeviation: sigmaB)
        #expect(zDelta > z)
        let recombined = 1 / (1 / (zDelta * zDelta) + 1 / (4 * sigmaB * sigmaB)).squareRoot()
        #expect(relativeDifference(recombined, z) < 1e-14)
        #expect(throws: PrivacyError.self) { try AdaptiveClipping.deltaNoiseMultiplier(total: 1, countNoiseStandardDeviation: 0.4) }
    }

    @Test("settings are validated, also when decoded")
    func validation() throws {
        #expect(throws: PrivacyError.self) { try AdaptiveClipping(initialClipNorm: 0, countNoiseStandardDeviation: 1) }
        #expect(throws: PrivacyError.self) { try AdaptiveClipping(initialClipNorm: 1, targetQuantile: 2, countNoiseStandardDeviation: 1) }
        let clipping = try AdaptiveClipping(initialClipNorm: 1.5, countNoiseStandardDeviation: 2)
        let data = try JSONEncoder().encode(clipping)
        #expect(try JSONDecoder().decode(AdaptiveClipping.self, from: data) == clipping)
        let bad = Data(String(decoding: data, as: UTF8.self).replacingOccurrences(of: "1.5", with: "-1").utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(AdaptiveClipping.self, from: bad) }
    }
}
