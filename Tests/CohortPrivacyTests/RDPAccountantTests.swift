import Foundation
import Testing
@testable import CohortPrivacy

@Suite("RDP accountant: composition and conversion to (ε, δ)")
struct RDPAccountantTests {
    @Test("every row of dp_vectors.csv: within 1% of eps_rdp (or lower), never below eps_pld")
    func matchesReferenceVectors() throws {
        let rows = try ReferenceFiles.rows(of: "dp_vectors.csv")
        #expect(rows.count >= 8)
        let accountant = RDPAccountant()
        for row in rows {
            let q = try ReferenceFiles.number(row, "q")
            let sigma = try ReferenceFiles.number(row, "sigma")
            let steps = Int(try ReferenceFiles.number(row, "steps"))
            let delta = try ReferenceFiles.number(row, "delta")
            let library = try ReferenceFiles.number(row, "eps_rdp")
            let libraryOrder = try ReferenceFiles.number(row, "eps_rdp_opt_order")
            let pld = try ReferenceFiles.number(row, "eps_pld")
            let mechanism = try SubsampledGaussian(samplingRate: q, noiseMultiplier: sigma)
            let ours = accountant.epsilon(of: mechanism, steps: steps, delta: delta)
            let context = "\(row["mechanism"] ?? "?") q = \(q), σ = \(sigma), T = \(steps), δ = \(delta)"
            #expect(ours.epsilon <= library * 1.01, "\(context): ε = \(ours.epsilon) vs eps_rdp \(library)")
            #expect(ours.epsilon >= pld, "\(context): ε = \(ours.epsilon) below eps_pld \(pld): over-promises")
            // Integer orders are the same sum and fractional ones exact rather than bounds,
            // so over the library's orders this accountant is never above it.
            #expect(ours.epsilon <= library * (1 + 1e-9), "\(context): above the library's upper bound")
            #expect(abs(ours.order - libraryOrder) <= 0.10001, "\(context): order \(ours.order) vs \(libraryOrder)")
            #expect(ours.delta == delta)
            print("\(context): ε = \(ours.epsilon) (α = \(ours.order)); eps_rdp = \(library) (α = \(libraryOrder)), "
                + "relative \((ours.epsilon - library) / library); eps_pld = \(pld)")
        }
    }

    @Test("composition is additive: T steps equal T single steps composed, and heterogeneous curves add per order")
    func compositionIsAdditive() throws {
        let accountant = RDPAccountant()
        let a = try SubsampledGaussian(samplingRate: 0.02, noiseMultiplier: 1.1)
        let b = try SubsampledGaussian(samplingRate: 0.3, noiseMultiplier: 2.5)
        let one = accountant.rdp(of: a, steps: 1)
        var composed = accountant.zero
        for _ in 0..<7 { composed = try composed.composed(with: one) }
        let seven = accountant.rdp(of: a, steps: 7)
        for (x, y) in zip(composed.values, seven.values) { #expect(relativeDifference(x, y) <= 1e-13) }
        let mixed = try accountant.rdp(of: a, steps: 3).composed(with: accountant.rdp(of: b, steps: 2))
        for index in mixed.orders.indices {
            let expected = 3 * one.values[index] + 2 * b.rdp(order: mixed.orders[index])
            #expect(relativeDifference(mixed.values[index], expected) <= 1e-13)
        }
        #expect(throws: PrivacyError.self) { try one.composed(with: RDPCurve.zero(orders: [2, 3])) }
    }

    @Test("ε decreases in σ and increases in steps and in q")
    func epsilonIsMonotone() throws {
        let accountant = RDPAccountant()
        var previous = Double.infinity
        for sigma in [0.7, 0.9, 1.2, 2.0, 4.0] {
            let value = accountant.epsilon(of: try .init(samplingRate: 0.01, noiseMultiplier: sigma), steps: 500, delta: 1e-5)
            #expect(value.epsilon < previous, "σ = \(sigma)")
            previous = value.epsilon
        }
        previous = 0
        for steps in [1, 10, 100, 1000, 10000] {
            let value = accountant.epsilon(of: try .init(samplingRate: 0.01, noiseMultiplier: 1.0), steps: steps, delta: 1e-5)
            #expect(value.epsilon > previous, "T = \(steps)")
            previous = value.epsilon
        }
        previous = 0
        for q in [0.001, 0.01, 0.05, 0.2, 1.0] {
            let value = accountant.epsilon(of: try .init(samplingRate: q, noiseMultiplier: 1.0), steps: 100, delta: 1e-5)
            #expect(value.epsilon > previous, "q = \(q)")
            previous = value.epsilon
        }
    }

    @Test("the conversion is Canonne–Kamath–Steinke Prop. 12, minimised over orders and floored at 0")
    func conversionFormula() throws {
        let curve = try RDPCurve(orders: [2, 8, 32], values: [0.5, 1.0, 3.0])
        let delta = 1e-5
        let byHand = zip(curve.orders, curve.values).map { alpha, rdp in
            rdp + log(1 - 1 / alpha) - (log(delta) + log(alpha)) / (alpha - 1)
        }
        let guarantee = curve.epsilon(delta: delta)
        #expect(relativeDifference(guarantee.epsilon, byHand.min() ?? .nan) < 1e-14)
        #expect(guarantee.order == 8)
        // Tiny RDP: δ ≥ √(1 − e^(−RDP)) gives ε = 0.
        #expect(try RDPCurve(orders: [2], values: [1e-12]).epsilon(delta: 1e-5).epsilon == 0)
        // Orders with no guarantee are skipped; all of them: ε = ∞.
        #expect(try RDPCurve(orders: [2, 4], values: [.infinity, 1]).epsilon(delta: 1e-5).order == 4)
        #expect(try RDPCurve(orders: [2], values: [.infinity]).epsilon(delta: 1e-5).epsilon == .infinity)
    }

    @Test("curves and orders are validated")
    func validation() {
        #expect(throws: PrivacyError.self) { try RDPCurve(orders: [], values: []) }
        #expect(throws: PrivacyError.self) { try RDPCurve(orders: [1], values: [0]) }
        #expect(throws: PrivacyError.self) { try RDPCurve(orders: [2], values: [-1]) }
        #expect(throws: PrivacyError.self) { try RDPCurve(orders: [2, 3], values: [0]) }
        #expect(throws: PrivacyError.self) { try RDPAccountant(orders: [0.5, 2]) }
        #expect(RDPCurve.defaultOrders.count == 99 + 53 + 4)
        #expect(RDPCurve.defaultOrders.first == 1.1 && RDPCurve.defaultOrders.last == 1024)
    }
}
