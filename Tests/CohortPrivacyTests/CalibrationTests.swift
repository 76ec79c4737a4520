import Foundation
import Testing
@testable import CohortPrivacy

@Suite("Noise calibration and affordable steps")
struct CalibrationTests {
    @Test("the calibrate_sigma_rdp row: σ within 1% of the reference, ε within 1% of the target and ≤ it")
    func matchesReferenceCalibration() throws {
        let rows = try ReferenceFiles.rows(of: "dp_vectors.csv").filter { $0["mechanism"] == "calibrate_sigma_rdp" }
        try #require(!rows.isEmpty, "dp_vectors.csv has no calibrate_sigma_rdp row")
        let accountant = RDPAccountant()
        for row in rows {
            let q = try ReferenceFiles.number(row, "q")
            let referenceSigma = try ReferenceFiles.number(row, "sigma")
            let steps = Int(try ReferenceFiles.number(row, "steps"))
            let delta = try ReferenceFiles.number(row, "delta")
            let target = try ReferenceFiles.number(row, "target_eps")
            let budget = try PrivacyBudget(epsilon: target, delta: delta)
            let mechanism = try accountant.calibrate(samplingRate: q, steps: steps, budget: budget)
            let achieved = accountant.epsilon(of: mechanism, steps: steps, delta: delta).epsilon
            #expect(relativeDifference(mechanism.noiseMultiplier, referenceSigma) <= 0.01)
            #expect(achieved <= target)
            #expect(relativeDifference(achieved, target) <= 0.01)
            // The smallest σ: 0.01% less noise already exceeds the target.
            let less = try SubsampledGaussian(samplingRate: q, noiseMultiplier: mechanism.noiseMultiplier * 0.9999)
            #expect(accountant.epsilon(of: less, steps: steps, delta: delta).epsilon > target)
            print("calibration q = \(q), T = \(steps), δ = \(delta), target ε = \(target): σ = \(mechanism.noiseMultiplier) "
                + "(reference \(referenceSigma), relative \((mechanism.noiseMultiplier - referenceSigma) / referenceSigma)), "
                + "ε = \(achieved)")
        }
    }

    @Test("calibration round-trips for other settings, including q = 1", arguments: [
        (0.05, 200, 1.0), (1.0, 10, 8.0), (0.2, 50, 0.5),
    ])
    func calibrationRoundTrip(q: Double, steps: Int, target: Double) throws {
        let accountant = RDPAccountant()
        let budget = try PrivacyBudget(epsilon: target, delta: 1e-6)
        let mechanism = try accountant.calibrate(samplingRate: q, steps: steps, budget: budget)
        let achieved = accountant.epsilon(of: mechanism, steps: steps, delta: 1e-6).epsilon
        #expect(achieved <= target && achieved >= target * 0.999)
    }

    @Test("an unreachable target is refused")
    func unreachableTarget() throws {
        let budget = try PrivacyBudget(epsilon: 1e-4, delta: 1e-5)
        do {
            _ = try RDPAccountant().calibrate(samplingRate: 0.5, steps: 10, budget: budget)
            Issue.record("ε = 1e-4 was calibrated")
        } catch {
            #expect(error.code == .calibrationFailed)
        }
        #expect(throws: PrivacyError.self) { try RDPAccountant().calibrate(samplingRate: 0, steps: 10, budget: budget) }
    }

    @Test("affordable steps: the largest T within budget, and T + 1 exceeds it")
    func affordableSteps() throws {
        let accountant = RDPAccountant()
        let mechanism = try SubsampledGaussian(samplingRate: 0.01, noiseMultiplier: 1.0)
        let budget = try PrivacyBudget(epsilon: 2.0, delta: 1e-5)
        let steps = try accountant.affordableSteps(of: mechanism, within: budget)
        #expect(steps > 100 && steps < 1000)
        #expect(accountant.epsilon(of: mechanism, steps: steps, delta: 1e-5).epsilon <= 2.0)
        #expect(accountant.epsilon(of: mechanism, steps: steps + 1, delta: 1e-5).epsilon > 2.0)
        // After spending part of the budget, fewer remain.
        let spent = accountant.rdp(of: mechanism, steps: steps / 2)
        let remaining = try accountant.affordableSteps(of: mechanism, within: budget, after: spent)
        #expect(remaining >= 1 && remaining <= steps - steps / 2)
        // Nothing fits once over budget; everything fits when nothing is spent per step.
        let over = accountant.rdp(of: mechanism, steps: steps + 5)
        #expect(try accountant.affordableSteps(of: mechanism, within: budget, after: over) == 0)
        let idle = try SubsampledGaussian(samplingRate: 0, noiseMultiplier: 1)
        #expect(try accountant.affordableSteps(of: idle, within: budget) == Int.max)
    }
}
