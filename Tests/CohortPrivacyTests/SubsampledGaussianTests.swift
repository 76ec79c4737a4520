import Foundation
import Testing
@testable import CohortPrivacy

@Suite("RDP of the Poisson-subsampled Gaussian")
struct SubsampledGaussianTests {
    /// Tolerance against mpmath's integral: relative 1e-9 (achieved: about 1e-15).
    static let orderTolerance = 1e-9

    @Test("every row of dp_rdp_orders.csv matches the mpmath integral (integer and fractional orders)")
    func matchesNumericalIntegration() throws {
        let rows = try ReferenceFiles.rows(of: "dp_rdp_orders.csv")
        #expect(rows.count >= 27)
        var worst = 0.0
        var sawFractional = false
        for row in rows {
            let q = try ReferenceFiles.number(row, "q")
            let sigma = try ReferenceFiles.number(row, "sigma")
            let alpha = try ReferenceFiles.number(row, "alpha")
            let reference = try ReferenceFiles.number(row, "rdp_mpmath_quad")
            let library = try ReferenceFiles.number(row, "rdp_subsampled_gaussian")
            let mechanism = try SubsampledGaussian(samplingRate: q, noiseMultiplier: sigma)
            let ours = mechanism.rdp(order: alpha)
            let error = relativeDifference(ours, reference)
            worst = max(worst, error)
            #expect(error <= Self.orderTolerance, "q = \(q), σ = \(sigma), α = \(alpha): \(ours) vs \(reference)")
            if alpha != alpha.rounded() {
                sawFractional = true
                // The library sums |terms|: an upper bound, never below the exact value.
                #expect(ours <= library * (1 + 1e-12), "α = \(alpha): exact \(ours) above library bound \(library)")
            }
        }
        #expect(sawFractional)
        print("dp_rdp_orders.csv: worst relative difference to rdp_mpmath_quad = \(worst)")
    }

    @Test("q = 1 is the Gaussian mechanism: α/(2σ²)", arguments: [1.1, 1.5, 2.0, 7.3, 32.0, 1024.0])
    func fullBatchIsGaussianMechanism(alpha: Double) throws {
        for sigma in [0.5, 1.0, 3.7] {
            let mechanism = try SubsampledGaussian.gaussian(noiseMultiplier: sigma)
            #expect(mechanism.rdp(order: alpha) == alpha / (2 * sigma * sigma))
        }
    }

    @Test("q = 0 spends nothing")
    func zeroSamplingRate() throws {
        let mechanism = try SubsampledGaussian(samplingRate: 0, noiseMultiplier: 1)
        #expect(try mechanism.rdp(orders: RDPCurve.defaultOrders).values.allSatisfy { $0 == 0 })
    }

    @Test(
        "the quadrature at integer orders agrees with the finite binomial sum",
        arguments: [(0.01, 1.0), (0.1, 1.5), (0.5, 4.0), (0.001, 0.8), (0.3, 0.6), (1e-5, 2.0)])
    func quadratureAgreesWithBinomialSum(q: Double, sigma: Double) throws {
        let mechanism = try SubsampledGaussian(samplingRate: q, noiseMultiplier: sigma)
        for alpha in [2, 3, 5, 8, 13, 20] {
            let sum = mechanism.integerOrderRDP(alpha)
            let integral = mechanism.fractionalOrderRDP(Double(alpha))
            #expect(relativeDifference(integral, sum) <= 1e-10, "q = \(q), σ = \(sigma), α = \(alpha): \(integral) vs \(sum)")
        }
    }

    @Test("fractional orders lie between their integer neighbours and the curve is continuous")
    func fractionalOrdersAreContinuous() throws {
        // (α − 1)·RDP(α) = log A_α is convex in α and RDP(α) is non-decreasing
        // (van Erven and Harremoës 2014, Theorems 3 and 11).
        for (q, sigma) in [(0.1, 1.5), (0.01, 1.0), (0.5, 0.9)] {
            let mechanism = try SubsampledGaussian(samplingRate: q, noiseMultiplier: sigma)
            var previous = 0.0
            for step in 0...40 {
                let alpha = 1.05 + Double(step) * 0.2
                let value = mechanism.rdp(order: alpha)
                #expect(value >= previous * (1 - 1e-12), "RDP must not decrease in α: q = \(q), σ = \(sigma), α = \(alpha)")
                previous = value
            }
            let below = mechanism.rdp(order: 3 - 1e-7)
            let at = mechanism.rdp(order: 3)
            let above = mechanism.rdp(order: 3 + 1e-7)
            #expect(relativeDifference(below, at) < 1e-5 && relativeDifference(above, at) < 1e-5)
        }
    }

    @Test("small orders at large q, where the library's series diverges, are finite and below the library's α = 2")
    func smallOrdersAtLargeSamplingRate() throws {
        for q in [0.1, 0.3, 0.5, 0.9] {
            let mechanism = try SubsampledGaussian(samplingRate: q, noiseMultiplier: 1.0)
            let atTwo = mechanism.rdp(order: 2)
            for alpha in stride(from: 1.1, through: 1.9, by: 0.1) {
                let value = mechanism.rdp(order: alpha)
                #expect(value.isFinite && value > 0 && value <= atTwo, "q = \(q), α = \(alpha): \(value)")
            }
        }
    }

    @Test("RDP decreases in σ and increases in q")
    func monotoneInParameters() throws {
        for alpha in [1.5, 2.0, 4.5, 16.0] {
            var previous = Double.infinity
            for sigma in [0.6, 0.8, 1.0, 1.5, 3.0, 10.0] {
                let value = try SubsampledGaussian(samplingRate: 0.05, noiseMultiplier: sigma).rdp(order: alpha)
                #expect(value < previous, "α = \(alpha), σ = \(sigma)")
                previous = value
            }
            previous = 0
            for q in [0.001, 0.01, 0.1, 0.5, 1.0] {
                let value = try SubsampledGaussian(samplingRate: q, noiseMultiplier: 1.2).rdp(order: alpha)
                #expect(value > previous, "α = \(alpha), q = \(q)")
                previous = value
            }
        }
    }

    @Test("extreme settings stay finite and ordered: tiny q, tiny and huge σ, large orders")
    func extremeSettings() throws {
        let tiny = try SubsampledGaussian(samplingRate: 1e-6, noiseMultiplier: 1.0)
        // For small q, A_α − 1 ≈ C(α, 2)·q²·(e^(1/σ²) − 1) (the k = 2 term of the binomial
        // expansion), so RDP(α) ≈ α·q²·(e^(1/σ²) − 1)/2.
        for alpha in [1.5, 2.0, 2.5] {
            let expected = 1e-12 * alpha * (exp(1.0) - 1) / 2
            #expect(relativeDifference(tiny.rdp(order: alpha), expected) < 1e-3)
        }
        let sharp = try SubsampledGaussian(samplingRate: 0.2, noiseMultiplier: 0.3)
        #expect(sharp.rdp(order: 1024).isFinite)
        #expect(sharp.rdp(order: 10.5).isFinite)
        let wide = try SubsampledGaussian(samplingRate: 0.01, noiseMultiplier: 100)
        #expect(wide.rdp(order: 1.5) > 0 && wide.rdp(order: 1.5) < wide.rdp(order: 2))
    }

    @Test("invalid parameters are refused with the parameter named")
    func invalidParameters() {
        #expect(throws: PrivacyError.self) { try SubsampledGaussian(samplingRate: 1.5, noiseMultiplier: 1) }
        #expect(throws: PrivacyError.self) { try SubsampledGaussian(samplingRate: 0.1, noiseMultiplier: 0) }
        #expect(throws: PrivacyError.self) { try SubsampledGaussian(samplingRate: .nan, noiseMultiplier: 1) }
        do {
            _ = try SubsampledGaussian(samplingRate: 0.1, noiseMultiplier: -2)
            Issue.record("σ = -2 was accepted")
        } catch {
            #expect(error.code == .invalidParameter)
            #expect(error.message.contains("noise multiplier"))
        }
        let json = Data(#"{"samplingRate": 2, "noiseMultiplier": 1}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(SubsampledGaussian.self, from: json) }
    }
}
